package filesystem

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/streamsql/streamsql/catalog"
	"github.com/streamsql/streamsql/connectors"
	"github.com/streamsql/streamsql/types"
)

// readRanges reads every split of src in order (batches of capRows
// rows) and returns the rows, the split IDs, and the first error with the
// index of the split that returned it (-1 when none did). Reading goes on
// after an error, as other source instances would.
func readRanges(t *testing.T, src connectors.Source, splits []connectors.Split, capRows int, rend func(*types.Batch, int) string) (rows []string, ids []string, firstErr error, errAt int) {
	t.Helper()
	errAt = -1
	for k, sp := range splits {
		ids = append(ids, sp.ID())
		r, err := src.OpenSplit(ctx, sp, nil)
		if err != nil {
			t.Fatal(err)
		}
		for {
			b := types.NewBatch(rendWidth(src), capRows)
			err := r.Next(ctx, b)
			if errAt < 0 {
				for i := 0; i < b.Len(); i++ {
					rows = append(rows, rend(b, i))
				}
			}
			if err == io.EOF {
				break
			}
			if err != nil {
				if errAt < 0 {
					firstErr, errAt = err, k
				}
				break
			}
		}
		r.Close()
	}
	return rows, ids, firstErr, errAt
}

func rendWidth(src connectors.Source) int { return len(src.(*source).format.Schema) }

func renderText(b *types.Batch, i int) string { return types.Render(b.Row(i)[0], types.String) }

// newRangeSrc builds the source of the table tb(opts...).
func newRangeSrc(t *testing.T, tb func(...string) *catalog.Table, opts ...string) connectors.Source {
	t.Helper()
	s, err := connectors.Lookup("filesystem").NewSource(tb(opts...), nil)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func textTable(opts ...string) *catalog.Table {
	t := table(opts...)
	t.Columns = types.Schema{{Name: "line", Type: types.String}}
	return t
}

// TestRangesMatchWholeFile cuts small files at every split size from 1
// byte to past their length and checks that the ranges together read
// exactly the rows of one whole-file read, in order: short and long
// lines, CRLF, blank lines, a last line without a line break, a header.
func TestRangesMatchWholeFile(t *testing.T) {
	long := strings.Repeat("x", 300)
	cases := []struct {
		name, format, data string
		tb                 func(...string) *catalog.Table
		rend               func(*types.Batch, int) string
		opts               []string
	}{
		{name: "csv header", format: "csv", tb: table, rend: render,
			data: "id,name,price,ts\r\n1,a,1,2020-01-01\r\n\r\n22,\"b,\"\"q\"\"\",2.5,2020-01-02\n3," + long + ",3,\n\n4,d,,\n5,e,5,2020-01-05",
			opts: []string{"csv.ignore-first-line", "true"}},
		{name: "csv no header, final line break", format: "csv", tb: table, rend: render,
			data: "1,a,1,\n2,b,2,\n3," + long + ",3,\n4,d,4,\n"},
		{name: "json", format: "json", tb: table, rend: render,
			data: "{\"id\":1,\"name\":\"a\\nb\"}\n\n{\"id\":2,\"name\":\"" + long + "\"}\r\n{\"id\":3}\n   \n{\"id\":4,\"name\":\"\\\"q\\\"\"}"},
		{name: "text", format: "text", tb: textTable, rend: renderText,
			data: "alpha\n\nb\"eta\r\n" + long + "\n\"\nlast"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "data."+c.format)
			write(t, path, c.data)
			base := append([]string{"path", path, "format", c.format}, c.opts...)
			whole := newRangeSrc(t, c.tb, append(base, optSplitSize, "0")...)
			splits, err := whole.Splits(2)
			if err != nil || len(splits) != 1 || splits[0].ID() != "data."+c.format {
				t.Fatalf("split-size 0: %v, %v", splits, err)
			}
			want, _, err, _ := readRanges(t, whole, splits, 2, c.rend)
			if err != nil || len(want) < 4 {
				t.Fatalf("whole file: %v, %v", want, err)
			}
			for size := 1; size <= len(c.data)+1; size++ {
				src := newRangeSrc(t, c.tb, append(base, optSplitSize, fmt.Sprint(size))...)
				splits, err := src.Splits(1)
				if err != nil {
					t.Fatal(err)
				}
				if want := (len(c.data) + size - 1) / size; len(splits) != want {
					t.Fatalf("size %d: %d splits, want %d", size, len(splits), want)
				}
				for _, capRows := range []int{1, 1000} {
					got, ids, err, _ := readRanges(t, src, splits, capRows, c.rend)
					if err != nil {
						t.Fatalf("size %d: %v", size, err)
					}
					if strings.Join(got, "\n") != strings.Join(want, "\n") {
						t.Fatalf("size %d (splits %v): got\n%s\nwant\n%s", size, ids, strings.Join(got, "\n"), strings.Join(want, "\n"))
					}
				}
			}
		})
	}
}

