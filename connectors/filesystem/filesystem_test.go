package filesystem

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/streamsql/streamsql/catalog"
	"github.com/streamsql/streamsql/connectors"
	"github.com/streamsql/streamsql/types"
)

var ctx = context.Background()

var schema = types.Schema{{Name: "id", Type: types.BigInt}, {Name: "name", Type: types.String},
	{Name: "price", Type: types.DecimalType(10, 2)}, {Name: "ts", Type: types.Timestamp}}

func table(opts ...string) *catalog.Table {
	t := &catalog.Table{Name: "files", Columns: schema, ProctimeColumn: -1,
		Options: []catalog.Option{{Key: "connector", Value: "filesystem"}}}
	for i := 0; i < len(opts); i += 2 {
		t.Options = append(t.Options, catalog.Option{Key: opts[i], Value: opts[i+1]})
	}
	return t
}

func write(t *testing.T, path, data string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(data), 0o644); err != nil {
		t.Fatal(err)
	}
}

func newSrc(t *testing.T, env *connectors.Env, opts ...string) connectors.Source {
	t.Helper()
	s, err := connectors.Lookup("filesystem").NewSource(table(opts...), env)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func render(b *types.Batch, i int) string {
	var parts []string
	for j, v := range b.Row(i) {
		parts = append(parts, types.Render(v, schema[j].Type))
	}
	return strings.Join(parts, "|")
}

// drain reads a split to its end with batches of capRows rows.
func drain(t *testing.T, r connectors.SplitReader, capRows int) ([]string, error) {
	var out []string
	for {
		b := types.NewBatch(len(schema), capRows)
		err := r.Next(ctx, b)
		for i := 0; i < b.Len(); i++ {
			out = append(out, render(b, i))
		}
		if err == io.EOF {
			return out, nil
		}
		if err != nil {
			return out, err
		}
		if b.Len() > capRows {
			t.Fatalf("batch of %d rows over capacity %d", b.Len(), capRows)
		}
	}
}

const csvData = "1,apple,1.5,2020-10-10 00:00:01\r\n2,\"b,anana\",2,2020-10-10 00:00:02.5\n3,,,\n4,\"multi\nline\",0.01,1602288004000\n5,last,5,2020-10-10 00:00:05"

var csvRows = []string{
	"1|apple|1.50|2020-10-10 00:00:01.000",
	"2|b,anana|2.00|2020-10-10 00:00:02.500",
	"3|NULL|NULL|NULL",
	"4|multi\nline|0.01|2020-10-10 00:00:04.000",
	"5|last|5.00|2020-10-10 00:00:05.000",
}

func TestReadDirectory(t *testing.T) {
	dir := t.TempDir()
	write(t, filepath.Join(dir, "b.csv"), csvData)
	write(t, filepath.Join(dir, "a.csv"), "0,first,0,2020-01-01 00:00:00\n")
	write(t, filepath.Join(dir, ".hidden.csv"), "garbage\n")
	write(t, filepath.Join(dir, "_SUCCESS"), "")
	write(t, filepath.Join(dir, ".part-0-0.csv.inprogress"), "garbage\n")
	os.Mkdir(filepath.Join(dir, "sub"), 0o755)
	src := newSrc(t, nil, "path", dir, "format", "csv")
	if !src.Bounded() {
		t.Fatal("not bounded")
	}
	splits, err := src.Splits(2)
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, s := range splits {
		ids = append(ids, s.ID())
	}
	if strings.Join(ids, ",") != "a.csv,b.csv" {
		t.Fatalf("splits %v", ids)
	}
	r, _ := src.OpenSplit(ctx, splits[1], nil)
	got, err := drain(t, r, 2)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Join(got, "\n") != strings.Join(csvRows, "\n") {
		t.Fatalf("got\n%s", strings.Join(got, "\n"))
	}
	r.Close()
}

func TestResume(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "data.csv")
	write(t, path, "id,name,price,ts\n"+csvData)
	src := newSrc(t, nil, "path", path, "format", "csv", "csv.ignore-first-line", "true")
	splits, _ := src.Splits(1)
	// stop after k rows (reading one row per batch), resume, expect the rest exactly
	for k := 0; k <= len(csvRows); k++ {
		r, _ := src.OpenSplit(ctx, splits[0], nil)
		var first []string
		for i := 0; i < k; i++ {
			b := types.NewBatch(len(schema), 1)
			if err := r.Next(ctx, b); err != nil || b.Len() != 1 {
				t.Fatalf("row %d: %v", i, err)
			}
			first = append(first, render(b, 0))
		}
		pos := r.Position()
		r.Close()
		r2, err := src.OpenSplit(ctx, splits[0], pos)
		if err != nil {
			t.Fatal(err)
		}
		rest, err := drain(t, r2, 3)
		if err != nil {
			t.Fatal(err)
		}
		if all := append(first, rest...); strings.Join(all, "\n") != strings.Join(csvRows, "\n") {
			t.Fatalf("cut at %d: got\n%s", k, strings.Join(all, "\n"))
		}
	}
	// a position past the end of the file
	r, _ := src.OpenSplit(ctx, splits[0], nil)
	drain(t, r, 100)
	pos := r.Position()
	os.Truncate(path, 10)
	if _, err := src.OpenSplit(ctx, splits[0], pos); err == nil || !strings.Contains(err.Error(), "shorter") {
		t.Fatalf("truncated file: %v", err)
	}
}

