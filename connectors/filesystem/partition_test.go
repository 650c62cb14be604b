package filesystem

import (
	"encoding/json"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/streamsql/streamsql/catalog"
	"github.com/streamsql/streamsql/connectors"
	"github.com/streamsql/streamsql/types"
)

// The partitioned test table: (id BIGINT, dt VARCHAR, name VARCHAR, hr INT)
// PARTITIONED BY (dt, hr); the data files hold id and name.
var pschema = types.Schema{{Name: "id", Type: types.BigInt}, {Name: "dt", Type: types.String},
	{Name: "name", Type: types.String}, {Name: "hr", Type: types.Int32}}

func ptable(opts ...string) *catalog.Table {
	t := &catalog.Table{Name: "parts", Columns: pschema, ProctimeColumn: -1, PartitionKeys: []int{1, 3},
		Options: []catalog.Option{{Key: "connector", Value: "filesystem"}}}
	for i := 0; i < len(opts); i += 2 {
		t.Options = append(t.Options, catalog.Option{Key: opts[i], Value: opts[i+1]})
	}
	return t
}

func prow(id int64, dt string, hr int64) []types.Value {
	r := []types.Value{types.IntValue(id), types.StringValue(dt), types.StringValue(fmt.Sprintf("n%d", id)), types.IntValue(hr)}
	if dt == "NULL" {
		r[1] = types.NullValue()
	}
	if hr < 0 {
		r[3] = types.NullValue()
	}
	return r
}

func pbatch(rows ...[]types.Value) *types.Batch {
	b := types.NewBatch(len(pschema), len(rows))
	for _, r := range rows {
		b.Append(types.Insert, r)
	}
	return b
}

func pwrite(t *testing.T, w connectors.SinkWriter, rows ...[]types.Value) {
	t.Helper()
	if err := w.Write(pbatch(rows...)); err != nil {
		t.Fatal(err)
	}
}

// tree lists the files under dir ('/'-separated relative paths), hidden
// ones too, sorted.
func tree(t *testing.T, dir string) []string {
	t.Helper()
	var out []string
	filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			rel, _ := filepath.Rel(dir, p)
			out = append(out, filepath.ToSlash(rel))
		}
		return nil
	})
	sort.Strings(out)
	return out
}

// visibleTree is tree without hidden files.
func visibleTree(t *testing.T, dir string) []string {
	var out []string
	for _, f := range tree(t, dir) {
		if !strings.HasPrefix(filepath.Base(f), ".") {
			out = append(out, f)
		}
	}
	return out
}

func hiddenTree(t *testing.T, dir string) []string {
	var out []string
	for _, f := range tree(t, dir) {
		if strings.HasPrefix(filepath.Base(f), ".") {
			out = append(out, f)
		}
	}
	return out
}

// readBack reads the table at dir through the source and returns its rows
// rendered as id|dt|name|hr, sorted, and the split IDs.
func readBack(t *testing.T, tb *catalog.Table) ([]string, []string) {
	t.Helper()
	src, err := connectors.Lookup("filesystem").NewSource(tb, nil)
	if err != nil {
		t.Fatal(err)
	}
	splits, err := src.Splits(2)
	if err != nil {
		t.Fatal(err)
	}
	var rows, ids []string
	for _, sp := range splits {
		ids = append(ids, sp.ID())
		r, err := src.OpenSplit(ctx, sp, nil)
		if err != nil {
			t.Fatal(err)
		}
		for {
			b := types.NewBatch(len(pschema), 3)
			err := r.Next(ctx, b)
			for i := 0; i < b.Len(); i++ {
				var parts []string
				for j, v := range b.Row(i) {
					parts = append(parts, types.Render(v, pschema[j].Type))
				}
				rows = append(rows, strings.Join(parts, "|"))
			}
			if err == io.EOF {
				break
			}
			if err != nil {
				t.Fatal(err)
			}
		}
		r.Close()
	}
	sort.Strings(rows)
	return rows, ids
}

