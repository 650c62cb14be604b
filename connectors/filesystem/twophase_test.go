package filesystem

import (
	"encoding/json"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/streamsql/streamsql/connectors"
)

func open2PC(t *testing.T, sk connectors.Sink, instance, parallelism int) connectors.TwoPhaseCommitWriter {
	t.Helper()
	w, err := sk.Open(ctx, instance, parallelism)
	if err != nil {
		t.Fatal(err)
	}
	tw, ok := w.(connectors.TwoPhaseCommitWriter)
	if !ok {
		t.Fatal("the filesystem writer is not a TwoPhaseCommitWriter")
	}
	return tw
}

func hidden(t *testing.T, dir string) []string {
	t.Helper()
	entries, _ := os.ReadDir(dir)
	var out []string
	for _, e := range entries {
		if strings.HasPrefix(e.Name(), ".") {
			out = append(out, e.Name())
		}
	}
	sort.Strings(out)
	return out
}

func content(t *testing.T, path string) string {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(data)
}

func mustWrite(t *testing.T, w connectors.SinkWriter, ids ...int64) {
	t.Helper()
	b := batchOf()
	for _, id := range ids {
		b.Append(0, row(id, "n"))
	}
	if err := w.Write(b); err != nil {
		t.Fatal(err)
	}
}

func preCommit(t *testing.T, w connectors.TwoPhaseCommitWriter, n int64) [][]byte {
	t.Helper()
	cs, err := w.PreCommit(n)
	if err != nil {
		t.Fatal(err)
	}
	return cs
}

// ids lists the first column of the csv rows in the named files.
func ids(t *testing.T, dir string, files ...string) string {
	t.Helper()
	var out []string
	for _, f := range files {
		for _, line := range strings.Split(strings.TrimSpace(content(t, filepath.Join(dir, f))), "\n") {
			out = append(out, strings.SplitN(line, ",", 2)[0])
		}
	}
	return strings.Join(out, ",")
}

func TestTwoPhaseDirectory(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "out") + "/"
	sk, err := connectors.Lookup("filesystem").NewSink(table("path", dir, "format", "csv"), nil)
	if err != nil {
		t.Fatal(err)
	}
	w := open2PC(t, sk, 0, 1)
	if cs := preCommit(t, w, 1); cs != nil {
		t.Fatalf("nothing written: %q", cs)
	}
	mustWrite(t, w, 1, 2)
	c2 := preCommit(t, w, 2)
	if len(c2) != 1 {
		t.Fatalf("committables %q", c2)
	}
	var c committable
	json.Unmarshal(c2[0], &c)
	if c.Final != "part-0-0.csv" || c.Pending != ".part-0-0.csv.chk-2."+w.(*writer).token+".pending" {
		t.Fatalf("committable %+v", c)
	}
	if v := visible(t, dir); len(v) != 0 {
		t.Fatalf("visible before Commit: %v", v)
	}
	if h := hidden(t, dir); len(h) != 1 || h[0] != c.Pending {
		t.Fatalf("hidden files %v", h)
	}
	// checkpoint 3 is taken but never completes: its file rides along with checkpoint 4
	mustWrite(t, w, 3)
	c3 := preCommit(t, w, 3)
	mustWrite(t, w, 4)
	c4 := preCommit(t, w, 4)
	if len(c3) != 2 || len(c4) != 3 {
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
	if v := visible(t, dir); strings.Join(v, ",") != "part-0-0.csv,part-0-1.csv,part-0-2.csv" {
		t.Fatalf("files %v", v)
	}
	if got := ids(t, dir, "part-0-0.csv", "part-0-1.csv", "part-0-2.csv"); got != "1,2,3,4" {
		t.Fatalf("rows %s", got)
	}
	if h := hidden(t, dir); len(h) != 0 {
		t.Fatalf("hidden files left %v", h)
	}
	// end of a bounded input: PreCommit and Commit of the last rows
	mustWrite(t, w, 5)
	if err := w.Commit(preCommit(t, w, 5)); err != nil {
		t.Fatal(err)
	}
	w.Close()
	if got := ids(t, dir, visible(t, dir)...); got != "1,2,3,4,5" {
		t.Fatalf("rows %s", got)
	}
}

// A failure after checkpoint 2 was pre-committed (and maybe committed):
// the restore commits checkpoint 2 once, drops what came after, and the
// replay produces the same file names.
func TestTwoPhaseRecover(t *testing.T) {
	for _, committedBeforeCrash := range []bool{false, true} {
		dir := filepath.Join(t.TempDir(), "out") + "/"
		sk, _ := connectors.Lookup("filesystem").NewSink(table("path", dir, "format", "csv"), nil)
		a := open2PC(t, sk, 0, 1)
		mustWrite(t, a, 1)
		c1 := preCommit(t, a, 1)
		a.Commit(c1)
		mustWrite(t, a, 2, 3)
		c2 := preCommit(t, a, 2)
		if committedBeforeCrash {
			a.Commit(c2)
		}
		mustWrite(t, a, 4)
		preCommit(t, a, 3) // checkpoint 3 does not complete
		mustWrite(t, a, 5)
		a.Write(batchOf(row(5, "in progress"))) // the attempt dies here, without Close

		b := open2PC(t, sk, 0, 1)
		if h := hidden(t, dir); len(h) != 2 && !committedBeforeCrash || len(h) != 1 && committedBeforeCrash {
			t.Fatalf("after Open (in-progress dropped, pending kept): %v", h)
		}
		if err := b.Recover(c2); err != nil {
			t.Fatal(err)
		}
		if err := b.Recover(c2); err != nil { // a second restore of the same checkpoint
			t.Fatal(err)
		}
		if h := hidden(t, dir); len(h) != 0 {
			t.Fatalf("leftovers of the failed attempt: %v", h)
		}
		if v := visible(t, dir); strings.Join(v, ",") != "part-0-0.csv,part-0-1.csv" {
			t.Fatalf("files %v", v)
		}
		// the replay of the rows after checkpoint 2
		mustWrite(t, b, 4, 5)
		cs := preCommit(t, b, 3)
		var c committable
		json.Unmarshal(cs[0], &c)
		if c.Final != "part-0-2.csv" {
			t.Fatalf("replayed file %s", c.Final)
		}
		b.Commit(cs)
		b.Close()
		if got := ids(t, dir, visible(t, dir)...); got != "1,2,3,4,5" {
			t.Fatalf("committed before crash %v: rows %s", committedBeforeCrash, got)
		}
	}
}