func TestBadRowFails(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "bad.json")
	data := `{"id": 1, "name": "ok"}` + "\n" + `{"id": "x1", "name": "bad"}` + "\n" + `{"id": 3}` + "\n"
	write(t, path, data)
	src := newSrc(t, nil, "path", path, "format", "json")
	splits, _ := src.Splits(1)
	r, _ := src.OpenSplit(ctx, splits[0], nil)
	got, err := drain(t, r, 10)
	var bad *connectors.BadRowError
	if !errors.As(err, &bad) {
		t.Fatalf("expected a BadRowError, got %v (rows %v)", err, got)
	}
	msg := err.Error()
	for _, want := range []string{"table files", path, "byte offset 24", `column id: invalid BIGINT "x1"`, `\"x1\", \"name\": \"bad\"`} {
		if !strings.Contains(msg, want) {
			t.Errorf("message %q lacks %q", msg, want)
		}
	}
	if len(got) != 1 || bad.Offset != 24 || bad.Source != path {
		t.Errorf("rows before the bad one: %v; error %+v", got, bad)
	}
}

func TestBadRowsSkipped(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "bad.csv")
	var data strings.Builder
	for i := 0; i < 20; i++ {
		if i%2 == 0 {
			fmt.Fprintf(&data, "%d,n,1,2020-01-01\n", i)
		} else {
			fmt.Fprintf(&data, "%d,n,notanumber,2020-01-01\n", i)
		}
	}
	write(t, path, data.String())
	var stderr bytes.Buffer
	for _, key := range []string{"format.ignore-parse-errors", "csv.ignore-parse-errors"} {
		stderr.Reset()
		src := newSrc(t, &connectors.Env{Stderr: &stderr}, "path", path, "format", "csv", key, "true")
		splits, _ := src.Splits(1)
		r, _ := src.OpenSplit(ctx, splits[0], nil)
		got, err := drain(t, r, 4)
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != 10 {
			t.Fatalf("%s: %d rows", key, len(got))
		}
		if n := r.(connectors.SkippedRowCounter).SkippedRows(); n != 10 {
			t.Fatalf("%s: skipped %d", key, n)
		}
		lines := strings.Split(strings.TrimSpace(stderr.String()), "\n")
		if len(lines) != 6 || !strings.Contains(lines[0], path) || !strings.Contains(lines[0], "byte offset 17") ||
			!strings.Contains(lines[0], "1,n,notanumber") || !strings.Contains(lines[5], "more bad rows") {
			t.Fatalf("%s: log:\n%s", key, stderr.String())
		}
	}
}