func TestPartitionPathEscaping(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{"2020-10-10", "2020-10-10"},
		{"10:05", "10%3A05"},
		{"a/b=c", "a%2Fb%3Dc"},
		{`"#%'*?\{[]^`, "%22%23%25%27%2A%3F%5C%7B%5B%5D%5E"},
		{"tab\there\nnl\x01\x7f", "tab%09here%0Anl%01%7F"},
		{"} ! & + , ; @ space", "} ! & + , ; @ space"}, // not escaped by Flink
		{"été/日本", "été%2F日本"},
	} {
		if got := escapePathName(c.in); got != c.want {
			t.Errorf("escape(%q) = %q, want %q", c.in, got, c.want)
		}
		if got := unescapePathName(c.want); got != c.in {
			t.Errorf("unescape(%q) = %q, want %q", c.want, got, c.in)
		}
	}
	// every byte survives the round trip
	var all []byte
	for c := 0; c < 256; c++ {
		all = append(all, byte(c))
	}
	if got := unescapePathName(escapePathName(string(all))); got != string(all) {
		t.Errorf("round trip of every byte: %q", got)
	}
	// a '%' without two hex digits stays as it is (as in Flink)
	for _, s := range []string{"100%", "%zz", "a%4", "%%41"} {
		want := s
		if s == "%%41" {
			want = "%A"
		}
		if got := unescapePathName(s); got != want {
			t.Errorf("unescape(%q) = %q, want %q", s, got, want)
		}
	}
}

// TestPartitionedLayout writes rows without checkpoints (Flush) and checks
// the directory tree, the content of the data files (no partition
// column), NULL and blank values in the default partition, and reading the
// tree back.
func TestPartitionedLayout(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "out") + "/"
	tb := ptable("path", dir, "format", "csv")
	sk, err := connectors.Lookup("filesystem").NewSink(tb, nil)
	if err != nil {
		t.Fatal(err)
	}
	w0, err := sk.Open(ctx, 0, 2)
	if err != nil {
		t.Fatal(err)
	}
	w1, _ := sk.Open(ctx, 1, 2)
	pwrite(t, w0, prow(1, "2020-10-10", 7), prow(2, "2020-10-10", 7), prow(3, "2020-10-11", 7), prow(4, "2020-10-10", 8),
		prow(5, "a/b=c:d", 9), prow(6, "NULL", 1), prow(7, "", 1), prow(8, "  ", -1))
	pwrite(t, w1, prow(9, "2020-10-10", 7))
	if v := visibleTree(t, dir); len(v) != 0 {
		t.Fatalf("visible before Flush: %v", v)
	}
	if err := w0.Flush(); err != nil {
		t.Fatal(err)
	}
	if err := w1.Flush(); err != nil {
		t.Fatal(err)
	}
	pwrite(t, w0, prow(10, "2020-10-10", 7))
	w0.Flush()
	pwrite(t, w0, prow(11, "lost", 7)) // not flushed: discarded by Close
	w0.Close()
	w1.Close()
	// the numbers follow the sorted partition directories of each Flush
	want := []string{
		"dt=2020-10-10/hr=7/part-0-0.csv",
		"dt=2020-10-10/hr=7/part-0-6.csv",
		"dt=2020-10-10/hr=7/part-1-0.csv",
		"dt=2020-10-10/hr=8/part-0-1.csv",
		"dt=2020-10-11/hr=7/part-0-2.csv",
		"dt=__DEFAULT_PARTITION__/hr=1/part-0-3.csv",
		"dt=__DEFAULT_PARTITION__/hr=__DEFAULT_PARTITION__/part-0-4.csv",
		"dt=a%2Fb%3Dc%3Ad/hr=9/part-0-5.csv",
	}
	if got := tree(t, dir); strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Fatalf("tree:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if got := content(t, filepath.Join(dir, "dt=2020-10-10/hr=7/part-0-0.csv")); got != "1,n1\n2,n2\n" {
		t.Fatalf("data file: %q", got)
	}
	if got := content(t, filepath.Join(dir, "dt=__DEFAULT_PARTITION__/hr=1/part-0-3.csv")); got != "6,n6\n7,n7\n" {
		t.Fatalf("default partition: %q", got)
	}
	rows, ids := readBack(t, tb)
	wantRows := []string{
		"10|2020-10-10|n10|7", "1|2020-10-10|n1|7", "2|2020-10-10|n2|7", "3|2020-10-11|n3|7", "4|2020-10-10|n4|8",
		"5|a/b=c:d|n5|9", "6|NULL|n6|1", "7|NULL|n7|1", "8|NULL|n8|NULL", "9|2020-10-10|n9|7",
	}
	if strings.Join(rows, "\n") != strings.Join(wantRows, "\n") {
		t.Fatalf("read back:\n%s", strings.Join(rows, "\n"))
	}
	if strings.Join(ids, ",") != strings.Join(want, ",") {
		t.Fatalf("split IDs %v", ids)
	}

	// a new job continues the numbering of each instance over all partitions
	w, _ := sk.Open(ctx, 0, 1)
	pwrite(t, w, prow(12, "2020-10-12", 7))
	w.Flush()
	w.Close()
	if _, err := os.Stat(filepath.Join(dir, "dt=2020-10-12/hr=7/part-0-7.csv")); err != nil {
		t.Fatalf("numbering after a restart: %v (%v)", err, tree(t, dir))
	}
}

