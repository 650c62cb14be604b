package jdbc

import (
	"database/sql"
	"strings"
	"testing"

	"github.com/streamsql/streamsql/connectors"
	"github.com/streamsql/streamsql/internal/testkit"
)

// appendSink returns the exactly-once sink of an append-only table
// `log` (id BIGINT, tag VARCHAR(8)) in a database of the test's own.
func appendSink(t *testing.T, job string) (func(*connectors.Env) *sink, *sql.DB, *testkit.SyncBuffer) {
	dbName, db := testDatabase(t)
	mustExec(t, db, "CREATE TABLE log (id BIGINT, tag VARCHAR(8))")
	env, out := testEnv(job)
	text := ddl(dbName, "id BIGINT, tag STRING", "'table-name' = 'log'")
	mk := func(e *connectors.Env) *sink {
		if e == nil {
			e = env
		}
		return newTestSink(t, compileTable(t, text), e)
	}
	return mk, db, out
}

func rowsFrom(from, to int64, tag string) []row {
	var out []row
	for i := from; i < to; i++ {
		out = append(out, ins(i64(i), str(tag)))
	}
	return out
}

func TestCommitTwiceAppliesOnce(t *testing.T) {
	mk, db, _ := appendSink(t, "job-a")
	w := open2PC(t, mk(nil), 0)
	if err := w.Recover(nil); err != nil {
		t.Fatal(err)
	}
	if c, err := w.PreCommit(1); err != nil || c != nil {
		t.Fatalf("PreCommit with nothing written: %v, %v", c, err)
	}
	write(t, w, rowsFrom(0, 10, "a")...)
	if got := count(t, db, "SELECT COUNT(*) FROM log"); got != 0 {
		t.Fatalf("%d rows visible before the commit", got)
	}
	c, err := w.PreCommit(2)
	if err != nil || len(c) != 1 {
		t.Fatalf("PreCommit: %d committables, %v", len(c), err)
	}
	if got := count(t, db, "SELECT COUNT(*) FROM log"); got != 0 {
		t.Fatalf("%d rows visible after PreCommit", got)
	}
	for i := 0; i < 2; i++ {
		if err := w.Commit(c); err != nil {
			t.Fatal(err)
		}
	}
	if got := count(t, db, "SELECT COUNT(*) FROM log"); got != 10 {
		t.Fatalf("%d rows after committing twice, want 10", got)
	}
	wantRows(t, db, "SELECT job, sink, checkpoint_id, row_count FROM streamsql_sink_progress",
		"job-a|"+mustDB(t, db)+".log/0|2|10")
}

func mustDB(t *testing.T, db *sql.DB) string {
	var name string
	if err := db.QueryRow("SELECT DATABASE()").Scan(&name); err != nil {
		t.Fatal(err)
	}
	return name
}

// TestRecoverAfterCrash: a writer fails after the database committed
// checkpoint 1 but before the runtime learnt it, and after checkpoint 2
// completed but before its commit; it also wrote rows after its last
// PreCommit. A new writer recovers the committables of checkpoints 1 and 2:
// each row appears once, and the rows after the last PreCommit never.
func TestRecoverAfterCrash(t *testing.T) {
	mk, db, _ := appendSink(t, "job-r")
	s := mk(nil)
	a := open2PC(t, s, 0)
	if err := a.Recover(nil); err != nil {
		t.Fatal(err)
	}
	write(t, a, rowsFrom(0, 5, "one")...)
	c1, err := a.PreCommit(1)
	if err != nil {
		t.Fatal(err)
	}
	if err := a.Commit(c1); err != nil {
		t.Fatal(err)
	}
	write(t, a, rowsFrom(5, 8, "two")...)
	c2, err := a.PreCommit(2)
	if err != nil {
		t.Fatal(err)
	}
	write(t, a, rowsFrom(100, 110, "lost")...) // never pre-committed
	a.Close()                                  // the crash

	b := open2PC(t, mk(nil), 0)
	restored := append(append([][]byte{}, c1...), c2...)
	if err := b.Recover(restored); err != nil {
		t.Fatal(err)
	}
	wantRows(t, db, "SELECT tag, COUNT(*), COUNT(DISTINCT id) FROM log GROUP BY tag", "one|5|5", "two|3|3")
	// recovering again (another failure right after the restore) changes nothing
	c := open2PC(t, mk(nil), 0)
	if err := c.Recover(restored); err != nil {
		t.Fatal(err)
	}
	write(t, c, rowsFrom(8, 9, "three")...)
	c3, err := c.PreCommit(3)
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Commit(c3); err != nil {
		t.Fatal(err)
	}
	wantRows(t, db, "SELECT tag, COUNT(*), COUNT(DISTINCT id) FROM log GROUP BY tag", "one|5|5", "three|1|1", "two|3|3")
}