// TestRangesSameForAnyParallelism checks that the ranges depend on the
// file sizes only, are about the split size and cover the file.
func TestRangesSameForAnyParallelism(t *testing.T) {
	dir := t.TempDir()
	write(t, filepath.Join(dir, "a.csv"), strings.Repeat("1,a,1,\n", 100)) // 700 bytes
	write(t, filepath.Join(dir, "b.csv"), "1,a,1,\n")
	src := newSrc(t, nil, "path", dir, "format", "csv", optSplitSize, "256b")
	var lists []string
	for _, p := range []int{1, 2, 3, 8} {
		splits, err := src.Splits(p)
		if err != nil {
			t.Fatal(err)
		}
		var ids []string
		for _, s := range splits {
			ids = append(ids, s.ID())
		}
		lists = append(lists, strings.Join(ids, ","))
	}
	if want := "a.csv,a.csv/@234,a.csv/@467,b.csv"; lists[0] != want || lists[1] != want || lists[2] != want || lists[3] != want {
		t.Fatalf("splits %q, want %q at every parallelism", lists, want)
	}
	if got := cutStarts(64<<20, 64<<20); len(got) != 1 {
		t.Fatalf("a file of exactly the split size: %v", got)
	}
	if got := cutStarts(10, 3); fmt.Sprint(got) != "[0 3 6 8]" {
		t.Fatalf("cut of 10 bytes at 3: %v", got)
	}
}

// quotedCSV is a CSV file with quoted line breaks (LF and CRLF) and
// quoted quotes, and the rows it holds.
func quotedCSV(rows int) (string, []string) {
	var data strings.Builder
	var want []string
	for i := 0; i < rows; i++ {
		name, rendered := fmt.Sprintf("n%d", i), fmt.Sprintf("n%d", i)
		switch i % 4 {
		case 1:
			name, rendered = fmt.Sprintf("\"line\n%d, \"\"q\"\"\"", i), fmt.Sprintf("line\n%d, \"q\"", i)
		case 3:
			name, rendered = fmt.Sprintf("\"a\r\nb\n\n%d\"", i), fmt.Sprintf("a\r\nb\n\n%d", i)
		}
		eol := "\n"
		if i%3 == 0 {
			eol = "\r\n"
		}
		fmt.Fprintf(&data, "%d,%s,%d.25,2020-10-10 00:00:00%s", i, name, i%1000, eol)
		want = append(want, fmt.Sprintf("%d|%s|%d.25|2020-10-10 00:00:00.000", i, rendered, i%1000))
	}
	return data.String(), want
}