// TestPartitionedDefaultName: 'partition.default-name' names the NULL
// partition and is read back as NULL; json data files hold the data
// columns only.
func TestPartitionedDefaultName(t *testing.T) {
	dir := t.TempDir()
	tb := ptable("path", dir, "format", "json", "partition.default-name", "none")
	sk, err := connectors.Lookup("filesystem").NewSink(tb, nil)
	if err != nil {
		t.Fatal(err)
	}
	w, _ := sk.Open(ctx, 0, 1)
	pwrite(t, w, prow(1, "NULL", 3))
	w.Flush()
	w.Close()
	if got := tree(t, dir); strings.Join(got, ",") != "dt=none/hr=3/part-0-0.json" {
		t.Fatalf("tree %v", got)
	}
	if got := content(t, filepath.Join(dir, "dt=none/hr=3/part-0-0.json")); got != `{"id":1,"name":"n1"}`+"\n" {
		t.Fatalf("content %q", got)
	}
	if rows, _ := readBack(t, tb); strings.Join(rows, ",") != "1|NULL|n1|3" {
		t.Fatalf("read back %v", rows)
	}
}

// TestPartitionedTwoPhase: pre-committed files are pending in their
// partition directories, one committable per partition, numbered in the
// order of the directories; an incomplete checkpoint's files ride along.
func TestPartitionedTwoPhase(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "out") + "/"
	tb := ptable("path", dir, "format", "csv")
	sk, _ := connectors.Lookup("filesystem").NewSink(tb, nil)
	w := open2PC(t, sk, 0, 1)
	if cs := preCommit(t, w, 1); cs != nil {
		t.Fatalf("nothing written: %q", cs)
	}
	pwrite(t, w, prow(1, "b", 1), prow(2, "a", 1), prow(3, "b", 1))
	c2 := preCommit(t, w, 2)
	if len(c2) != 2 {
		t.Fatalf("committables %q", c2)
	}
	var c committable
	json.Unmarshal(c2[0], &c)
	tok := w.(*writer).token
	if c.Partition != "dt=a/hr=1" || c.Final != "part-0-0.csv" || c.Pending != ".part-0-0.csv.chk-2."+tok+".pending" {
		t.Fatalf("committable %+v", c)
	}
	json.Unmarshal(c2[1], &c)
	if c.Partition != "dt=b/hr=1" || c.Final != "part-0-1.csv" {
		t.Fatalf("committable %+v", c)
	}
	if v := visibleTree(t, dir); len(v) != 0 {
		t.Fatalf("visible before Commit: %v", v)
	}
	if h := hiddenTree(t, dir); strings.Join(h, ",") != "dt=a/hr=1/.part-0-0.csv.chk-2."+tok+".pending,dt=b/hr=1/.part-0-1.csv.chk-2."+tok+".pending" {
		t.Fatalf("hidden %v", h)
	}
	pwrite(t, w, prow(4, "c", 2))
	c3 := preCommit(t, w, 3) // never completes
	pwrite(t, w, prow(5, "a", 1))
	c4 := preCommit(t, w, 4)
	if len(c3) != 3 || len(c4) != 4 {
		t.Fatalf("uncommitted files are not carried: %d, %d committables", len(c3), len(c4))
	}
	if err := w.Commit(c2); err != nil {
		t.Fatal(err)
	}
	if err := w.Commit(c2); err != nil { // idempotent
		t.Fatal(err)
	}
	if err := w.Commit(c4); err != nil {
		t.Fatal(err)
	}
	w.Close()
	want := "dt=a/hr=1/part-0-0.csv,dt=a/hr=1/part-0-3.csv,dt=b/hr=1/part-0-1.csv,dt=c/hr=2/part-0-2.csv"
	if got := tree(t, dir); strings.Join(got, ",") != want {
		t.Fatalf("tree %v", got)
	}
	if rows, _ := readBack(t, tb); strings.Join(rows, ",") != "1|b|n1|1,2|a|n2|1,3|b|n3|1,4|c|n4|2,5|a|n5|1" {
		t.Fatalf("rows %v", rows)
	}
	// a committable naming a directory outside the layout is rejected
	bad, _ := json.Marshal(committable{V: committableVersion, Partition: "../x", Pending: ".p", Final: "part-0-9.csv"})
	if err := w.Commit([][]byte{bad}); err == nil || !strings.Contains(err.Error(), "table parts: invalid filesystem sink committable") {
		t.Fatalf("bad committable: %v", err)
	}
}