func TestOptionErrors(t *testing.T) {
	f := connectors.Lookup("filesystem")
	for _, c := range []struct {
		opts []string
		err  string
	}{
		{[]string{"path", "/x", "format", "csv", "bogus", "1"}, "table files: connector 'filesystem' has no option 'bogus'"},
		{[]string{"format", "csv"}, "table files: connector 'filesystem' needs option 'path'"},
		{[]string{"path", "/x", "format", "xml"}, "table files: unknown format 'xml' (known: csv, json, text)"},
		{[]string{"path", "/x", "format", "json", "csv.field-delimiter", ";"}, "table files: option 'csv.field-delimiter' does not apply to format 'json'"},
		{[]string{"path", "/x", "format", "csv", "format.ignore-parse-errors", "maybe"}, "table files: option 'format.ignore-parse-errors': expected 'true' or 'false', got 'maybe'"},
	} {
		_, err := f.NewSource(table(c.opts...), nil)
		if err == nil || !strings.HasPrefix(err.Error(), c.err) {
			t.Errorf("%v: got %v, want %s", c.opts, err, c.err)
		}
	}
	src := newSrc(t, nil, "path", "/no/such/dir", "format", "csv")
	if _, err := src.Splits(1); err == nil || err.Error() != "table files: path '/no/such/dir' does not exist" {
		t.Errorf("missing path: %v", err)
	}
}

func batchOf(rows ...[]types.Value) *types.Batch {
	b := types.NewBatch(len(schema), len(rows))
	for _, r := range rows {
		b.Append(types.Insert, r)
	}
	return b
}

func row(id int64, name string) []types.Value {
	return []types.Value{types.IntValue(id), types.StringValue(name), types.DecimalValue(id*100+5, 2), types.TimestampValue(id * 1000)}
}

func visible(t *testing.T, dir string) []string {
	t.Helper()
	entries, _ := os.ReadDir(dir)
	var out []string
	for _, e := range entries {
		if !strings.HasPrefix(e.Name(), ".") {
			out = append(out, e.Name())
		}
	}
	sort.Strings(out)
	return out
}

func TestSinkDirectory(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "out") + "/"
	tb := table("path", dir, "format", "json")
	sk, err := connectors.Lookup("filesystem").NewSink(tb, nil)
	if err != nil {
		t.Fatal(err)
	}
	if sk.(connectors.ChangelogSink).AcceptsChangelog() {
		t.Fatal("filesystem sink must not accept a changelog")
	}
	w0, err := sk.Open(ctx, 0, 2)
	if err != nil {
		t.Fatal(err)
	}
	w1, _ := sk.Open(ctx, 1, 2)
	w0.Write(batchOf(row(1, "a"), row(2, "b")))
	w1.Write(batchOf(row(3, "c")))
	if v := visible(t, dir); len(v) != 0 {
		t.Fatalf("visible before Flush: %v", v)
	}
	if err := w0.Flush(); err != nil {
		t.Fatal(err)
	}
	if v := visible(t, dir); strings.Join(v, ",") != "part-0-0.json" {
		t.Fatalf("after the first flush: %v", v)
	}
	w1.Flush()
	w0.Flush() // nothing new: no file
	w0.Write(batchOf(row(4, "d")))
	w0.Flush()
	w0.Write(batchOf(row(5, "lost")))
	w0.Close()
	w1.Close()
	if v := visible(t, dir); strings.Join(v, ",") != "part-0-0.json,part-0-1.json,part-1-0.json" {
		t.Fatalf("files: %v", v)
	}
	data, _ := os.ReadFile(filepath.Join(dir, "part-0-0.json"))
	if string(data) != `{"id":1,"name":"a","price":1.05,"ts":"1970-01-01 00:00:01.000"}`+"\n"+`{"id":2,"name":"b","price":2.05,"ts":"1970-01-01 00:00:02.000"}`+"\n" {
		t.Fatalf("content: %s", data)
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 3 {
		t.Fatalf("in-progress files left: %d entries", len(entries))
	}
	// a new run continues the numbering; reading the directory back gives every committed row
	w, _ := sk.Open(ctx, 0, 1)
	w.Write(batchOf(row(6, "f")))
	w.Flush()
	w.Close()
	if v := visible(t, dir); strings.Join(v, ",") != "part-0-0.json,part-0-1.json,part-0-2.json,part-1-0.json" {
		t.Fatalf("files: %v", v)
	}
	src := newSrc(t, nil, "path", dir, "format", "json")
	splits, _ := src.Splits(1)
	var ids []string
	for _, sp := range splits {
		r, _ := src.OpenSplit(ctx, sp, nil)
		got, err := drain(t, r, 10)
		if err != nil {
			t.Fatal(err)
		}
		for _, g := range got {
			ids = append(ids, strings.SplitN(g, "|", 2)[0])
		}
	}
	if strings.Join(ids, ",") != "1,2,4,6,3" {
		t.Fatalf("read back: %v", ids)
	}
}

