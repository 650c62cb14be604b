package exec

import (
	"errors"
	"fmt"
	"sort"
	"time"

	"github.com/streamsql/streamsql/checkpoint"
	"github.com/streamsql/streamsql/checkpoint/storage"
	"github.com/streamsql/streamsql/state"
)

// CheckpointConfig turns on checkpointing for a job.
//
// The runtime drives the protocol: a checkpointer goroutine runs the
// coordinator (a pure state machine) with the wall clock, sends trigger n
// to every source task, collects the acknowledgements, persists the
// metadata through Store and notifies every task when checkpoint n is
// complete (sinks commit then). Tasks write their state files into the
// checkpoint's directory before acknowledging.
type CheckpointConfig struct {
	Coordinator checkpoint.Config
	Store       *checkpoint.Store
	Storage     storage.Storage
	// AtLeastOnce skips barrier alignment (execution.checkpointing.mode).
	AtLeastOnce bool
	// Unaligned lets barriers overtake in-flight data, which is recorded
	// with the checkpoint (execution.checkpointing.unaligned).
	Unaligned bool
	// Restore is the checkpoint or savepoint to start from (nil: fresh).
	Restore *checkpoint.Metadata
	// AfterID: new checkpoint ids are above it. A restart passes the id
	// its previous attempt triggered last (Job.LastTriggeredID), so that
	// the new attempt never writes into a checkpoint directory an earlier
	// attempt used, even one that attempt's teardown discarded.
	AfterID int64
	// OnComplete is called (from the checkpointer goroutine) after each
	// checkpoint or savepoint is complete.
	OnComplete func(md *checkpoint.Metadata)
	// Warn receives non-fatal messages (aborted checkpoints).
	Warn func(msg string)
	// OnAbort is called (from the checkpointer goroutine) for each
	// checkpoint or savepoint that failed, except those a newer
	// completed checkpoint subsumed.
	OnAbort func(a checkpoint.Abort)
}

// controlKind is a message from the checkpointer to a task.
type controlKind uint8

const (
	ctlTrigger controlKind = iota // sources: emit barrier id now
	ctlNotify                     // checkpoint id is complete
	ctlStop                       // sources: stop reading (stop-with-savepoint)
)

type control struct {
	kind      controlKind
	id        int64
	savepoint bool
	final     bool // the last checkpoint: sources end after its barrier
	drain     bool // ctlStop: emit the final watermark first
}

// taskEvent is a message from a task to the checkpointer.
type taskEvent struct {
	id      int64
	state   *checkpoint.TaskState
	task    checkpoint.TaskID
	decline error
	ended   bool // a source task read all its splits
}

type savepointReq struct {
	stop       bool // stop the sources after the savepoint barrier
	drain      bool
	checkpoint bool // a regular checkpoint instead of a savepoint
	resp       chan savepointResp
}

type savepointResp struct {
	path string
	err  error
}

// barrierInfo travels with a barrier: where tasks write their files.
type barrierInfo struct {
	target    state.SnapshotTarget
	savepoint bool
	final     bool
}

// checkpointer runs the coordinator for one job attempt.
type checkpointer struct {
	job      *Job
	cfg      *CheckpointConfig
	coord    *checkpoint.Coordinator
	events   chan taskEvent
	requests chan savepointReq
	sources  []chan control // control channels of source tasks
	tasks    []chan control // control channels of every task
	nSources int

	ended   int
	finalID int64
	waiting map[int64]savepointReq
}

func (c *checkpointer) now() time.Time { return time.UnixMilli(c.job.opts.Now()) }

func (c *checkpointer) run() {
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	for {
		select {
		case <-c.job.ctx.Done():
			for _, r := range c.waiting {
				r.resp <- savepointResp{err: errors.New("the job stopped before the savepoint completed")}
			}
			c.waiting = map[int64]savepointReq{}
			// Abort what is in flight (not counted as failures) and remove its files.
			for _, a := range c.coord.Stop(c.job.ctx.Err()) {
				if ab, ok := a.(checkpoint.Abort); ok {
					c.cfg.Store.Discard(ab.ID, ab.Acked...)
				}
			}
			return
		case <-tick.C:
			c.handle(c.coord.Tick(c.now()))
			c.maybeFinal()
		case ev := <-c.events:
			c.event(ev)
		case req := <-c.requests:
			if req.drain {
				for _, ch := range c.sources {
					select {
					case ch <- control{kind: ctlStop, drain: true}:
					case <-c.job.ctx.Done():
						return
					}
				}
			}
			trigger := c.coord.TriggerSavepoint
			switch {
			case req.checkpoint:
				trigger = c.coord.TriggerCheckpoint
			case req.stop:
				trigger = c.coord.TriggerStopSavepoint
			}
			id, acts, err := trigger(c.now())
			if err != nil {
				req.resp <- savepointResp{err: err}
				continue
			}
			c.waiting[id] = req
			c.handle(acts)
		}
	}
}