// A failure after checkpoint 2: the restore commits checkpoint 2's files
// in every partition once, deletes what later attempts left in every
// partition directory, and the replay produces the same file names.
func TestPartitionedRecover(t *testing.T) {
	for _, committedBeforeCrash := range []bool{false, true} {
		dir := filepath.Join(t.TempDir(), "out") + "/"
		tb := ptable("path", dir, "format", "csv")
		sk, _ := connectors.Lookup("filesystem").NewSink(tb, nil)
		a := open2PC(t, sk, 0, 1)
		pwrite(t, a, prow(1, "x", 1))
		a.Commit(preCommit(t, a, 1))
		pwrite(t, a, prow(2, "x", 1), prow(3, "y", 1))
		c2 := preCommit(t, a, 2)
		if committedBeforeCrash {
			a.Commit(c2)
		}
		pwrite(t, a, prow(4, "x", 1), prow(5, "z", 1))
		preCommit(t, a, 3)                             // checkpoint 3 does not complete
		pwrite(t, a, prow(6, "y", 1), prow(7, "w", 1)) // in progress when the attempt dies, without Close

		b := open2PC(t, sk, 0, 1)
		for _, h := range hiddenTree(t, dir) {
			if strings.HasSuffix(h, ".inprogress") {
				t.Fatalf("Open left an in-progress file: %v", hiddenTree(t, dir))
			}
		}
		if err := b.Recover(c2); err != nil {
			t.Fatal(err)
		}
		if err := b.Recover(c2); err != nil { // a second restore of the same checkpoint
			t.Fatal(err)
		}
		if h := hiddenTree(t, dir); len(h) != 0 {
			t.Fatalf("leftovers of the failed attempt: %v", h)
		}
		if v := visibleTree(t, dir); strings.Join(v, ",") != "dt=x/hr=1/part-0-0.csv,dt=x/hr=1/part-0-1.csv,dt=y/hr=1/part-0-2.csv" {
			t.Fatalf("files %v", v)
		}
		// the replay of the rows after checkpoint 2 gets the names the
		// failed attempt's checkpoint 3 had
		pwrite(t, b, prow(4, "x", 1), prow(5, "z", 1))
		cs := preCommit(t, b, 3)
		var c committable
		json.Unmarshal(cs[0], &c)
		if c.Partition != "dt=x/hr=1" || c.Final != "part-0-3.csv" {
			t.Fatalf("replayed file %+v", c)
		}
		json.Unmarshal(cs[1], &c)
		if c.Partition != "dt=z/hr=1" || c.Final != "part-0-4.csv" {
			t.Fatalf("replayed file %+v", c)
		}
		b.Commit(cs)
		pwrite(t, b, prow(6, "y", 1), prow(7, "w", 1))
		b.Commit(preCommit(t, b, 4))
		b.Close()
		rows, _ := readBack(t, tb)
		if strings.Join(rows, ",") != "1|x|n1|1,2|x|n2|1,3|y|n3|1,4|x|n4|1,5|z|n5|1,6|y|n6|1,7|w|n7|1" {
			t.Fatalf("committed before crash %v: rows %v", committedBeforeCrash, rows)
		}
	}
}