// TestRangesQuotedLineBreaks cuts a CSV file with quoted line breaks at
// every split size: the ranges either read exactly the file's rows, or
// the range whose end falls inside a quoted field (before a quoted line
// break) fails with an error naming the file, the offset and the fix,
// after returning only right rows.
func TestRangesQuotedLineBreaks(t *testing.T) {
	data, want := quotedCSV(12)
	path := filepath.Join(t.TempDir(), "q.csv")
	write(t, path, data)
	failed, passed, startedInside := 0, 0, 0
	for size := 1; size <= len(data)+1; size++ {
		src := newSrc(t, nil, "path", path, "format", "csv", optSplitSize, fmt.Sprint(size))
		splits, _ := src.Splits(1)
		got, ids, err, at := readRanges(t, src, splits, 2, render)
		if err == nil {
			passed++
			if strings.Join(got, "\n") != strings.Join(want, "\n") {
				t.Fatalf("size %d (splits %v): got\n%s", size, ids, strings.Join(got, "\n"))
			}
			continue
		}
		failed++
		msg := err.Error()
		if !strings.Contains(msg, "file "+path) || !strings.Contains(msg, "quoted CSV field holds a line break at byte offset") ||
			!strings.Contains(msg, "set 'source.split-size' = '0' for table files") {
			t.Fatalf("size %d: unclear error %v", size, err)
		}
		var off int64
		if i := strings.Index(msg, "byte offset "); i >= 0 {
			fmt.Sscan(msg[i+len("byte offset "):], &off)
		}
		if off <= 0 || off >= int64(len(data)) || data[off] != '\n' {
			t.Fatalf("size %d: the error names byte offset %d, not a line break: %v", size, off, err)
		}
		// the rows before the failing range's end are right
		if len(got) > len(want) || strings.Join(got, "\n") != strings.Join(want[:len(got)], "\n") {
			t.Fatalf("size %d: rows before the error (in split %d) are wrong:\n%s", size, at, strings.Join(got, "\n"))
		}
		// each range read alone (as another instance may read it first)
		// fails, if at all, with the clear error: a range that began
		// inside a quoted field reports that rather than a bad row
		for _, sp := range splits {
			_, _, err, _ := readRanges(t, src, []connectors.Split{sp}, 2, render)
			if err != nil && (!strings.Contains(err.Error(), "quoted CSV field holds a line break at byte offset") ||
				!strings.Contains(err.Error(), "set 'source.split-size' = '0' for table files")) {
				t.Fatalf("size %d, split %s alone: unclear error %v", size, sp.ID(), err)
			}
			if err != nil && strings.Contains(err.Error(), "began reading") {
				startedInside++
			}
		}
	}
	if startedInside == 0 {
		t.Fatal("no range began inside a quoted field and failed on a bad row: the check of a range's start is not tested")
	}
	if failed == 0 || passed < 5 {
		t.Fatalf("%d split sizes failed, %d passed: the file does not test both cases", failed, passed)
	}
	// with the quote character disabled a raw line break always ends a
	// record: never an error
	src := newSrc(t, nil, "path", path, "format", "csv", optSplitSize, "7", "csv.disable-quote-character", "true", "format.ignore-parse-errors", "true")
	splits, _ := src.Splits(1)
	if _, _, err, _ := readRanges(t, src, splits, 100, render); err != nil {
		t.Fatalf("quote character disabled: %v", err)
	}
}