func TestSinkFile(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "out.csv")
	sk, err := connectors.Lookup("filesystem").NewSink(table("path", path, "format", "csv"), nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := sk.Open(ctx, 0, 2); err == nil || !strings.Contains(err.Error(), "table files") || !strings.Contains(err.Error(), "parallelism 1") {
		t.Fatalf("parallelism 2 on a file: %v", err)
	}
	w, err := sk.Open(ctx, 0, 1)
	if err != nil {
		t.Fatal(err)
	}
	w.Write(batchOf(row(1, "a, b")))
	if _, err := os.Stat(path); err == nil {
		t.Fatal("file visible before Flush")
	}
	w.Flush()
	w.Write(batchOf(row(2, "")))
	w.Flush()
	b := batchOf(row(3, "x"))
	b.Ops[0] = types.Delete
	if err := w.Write(b); err == nil || !strings.Contains(err.Error(), "table files") || !strings.Contains(err.Error(), "use a sink with a primary key") {
		t.Fatalf("delete row: %v", err)
	}
	w.Close()
	data, _ := os.ReadFile(path)
	if string(data) != "1,\"a, b\",1.05,1970-01-01 00:00:01.000\n2,\"\",2.05,1970-01-01 00:00:02.000\n" {
		t.Fatalf("content: %q", data)
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 1 {
		t.Fatalf("left-over files: %d", len(entries))
	}
}

// TestResumeAtBatchBoundaries reads a file larger than the read buffer,
// with quoted multi-line CSV records, in batches whose ends fall anywhere
// in the file (also inside a buffer refill), and reopens at every batch
// end: the next rows follow exactly.
func TestResumeAtBatchBoundaries(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "big.csv")
	var data strings.Builder
	var want []string
	for i := 0; data.Len() < 700<<10; i++ {
		name, rendered := fmt.Sprintf("n%d", i), fmt.Sprintf("n%d", i)
		switch i % 5 {
		case 1:
			name, rendered = fmt.Sprintf("\"line\n%d, \"\"q\"\"\"", i), fmt.Sprintf("line\n%d, \"q\"", i)
		case 3:
			name, rendered = fmt.Sprintf("\"a\r\nb%d\"", i), fmt.Sprintf("a\r\nb%d", i)
		}
		eol := "\n"
		if i%7 == 0 {
			eol = "\r\n"
		}
		fmt.Fprintf(&data, "%d,%s,%d.25,2020-10-10 00:00:00%s", i, name, i%1000, eol)
		want = append(want, fmt.Sprintf("%d|%s|%d.25|2020-10-10 00:00:00.000", i, rendered, i%1000))
	}
	write(t, path, data.String())
	src := newSrc(t, nil, "path", path, "format", "csv")
	splits, _ := src.Splits(1)
	r, _ := src.OpenSplit(ctx, splits[0], nil)
	defer r.Close()
	read := 0
	for _, size := range []int{997, 1, 2048, 333} {
		for k := 0; k < 4 && read < len(want); k++ {
			b := types.NewBatch(len(schema), size)
			if err := r.Next(ctx, b); err != nil {
				t.Fatal(err)
			}
			for i := 0; i < b.Len(); i++ {
				if got := render(b, i); got != want[read+i] {
					t.Fatalf("row %d: %q, want %q", read+i, got, want[read+i])
				}
			}
			read += b.Len()
			r2, err := src.OpenSplit(ctx, splits[0], r.Position())
			if err != nil {
				t.Fatal(err)
			}
			b2 := types.NewBatch(len(schema), 3)
			err = r2.Next(ctx, b2)
			r2.Close()
			if err != nil && (err != io.EOF || read != len(want)) {
				t.Fatal(err)
			}
			for i := 0; i < b2.Len(); i++ {
				if got := render(b2, i); got != want[read+i] {
					t.Fatalf("resumed after %d rows: row %d is %q, want %q", read, i, got, want[read+i])
				}
			}
		}
	}
	if read < 9000 {
		t.Fatalf("only %d rows read", read)
	}
	rest, err := drain(t, r, 500)
	if err != nil || read+len(rest) != len(want) {
		t.Fatalf("rest: %d rows of %d, %v", len(rest), len(want)-read, err)
	}
	// the position at the end resumes at the end
	r3, _ := src.OpenSplit(ctx, splits[0], r.Position())
	if got, err := drain(t, r3, 10); err != nil || len(got) != 0 {
		t.Fatalf("after the end: %d rows, %v", len(got), err)
	}
}

