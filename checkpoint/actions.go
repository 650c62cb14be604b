package checkpoint

import (
	"errors"
	"fmt"
	"time"
)

// Action is something the Coordinator asks the runtime to do. The runtime
// carries out the actions a call returns in the order given. The set is
// closed: Trigger, Persist, NotifyComplete, SavepointComplete, Abort and
// Fail.
type Action interface {
	action()
	String() string
}

// Trigger asks the runtime to take checkpoint (or savepoint) ID: inject
// barrier ID at every source split. Tasks write their files where
// Store.SnapshotTarget(ID, Savepoint) says and then acknowledge with
// Coordinator.Ack or refuse with Coordinator.Decline.
type Trigger struct {
	ID        int64
	Savepoint bool
	// Stop marks the savepoint of STOP JOB ... WITH SAVEPOINT: sources
	// stop reading after emitting its barrier (after a final watermark
	// when draining), and the job ends once it completes.
	Stop bool
	// At is the trigger time (the clock value of the call that returned it).
	At time.Time
}

// Persist says every task acknowledged checkpoint Metadata.CheckpointID:
// the runtime must store the metadata (Store.Commit) and report the
// outcome with Coordinator.Stored. The checkpoint is complete only once
// Stored(id, nil) is reported. At most one Persist is outstanding at a
// time; checkpoints are persisted in increasing id order (an intermediate
// savepoint, outside that sequence, may come after a newer checkpoint).
type Persist struct {
	Metadata *Metadata
}

// NotifyComplete says checkpoint ID is complete: tell every task, so that
// sinks commit what they pre-committed up to and including ID, sources
// drop logs older than ID and incremental backends take ID as their base.
// Emitted once per id, in strictly increasing id order, for checkpoints
// and for stop savepoints (Savepoint is then true: the job ends with it,
// so its side effects are committed). An intermediate savepoint is never
// notified: as in Flink, it commits no side effects, so that restoring
// the latest checkpoint after it never repeats output.
type NotifyComplete struct {
	ID        int64
	Savepoint bool
}

// SavepointComplete says savepoint ID is stored: report it to whoever
// asked for it. For a stop savepoint it follows its NotifyComplete.
type SavepointComplete struct {
	ID int64
}

// Abort says checkpoint ID will never complete. The runtime tells the
// tasks (they may drop what they prepared for it) and removes what was
// written for it (Store.Discard(ID, Acked...)). An abort never means that
// data is lost: the next completed checkpoint covers everything before its
// barrier, including what the aborted one would have covered, so a sink
// must not roll back pre-committed data on an abort.
type Abort struct {
	ID        int64
	Savepoint bool
	// Triggered is when the checkpoint was triggered.
	Triggered time.Time
	// Reason says why: wraps ErrExpired, ErrSubsumed, ErrStopped, a
	// *DeclinedError, or the error the runtime reported.
	Reason error
	// Acked holds the states acknowledged before the abort, in task order,
	// so that files they reference can be removed.
	Acked []TaskState
}

// Fail says the job must fail: more consecutive checkpoints failed than
// execution.checkpointing.tolerable-failed-checkpoints allows. Err wraps
// ErrTooManyFailures. It is the last action the Coordinator emits.
type Fail struct {
	Err error
}

func (Trigger) action()           {}
func (Persist) action()           {}
func (NotifyComplete) action()    {}
func (SavepointComplete) action() {}
func (Abort) action()             {}
func (Fail) action()              {}

func kind(savepoint bool) string {
	if savepoint {
		return "savepoint"
	}
	return "checkpoint"
}

func (a Trigger) String() string {
	if a.Stop {
		return fmt.Sprintf("trigger stop savepoint %d", a.ID)
	}
	return fmt.Sprintf("trigger %s %d", kind(a.Savepoint), a.ID)
}

func (a Persist) String() string {
	return fmt.Sprintf("persist %s %d", kind(a.Metadata.Savepoint), a.Metadata.CheckpointID)
}

func (a NotifyComplete) String() string {
	return fmt.Sprintf("notify-complete %s %d", kind(a.Savepoint), a.ID)
}

func (a SavepointComplete) String() string { return fmt.Sprintf("savepoint-complete %d", a.ID) }

func (a Abort) String() string {
	return fmt.Sprintf("abort %s %d: %v", kind(a.Savepoint), a.ID, a.Reason)
}

func (a Fail) String() string { return fmt.Sprintf("fail: %v", a.Err) }

// Reasons of aborts and failures; compare with errors.Is.
var (
	// ErrExpired: not every task acknowledged within the timeout.
	ErrExpired = errors.New("checkpoint expired")
	// ErrSubsumed: a newer checkpoint completed first.
	ErrSubsumed = errors.New("subsumed")
	// ErrStopped: the coordinator was stopped (job cancelled, failing or
	// restarting); also returned by triggers after that.
	ErrStopped = errors.New("checkpoint coordinator stopped")
	// ErrTooManyFailures: the tolerable number of consecutive failed
	// checkpoints was exceeded.
	ErrTooManyFailures = errors.New("too many consecutive checkpoint failures")
	// ErrHeldBack: the job's owner held the checkpoint back before its
	// metadata was written (a cluster server unsure it still owns the
	// job: StoreOptions.Held), or found right after writing it that it
	// may have lost the job meanwhile (the checkpoint is not reported
	// complete and retention deletes nothing). Not counted as a
	// failure: the owner completes checkpoints again once sure, or gives
	// the job up.
	ErrHeldBack = errors.New("held back by the job's owner")
)

// DeclinedError is the reason of an abort caused by a task declining.
type DeclinedError struct {
	Task TaskID
	Err  error
}

func (e *DeclinedError) Error() string { return fmt.Sprintf("task %s declined: %v", e.Task, e.Err) }
func (e *DeclinedError) Unwrap() error { return e.Err }
