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
// A stop that takes a last checkpoint first (StopWithCheckpoint, on
// SIGTERM/SIGINT) waits for that checkpoint only while it can complete
// soon: as soon as an operator task has been inside one call for
// BusyLimit (time blocked on a full output channel included), the
// checkpoint is abandoned and the job is cancelled at once.
//
// STOP JOB ... WITH SAVEPOINT, where the user asked for the savepoint,
// waits longer: backpressure (a task blocked on a full output channel, or
// waiting for input) is progress at the pace of the slowest operator, and
// the savepoint barrier gets through behind the queued data, so it waits up
// to stopSavepointTimeout. It gives up when an operator has computed
// inside one call for BusyLimit without getting output through (a long
// loop that the barrier cannot overtake), or has been inside one call for
// SavepointBusyLimit however much it sent, and then cancels without a
// savepoint: such a stop is honoured within about five seconds.

// ErrStopped is what an operator returns from a hook when it abandoned
// its work because the job is stopping (Context.Stopped). It is not a
// failure: the task ends quietly. It wraps context.Canceled.
var ErrStopped = fmt.Errorf("job stopping: %w", context.Canceled)

// BusyLimit is how long an operator task may stay inside one call
// before a stop stops waiting for a last checkpoint, or compute inside
// one call without getting output through before a stop stops waiting for
// its savepoint.
const BusyLimit = 750 * time.Millisecond

// SavepointBusyLimit is how long an operator task may stay inside one
// call, blocked on its output or not, before a stop stops waiting for its
// savepoint: a call that floods a slow consumer (a watermark firing
// millions of windows) progresses, but its end may be hours away.
const SavepointBusyLimit = 5 * time.Second

// Stopped reports whether the job is stopping (cancelled, failed, or
// ended). It is one atomic load: operators call it in every loop whose
// length the input batch does not bound (windows firing, join matches,
// merges) and return ErrStopped when it is true. A Context built without
// a job (unit tests) is never stopped.
func (c *Context) Stopped() bool { return c.stop != nil && c.stop.Load() }

// busyClock tells how long a task has been inside one operator call, and
// adds up the task's busy and backpressured time in its Metrics. The
// task goroutine calls enter and leave around each call, and its
// collector calls blocked and unblocked around a send that waits on a
// full output channel; other goroutines read busyFor and computingFor.
// busyFor counts time blocked on output (a checkpoint barrier cannot
// reach the task until the call returns either way); computingFor does
// not: it is the time since the call began or last got an output send
// through, zero while a send waits.
type busyClock struct {
	since    atomic.Int64 // unix ns the current call began; 0: not in a call
	progress atomic.Int64 // unix ns the call began or a blocked send went through
	waiting  atomic.Bool  // a send of the current call waits on a full channel

	// m, when set, receives BusyNs (time in calls less time blocked in
	// them) and BackpressuredNs (time blocked on any send). The fields
	// below are the task goroutine's own.
	m             *Metrics
	start         int64 // unix ns the current call began; 0: not in a call
	blockedAt     int64 // unix ns the current blocked send began
	blockedInCall int64 // ns the current call spent blocked
	idleInCall    int64 // ns the current call spent waiting for input
	handOffAt     int64 // unix ns the current hand-off to a chained task began
}

func (b *busyClock) enter() {
	now := time.Now().UnixNano()
	b.progress.Store(now)
	b.since.Store(now)
	b.start, b.blockedInCall, b.idleInCall = now, 0, 0
}

// idle notes that the current call spent d ns waiting for input (a
// source's read waiting for data or for its rate limit): not busy time.
func (b *busyClock) idle(d int64) { b.idleInCall += d }

// leave ends a call that did work: its time, less the time it was
// blocked on output, counts as busy.
func (b *busyClock) leave() {
	if b.m != nil && b.start != 0 {
		b.m.BusyNs.Add(max(0, time.Now().UnixNano()-b.start-b.blockedInCall-b.idleInCall))
	}
	b.since.Store(0)
	b.start = 0
}

// leaveIdle ends a call that found nothing to do (a source's read that
// returned no rows): its time counts as idle, not busy.
func (b *busyClock) leaveIdle() {
	b.since.Store(0)
	b.start = 0
}

// blocked and unblocked bracket a send that waits on a full channel.
func (b *busyClock) blocked() {
	b.waiting.Store(true)
	b.blockedAt = time.Now().UnixNano()
}
func (b *busyClock) unblocked() {
	now := time.Now().UnixNano()
	b.progress.Store(now)
	b.waiting.Store(false)
	d := now - b.blockedAt
	if b.m != nil {
		b.m.BackpressuredNs.Add(d)
	}
	if b.start != 0 {
		b.blockedInCall += d
	}
}

// handOff and handedBack bracket a call into a task chained to this one
// (see chain.go): that time is the chained task's, which its own clock
// counts; here it is neither busy nor backpressured, and computingFor
// reads 0 meanwhile.
func (b *busyClock) handOff() {
	if b.start == 0 {
		return // not in a call: nothing to leave out (a flush between calls)
	}
	b.waiting.Store(true)
	b.handOffAt = time.Now().UnixNano()
}
func (b *busyClock) handedBack() {
	if b.handOffAt == 0 {
		return
	}
	now := time.Now().UnixNano()
	b.progress.Store(now)
	b.waiting.Store(false)
	b.blockedInCall += now - b.handOffAt
	b.handOffAt = 0
}

// computingFor returns how long the task has computed in its current call
// without getting output through, at now (unix ns); 0 while it waits on a
// full output channel or is not in a call.
func (b *busyClock) computingFor(now int64) time.Duration {
	if b.since.Load() == 0 || b.waiting.Load() {
		return 0
	}
	return time.Duration(now - b.progress.Load())
}

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
// With computing, time blocked on output does not count (see busyClock).
func (j *Job) busiest(computing bool) (string, time.Duration) {
	now := time.Now().UnixNano()
	name, longest := "", time.Duration(0)
	for _, t := range j.opTasks {
		d := t.busy.busyFor(now)
		if computing {
			d = t.busy.computingFor(now)
		}
		if d > longest {
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
// in one call for BusyLimit (with computing, only time spent computing
// counts, not time blocked on a full output channel), and with an error
// after timeout. done reports that the job ended first.
func (j *Job) awaitStop(resp chan savepointResp, what string, timeout time.Duration, computing bool) (r savepointResp, done bool) {
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
			if name, d := j.busiest(computing); d >= BusyLimit {
				return savepointResp{err: &BusyError{what: what, operator: name, busy: d}}, false
			}
			if computing {
				if name, d := j.busiest(false); d >= SavepointBusyLimit {
					return savepointResp{err: &BusyError{what: what, operator: name, busy: d}}, false
				}
			}
		}
	}
}
