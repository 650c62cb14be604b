package jdbc

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/streamsql/streamsql/connectors"
)

// epochEnv returns a copy of the environment of appendSink's job with
// the owner epoch set.
func epochEnv(job string, epoch int64) *connectors.Env {
	env, _ := testEnv(job)
	env.OwnerEpoch = epoch
	return env
}

func fenceRows(t *testing.T, db *sql.DB) []string {
	t.Helper()
	return dump(t, db, "SELECT job, sink, token, row_count FROM streamsql_sink_progress WHERE checkpoint_id < 0")
}

func wantFenced(t *testing.T, err error, parts ...string) {
	t.Helper()
	if err == nil || !errors.Is(err, errFenced) {
		t.Fatalf("got error %v, want the fenced error", err)
	}
	for _, p := range parts {
		if !strings.Contains(err.Error(), p) {
			t.Fatalf("error %q does not say %q", err, p)
		}
	}
}

// TestFenceZombieCommit: the owner of epoch 1 pre-commits checkpoint 2;
// the job is taken over and the owner of epoch 2 recovers checkpoint 1.
// The late commit of checkpoint 2 by the earlier owner then fails as
// fenced, at once (no retry), and none of its rows reach the table; the
// later owner goes on committing.
func TestFenceZombieCommit(t *testing.T) {
	mk, db, _ := appendSink(t, "job-z")
	dbName := mustDB(t, db)
	zombieEnv, zombieOut := testEnv("job-z")
	zombieEnv.OwnerEpoch = 1
	a := open2PC(t, mk(zombieEnv), 0)
	if err := a.Recover(nil); err != nil {
		t.Fatal(err)
	}
	wantRows(t, db, "SELECT job, sink, token, row_count FROM streamsql_sink_progress WHERE checkpoint_id = -1",
		"job-z|"+dbName+".log|owner-epoch|1")
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

	b := open2PC(t, mk(epochEnv("job-z", 2)), 0)
	if err := b.Recover(c1); err != nil {
		t.Fatal(err)
	}
	err = a.Commit(c2)
	wantFenced(t, err, "epoch 2", "epoch 1", "checkpoint 2", "job-z", "`log`", "nothing of checkpoint 2 was applied")
	if strings.Contains(zombieOut.String(), "retrying") {
		t.Fatalf("the fenced commit was retried:\n%s", zombieOut.String())
	}
	wantRows(t, db, "SELECT tag, COUNT(*) FROM log GROUP BY tag", "one|5")
	if got := count(t, db, "SELECT COUNT(*) FROM streamsql_sink_progress WHERE checkpoint_id = 2"); got != 0 {
		t.Fatalf("%d progress rows for the fenced checkpoint", got)
	}
	// the fenced writer stays failed
	if err := a.Commit(c2); !errors.Is(err, errFenced) {
		t.Fatalf("second commit: %v", err)
	}

	// the later owner replays the period and commits it once
	write(t, b, rowsFrom(5, 8, "two")...)
	d2, err := b.PreCommit(2)
	if err != nil {
		t.Fatal(err)
	}
	if err := b.Commit(d2); err != nil {
		t.Fatal(err)
	}
	wantRows(t, db, "SELECT tag, COUNT(*), COUNT(DISTINCT id) FROM log GROUP BY tag", "one|5|5", "two|3|3")
	wantRows(t, db, "SELECT job, sink, token, row_count FROM streamsql_sink_progress WHERE checkpoint_id = -1",
		"job-z|"+dbName+".log|owner-epoch|2")
}