// TestRangeResume stops in each range of a CSV file after k rows (and
// before any read), restores from the position and checks that the
// ranges together still read every row exactly once.
func TestRangeResume(t *testing.T) {
	data, want := quotedCSV(40)
	// no quoted line break may cross a range end: keep the quoted
	// fields, but on one line
	data = strings.NewReplacer("\"line\n", "\"line ", "\"a\r\nb\n\n", "\"a b ").Replace(data)
	for i := range want {
		want[i] = strings.NewReplacer("line\n", "line ", "a\r\nb\n\n", "a b ").Replace(want[i])
	}
	path := filepath.Join(t.TempDir(), "r.csv")
	write(t, path, "id,name,price,ts\n"+data)
	src := newSrc(t, nil, "path", path, "format", "csv", "csv.ignore-first-line", "true", optSplitSize, "100")
	splits, _ := src.Splits(1)
	if len(splits) < 5 {
		t.Fatalf("%d splits", len(splits))
	}
	var all []string
	for _, sp := range splits {
		ref, err := src.OpenSplit(ctx, sp, nil)
		if err != nil {
			t.Fatal(err)
		}
		rows, err := drain(t, ref, 1)
		if err != nil {
			t.Fatal(err)
		}
		all = append(all, rows...)
		for k := 0; k <= len(rows); k++ {
			r, _ := src.OpenSplit(ctx, sp, nil)
			var first []string
			for i := 0; i < k; i++ {
				b := types.NewBatch(len(schema), 1)
				if err := r.Next(ctx, b); err != nil && err != io.EOF {
					t.Fatal(err)
				}
				for j := 0; j < b.Len(); j++ {
					first = append(first, render(b, j))
				}
			}
			pos := r.Position()
			r.Close()
			r2, err := src.OpenSplit(ctx, sp, pos)
			if err != nil {
				t.Fatalf("split %s after %d rows: %v", sp.ID(), k, err)
			}
			rest, err := drain(t, r2, 3)
			if err != nil {
				t.Fatal(err)
			}
			if got := append(first, rest...); strings.Join(got, "\n") != strings.Join(rows, "\n") {
				t.Fatalf("split %s resumed after %d rows: got\n%s\nwant\n%s", sp.ID(), k, strings.Join(got, "\n"), strings.Join(rows, "\n"))
			}
		}
	}
	if strings.Join(all, "\n") != strings.Join(want, "\n") {
		t.Fatalf("ranges read\n%s", strings.Join(all, "\n"))
	}
}

