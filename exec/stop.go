package exec

import (
	"context"
	"fmt"
	"sync/atomic"
	"time"
)

// How a stop is honoured while an operator is busy.
//
// A stop (Cancel, StopWithCheckpoint, a stop-with-savepoint) cancels the
// job's context. Operator tasks notice it between calls; an operator in
// the middle of a long loop notices it through Context.Stopped, which it
// checks every iteration (one atomic load), and returns ErrStopped: the
// rest of that batch, watermark or tick is abandoned. Its state is then
// neither snapshotted nor used again: the job ends, and a restore goes
// back to the last complete checkpoint, which the abandoned work never
// reached (nothing is lost or counted twice).
//
// A stop that takes a last checkpoint first (StopWithCheckpoint, STOP JOB
// WITH SAVEPOINT) waits for that checkpoint only while it can complete: as
// soon as an operator task has been inside one call for BusyLimit, the
// barrier cannot reach it in time, so the checkpoint is abandoned and the
// job is cancelled at once.

// ErrStopped is what an operator returns from a hook when it abandoned
// its work because the job is stopping (Context.Stopped). It is not a
// failure: the task ends quietly. It wraps context.Canceled.
var ErrStopped = fmt.Errorf("job stopping: %w", context.Canceled)

// BusyLimit is how long an operator task may stay inside one call
// before a stop stops waiting for a last checkpoint or savepoint.
const BusyLimit = 750 * time.Millisecond

// Stopped reports whether the job is stopping (cancelled, failed, or
// ended). It is one atomic load: operators call it in every loop whose
// length the input batch does not bound (windows firing, join matches,
// merges) and return ErrStopped when it is true. A Context built without
// a job (unit tests) is never stopped.
func (c *Context) Stopped() bool { return c.stop != nil && c.stop.Load() }

// busyClock tells how long a task has been inside one operator call. The
// task goroutine calls enter and leave around each call; other goroutines
// read busyFor. Time blocked on a full output channel counts: a checkpoint
// barrier cannot reach the task until the call returns either way.
type busyClock struct {
	since atomic.Int64 // unix ns the current call began; 0: not in a call
}

func (b *busyClock) enter() { b.since.Store(time.Now().UnixNano()) }
func (b *busyClock) leave() { b.since.Store(0) }

// busyFor returns how long the task has been in its current call at now (unix ns).
func (b *busyClock) busyFor(now int64) time.Duration {
	s := b.since.Load()
	if s == 0 {
		return 0
	}
	return time.Duration(now - s)
}

// busiest returns the name of the operator task that has been inside one
// call the longest, and for how long (0 when none is).
func (j *Job) busiest() (string, time.Duration) {
	now := time.Now().UnixNano()
	name, longest := "", time.Duration(0)
	for _, t := range j.opTasks {
		if d := t.busy.busyFor(now); d > longest {
			name, longest = fmt.Sprintf("%s (instance %d)", t.v.Name, t.instance), d
		}
	}
	return name, longest
}

// BusyError is the error of a stop that did not wait for its last
// checkpoint or savepoint because an operator was busy (see awaitStop):
// the job was cancelled without it.
type BusyError struct {
	what     string // "checkpoint" or "savepoint"
	operator string
	busy     time.Duration
}

func (e *BusyError) Error() string {
	return fmt.Sprintf("no final %s: operator %s was busy in one call for %s; the job was stopped without waiting, "+
		"and a restore starts from its last complete checkpoint", e.what, e.operator, e.busy.Round(time.Millisecond))
}

// awaitStop waits for the answer to a checkpoint or savepoint request made
// by a stop. It gives up with *BusyError when an operator task has been
// in one call for BusyLimit, and with an error after timeout. done reports
// that the job ended first.
func (j *Job) awaitStop(resp chan savepointResp, what string, timeout time.Duration) (r savepointResp, done bool) {
	poll := time.NewTicker(50 * time.Millisecond)
	defer poll.Stop()
	deadline := time.NewTimer(timeout)
	defer deadline.Stop()
	for {
		select {
		case r = <-resp:
			return r, false
		case <-j.done:
			select {
			case r = <-resp:
				return r, false
			default:
				return savepointResp{}, true
			}
		case <-deadline.C:
			return savepointResp{err: fmt.Errorf("the final %s did not complete in %s", what, timeout)}, false
		case <-poll.C:
			if name, d := j.busiest(); d >= BusyLimit {
				return savepointResp{err: &BusyError{what: what, operator: name, busy: d}}, false
			}
		}
	}
}
