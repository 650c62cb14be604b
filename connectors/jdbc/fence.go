package jdbc

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"
)

// Fencing earlier owners (exactly-once writers whose Env.OwnerEpoch > 0).
//
// In a cluster a job that another server took over runs with a higher
// owner epoch; the earlier owner may still be running (a zombie) and try to
// commit what it pre-committed, while the new owner restored an older
// checkpoint and replays its rows. The fence row stops it: one row per
// (job, sink table) in the progress table, shared by every instance of the
// job's sink for that table:
//
//	job = the job, sink = 'db.table' (no '/<instance>'),
//	checkpoint_id = fenceCheckpoint (-1), token = fenceToken,
//	row_count = the latest owner that recovered, as fenceValue: its run
//	and epoch (a job submitted again is a later run, above every owner
//	of the earlier one)
//
// The contract, on that row's lock:
//   - raiseFence (Recover, once per writer, before its commits; or the
//     first Commit of a writer that was never recovered) raises row_count
//     to the writer's epoch in a transaction of its own, never lowering it
//     (INSERT ... ON DUPLICATE KEY UPDATE row_count = GREATEST(...)): it
//     takes the row's exclusive lock, so it waits for the commit
//     transactions that hold the shared lock and commits that start later
//     wait for it. A stored epoch above the writer's fails the writer
//     (errFenced): a later owner took the job over.
//   - every commit transaction (commitOne) first reads the row with a
//     shared lock (LOCK IN SHARE MODE: MariaDB has no FOR SHARE) and holds
//     it until it commits or rolls back: the instances' commits run
//     concurrently, and none of them commits after a later owner's
//     raiseFence committed. A stored epoch above the writer's rolls the
//     transaction back and fails the writer, nothing of the checkpoint
//     applied.
//
// The row is never pruned (its sink never names an instance). With epoch 0
// (not clustered, or never taken over) none of this runs: no statement on
// the fence row is issued.
const (
	fenceCheckpoint int64 = -1
	fenceToken            = "owner-epoch"
)

// runScale separates a fence value's run from its epoch: fenceValue is
// run*runScale + epoch, so that comparing values compares (run, epoch).
const runScale = 1_000_000

// fenceValue is what the fence row holds for an owner: 0 (no fencing)
// without an epoch, else its run (connectors.Env.OwnerRun, Unix ms of the
// cluster job's submission) and epoch in one number that orders owners:
// every owner of a later run above every owner of an earlier one.
func fenceValue(run, epoch int64) int64 {
	if epoch <= 0 {
		return 0
	}
	return max(run, 0)*runScale + epoch%runScale
}

// ownerText names the owner of a fence value in messages.
func ownerText(v int64) string {
	if v < runScale {
		return fmt.Sprintf("owner epoch %d", v)
	}
	return fmt.Sprintf("owner epoch %d of the run submitted at %s", v%runScale,
		time.UnixMilli(v/runScale).UTC().Format("2006-01-02 15:04:05.000"))
}

// errFenced is what errors.Is finds in the error of a writer that a later
// owner of its job fenced off. It is permanent: retrying cannot help.
var errFenced = errors.New("fenced by a later owner of the job")

// fencedError is the error of a fenced writer; its text names the job, the
// table, both epochs and, for a commit, the checkpoint not applied.
type fencedError struct{ msg string }

func (e *fencedError) Error() string        { return e.msg }
func (e *fencedError) Is(target error) bool { return target == errFenced }

func (w *twoPhaseWriter) raiseFence() error {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.raiseFenceLocked()
}

// raiseFenceLocked raises the fence row to the writer's epoch once per
// writer (nothing with epoch 0); see the contract above.
func (w *twoPhaseWriter) raiseFenceLocked() error {
	if w.epoch <= 0 || w.fenced {
		return nil
	}
	if w.failed != nil {
		return w.failed
	}
	s := w.s
	raise := "INSERT INTO " + s.progressName + " (job, sink, checkpoint_id, token, row_count) VALUES (?, ?, ?, ?, ?)" +
		" ON DUPLICATE KEY UPDATE row_count = GREATEST(row_count, VALUES(row_count))"
	read := "SELECT row_count FROM " + s.progressName + " WHERE job = ? AND sink = ? AND checkpoint_id = ? FOR UPDATE"
	err := w.retry("raising the fence of "+ownerText(w.epoch), func(ctx context.Context) error {
		return w.inTx(ctx, func(tx *sql.Tx) error {
			if _, err := tx.ExecContext(ctx, raise, w.job, w.fenceID, fenceCheckpoint, fenceToken, w.epoch); err != nil {
				return w.progressError(err)
			}
			var stored int64
			if err := tx.QueryRowContext(ctx, read, w.job, w.fenceID, fenceCheckpoint).Scan(&stored); err != nil {
				return w.progressError(err)
			}
			w.watch.progress()
			if stored > w.epoch {
				return permanent(&fencedError{s.cfg.clean(fmt.Sprintf(
					"table %s: the job %s has been taken over by a later owner: the database table %s is fenced at %s, above this owner's (%s) (fence row in %s)",
					s.t.Name, w.job, s.name, ownerText(stored), ownerText(w.epoch), s.progressName))})
			}
			return nil
		})
	})
	if err != nil {
		w.failed = err
		return err
	}
	w.fenced = true
	return nil
}

// checkFence is the first statement of a commit transaction (epoch > 0):
// it reads the fence row with a shared lock, held until tx ends, and fails
// (permanently) when a later owner raised it above the writer's epoch.
func (w *twoPhaseWriter) checkFence(ctx context.Context, tx *sql.Tx, checkpoint int64) error {
	if w.epoch <= 0 {
		return nil
	}
	s := w.s
	var stored int64
	err := tx.QueryRowContext(ctx, "SELECT row_count FROM "+s.progressName+" WHERE job = ? AND sink = ? AND checkpoint_id = ? LOCK IN SHARE MODE",
		w.job, w.fenceID, fenceCheckpoint).Scan(&stored)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return w.progressError(err)
	}
	w.watch.progress()
	if w.afterFenceRead != nil {
		w.afterFenceRead()
	}
	if stored > w.epoch {
		return permanent(&fencedError{s.cfg.clean(fmt.Sprintf(
			"table %s: this writer was fenced: a later owner (%s) took the job %s over; this owner has %s; nothing of checkpoint %d was applied to the database table %s",
			s.t.Name, ownerText(stored), w.job, ownerText(w.epoch), checkpoint, s.name))})
	}
	return nil
}