// TestFenceRecoverBehindLaterOwner: once the owner of epoch 3 recovered,
// a writer of epoch 2 (an earlier owner restarting its tasks) cannot
// recover: the error names the job, the table and both epochs, the fence
// stays at 3, and the committables it was given are not applied. Another
// instance of epoch 3 recovers: the fence row is shared, and raising it to
// the same epoch is fine.
func TestFenceRecoverBehindLaterOwner(t *testing.T) {
	mk, db, out := appendSink(t, "job-l")
	dbName := mustDB(t, db)
	w3 := open2PC(t, mk(epochEnv("job-l", 3)), 0)
	if err := w3.Recover(nil); err != nil {
		t.Fatal(err)
	}

	old := open2PC(t, mk(epochEnv("job-l", 1)), 1)
	if err := old.Recover(nil); err == nil {
		t.Fatal("epoch 1 recovered after epoch 3")
	}
	w2 := open2PC(t, mk(epochEnv("job-l", 2)), 0)
	write(t, w2, rowsFrom(0, 3, "old")...)
	c, err := w2.PreCommit(7)
	if err != nil {
		t.Fatal(err)
	}
	err = w2.Recover(c)
	wantFenced(t, err, "job-l", "`log`", "owner epoch 3", "epoch 2", "taken over by a later owner")
	if strings.Contains(out.String(), "retrying") {
		t.Fatalf("the fenced recover was retried:\n%s", out.String())
	}
	if got := count(t, db, "SELECT COUNT(*) FROM log"); got != 0 {
		t.Fatalf("%d rows applied by a fenced writer", got)
	}
	if err := w2.Commit(c); !errors.Is(err, errFenced) {
		t.Fatalf("commit after a fenced recover: %v", err)
	}

	w3b := open2PC(t, mk(epochEnv("job-l", 3)), 1)
	if err := w3b.Recover(nil); err != nil {
		t.Fatal(err)
	}
	wantRows(t, db, "SELECT job, sink, token, row_count FROM streamsql_sink_progress WHERE checkpoint_id = -1",
		"job-l|"+dbName+".log|owner-epoch|3")
}

// TestNoFenceWithoutEpoch: a writer without an owner epoch never writes a
// fence row, and does not read one: even a fence row at a higher epoch
// (left by a clustered run of the same job) does not stop its commits.
func TestNoFenceWithoutEpoch(t *testing.T) {
	mk, db, _ := appendSink(t, "job-0")
	w := open2PC(t, mk(nil), 0)
	if err := w.Recover(nil); err != nil {
		t.Fatal(err)
	}
	write(t, w, rowsFrom(0, 4, "a")...)
	c, _ := w.PreCommit(1)
	if err := w.Commit(c); err != nil {
		t.Fatal(err)
	}
	if rows := fenceRows(t, db); len(rows) != 0 {
		t.Fatalf("fence rows without an owner epoch: %v", rows)
	}
	wantRows(t, db, "SELECT checkpoint_id, row_count FROM streamsql_sink_progress", "1|4")

	other := open2PC(t, mk(epochEnv("job-0", 5)), 1)
	if err := other.Recover(nil); err != nil {
		t.Fatal(err)
	}
	write(t, w, rowsFrom(4, 6, "b")...)
	c, _ = w.PreCommit(2)
	if err := w.Commit(c); err != nil {
		t.Fatal(err)
	}
	wantRows(t, db, "SELECT tag, COUNT(*) FROM log GROUP BY tag", "a|4", "b|2")
}