// TestRestoreWholeFilePosition restores positions of whole-file splits
// (the file name as split ID, a position anywhere in the file, as every
// checkpoint of a version that did not cut files holds) into a source
// that cuts files: the file is read as one split from the position, so
// no row is lost or read twice. Positions of ranges cut at another size
// restore within the ranges they were taken in.
func TestRestoreWholeFilePosition(t *testing.T) {
	data, want := quotedCSV(30)
	path := filepath.Join(t.TempDir(), "w.csv")
	write(t, path, data)
	old := newSrc(t, nil, "path", path, "format", "csv", optSplitSize, "0")
	oldSplits, _ := old.Splits(1)
	src := newSrc(t, nil, "path", path, "format", "csv", optSplitSize, "64")
	planned, _ := src.Splits(1)
	if len(planned) < 10 {
		t.Fatalf("%d splits", len(planned))
	}
	for _, k := range []int{0, 1, 7, 29, 30} {
		r, _ := old.OpenSplit(ctx, oldSplits[0], nil)
		for i := 0; i < k; i++ {
			if err := r.Next(ctx, types.NewBatch(len(schema), 1)); err != nil {
				t.Fatal(err)
			}
		}
		pos := r.Position()
		r.Close()
		for _, p := range [][]byte{pos, pos[:8]} {
			restored, err := src.(connectors.SplitRestorer).RestoreSplits(planned, map[string][]byte{"w.csv": p})
			if err != nil || len(restored) != 1 || restored[0].ID() != "w.csv" {
				t.Fatalf("after %d rows: restored splits %v, %v", k, restored, err)
			}
			r, err := src.OpenSplit(ctx, restored[0], p)
			if err != nil {
				t.Fatal(err)
			}
			rest, err := drain(t, r, 4)
			if err != nil || strings.Join(rest, "\n") != strings.Join(want[k:], "\n") {
				t.Fatalf("restored after %d rows (position of %d bytes): %v\n%s", k, len(p), err, strings.Join(rest, "\n"))
			}
		}
	}

	// a file the checkpoint does not know (new in the directory) is cut
	restored, err := src.(connectors.SplitRestorer).RestoreSplits(planned, map[string][]byte{"gone.csv": nil})
	if err != nil || len(restored) != len(planned) {
		t.Fatalf("checkpoint of another file: %d splits, %v", len(restored), err)
	}

	// a checkpoint of ranges cut at 100 bytes restores into a source
	// cutting at 64: the 100-byte ranges are kept
	flat := strings.NewReplacer("\"line\n", "\"line ", "\"a\r\nb\n\n", "\"a b ").Replace(data)
	write(t, path, flat)
	var flatWant []string
	for _, w := range want {
		flatWant = append(flatWant, strings.NewReplacer("line\n", "line ", "a\r\nb\n\n", "a b ").Replace(w))
	}
	at100 := newSrc(t, nil, "path", path, "format", "csv", optSplitSize, "100")
	splits100, _ := at100.Splits(1)
	positions := map[string][]byte{}
	var before []string // rows read before the checkpoint
	for i, sp := range splits100 {
		r, _ := at100.OpenSplit(ctx, sp, nil)
		for j := 0; j < i%3; j++ {
			b := types.NewBatch(len(schema), 1)
			r.Next(ctx, b)
			for x := 0; x < b.Len(); x++ {
				before = append(before, render(b, x))
			}
		}
		positions[sp.ID()] = r.Position()
		r.Close()
	}
	planned, _ = src.Splits(1)
	restored, err = src.(connectors.SplitRestorer).RestoreSplits(planned, positions)
	if err != nil || len(restored) != len(splits100) {
		t.Fatalf("restored %d splits, want the checkpoint's %d: %v", len(restored), len(splits100), err)
	}
	after := before
	for i, sp := range restored {
		if sp.ID() != splits100[i].ID() {
			t.Fatalf("restored split %d is %s, want %s", i, sp.ID(), splits100[i].ID())
		}
		r, err := src.OpenSplit(ctx, sp, positions[sp.ID()])
		if err != nil {
			t.Fatal(err)
		}
		rest, err := drain(t, r, 5)
		if err != nil {
			t.Fatal(err)
		}
		after = append(after, rest...)
	}
	if len(after) != len(flatWant) {
		t.Fatalf("restored ranges read %d rows in all, want %d", len(after), len(flatWant))
	}
	seen := map[string]int{}
	for _, r := range after {
		seen[r]++
	}
	for _, w := range flatWant {
		if seen[w] != 1 {
			t.Fatalf("row %q read %d times", w, seen[w])
		}
	}
}

// TestRangeBadRowLineNumbers checks that a bad row in a range that does
// not start at offset 0 is reported with its line, counted only then,
// also after a restore.
func TestRangeBadRowLineNumbers(t *testing.T) {
	var data strings.Builder
	data.WriteString("id,name,price,ts\n")
	for i := 1; i <= 50; i++ {
		price := fmt.Sprint(i)
		if i == 40 {
			price = "bad"
		}
		fmt.Fprintf(&data, "%d,n%d,%s,\n", i, i, price)
	}
	path := filepath.Join(t.TempDir(), "bad.csv")
	write(t, path, data.String())
	badOff := int64(strings.Index(data.String(), "40,n40"))
	src := newSrc(t, nil, "path", path, "format", "csv", "csv.ignore-first-line", "true", optSplitSize, "60")
	splits, _ := src.Splits(1)
	var sp connectors.Split
	for _, s := range splits {
		if f := s.(*fileSplit); f.start <= badOff && (f.end < 0 || badOff <= f.end) && f.start > 0 {
			sp = s
		}
	}
	if sp == nil {
		t.Fatal("no range holds the bad row")
	}
	wantWhere := fmt.Sprintf("file %s, line 41 (byte offset %d)", path, badOff)
	r, _ := src.OpenSplit(ctx, sp, nil)
	b := types.NewBatch(len(schema), 1)
	if err := r.Next(ctx, b); err != nil {
		t.Fatal(err)
	}
	if pos := r.Position(); pos[8] != 0xff {
		t.Fatalf("a range read from mid-file counted its lines: position %x", pos)
	}
	rows, err := drain(t, r, 10)
	var bad *connectors.BadRowError
	if !errors.As(err, &bad) || bad.Line != 41 || bad.Offset != badOff || !strings.Contains(err.Error(), wantWhere) {
		t.Fatalf("rows %v, error %v; want %q", rows, err, wantWhere)
	}
	// restored from a position taken mid-range (line count unknown)
	r, _ = src.OpenSplit(ctx, sp, nil)
	r.Next(ctx, types.NewBatch(len(schema), 1))
	pos := r.Position()
	r.Close()
	r, err = src.OpenSplit(ctx, sp, pos)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := drain(t, r, 10); !errors.As(err, &bad) || bad.Line != 41 || !strings.Contains(err.Error(), wantWhere) {
		t.Fatalf("restored: %v; want %q", err, wantWhere)
	}
}