// TestBadRowLineNumbers checks that a bad row is located by line (and
// byte offset), in a header file with a quoted line break before it, when
// read from the start, restored from a position, and restored from a
// position written before positions held a line count.
func TestBadRowLineNumbers(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "bids.csv")
	data := "id,name,price,ts\n1,\"two\nlines\",1,2020-01-01\n2,b,2,2020-01-01\n3,c,bad,2020-01-01\n"
	write(t, path, data)
	src := newSrc(t, nil, "path", path, "format", "csv", "csv.ignore-first-line", "true")
	splits, _ := src.Splits(1)
	badOff := int64(strings.Index(data, "3,c"))
	check := func(what string, r connectors.SplitReader, wantRows int) {
		t.Helper()
		got, err := drain(t, r, 1)
		var bad *connectors.BadRowError
		if !errors.As(err, &bad) || len(got) != wantRows {
			t.Fatalf("%s: rows %v, error %v", what, got, err)
		}
		want := fmt.Sprintf("file %s, line 5 (byte offset %d)", path, badOff)
		if bad.Line != 5 || bad.Offset != badOff || !strings.Contains(err.Error(), want) {
			t.Fatalf("%s: %v lacks %q", what, err, want)
		}
	}
	r, _ := src.OpenSplit(ctx, splits[0], nil)
	check("from the start", r, 2)

	// read the first row, take the position, restore from it
	r, _ = src.OpenSplit(ctx, splits[0], nil)
	b := types.NewBatch(len(schema), 1)
	if err := r.Next(ctx, b); err != nil || b.Len() != 1 {
		t.Fatalf("first row: %d, %v", b.Len(), err)
	}
	pos := r.Position()
	r.Close()
	if len(pos) != 16 {
		t.Fatalf("position %v", pos)
	}
	r, err := src.OpenSplit(ctx, splits[0], pos)
	if err != nil {
		t.Fatal(err)
	}
	check("restored", r, 1)
	r, err = src.OpenSplit(ctx, splits[0], pos[:8])
	if err != nil {
		t.Fatal(err)
	}
	check("restored from an offset-only position", r, 1)
}

// TestInvalidUTF8Row checks that a STRING field that is not valid UTF-8
// fails the read naming the file and line, or is skipped and counted
// under 'format.ignore-parse-errors'.
func TestInvalidUTF8Row(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "names.csv")
	write(t, path, "1,ok,1,2020-01-01\n2,bad\xff\xfe,2,2020-01-01\n3,fine,3,2020-01-01\n")
	src := newSrc(t, nil, "path", path, "format", "csv")
	splits, _ := src.Splits(1)
	r, _ := src.OpenSplit(ctx, splits[0], nil)
	_, err := drain(t, r, 10)
	want := "file " + path + ", line 2 (byte offset 18): column name: invalid UTF-8: byte 0xff"
	if err == nil || !strings.Contains(err.Error(), want) {
		t.Fatalf("got %v, want %q", err, want)
	}
	src = newSrc(t, &connectors.Env{Stderr: io.Discard}, "path", path, "format", "csv", "format.ignore-parse-errors", "true")
	r, _ = src.OpenSplit(ctx, splits[0], nil)
	got, err := drain(t, r, 10)
	if err != nil || len(got) != 2 || r.(connectors.SkippedRowCounter).SkippedRows() != 1 {
		t.Fatalf("skip: rows %v, error %v", got, err)
	}
	first := src.(connectors.SkippedRowSampler).FirstSkippedRow()
	if first == nil || first.Line != 2 || first.Source != path {
		t.Fatalf("first skipped row: %+v", first)
	}
}