// TestFenceConcurrentInstances: two instances of the same owner commit
// the same checkpoint at the same time: both hold the fence row's shared
// lock at once (each commit waits, inside its transaction, until the other
// one has read the fence row too) and both commit.
func TestFenceConcurrentInstances(t *testing.T) {
	mk, db, _ := appendSink(t, "job-c")
	s := mk(epochEnv("job-c", 4))
	var ws [2]*twoPhaseWriter
	var cs [2][][]byte
	var arrived sync.WaitGroup
	arrived.Add(2)
	both := make(chan struct{})
	go func() { arrived.Wait(); close(both) }()
	var waitedOut atomic.Bool
	for i := range ws {
		ws[i] = open2PC(t, s, i).(*twoPhaseWriter)
		if err := ws[i].Recover(nil); err != nil {
			t.Fatal(err)
		}
		write(t, ws[i], rowsFrom(int64(10*i), int64(10*i+3), fmt.Sprintf("i%d", i))...)
		c, err := ws[i].PreCommit(1)
		if err != nil {
			t.Fatal(err)
		}
		cs[i] = c
		var once sync.Once
		ws[i].afterFenceRead = func() {
			once.Do(arrived.Done)
			select {
			case <-both:
			case <-time.After(30 * time.Second):
				// the other commit never got past the fence row
				waitedOut.Store(true)
			}
		}
	}
	var errs [2]error
	var done sync.WaitGroup
	for i := range ws {
		done.Add(1)
		go func() {
			defer done.Done()
			errs[i] = ws[i].Commit(cs[i])
		}()
	}
	done.Wait()
	for i, err := range errs {
		if err != nil {
			t.Fatalf("instance %d: %v", i, err)
		}
	}
	if waitedOut.Load() {
		t.Fatal("the two commits did not hold the fence row's lock at the same time")
	}
	wantRows(t, db, "SELECT tag, COUNT(*) FROM log GROUP BY tag", "i0|3", "i1|3")
}

// TestFenceWaitsForRunningCommit: a later owner's Recover arrives while a
// commit of the earlier owner is inside its transaction (past the fence
// check). The Recover waits for that commit's lock; the commit completes
// and its rows stay; then the Recover completes, and the earlier owner's
// next commit is fenced.
func TestFenceWaitsForRunningCommit(t *testing.T) {
	mk, db, _ := appendSink(t, "job-w")
	dbName := mustDB(t, db)
	a := open2PC(t, mk(epochEnv("job-w", 1)), 0).(*twoPhaseWriter)
	if err := a.Recover(nil); err != nil {
		t.Fatal(err)
	}
	write(t, a, rowsFrom(0, 4, "first")...)
	c1, err := a.PreCommit(1)
	if err != nil {
		t.Fatal(err)
	}
	inside, release := make(chan struct{}), make(chan struct{})
	var once, releaseOnce sync.Once
	unblock := func() { releaseOnce.Do(func() { close(release) }) }
	defer unblock() // a failure must not leave the commit waiting
	a.afterFenceRead = func() {
		once.Do(func() { close(inside); <-release })
	}
	commitDone := make(chan error, 1)
	go func() { commitDone <- a.Commit(c1) }()
	<-inside

	b := open2PC(t, mk(epochEnv("job-w", 2)), 0)
	recoverDone := make(chan error, 1)
	go func() { recoverDone <- b.Recover(nil) }()
	// the Recover's raise waits for the lock the commit holds: InnoDB's
	// status lists its transaction in LOCK WAIT (INNODB_TRX of MariaDB
	// 10.11 does not list waiting transactions of prepared statements)
	deadline := time.Now().Add(30 * time.Second)
	for !raiseWaits(t, db, dbName) {
		select {
		case err := <-recoverDone:
			t.Fatalf("the Recover returned (%v) while a commit of the earlier owner was running", err)
		default:
		}
		if time.Now().After(deadline) {
			t.Fatal("the Recover never waited for the fence row's lock")
		}
		time.Sleep(20 * time.Millisecond)
	}
	select {
	case err := <-recoverDone:
		t.Fatalf("the Recover returned (%v) while waiting for the lock", err)
	default:
	}
	unblock()
	if err := <-commitDone; err != nil {
		t.Fatalf("the running commit: %v", err)
	}
	if err := <-recoverDone; err != nil {
		t.Fatalf("the Recover: %v", err)
	}
	wantRows(t, db, "SELECT tag, COUNT(*) FROM log GROUP BY tag", "first|4")

	write(t, a, rowsFrom(4, 6, "late")...)
	c2, err := a.PreCommit(2)
	if err != nil {
		t.Fatal(err)
	}
	wantFenced(t, a.Commit(c2), "epoch 2", "epoch 1", "checkpoint 2")
	wantRows(t, db, "SELECT tag, COUNT(*) FROM log GROUP BY tag", "first|4")
}