// TestSplitSizeOption checks the option's parsing and its errors.
func TestSplitSizeOption(t *testing.T) {
	for in, want := range map[string]int64{"64mb": 64 << 20, "512 KB": 512 << 10, "1048576": 1 << 20, "0": 0, "2g": 2 << 30, "7B": 7} {
		if got, err := parseSize(in); err != nil || got != want {
			t.Errorf("parseSize(%q) = %d, %v; want %d", in, got, err, want)
		}
	}
	path := filepath.Join(t.TempDir(), "x.csv")
	write(t, path, "1,a,1,\n")
	for _, bad := range []string{"-1", "abc", "12 parsecs", ""} {
		_, err := connectors.Lookup("filesystem").NewSource(table("path", path, "format", "csv", optSplitSize, bad), nil)
		if err == nil || !strings.Contains(err.Error(), "table files: option 'source.split-size'") {
			t.Errorf("split size %q: %v", bad, err)
		}
	}
	// Unset: 64mb, except for CSV with a quote character (a quoted field
	// may hold a line break), which is cut only when the table says so.
	for _, c := range []struct {
		opts []string
		want int64
	}{
		{[]string{"format", "json"}, 64 << 20},
		{[]string{"format", "csv"}, 0},
		{[]string{"format", "csv", "csv.disable-quote-character", "true"}, 64 << 20},
		{[]string{"format", "csv", optSplitSize, "1mb"}, 1 << 20},
	} {
		if n := newSrc(t, nil, append([]string{"path", path}, c.opts...)...).(*source).splitSize; n != c.want {
			t.Errorf("%v: split size %d, want %d", c.opts, n, c.want)
		}
	}
}

// TestPartitionedRanges checks that the files of a partitioned table are
// cut too, and read the same.
func TestPartitionedRanges(t *testing.T) {
	dir := t.TempDir()
	for _, p := range []string{"dt=2020-10-10/hr=1", "dt=2020-10-11/hr=2"} {
		os.MkdirAll(filepath.Join(dir, p), 0o755)
		var data strings.Builder
		for i := 0; i < 30; i++ {
			fmt.Fprintf(&data, "%d,name%d\n", i, i)
		}
		write(t, filepath.Join(dir, p, "part-0-0.csv"), data.String())
	}
	whole, _ := readBack(t, ptable("path", dir, "format", "csv", optSplitSize, "0"))
	cut, ids := readBack(t, ptable("path", dir, "format", "csv", optSplitSize, "50"))
	if len(whole) != 60 || strings.Join(cut, "\n") != strings.Join(whole, "\n") {
		t.Fatalf("cut read %d rows, whole %d", len(cut), len(whole))
	}
	if len(ids) < 8 || ids[0] != "dt=2020-10-10/hr=1/part-0-0.csv" || !strings.HasPrefix(ids[1], "dt=2020-10-10/hr=1/part-0-0.csv/@") {
		t.Fatalf("split ids %v", ids)
	}
}
