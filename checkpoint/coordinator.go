package checkpoint

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
)

// DefaultTimeout is the checkpoint timeout when Config.Timeout is zero
// (Flink's execution.checkpointing.timeout default).
const DefaultTimeout = 10 * time.Minute

// Config is what the Coordinator needs to know about the job and the
// execution.checkpointing.* settings.
type Config struct {
	// JobID, JobName and MaxParallelism are copied into every Metadata.
	JobID          string
	JobName        string
	MaxParallelism int
	// OperatorNames gives OperatorState.Name by operator id (optional).
	OperatorNames map[string]string
	// Stage is copied into every Metadata (nil: not a unit of a staged job).
	Stage *StageLayout

	// Interval between periodic checkpoints; 0 turns periodic checkpoints
	// off (savepoints and explicitly triggered checkpoints still work).
	Interval time.Duration
	// Timeout after which a checkpoint that not every task acknowledged
	// is aborted (a failure). 0 means DefaultTimeout.
	Timeout time.Duration
	// MinPause is the least time between the completion of a checkpoint
	// and the trigger of the next periodic one. A positive MinPause also
	// means at most one checkpoint in flight (as in Flink).
	MinPause time.Duration
	// MaxConcurrent bounds the checkpoints in flight (savepoints count)
	// when a periodic one is due. Values below 1 mean 1.
	MaxConcurrent int
	// TolerableFailures is how many consecutive checkpoint failures are
	// tolerated; one more makes the Coordinator emit Fail. Negative means
	// unlimited. Only checkpoints count: a failed savepoint is reported to
	// whoever asked for it and never fails the job, and an abort because
	// of subsumption or Stop is no failure.
	TolerableFailures int
}

// Coordinator is the checkpoint protocol of one job run, as a pure state
// machine: it does no I/O, starts no goroutines and never reads the clock.
// The runtime calls it from one goroutine, passes the current time of a
// monotonic clock (never decreasing from call to call) and carries out the
// returned actions in order.
//
// Rules:
//   - Checkpoint ids strictly increase across checkpoints and savepoints,
//     continuing after the lastID given to NewCoordinator.
//   - A periodic checkpoint is triggered by Tick once Interval has passed
//     since the previous periodic trigger, when fewer than MaxConcurrent
//     are in flight and MinPause has passed since the last completion.
//     A Tick triggers at most one checkpoint; a late Tick does not catch
//     up on missed intervals. No periodic checkpoint starts while a stop
//     savepoint is in flight or after one completed.
//   - Savepoints and explicitly triggered checkpoints start at once,
//     regardless of Interval, MaxConcurrent and MinPause.
//   - A checkpoint not acknowledged by every task within Timeout is
//     aborted (ErrExpired) at the first call at or after its deadline.
//     Once every task acknowledged, the timeout no longer applies.
//   - At most one Persist is outstanding. Fully acknowledged checkpoints
//     are persisted oldest first, so checkpoints complete in increasing id
//     order; a checkpoint newer than a stop savepoint in flight waits for
//     that savepoint to finish.
//   - When checkpoint (or stop savepoint) n completes, every older
//     checkpoint in flight is aborted with ErrSubsumed and can never
//     complete. Savepoints are never subsumed: an intermediate savepoint
//     lives beside the checkpoint sequence (it neither subsumes nor is
//     subsumed, and commits no side effects, as in Flink), and a stop
//     savepoint makes newer checkpoints wait.
//   - Acks and declines for unknown, finished or aborted ids, from tasks
//     outside the task set, or repeated, are ignored.
//   - NotifyComplete is emitted once per completed checkpoint or stop
//     savepoint, in increasing id order; SavepointComplete once per
//     completed savepoint.
//   - More than TolerableFailures consecutive checkpoint failures (expiry,
//     decline, Abort, failed Stored except with ErrHeldBack) emit Fail; a completed checkpoint
//     resets the count. Savepoint failures are not counted. After Fail or
//     Stop the Coordinator is stopped and does nothing more.
type Coordinator struct {
	cfg         Config
	tasks       []TaskID // sorted, unique
	index       map[TaskID]int
	parallelism map[string]int

	lastID          int64
	lastCompleted   int64
	lastCompletedAt time.Time
	hasCompleted    bool
	nextPeriodic    time.Time
	pending         []*pending // in flight, by increasing id
	failures        int
	stopped         bool
	stopSavepoint   bool // a stop savepoint is in flight or completed
}