// Restoring at a lower parallelism: instance 0 commits the files the
// former instance 1 pre-committed in its partitions, and the leftovers of
// instance 1 in every partition directory go away once a checkpoint
// completes.
func TestPartitionedRescale(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "out") + "/"
	tb := ptable("path", dir, "format", "csv")
	sk, _ := connectors.Lookup("filesystem").NewSink(tb, nil)
	a0, a1 := open2PC(t, sk, 0, 2), open2PC(t, sk, 1, 2)
	pwrite(t, a0, prow(1, "p", 1))
	pwrite(t, a1, prow(2, "q", 1), prow(3, "p", 1))
	c := append(preCommit(t, a0, 7), preCommit(t, a1, 7)...)
	pwrite(t, a1, prow(4, "r", 1))
	preCommit(t, a1, 8)            // never completes
	pwrite(t, a1, prow(5, "s", 1)) // in progress
	pwrite(t, a0, prow(6, "p", 1)) // in progress

	b := open2PC(t, sk, 0, 1)
	if err := b.Recover(c); err != nil {
		t.Fatal(err)
	}
	if v := visibleTree(t, dir); strings.Join(v, ",") != "dt=p/hr=1/part-0-0.csv,dt=p/hr=1/part-1-0.csv,dt=q/hr=1/part-1-1.csv" {
		t.Fatalf("files %v", v)
	}
	if h := hiddenTree(t, dir); len(h) != 1 || !strings.HasPrefix(h[0], "dt=r/hr=1/.part-1-2.csv.chk-8.") {
		t.Fatalf("hidden %v", h)
	}
	pwrite(t, b, prow(4, "r", 1), prow(5, "s", 1), prow(6, "p", 1))
	if err := b.Commit(preCommit(t, b, 8)); err != nil {
		t.Fatal(err)
	}
	b.Close()
	if h := hiddenTree(t, dir); len(h) != 0 {
		t.Fatalf("leftovers %v", h)
	}
	rows, _ := readBack(t, tb)
	if strings.Join(rows, ",") != "1|p|n1|1,2|q|n2|1,3|p|n3|1,4|r|n4|1,5|s|n5|1,6|p|n6|1" {
		t.Fatalf("rows %v (%v)", rows, tree(t, dir))
	}
}

// TestPartitionedManyPartitions writes more partitions than a writer keeps
// open and more bytes than it buffers, in an interleaved order.
func TestPartitionedManyPartitions(t *testing.T) {
	dir := t.TempDir()
	tb := ptable("path", dir, "format", "csv")
	sk, _ := connectors.Lookup("filesystem").NewSink(tb, nil)
	w := open2PC(t, sk, 0, 1)
	const parts, n = 3 * maxHandles, 40000
	long := strings.Repeat("x", 200)
	var want []string
	for i := 0; i < n; i += 100 {
		b := types.NewBatch(len(pschema), 100)
		for j := i; j < i+100; j++ {
			dt := fmt.Sprintf("d%03d", j%parts)
			b.Append(types.Insert, []types.Value{types.IntValue(int64(j)), types.StringValue(dt), types.StringValue(long), types.IntValue(0)})
			want = append(want, fmt.Sprintf("%d|%s|%s|0", j, dt, long))
		}
		if err := w.Write(b); err != nil {
			t.Fatal(err)
		}
		if open := w.(*writer).handles; open > maxHandles {
			t.Fatalf("%d open files", open)
		}
		if i == n/2 {
			w.Commit(preCommit(t, w, 1))
		}
	}
	w.Commit(preCommit(t, w, 2))
	w.Close()
	if len(visibleTree(t, dir)) != 2*parts || len(hiddenTree(t, dir)) != 0 {
		t.Fatalf("%d files, %d hidden", len(visibleTree(t, dir)), len(hiddenTree(t, dir)))
	}
	rows, _ := readBack(t, tb)
	sort.Strings(want)
	if strings.Join(rows, "\n") != strings.Join(want, "\n") {
		t.Fatalf("%d rows read back, want %d", len(rows), len(want))
	}
}

