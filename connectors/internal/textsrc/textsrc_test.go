package textsrc

import (
	"errors"
	"fmt"
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

// TestLineNumbers checks the 1-based line of each record (a quoted line
// break in CSV makes a record span two lines), the line count kept for
// positions, and numbering that continues from a restored count.
func TestLineNumbers(t *testing.T) {
	data := "a,b\r\n\"x\ny\",\"q\"\n\nz\nlast"
	for _, chunk := range []int{1, 2, 5, 100} {
		l := NewLineReader(&chunky{data: data, n: chunk, flaky: true}, 0, 4, '\n')
		l.SetCSV(',', '"')
		var lines []int64
		for {
			_, _, err := l.Next()
			if err == errAgain {
				continue
			}
			if err == io.EOF {
				break
			}
			lines = append(lines, l.Line())
		}
		if fmt.Sprint(lines) != "[1 2 4 5 6]" || l.Lines() != 5 {
			t.Fatalf("chunk %d: lines %v, count %d", chunk, lines, l.Lines())
		}
	}
	// restored: the stream starts after 10 lines
	l := NewLineReader(strings.NewReader("p\nq\n"), 100, 0, '\n')
	l.SetLines(10)
	l.Next()
	l.Next()
	if l.Line() != 12 || l.Lines() != 12 {
		t.Fatalf("restored: line %d, count %d", l.Line(), l.Lines())
	}
	// unknown: no line numbers
	l = NewLineReader(strings.NewReader("p\n"), 100, 0, '\n')
	l.SetLines(-1)
	l.Next()
	if l.Line() != 0 || l.Lines() != -1 {
		t.Fatalf("unknown: line %d, count %d", l.Line(), l.Lines())
	}
}

// TestLineReaderLimit checks that a limited reader returns the records
// starting at or before the limit, the last one whole, and fails on a
// quoted line break at or after the limit.
func TestLineReaderLimit(t *testing.T) {
	data := "ab\ncd\r\n\"e\nf\"\ngh" // records at 0, 3, 7 ("e\nf", quoted break at 9), 13
	for _, c := range []struct {
		limit int64
		want  string
		err   int64 // offset of the quoted break reported; 0: none
	}{
		{0, "ab", 0}, {2, "ab", 0}, {3, "ab|cd", 0}, {6, "ab|cd", 0}, {7, "ab|cd|\"e\nf\"", 9},
		{9, "ab|cd|\"e\nf\"", 9}, {10, "ab|cd|\"e\nf\"", 0}, {13, "ab|cd|\"e\nf\"|gh", 0}, {100, "ab|cd|\"e\nf\"|gh", 0},
	} {
		l := NewLineReader(&chunky{data: data, n: 2}, 0, 4, '\n')
		l.SetCSV(',', '"')
		l.SetLimit(c.limit)
		var recs []string
		var got int64
		for {
			rec, _, err := l.Next()
			var qb *QuotedBreakError
			if errors.As(err, &qb) {
				got = qb.Offset
				recs = append(recs, string(rec))
				continue
			}
			if err == io.EOF {
				break
			}
			if err != nil {
				t.Fatal(err)
			}
			recs = append(recs, string(rec))
		}
		if strings.Join(recs, "|") != c.want || got != c.err {
			t.Errorf("limit %d: %q, quoted break at %d; want %q, %d", c.limit, strings.Join(recs, "|"), got, c.want, c.err)
		}
	}
}