// NewCoordinator returns a coordinator for a job whose tasks (every
// source, operator and sink instance) must all acknowledge a checkpoint.
// New ids continue after lastID: pass the highest id ever used by the job
// (Store.LastID), so that a restored job never reuses a directory. The
// first periodic checkpoint is due Interval after now.
func NewCoordinator(cfg Config, tasks []TaskID, lastID int64, now time.Time) *Coordinator {
	if cfg.Timeout <= 0 {
		cfg.Timeout = DefaultTimeout
	}
	if cfg.MaxConcurrent < 1 {
		cfg.MaxConcurrent = 1
	}
	if cfg.MinPause < 0 {
		cfg.MinPause = 0
	}
	if cfg.Interval < 0 {
		cfg.Interval = 0
	}
	ts := slices.Clone(tasks)
	slices.SortFunc(ts, compareTasks)
	ts = slices.Compact(ts)
	c := &Coordinator{
		cfg:          cfg,
		tasks:        ts,
		index:        make(map[TaskID]int, len(ts)),
		parallelism:  map[string]int{},
		lastID:       max(lastID, 0),
		nextPeriodic: now.Add(cfg.Interval),
	}
	for i, t := range ts {
		c.index[t] = i
		c.parallelism[t.OperatorID]++
	}
	return c
}

func compareTasks(a, b TaskID) int {
	if c := strings.Compare(a.OperatorID, b.OperatorID); c != 0 {
		return c
	}
	return a.Instance - b.Instance
}

// LastID is the highest id triggered so far (or the lastID given).
func (c *Coordinator) LastID() int64 { return c.lastID }

// LastCompleted is the id of the newest checkpoint (or stop savepoint)
// completed by this coordinator, 0 if none.
func (c *Coordinator) LastCompleted() int64 { return c.lastCompleted }

// InFlight lists the ids triggered and neither completed nor aborted.
func (c *Coordinator) InFlight() []int64 {
	ids := make([]int64, len(c.pending))
	for i, p := range c.pending {
		ids[i] = p.id
	}
	return ids
}

// Stopped reports whether Fail was emitted or Stop called.
func (c *Coordinator) Stopped() bool { return c.stopped }

// NextDeadline is the earliest time at which Tick may have something to
// do (a periodic trigger or an expiry); ok is false when only an ack,
// decline or Stored can move things on. The runtime may sleep until then.
func (c *Coordinator) NextDeadline() (t time.Time, ok bool) {
	if c.stopped {
		return time.Time{}, false
	}
	for _, p := range c.pending {
		if !p.fullyAcked() && (!ok || p.deadline.Before(t)) {
			t, ok = p.deadline, true
		}
	}
	if c.periodicOn() && c.slotFree() {
		due := c.nextPeriodic
		if c.cfg.MinPause > 0 && c.hasCompleted {
			if pause := c.lastCompletedAt.Add(c.cfg.MinPause); pause.After(due) {
				due = pause
			}
		}
		if !ok || due.Before(t) {
			t, ok = due, true
		}
	}
	return t, ok
}

func (c *Coordinator) periodicOn() bool { return c.cfg.Interval > 0 && !c.stopSavepoint }

// slotFree reports whether a periodic checkpoint may start as far as the
// number in flight goes.
func (c *Coordinator) slotFree() bool {
	if c.cfg.MinPause > 0 {
		return len(c.pending) == 0
	}
	return len(c.pending) < c.cfg.MaxConcurrent
}

// Tick expires checkpoints whose timeout passed and triggers a periodic
// checkpoint when one is due. Call it at least as often as the desired
// precision (or at NextDeadline).
func (c *Coordinator) Tick(now time.Time) []Action {
	if c.stopped {
		return nil
	}
	out := c.expire(now, nil)
	if !c.stopped && c.periodicOn() && !now.Before(c.nextPeriodic) && c.slotFree() &&
		(c.cfg.MinPause == 0 || !c.hasCompleted || !now.Before(c.lastCompletedAt.Add(c.cfg.MinPause))) {
		_, a := c.trigger(now, false, false)
		out = append(out, a)
		c.nextPeriodic = now.Add(c.cfg.Interval)
	}
	return c.advance(out)
}

// TriggerSavepoint starts an intermediate savepoint now, whatever
// Interval, MaxConcurrent and MinPause say (as in Flink). It returns the
// savepoint's id; the caller learns the outcome from a SavepointComplete
// or Abort with that id. After Stop or Fail it returns ErrStopped.
func (c *Coordinator) TriggerSavepoint(now time.Time) (int64, []Action, error) {
	return c.forced(now, true, false)
}

// TriggerStopSavepoint starts the savepoint of STOP JOB ... WITH
// SAVEPOINT: like TriggerSavepoint, but periodic checkpoints pause while
// it is in flight (and resume if it is aborted), and on completion it is
// notified like a checkpoint (NotifyComplete, so sinks commit) before the
// job ends.
func (c *Coordinator) TriggerStopSavepoint(now time.Time) (int64, []Action, error) {
	return c.forced(now, true, true)
}

// TriggerCheckpoint starts a checkpoint now, whatever Interval,
// MaxConcurrent and MinPause say (a final checkpoint when a job stops, or
// an explicit request). It does not move the periodic schedule.
func (c *Coordinator) TriggerCheckpoint(now time.Time) (int64, []Action, error) {
	return c.forced(now, false, false)
}

func (c *Coordinator) forced(now time.Time, savepoint, stop bool) (int64, []Action, error) {
	if c.stopped {
		return 0, nil, ErrStopped
	}
	out := c.expire(now, nil)
	if c.stopped {
		return 0, out, ErrStopped
	}
	id, a := c.trigger(now, savepoint, stop)
	return id, c.advance(append(out, a)), nil
}

