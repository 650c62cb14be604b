package textsrc

import (
	"errors"
	"io"
	"strings"
	"testing"
)

// chunky returns data in pieces of n bytes, with an error between pieces.
type chunky struct {
	data  string
	n     int
	flaky bool
	turn  bool
}

var errAgain = errors.New("again")

func (c *chunky) Read(p []byte) (int, error) {
	if c.flaky {
		c.turn = !c.turn
		if c.turn {
			return 0, errAgain
		}
	}
	if len(c.data) == 0 {
		return 0, io.EOF
	}
	n := min(c.n, len(p), len(c.data))
	copy(p, c.data[:n])
	c.data = c.data[n:]
	return n, nil
}

func readAll(t *testing.T, l *LineReader) (recs []string, offs []int64) {
	for {
		rec, off, err := l.Next()
		if err == errAgain {
			continue
		}
		if err == io.EOF {
			return
		}
		if err != nil {
			t.Fatal(err)
		}
		recs = append(recs, string(rec))
		offs = append(offs, off)
	}
}

func TestLineReader(t *testing.T) {
	data := "a,b\r\n\"x\ny\",\"q\"\"\n\"\nlast"
	for _, chunk := range []int{1, 2, 3, 7, 100} {
		for _, flaky := range []bool{false, true} {
			l := NewLineReader(&chunky{data: data, n: chunk, flaky: flaky}, 10, 4, '\n')
			l.SetCSV(',', '"')
			recs, offs := readAll(t, l)
			want := []string{"a,b", "\"x\ny\",\"q\"\"\n\"", "last"}
			if strings.Join(recs, "|") != strings.Join(want, "|") {
				t.Fatalf("chunk %d: got %q", chunk, recs)
			}
			if offs[0] != 10 || offs[1] != 15 || offs[2] != 28 || l.Offset() != int64(10+len(data)) {
				t.Fatalf("chunk %d: offsets %v end %d", chunk, offs, l.Offset())
			}
		}
	}
	// without CSV mode a quoted line break ends the record
	l := NewLineReader(strings.NewReader("\"x\ny\"\n"), 0, 0, '\n')
	if recs, _ := readAll(t, l); len(recs) != 2 {
		t.Fatalf("plain: %q", recs)
	}
	// a custom delimiter
	l = NewLineReader(strings.NewReader("a;b;"), 0, 0, ';')
	if recs, _ := readAll(t, l); strings.Join(recs, "|") != "a|b" {
		t.Fatalf("delimiter: %q", recs)
	}
	// a quote inside an unquoted field is literal
	l = NewLineReader(strings.NewReader("a\"b,c\nd\n"), 0, 0, '\n')
	l.SetCSV(',', '"')
	if recs, _ := readAll(t, l); strings.Join(recs, "|") != "a\"b,c|d" {
		t.Fatalf("literal quote: %q", recs)
	}
}
