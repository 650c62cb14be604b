package jdbc

import (
	"database/sql"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/streamsql/streamsql/internal/testkit"
	"github.com/streamsql/streamsql/types"
)

// TestCommittableRoundTrip: a checkpoint period's rows go to a spill file
// (deletes first within a segment), the committable names the file, and
// both read back; any cut of the committable, and any flipped byte or cut
// of the file, is refused.
func TestCommittableRoundTrip(t *testing.T) {
	key := []int{0, 2}
	b := newBuffer(7, key)
	rows := [][]types.Value{
		{i64(1), f64(1.5), str("a"), dec(-1250), ts(1602288005123), boolean(true), null()},
		{i64(2), f64(-0.25), str("héllo"), dec(0), ts(-1000), boolean(false), types.DateValue(18000)},
		{i64(3), null(), str(""), null(), null(), null(), types.IntervalValue(-5)},
	}
	b.add(types.Insert, rows[0])
	b.add(types.Insert, rows[1])
	b.add(types.Insert, rows[2])
	b.add(types.UpdateBefore, rows[0]) // ignored
	b.add(types.Delete, rows[2])       // replaces the insert of key (3, "")
	dir := t.TempDir()
	sp, err := createSpill(dir, spillName(0, "tok", 1))
	if err != nil {
		t.Fatal(err)
	}
	if err := sp.writeSegment(b); err != nil {
		t.Fatal(err)
	}
	if err := sp.finish(); err != nil {
		t.Fatal(err)
	}
	raw := encodeCommittable("job-1", "d.t/0", "tok", 42, 7, len(key), sp)
	c, err := decodeCommittable(raw, 7, key)
	if err != nil {
		t.Fatal(err)
	}
	if c.job != "job-1" || c.sink != "d.t/0" || c.token != "tok" || c.id != 42 || c.rowCount != 3 || c.file != sp.name || c.size != sp.size {
		t.Fatalf("decoded %+v", c)
	}
	path := filepath.Join(dir, c.file)
	got := readSpill(t, path, c)
	if got.len() != 3 || got.ops[0] != types.Delete || got.row(0)[0].Int() != 3 || got.row(0)[2].Str() != "" || !got.row(0)[1].IsNull() {
		t.Fatalf("delete row %v %v", got.ops[0], got.row(0))
	}
	for i := 0; i < 2; i++ {
		for j, v := range got.row(i + 1) {
			if !types.Equal(v, rows[i][j]) || v.Kind() != rows[i][j].Kind() || v.Scale() != rows[i][j].Scale() {
				t.Fatalf("row %d col %d: %v, want %v", i, j, v, rows[i][j])
			}
		}
	}
	if _, err := decodeCommittable(raw, 6, key); err == nil || !strings.Contains(err.Error(), "definition changed") {
		t.Fatalf("width mismatch: %v", err)
	}
	for cut := 0; cut < len(raw); cut++ {
		if _, err := decodeCommittable(raw[:cut], 7, key); err == nil {
			t.Fatalf("a committable cut at %d decoded", cut)
		}
	}
	good, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	for i := range good {
		bad := slices.Clone(good)
		bad[i] ^= 0x10
		os.WriteFile(path, bad, 0o644)
		if err := readSpillErr(path, c); err == nil {
			t.Fatalf("a spill file with byte %d flipped was read", i)
		}
		os.WriteFile(path, good[:i], 0o644)
		if err := readSpillErr(path, c); err == nil {
			t.Fatalf("a spill file cut at %d was read", i)
		}
	}
}

func readSpill(t *testing.T, path string, c *committable) *buffer {
	t.Helper()
	r, err := openSpill(path, c.size, c.sum)
	if err != nil {
		t.Fatal(err)
	}
	defer r.close()
	all, seg := newBuffer(7, []int{0, 2}), newBuffer(7, []int{0, 2})
	for {
		more, err := r.next(seg)
		if err != nil {
			t.Fatal(err)
		}
		if !more {
			return all
		}
		all.ops = append(all.ops, seg.ops...)
		all.vals = append(all.vals, seg.vals...)
	}
}

func readSpillErr(path string, c *committable) error {
	r, err := openSpill(path, c.size, c.sum)
	if err != nil {
		return err
	}
	defer r.close()
	seg := newBuffer(7, []int{0, 2})
	for {
		more, err := r.next(seg)
		if err != nil || !more {
			return err
		}
	}
}