func (c *checkpointer) event(ev taskEvent) {
	now := c.now()
	switch {
	case ev.ended:
		c.ended++
		c.maybeFinal()
	case ev.decline != nil:
		c.handle(c.coord.Decline(ev.id, ev.task, ev.decline, now))
	default:
		c.handle(c.coord.Ack(ev.id, *ev.state, now))
	}
}

// LastTriggeredID is the id of the last checkpoint or savepoint this
// attempt triggered (0: none).
func (j *Job) LastTriggeredID() int64 { return j.lastTriggered.Load() }

// maybeFinal triggers the final checkpoint once every source has ended.
func (c *checkpointer) maybeFinal() {
	if c.finalID != 0 || c.ended < c.nSources {
		return
	}
	id, acts, err := c.coord.TriggerCheckpoint(c.now())
	if err != nil {
		return // one is in flight; try again at the next tick
	}
	c.finalID = id
	c.handle(acts)
}

func (c *checkpointer) handle(acts []checkpoint.Action) {
	for _, a := range acts {
		switch a := a.(type) {
		case checkpoint.Trigger:
			target, err := c.cfg.Store.SnapshotTarget(a.ID, a.Savepoint)
			if err != nil {
				c.handle(c.coord.Abort(a.ID, err, c.now()))
				continue
			}
			c.job.lastTriggered.Store(a.ID)
			info := barrierInfo{target: target, savepoint: a.Savepoint, final: a.ID == c.finalID}
			c.job.barriers.Store(a.ID, info)
			for _, ch := range c.sources {
				select {
				case ch <- control{kind: ctlTrigger, id: a.ID, savepoint: a.Savepoint, final: info.final}:
				case <-c.job.ctx.Done():
					return
				}
			}
		case checkpoint.Persist:
			md := a.Metadata
			loc, err := c.cfg.Store.Commit(md)
			if err == nil {
				if r, ok := c.waiting[md.CheckpointID]; ok {
					delete(c.waiting, md.CheckpointID)
					r.resp <- savepointResp{path: loc}
				}
				if c.cfg.OnComplete != nil {
					c.cfg.OnComplete(md)
				}
			}
			c.handle(c.coord.Stored(md.CheckpointID, err, c.now()))
		case checkpoint.NotifyComplete:
			for _, ch := range c.tasks {
				select {
				case ch <- control{kind: ctlNotify, id: a.ID}:
				default:
					// A task that stopped reading its control channel has
					// ended; nothing to notify.
				}
			}
			c.forgetBarriers(a.ID)
		case checkpoint.SavepointComplete:
			c.forgetBarriers(a.ID)
		case checkpoint.Abort:
			if r, ok := c.waiting[a.ID]; ok {
				delete(c.waiting, a.ID)
				r.resp <- savepointResp{err: fmt.Errorf("savepoint %d failed: %v", a.ID, a.Reason)}
			}
			if a.ID == c.finalID {
				// The sources have ended after emitting its barrier: without
				// it the job cannot commit its last output. Fail, so that the
				// restart strategy restores the latest complete checkpoint.
				c.job.fail(fmt.Errorf("the final checkpoint %d failed: %v", a.ID, a.Reason))
			}
			if !errors.Is(a.Reason, checkpoint.ErrSubsumed) {
				if c.cfg.Warn != nil {
					c.cfg.Warn(fmt.Sprintf("checkpoint %d aborted: %v", a.ID, a.Reason))
				}
				if c.cfg.OnAbort != nil {
					c.cfg.OnAbort(a)
				}
			}
			c.cfg.Store.Discard(a.ID, a.Acked...)
		case checkpoint.Fail:
			c.job.fail(a.Err)
		}
	}
}

// forgetBarriers drops the barrier information of checkpoints up to id:
// once id is complete every task has handled all barriers up to it
// (barriers of one source are emitted in id order).
func (c *checkpointer) forgetBarriers(id int64) {
	c.job.barriers.Range(func(k, _ any) bool {
		if k.(int64) <= id {
			c.job.barriers.Delete(k)
		}
		return true
	})
}