func (c *Coordinator) trigger(now time.Time, savepoint, stop bool) (int64, Action) {
	c.lastID++
	p := &pending{
		id:        c.lastID,
		savepoint: savepoint,
		stop:      stop,
		triggered: now,
		deadline:  now.Add(c.cfg.Timeout),
		acks:      make([]*TaskState, len(c.tasks)),
		ackedAt:   now,
	}
	if stop {
		c.stopSavepoint = true
	}
	c.pending = append(c.pending, p)
	return p.id, Trigger{ID: p.id, Savepoint: savepoint, Stop: stop, At: now}
}

// Ack records task st.OperatorID/st.Instance's state for checkpoint id.
// When it is the last missing ack, the checkpoint moves on to Persist.
func (c *Coordinator) Ack(id int64, st TaskState, now time.Time) []Action {
	if c.stopped {
		return nil
	}
	out := c.expire(now, nil)
	p := c.find(id)
	i, known := c.index[TaskID{st.OperatorID, st.Instance}]
	if p == nil || !known || p.acks[i] != nil {
		return c.advance(out)
	}
	s := st
	s.AckedAt = now.UnixMilli()
	p.acks[i] = &s
	p.nacks++
	p.ackedAt = now
	return c.advance(out)
}

// Decline reports that task could not take its part of checkpoint id;
// the checkpoint is aborted (a failure, unless it is a savepoint). A
// decline from a task that already acknowledged, or for a checkpoint
// whose metadata is being persisted, is ignored.
func (c *Coordinator) Decline(id int64, task TaskID, reason error, now time.Time) []Action {
	if c.stopped {
		return nil
	}
	out := c.expire(now, nil)
	p := c.find(id)
	i, known := c.index[task]
	if p == nil || !known || p.acks[i] != nil || p.fullyAcked() {
		return c.advance(out)
	}
	out = c.abort(p, &DeclinedError{Task: task, Err: reason}, true, out)
	return c.advance(out)
}

// Abort aborts checkpoint id for a reason found by the runtime (barriers
// could not be injected, its directory could not be prepared). It counts
// as a failure unless id is a savepoint. Unknown or finished ids are
// ignored, as is an id whose Persist is outstanding (report Stored).
func (c *Coordinator) Abort(id int64, reason error, now time.Time) []Action {
	if c.stopped {
		return nil
	}
	out := c.expire(now, nil)
	if p := c.find(id); p != nil && !p.persist {
		out = c.abort(p, reason, true, out)
	}
	return c.advance(out)
}

// Stored reports the outcome of the Persist of checkpoint id. With a nil
// err the checkpoint is complete: NotifyComplete (checkpoints and stop
// savepoints) and SavepointComplete (savepoints) follow, and, unless id is
// an intermediate savepoint, older checkpoints in flight are aborted as
// subsumed. With an error it is aborted (a failure, unless a savepoint).
// Calls for an id without an outstanding Persist are ignored.
func (c *Coordinator) Stored(id int64, err error, now time.Time) []Action {
	if c.stopped {
		return nil
	}
	out := c.expire(now, nil)
	p := c.find(id)
	if p == nil || !p.persist {
		return c.advance(out)
	}
	if err != nil {
		counted := !errors.Is(err, ErrHeldBack)
		out = c.abort(p, fmt.Errorf("storing its metadata failed: %w", err), counted, out)
		return c.advance(out)
	}
	c.remove(p)
	if p.savepoint && !p.stop {
		return c.advance(append(out, SavepointComplete{ID: id}))
	}
	c.lastCompleted, c.lastCompletedAt, c.hasCompleted = id, now, true
	c.failures = 0
	out = append(out, NotifyComplete{ID: id, Savepoint: p.savepoint})
	if p.stop {
		out = append(out, SavepointComplete{ID: id})
	}
	for i := 0; i < len(c.pending); {
		q := c.pending[i]
		if q.id > id || q.savepoint {
			i++
			continue
		}
		out = c.abort(q, fmt.Errorf("%w by %s %d, which completed first", ErrSubsumed, kind(p.savepoint), id), false, out)
	}
	return c.advance(out)
}

// Stop aborts every checkpoint in flight with reason (ErrStopped when
// nil), without counting failures, and stops the coordinator: the job is
// cancelled, failing or restarting. A checkpoint whose Persist is
// outstanding is aborted too; the runtime discards it only after its
// Store.Commit returned.
func (c *Coordinator) Stop(reason error) []Action {
	if c.stopped {
		return nil
	}
	if reason == nil {
		reason = ErrStopped
	} else if !errors.Is(reason, ErrStopped) {
		reason = fmt.Errorf("%w: %w", ErrStopped, reason)
	}
	var out []Action
	for len(c.pending) > 0 {
		out = c.abort(c.pending[0], reason, false, out)
	}
	c.stopped = true
	return out
}