// TestRescaledRecover: after a restore at a lower parallelism, instance 0
// recovers the committables of former instance 1 as well.
func TestRescaledRecover(t *testing.T) {
	mk, db, _ := appendSink(t, "job-s")
	s := mk(nil)
	w0, w1 := open2PC(t, s, 0), open2PC(t, s, 1)
	for _, w := range []connectors.TwoPhaseCommitWriter{w0, w1} {
		if err := w.Recover(nil); err != nil {
			t.Fatal(err)
		}
	}
	write(t, w0, rowsFrom(0, 3, "i0")...)
	write(t, w1, rowsFrom(3, 7, "i1")...)
	c0, _ := w0.PreCommit(4)
	c1, _ := w1.PreCommit(4)
	if err := w1.Commit(c1); err != nil { // instance 1 committed, instance 0 did not
		t.Fatal(err)
	}
	w0.Close()
	w1.Close()
	n := open2PC(t, mk(nil), 0)
	if err := n.Recover(append(append([][]byte{}, c0...), c1...)); err != nil {
		t.Fatal(err)
	}
	wantRows(t, db, "SELECT tag, COUNT(*) FROM log GROUP BY tag", "i0|3", "i1|4")
	if got := count(t, db, "SELECT COUNT(*) FROM streamsql_sink_progress WHERE checkpoint_id = 4"); got != 2 {
		t.Fatalf("%d progress rows for checkpoint 4, want one per former instance", got)
	}
}

// TestNewRunSameCheckpointID: a later run of the same job that starts over
// (no restore, so its checkpoint ids start again at 1) is not mistaken for
// a replay: its rows are applied.
func TestNewRunSameCheckpointID(t *testing.T) {
	mk, db, _ := appendSink(t, "job-n")
	for run := 0; run < 2; run++ {
		w := open2PC(t, mk(nil), 0)
		if err := w.Recover(nil); err != nil {
			t.Fatal(err)
		}
		write(t, w, rowsFrom(0, 2, "r")...)
		c, _ := w.PreCommit(1)
		if err := w.Commit(c); err != nil {
			t.Fatal(err)
		}
		w.Close()
	}
	if got := count(t, db, "SELECT COUNT(*) FROM log"); got != 4 {
		t.Fatalf("%d rows after two runs, want 4", got)
	}
}