// TestCommittableVersion1: committables that carry their rows (written by
// earlier releases) still decode.
func TestCommittableVersion1(t *testing.T) {
	raw := []byte{committableMagic, committableInline}
	for _, s := range []string{"job", "d.t/0", "tok"} {
		raw = append(raw, byte(len(s)))
		raw = append(raw, s...)
	}
	raw = append(raw, 2*7, 2, 1, 2) // id 7 (zigzag), width 2, key width 1, 2 rows
	raw = appendRow(raw, types.Insert, []types.Value{i64(1), str("a")}, []int{0})
	raw = appendRow(raw, types.Delete, []types.Value{i64(2), null()}, []int{0})
	c, err := decodeCommittable(raw, 2, []int{0})
	if err != nil {
		t.Fatal(err)
	}
	if c.id != 7 || c.rows == nil || c.rows.len() != 2 || c.rows.row(0)[1].Str() != "a" || c.rows.ops[1] != types.Delete || c.rows.row(1)[0].Int() != 2 {
		t.Fatalf("decoded %+v", c)
	}
}

// spillSink returns an exactly-once sink whose spill files go to a
// directory of the test's own (returned), with extra options.
func spillSink(t *testing.T, job, columns, create, extra string) (*sink, *sql.DB, string, *testkit.SyncBuffer) {
	t.Helper()
	dbName, db := testDatabase(t)
	mustExec(t, db, create)
	env, out := testEnv(job)
	env.StateDir = t.TempDir()
	s := newTestSink(t, compileTable(t, ddl(dbName, columns, "'table-name' = 't', "+extra)), env)
	return s, db, env.StateDir, out
}

// spillFiles lists the spill files under a state directory.
func spillFiles(t *testing.T, stateDir string) []string {
	t.Helper()
	var out []string
	filepath.WalkDir(stateDir, func(path string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			out = append(out, d.Name())
		}
		return nil
	})
	return out
}

// TestExactlyOnceMemoryBounded: the rows of a checkpoint period beyond
// 'sink.buffer-flush.max-rows' (or '.max-bytes') leave memory for the
// period's spill file; the committable stays a small reference whatever
// the number of rows; the commit applies them all, once; the file is
// deleted after the commit.
func TestExactlyOnceMemoryBounded(t *testing.T) {
	for _, tc := range []struct{ name, option string }{
		{"rows", "'sink.buffer-flush.max-rows' = '50'"},
		{"bytes", "'sink.buffer-flush.max-bytes' = '4kb'"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s, db, dir, _ := spillSink(t, "job-m", "id BIGINT, tag STRING", "CREATE TABLE t (id BIGINT, tag VARCHAR(64))", tc.option)
			w := open2PC(t, s, 0)
			if err := w.Recover(nil); err != nil {
				t.Fatal(err)
			}
			inner := w.(*twoPhaseWriter)
			const n = 3000
			for i := int64(0); i < n; i += 100 {
				write(t, w, rowsFrom(i, i+100, "x")...)
				if inner.buf.len() > 50+100 || inner.buf.bytes > 4096+100*200 {
					t.Fatalf("after %d rows the writer holds %d rows (%d bytes) in memory", i+100, inner.buf.len(), inner.buf.bytes)
				}
			}
			c, err := w.PreCommit(1)
			if err != nil || len(c) != 1 {
				t.Fatalf("PreCommit: %d committables, %v", len(c), err)
			}
			if len(c[0]) > 200 {
				t.Fatalf("the committable of %d rows has %d bytes: it holds the rows", n, len(c[0]))
			}
			files := spillFiles(t, dir)
			if len(files) != 1 {
				t.Fatalf("spill files before the commit: %v", files)
			}
			// The checkpoint's size counts the spill file.
			var spillSize int64
			filepath.WalkDir(dir, func(path string, d os.DirEntry, err error) error {
				if fi, ierr := d.Info(); err == nil && ierr == nil && d.Name() == files[0] {
					spillSize = fi.Size()
				}
				return nil
			})
			if got := inner.CommittableBytes(c); got != spillSize || got == 0 {
				t.Fatalf("CommittableBytes = %d, the spill file has %d bytes", got, spillSize)
			}
			if got := count(t, db, "SELECT COUNT(*) FROM t"); got != 0 {
				t.Fatalf("%d rows visible before the commit", got)
			}
			for i := 0; i < 2; i++ {
				if err := w.Commit(c); err != nil {
					t.Fatal(err)
				}
			}
			wantRows(t, db, "SELECT COUNT(*), COUNT(DISTINCT id), MIN(id), MAX(id) FROM t", "3000|3000|0|2999")
			if files := spillFiles(t, dir); len(files) != 0 {
				t.Fatalf("spill files left after the commit: %v", files)
			}
		})
	}
}