func TestPartitionedSourceErrors(t *testing.T) {
	dir := t.TempDir()
	tb := ptable("path", dir, "format", "csv")
	mk := func(rel, data string) {
		p := filepath.Join(dir, filepath.FromSlash(rel))
		os.MkdirAll(filepath.Dir(p), 0o755)
		write(t, p, data)
	}
	mk("dt=a/hr=1/part-0-0.csv", "1,x\n")
	mk("dt=a/hr=1/_SUCCESS", "")
	mk("dt=a/hr=1/.part-0-1.csv.inprogress", "garbage\n")
	mk("dt=a/_hidden/f.csv", "garbage\n")
	mk("top.csv", "not a partition file\n")
	mk("DT=b/HR=2/data.csv", "2,y\n") // column names match case-insensitively
	mk("dt=c/hr=3/sub/deeper.csv", "garbage\n")
	rows, ids := readBack(t, tb)
	if strings.Join(rows, ",") != "1|a|x|1,2|b|y|2" || strings.Join(ids, ",") != "DT=b/HR=2/data.csv,dt=a/hr=1/part-0-0.csv" {
		t.Fatalf("rows %v, splits %v", rows, ids)
	}

	src, _ := connectors.Lookup("filesystem").NewSource(tb, nil)
	// a value that does not parse as the column's type names the file
	mk("dt=d/hr=x1/part-0-0.csv", "3,z\n")
	if _, err := src.Splits(1); err == nil || !strings.Contains(err.Error(), "table parts: file '"+filepath.Join(dir, "dt=d", "hr=x1", "part-0-0.csv")+"'") ||
		!strings.Contains(err.Error(), "partition value 'x1' of column hr is not a valid INT") {
		t.Fatalf("bad value: %v", err)
	}
	os.RemoveAll(filepath.Join(dir, "dt=d"))
	// a directory that does not name the level's column
	os.MkdirAll(filepath.Join(dir, "dt=e", "minute=5"), 0o755)
	if _, err := src.Splits(1); err == nil || !strings.Contains(err.Error(), "directory '"+filepath.Join(dir, "dt=e", "minute=5")+"' does not name partition column hr") {
		t.Fatalf("bad directory: %v", err)
	}
	// the path is a file
	ftb := ptable("path", filepath.Join(dir, "top.csv"), "format", "csv")
	fsrc, _ := connectors.Lookup("filesystem").NewSource(ftb, nil)
	if _, err := fsrc.Splits(1); err == nil || !strings.Contains(err.Error(), "is a file, but a table PARTITIONED BY (dt, hr) is a directory tree") {
		t.Fatalf("file path: %v", err)
	}
	fsk, _ := connectors.Lookup("filesystem").NewSink(ftb, nil)
	if _, err := fsk.Open(ctx, 0, 1); err == nil || !strings.Contains(err.Error(), "table parts: 'path'") {
		t.Fatalf("file path sink: %v", err)
	}
}

func TestPartitionedOptionErrors(t *testing.T) {
	f := connectors.Lookup("filesystem")
	for _, c := range []struct {
		t   *catalog.Table
		err string
	}{
		{ptable("path", "/x/", "format", "csv", "partition.default-name", "a/b"), "table parts: option 'partition.default-name' must be"},
		{ptable("path", "/x/", "format", "csv", "partition.default-name", ""), "table parts: option 'partition.default-name' must be"},
		{table("path", "/x/", "format", "csv", "partition.default-name", "d"), "table files: option 'partition.default-name' applies only to a table PARTITIONED BY"},
		{ptable("path", "/x/", "format", "text"), "table parts: format 'text' needs exactly one column besides the partition columns (dt, hr), the table has 2"},
	} {
		_, err := f.NewSource(c.t, nil)
		if err == nil || !strings.HasPrefix(err.Error(), c.err) {
			t.Errorf("got %v, want %s", err, c.err)
		}
	}
	// a PROCTIME column before the partition columns shifts their physical index
	tb := ptable("path", "/x/", "format", "csv")
	tb.Columns = append(types.Schema{{Name: "pt", Type: types.Timestamp}}, pschema...)
	tb.ProctimeColumn, tb.PartitionKeys = 0, []int{2, 4}
	l, err := newLayout(tb)
	if err != nil || fmt.Sprint(l.keys, l.data) != "[1 3] [0 2]" {
		t.Fatalf("layout %+v, %v", l, err)
	}
}

// TestPartitionBuffersBounded: between two checkpoints, the buffers a
// writer keeps for its partitions' in-progress files stay bounded however
// many partitions receive rows (each filling its buffer in turn).
func TestPartitionBuffersBounded(t *testing.T) {
	tb := ptable("path", t.TempDir(), "format", "csv")
	sk, _ := connectors.Lookup("filesystem").NewSink(tb, nil)
	w := open2PC(t, sk, 0, 1)
	defer w.Close()
	const parts, rowsPerPart = 8 * maxHandles, 300
	long := strings.Repeat("x", 1000)
	bound := 2*maxHandles*2*flushBytes + 2*maxBuffered // open files and spares, and the bytes buffered
	for p := 0; p < parts; p++ {
		b := types.NewBatch(len(pschema), rowsPerPart)
		for j := 0; j < rowsPerPart; j++ {
			b.Append(types.Insert, []types.Value{types.IntValue(int64(p*rowsPerPart + j)), types.StringValue(fmt.Sprintf("d%03d", p)), types.StringValue(long), types.IntValue(0)})
		}
		if err := w.Write(b); err != nil {
			t.Fatal(err)
		}
		held := 0
		for _, pf := range w.(*writer).files {
			held += cap(pf.buf)
		}
		for _, s := range w.(*writer).spare {
			held += cap(s)
		}
		if held > bound {
			t.Fatalf("after %d partitions the writer holds %d bytes of buffers (bound %d)", p+1, held, bound)
		}
	}
	w.Commit(preCommit(t, w, 1))
}