// TestUpsertExactlyOnce: a checkpoint period's changelog is compacted per
// key and applied in one transaction.
func TestUpsertExactlyOnce(t *testing.T) {
	dbName, db := testDatabase(t)
	env, _ := testEnv("job-u")
	s := newTestSink(t, compileTable(t, ddl(dbName, "k BIGINT, c BIGINT, PRIMARY KEY (k) NOT ENFORCED", "'table-name' = 'cnt', 'sink.create-table' = 'true', 'sink.progress-table' = 'my_progress'")), env)
	w := open2PC(t, s, 0)
	if err := w.Recover(nil); err != nil {
		t.Fatal(err)
	}
	write(t, w, ins(i64(1), i64(1)), ins(i64(2), i64(1)))
	write(t, w, ub(i64(1), i64(1)), ua(i64(1), i64(2)), ins(i64(3), i64(1)), del(i64(3), i64(1)))
	c1, _ := w.PreCommit(1)
	write(t, w, ub(i64(2), i64(1)), ua(i64(2), i64(2)), del(i64(1), i64(2)))
	c2, _ := w.PreCommit(2)
	if err := w.Commit(c1); err != nil {
		t.Fatal(err)
	}
	wantRows(t, db, "SELECT * FROM cnt", "1|2", "2|1")
	if err := w.Commit(append(c1, c2...)); err != nil {
		t.Fatal(err)
	}
	wantRows(t, db, "SELECT * FROM cnt", "2|2")
	wantRows(t, db, "SELECT checkpoint_id, row_count FROM my_progress", "1|3", "2|2")
}

// TestFailedCommitIsAtomic: a row the database refuses fails the commit;
// none of the checkpoint's rows become visible.
func TestFailedCommitIsAtomic(t *testing.T) {
	mk, db, _ := appendSink(t, "job-f")
	w := open2PC(t, mk(nil), 0)
	if err := w.Recover(nil); err != nil {
		t.Fatal(err)
	}
	write(t, w, ins(i64(1), str("ok")), ins(i64(2), str("far too long for the column")))
	c, _ := w.PreCommit(1)
	err := w.Commit(c)
	if err == nil || !strings.Contains(err.Error(), "`log`") {
		t.Fatalf("commit of a bad row: %v", err)
	}
	if got := count(t, db, "SELECT COUNT(*) FROM log"); got != 0 {
		t.Fatalf("%d rows visible after a failed commit", got)
	}
	if got := count(t, db, "SELECT COUNT(*) FROM streamsql_sink_progress"); got != 0 {
		t.Fatalf("%d progress rows after a failed commit", got)
	}
}

func TestProgressPruning(t *testing.T) {
	oldKeep, oldEvery := progressRetained, pruneEvery
	progressRetained, pruneEvery = 3, 2
	defer func() { progressRetained, pruneEvery = oldKeep, oldEvery }()
	mk, db, _ := appendSink(t, "job-p")
	w := open2PC(t, mk(nil), 0)
	if err := w.Recover(nil); err != nil {
		t.Fatal(err)
	}
	for id := int64(1); id <= 10; id++ {
		write(t, w, ins(i64(id), str("p")))
		c, _ := w.PreCommit(id)
		if err := w.Commit(c); err != nil {
			t.Fatal(err)
		}
	}
	wantRows(t, db, "SELECT checkpoint_id FROM streamsql_sink_progress", "10", "7", "8", "9")
	if got := count(t, db, "SELECT COUNT(*) FROM log"); got != 10 {
		t.Fatalf("%d rows", got)
	}
}

// TestLargeCommit: a checkpoint larger than the server's packet limit
// (16 MiB by default) is split into statements that fit, in one
// transaction.
func TestLargeCommit(t *testing.T) {
	dbName, db := testDatabase(t)
	s := newTestSink(t, compileTable(t, ddl(dbName, "k BIGINT, body STRING, PRIMARY KEY (k) NOT ENFORCED", "'table-name' = 'big', 'sink.create-table' = 'true'")), nil)
	w := open2PC(t, s, 0)
	if err := w.Recover(nil); err != nil {
		t.Fatal(err)
	}
	body := strings.Repeat("x", 40<<10)
	var rows []row
	for i := int64(0); i < 520; i++ {
		rows = append(rows, ins(i64(i), str(body)))
	}
	write(t, w, rows...)
	c, err := w.PreCommit(1)
	if err != nil {
		t.Fatal(err)
	}
	if err := w.Commit(c); err != nil {
		t.Fatal(err)
	}
	if got := count(t, db, "SELECT COUNT(*) FROM big WHERE LENGTH(body) = ?", len(body)); got != 520 {
		t.Fatalf("%d rows", got)
	}
}