// Restoring at a lower parallelism: instance 0 receives the committables
// of the former instance 1 too, and the leftovers of instance 1 go away
// once a checkpoint completes.
func TestTwoPhaseRescale(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "out") + "/"
	sk, _ := connectors.Lookup("filesystem").NewSink(table("path", dir, "format", "csv"), nil)
	a0, a1 := open2PC(t, sk, 0, 2), open2PC(t, sk, 1, 2)
	mustWrite(t, a0, 1)
	mustWrite(t, a1, 2)
	c := append(preCommit(t, a0, 7), preCommit(t, a1, 7)...)
	mustWrite(t, a1, 3)
	preCommit(t, a1, 8) // never completes
	mustWrite(t, a1, 4) // in progress

	b := open2PC(t, sk, 0, 1)
	if err := b.Recover(c); err != nil {
		t.Fatal(err)
	}
	if v := visible(t, dir); strings.Join(v, ",") != "part-0-0.csv,part-1-0.csv" {
		t.Fatalf("files %v", v)
	}
	if h := hidden(t, dir); len(h) != 1 || !strings.HasPrefix(h[0], ".part-1-1.csv.chk-8.") {
		t.Fatalf("hidden %v", h)
	}
	mustWrite(t, b, 3, 4)
	if err := b.Commit(preCommit(t, b, 8)); err != nil {
		t.Fatal(err)
	}
	if h := hidden(t, dir); len(h) != 0 {
		t.Fatalf("leftovers %v", h)
	}
	if got := ids(t, dir, visible(t, dir)...); got != "1,3,4,2" {
		t.Fatalf("rows %s (%v)", got, visible(t, dir))
	}
}

func TestTwoPhaseFile(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "out.csv")
	write(t, path, "0,old,0,1970-01-01 00:00:00.000\n")
	sk, _ := connectors.Lookup("filesystem").NewSink(table("path", path, "format", "csv"), nil)
	a := open2PC(t, sk, 0, 1)
	mustWrite(t, a, 1)
	c1 := preCommit(t, a, 1)
	mustWrite(t, a, 2, 3)
	c2 := preCommit(t, a, 2)
	if err := a.Commit(c1); err != nil {
		t.Fatal(err)
	}
	if got := ids(t, dir, "out.csv"); got != "0,1" {
		t.Fatalf("after commit 1: %s", got)
	}
	// the process dies in the middle of appending checkpoint 2's part
	var c committable
	json.Unmarshal(c2[len(c2)-1], &c)
	part := content(t, filepath.Join(dir, c.Pending))
	f, _ := os.OpenFile(path, os.O_WRONLY|os.O_APPEND, 0)
	f.WriteString(part[:7])
	f.Close()

	b := open2PC(t, sk, 0, 1)
	if err := b.Recover(c2); err != nil {
		t.Fatal(err)
	}
	if err := b.Recover(c2); err != nil {
		t.Fatal(err)
	}
	if got := ids(t, dir, "out.csv"); got != "0,1,2,3" {
		t.Fatalf("after recover: %s", got)
	}
	mustWrite(t, b, 4)
	c3 := preCommit(t, b, 3)
	b.Commit(c3)
	b.Close()
	if got := ids(t, dir, "out.csv"); got != "0,1,2,3,4" {
		t.Fatalf("after commit 3: %s", got)
	}
	if h := hidden(t, dir); len(h) != 0 {
		t.Fatalf("hidden %v", h)
	}

	// restoring checkpoint 2 again (say checkpoint 3 was found damaged):
	// what the later attempt appended is replaced by the replay
	d := open2PC(t, sk, 0, 1)
	if err := d.Recover(c2); err != nil {
		t.Fatal(err)
	}
	mustWrite(t, d, 4, 5)
	if err := d.Commit(preCommit(t, d, 3)); err != nil {
		t.Fatal(err)
	}
	if got := ids(t, dir, "out.csv"); got != "0,1,2,3,4,5" {
		t.Fatalf("after the replay: %s", got)
	}
	// a replay that differs from what a later attempt appended replaces it
	e := open2PC(t, sk, 0, 1)
	e.Recover(c2)
	mustWrite(t, e, 9)
	if err := e.Commit(preCommit(t, e, 3)); err != nil {
		t.Fatal(err)
	}
	if got := ids(t, dir, "out.csv"); got != "0,1,2,3,9" {
		t.Fatalf("after a different replay: %s", got)
	}
	// a committable whose data is gone is an error naming the table
	os.Remove(path)
	if err := d.Commit(c2); err == nil || !strings.Contains(err.Error(), "table files") {
		t.Fatalf("lost data: %v", err)
	}
}