// TriggerSavepoint takes a savepoint of the running job and returns its
// path. With stop, the sources stop reading after the savepoint barrier
// (with drain, after emitting the final watermark, which fires every
// window) and the job ends once the savepoint is complete; a stop is
// honoured even when the savepoint cannot complete soon: once an operator
// has been busy in one call for BusyLimit, the job is cancelled without a
// savepoint and the error is a *BusyError.
func (j *Job) TriggerSavepoint(stop, drain bool) (string, error) {
	if j.cpr == nil {
		return "", errors.New("the job runs without checkpointing: a savepoint needs 'execution.checkpointing.interval' (and 'state.checkpoints.dir', 'state.savepoints.dir') set before the job starts")
	}
	req := savepointReq{stop: stop, drain: drain, resp: make(chan savepointResp, 1)}
	select {
	case j.cpr.requests <- req:
	case <-j.done:
		return "", errors.New("the job has already ended")
	}
	var r savepointResp
	if stop {
		// A stop is honoured even when the savepoint cannot complete
		// soon (see awaitStop): then the job is cancelled without it.
		var ended bool
		r, ended = j.awaitStop(req.resp, "savepoint", stopSavepointTimeout, true)
		if ended {
			return "", errors.New("the job ended before the savepoint completed")
		}
		var busy *BusyError
		if errors.As(r.err, &busy) {
			j.Cancel()
		}
	} else {
		select {
		case r = <-req.resp:
		case <-j.done:
			select {
			case r = <-req.resp:
			default:
				return "", errors.New("the job ended before the savepoint completed")
			}
		}
	}
	if r.err == nil && stop && !drain {
		// Stop without drain: the savepoint holds everything; nothing may
		// fire or commit after it.
		j.Cancel()
	}
	return r.path, r.err
}

// stopSavepointTimeout bounds how long a stop-with-savepoint waits for a
// savepoint that keeps progressing.
const stopSavepointTimeout = 10 * time.Minute

// StopWithCheckpoint takes a checkpoint now, waits for it (at most
// timeout, and not at all once an operator has been busy in one call for
// BusyLimit: see awaitStop) and cancels the job: a process stopped by a
// signal leaves a checkpoint to continue from with --restore latest.
// Without checkpointing it only cancels.
func (j *Job) StopWithCheckpoint(timeout time.Duration) error {
	defer j.Cancel()
	if j.cpr == nil {
		return nil
	}
	req := savepointReq{checkpoint: true, resp: make(chan savepointResp, 1)}
	select {
	case j.cpr.requests <- req:
	case <-j.done:
		return nil
	case <-time.After(timeout):
		return errors.New("no checkpoint taken: the job did not answer in time")
	}
	r, _ := j.awaitStop(req.resp, "checkpoint", timeout, false)
	return r.err
}

func (j *Job) vertexIndex(id string) int {
	for i, v := range j.graph.Vertices {
		if v.ID == id {
			return i
		}
	}
	return -1
}

// restorePlan is what each task receives from the restored checkpoint.
type restorePlan struct {
	md *checkpoint.Metadata
	// byOp maps operator id to its state.
	byOp map[string]*checkpoint.OperatorState
}

func newRestorePlan(g *JobGraph, md *checkpoint.Metadata) (*restorePlan, error) {
	if md == nil {
		return nil, nil
	}
	p := &restorePlan{md: md, byOp: map[string]*checkpoint.OperatorState{}}
	ids := map[string]bool{}
	for _, v := range g.Vertices {
		ids[v.ID] = true
	}
	var unknown []string
	for i := range md.Operators {
		op := &md.Operators[i]
		p.byOp[op.ID] = op
		if !ids[op.ID] && hasState(op) {
			unknown = append(unknown, fmt.Sprintf("%s (%s)", op.ID, op.Name))
		}
	}
	if len(unknown) > 0 {
		sort.Strings(unknown)
		return nil, &QueryChangedError{CheckpointID: md.CheckpointID, Savepoint: md.Savepoint, Operators: unknown}
	}
	if md.MaxParallelism != 0 && md.MaxParallelism != g.MaxParallelism {
		return nil, fmt.Errorf("cannot restore checkpoint %d: it was taken with pipeline.max-parallelism %d, the job has %d (key groups must match)", md.CheckpointID, md.MaxParallelism, g.MaxParallelism)
	}
	return p, nil
}

func hasState(op *checkpoint.OperatorState) bool {
	for _, t := range op.Tasks {
		if t.Keyed != nil || len(t.Splits) > 0 || len(t.Committables) > 0 || len(t.Channels) > 0 {
			return true
		}
	}
	return false
}

func (p *restorePlan) op(id string) *checkpoint.OperatorState {
	if p == nil {
		return nil
	}
	return p.byOp[id]
}