// TestSpillKeepsChangelogOrder: with a primary key and tiny segments, a
// key's operations spread over several segments apply in order.
func TestSpillKeepsChangelogOrder(t *testing.T) {
	s, db, _, _ := spillSink(t, "job-o", "k BIGINT, v BIGINT, PRIMARY KEY (k) NOT ENFORCED",
		"CREATE TABLE t (k BIGINT PRIMARY KEY, v BIGINT)", "'sink.buffer-flush.max-rows' = '2'")
	w := open2PC(t, s, 0)
	if err := w.Recover(nil); err != nil {
		t.Fatal(err)
	}
	write(t, w, ins(i64(1), i64(1)), ins(i64(2), i64(1)), // segment 1
		del(i64(1), i64(1)), ins(i64(3), i64(1)), // segment 2: deletes 1
		ub(i64(3), i64(1)), ua(i64(3), i64(2)), ins(i64(1), i64(9)), // segment 3: 1 again
		del(i64(2), i64(1)), ins(i64(2), i64(5)), del(i64(3), i64(2))) // compacted to +I 2 5, then -D 3
	c, err := w.PreCommit(1)
	if err != nil {
		t.Fatal(err)
	}
	if err := w.Commit(c); err != nil {
		t.Fatal(err)
	}
	wantRows(t, db, "SELECT k, v FROM t", "1|9", "2|5")
}

// TestSpillFilesOfFailedRunsRemoved: a restored writer commits the spill
// files its committables name and deletes those of the failed run that
// no checkpoint completed with (a pre-committed period and the one being
// written).
func TestSpillFilesOfFailedRunsRemoved(t *testing.T) {
	s, db, dir, _ := spillSink(t, "job-c", "id BIGINT, tag STRING", "CREATE TABLE t (id BIGINT, tag VARCHAR(8))", "'sink.buffer-flush.max-rows' = '3'")
	a := open2PC(t, s, 0)
	if err := a.Recover(nil); err != nil {
		t.Fatal(err)
	}
	write(t, a, rowsFrom(0, 10, "one")...)
	c1, err := a.PreCommit(1)
	if err != nil {
		t.Fatal(err)
	}
	write(t, a, rowsFrom(10, 20, "two")...)
	if _, err := a.PreCommit(2); err != nil { // checkpoint 2 never completes
		t.Fatal(err)
	}
	write(t, a, rowsFrom(20, 30, "three")...) // spilled, never pre-committed
	if files := spillFiles(t, dir); len(files) != 3 {
		t.Fatalf("spill files of the failed run: %v", files)
	}
	// the process dies: a is never closed; a new run restores checkpoint 1
	b := open2PC(t, s, 0)
	if err := b.Recover(c1); err != nil {
		t.Fatal(err)
	}
	wantRows(t, db, "SELECT tag, COUNT(*) FROM t GROUP BY tag", "one|10")
	if files := spillFiles(t, dir); len(files) != 0 {
		t.Fatalf("spill files left after the restore: %v", files)
	}
	// restoring checkpoint 1 again: applied before, its file is not needed
	c := open2PC(t, s, 0)
	if err := c.Recover(c1); err != nil {
		t.Fatal(err)
	}
	wantRows(t, db, "SELECT tag, COUNT(*) FROM t GROUP BY tag", "one|10")
}

// TestSpillFileMissingOrDamaged: a spill file that is gone or damaged
// while its rows were not committed fails the commit, naming the file;
// nothing of the checkpoint becomes visible.
func TestSpillFileMissingOrDamaged(t *testing.T) {
	for _, damage := range []string{"missing", "damaged"} {
		t.Run(damage, func(t *testing.T) {
			s, db, dir, _ := spillSink(t, "job-d", "id BIGINT, tag STRING", "CREATE TABLE t (id BIGINT, tag VARCHAR(8))", "'sink.buffer-flush.max-rows' = '4'")
			w := open2PC(t, s, 0)
			if err := w.Recover(nil); err != nil {
				t.Fatal(err)
			}
			write(t, w, rowsFrom(0, 10, "x")...)
			c, err := w.PreCommit(1)
			if err != nil {
				t.Fatal(err)
			}
			files := spillFiles(t, dir)
			var path string
			filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
				if err == nil && !d.IsDir() {
					path = p
				}
				return nil
			})
			if damage == "missing" {
				os.Remove(path)
			} else {
				raw, _ := os.ReadFile(path)
				raw[len(raw)-7] ^= 1
				os.WriteFile(path, raw, 0o644)
			}
			err = open2PC(t, s, 0).Recover(c)
			if err == nil || !strings.Contains(err.Error(), files[0]) || !strings.Contains(err.Error(), damage) {
				t.Fatalf("recovering with a %s spill file: %v", damage, err)
			}
			if got := count(t, db, "SELECT COUNT(*) FROM t"); got != 0 {
				t.Fatalf("%d rows visible", got)
			}
		})
	}
}