// raiseWaits reports whether a transaction raising a fence row in the
// database dbName waits for a lock.
func raiseWaits(t *testing.T, db *sql.DB, dbName string) bool {
	t.Helper()
	var typ, name, status string
	if err := db.QueryRow("SHOW ENGINE INNODB STATUS").Scan(&typ, &name, &status); err != nil {
		t.Fatal(err)
	}
	for _, trx := range strings.Split(status, "---TRANSACTION")[1:] {
		if strings.Contains(trx, "LOCK WAIT") && strings.Contains(trx, "GREATEST(row_count") && strings.Contains(trx, dbName) {
			return true
		}
	}
	return false
}

// TestFencePruningKeepsFenceRow: pruning old progress rows never deletes
// the fence row.
func TestFencePruningKeepsFenceRow(t *testing.T) {
	oldKeep, oldEvery := progressRetained, pruneEvery
	progressRetained, pruneEvery = 3, 2
	defer func() { progressRetained, pruneEvery = oldKeep, oldEvery }()
	mk, db, _ := appendSink(t, "job-q")
	w := open2PC(t, mk(epochEnv("job-q", 1)), 0)
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
	wantRows(t, db, "SELECT checkpoint_id FROM streamsql_sink_progress", "-1", "10", "7", "8", "9")
}

// TestFencedNotRetryable: the fenced error is not a transient one.
func TestFencedNotRetryable(t *testing.T) {
	err := &fencedError{"fenced"}
	if retryable(err) {
		t.Fatal("the fenced error is classified as retryable")
	}
	attempts := 0
	got := retrier{ctx: context.Background(), retries: 5, errorf: func(cause error, format string, args ...any) error { return fmt.Errorf(format, args...) },
		warn: func(string, ...any) {}}.run("committing", func(context.Context) error {
		attempts++
		return permanent(err)
	})
	if attempts != 1 || !errors.Is(got, errFenced) {
		t.Fatalf("%d attempts, error %v", attempts, got)
	}
}

// TestFenceLaterRunSupersedes: the same job submitted again is a later run
// (Env.OwnerRun): its first owner (epoch 1) recovers over a fence an
// earlier run's owner raised to epoch 3, and that earlier run's writers
// are fenced from then on, whatever their epoch.
func TestFenceLaterRunSupersedes(t *testing.T) {
	mk, db, _ := appendSink(t, "job-r")
	runEnv := func(run, epoch int64) *connectors.Env {
		env, _ := testEnv("job-r")
		env.OwnerRun, env.OwnerEpoch = run, epoch
		return env
	}
	first := time.Date(2026, 12, 6, 10, 0, 0, 0, time.UTC).UnixMilli()
	old := open2PC(t, mk(runEnv(first, 3)), 0)
	if err := old.Recover(nil); err != nil {
		t.Fatal(err)
	}
	write(t, old, rowsFrom(0, 5, "old")...)
	c1, err := old.PreCommit(1)
	if err != nil {
		t.Fatal(err)
	}
	later := open2PC(t, mk(runEnv(first+60_000, 1)), 0)
	if err := later.Recover(nil); err != nil {
		t.Fatalf("the later run's first owner: %v", err)
	}
	wantFenced(t, old.Commit(c1), "owner epoch 3 of the run submitted at 2026-12-06 10:00:00.000",
		"owner epoch 1 of the run submitted at 2026-12-06 10:01:00.000", "nothing of checkpoint 1 was applied")
	if n := count(t, db, "SELECT COUNT(*) FROM `log`"); n != 0 {
		t.Fatalf("%d rows of the fenced run reached the table", n)
	}
	// The earlier run cannot take the table back.
	again := open2PC(t, mk(runEnv(first, 4)), 0)
	wantFenced(t, again.Recover(nil), "taken over by a later owner")
}
