package exec

import (
	"fmt"
	"reflect"
	"sort"
	"time"

	"github.com/streamsql/streamsql/checkpoint"
	"github.com/streamsql/streamsql/checkpoint/storage"
	"github.com/streamsql/streamsql/state"
	"github.com/streamsql/streamsql/types"
)

// Committer is implemented by operators that commit output exactly once
// with checkpoints (sinks). The task calls PreCommit at the barrier, Commit
// when the checkpoint completes, and Recover (after Open) on restore.
type Committer interface {
	PreCommit(checkpointID int64) ([][]byte, error)
	Commit(committables [][]byte) error
	Recover(committables [][]byte) error
}

// operatorTask runs one instance of an operator vertex.
type operatorTask struct {
	job      *Job
	v        *Vertex
	vi       int
	instance int
	chans    []chan Message
	inputOf  []int // edge index of each channel
	out      *collector
	ctrl     chan control // nil without checkpointing; a chain's tasks share the head's

	// chain, of a head task, are the tasks chained to it in order (see
	// chain.go); finished marks a chained task whose Finish ran.
	chain    []*operatorTask
	finished bool
	// headControl, of a chained task, hands a message read from the
	// chain's control channel to every task of the chain (see
	// controlChain).
	headControl func(control) error
	restored    *checkpoint.OperatorState // the restored checkpoint's share, or nil

	op       Operator
	releases bool // op implements InputReleaser: recycle input batches
	borrows  bool // op implements InputBorrower: may be lent batches (Message.Borrowed)
	ctx      *Context
	m        *Metrics
	valve    *watermarkValve // watermarks and idle statuses of the inputs
	ended    []bool
	blocked  []bool
	active   int
	cases    []reflect.SelectCase

	// checkpoint alignment (see alignment.go)
	aligning []*alignment // checkpoints whose barrier arrived on some live inputs, oldest first
	started  int64        // highest checkpoint id whose first barrier arrived
	lastDone int64        // highest checkpoint id this task acknowledged or declined

	committer   Committer
	pendingComm map[int64][][]byte
	committed   int64

	// busy runs while the task is inside ProcessBatch, ProcessWatermark,
	// OnTick or Finish (see Job.busiest).
	busy busyClock
}

const (
	caseDone = iota
	caseTick
	caseCtrl
	caseChans
)

// open creates the task's operator, restores its state, opens it (and
// its committer, which recovers) and prepares its inputs. Call close
// afterwards, also when open fails.
func (t *operatorTask) open() error {
	t.m = t.job.metrics[t.vi][t.instance]
	t.op = t.v.NewOperator()
	if r, ok := t.op.(InputReleaser); ok {
		t.releases = r.ReleasesInput()
	}
	if r, ok := t.op.(InputBorrower); ok {
		t.borrows = r.BorrowsInput()
	}
	ctx, err := t.job.newContext(t.v, t.instance, t.out, t.m)
	if err != nil {
		return err
	}
	t.ctx = ctx
	t.restored = t.job.restore.op(t.v.ID)
	if t.restored != nil {
		if err := t.restoreKeyed(t.restored); err != nil {
			return err
		}
	}
	if err := t.op.Open(ctx); err != nil {
		return t.inOperator(err)
	}
	if c, ok := t.op.(Committer); ok && t.job.cp != nil {
		t.committer = c
		t.pendingComm = map[int64][][]byte{}
		if err := c.Recover(t.restoredCommittables(t.restored)); err != nil {
			return t.inOperator(err)
		}
	}
	n := len(t.chans)
	t.ended = make([]bool, n)
	t.blocked = make([]bool, n)
	t.valve = newWatermarkValve(t.ended)
	t.active = n
	t.cases = make([]reflect.SelectCase, caseChans+n)
	return nil
}

// replay feeds the operator the in-flight rows of a restored unaligned
// checkpoint, after open (and after every task chained to this one
// opened: the rows it emits go on to them).
func (t *operatorTask) replay() error {
	if t.restored == nil {
		return nil
	}
	return t.replayChannels(t.restored)
}

// close closes what open opened.
func (t *operatorTask) close() {
	if t.op != nil {
		t.op.Close()
	}
	if t.ctx != nil {
		if sn, ok := t.ctx.State.(state.Snapshotter); ok {
			sn.Close()
		}
	}
}

// selectInputs is the most input channels a task waits on with a plain
// select (run); more go through reflect.Select.
const selectInputs = 8

// run is the goroutine of a head operator task and its chain.
func (t *operatorTask) run() error {
	defer t.close()
	defer chainClose(t.chain) // first: the chained tasks, last first, then this one
	if err := t.open(); err != nil {
		return err
	}
	if err := chainOpen(t.chain); err != nil {
		return err
	}
	if err := t.replay(); err != nil {
		return err
	}

	n := len(t.chans)
	ticker := time.NewTicker(t.job.opts.TickInterval)
	defer ticker.Stop()
	t.cases[caseDone] = reflect.SelectCase{Dir: reflect.SelectRecv, Chan: reflect.ValueOf(t.job.ctx.Done())}
	t.cases[caseTick] = reflect.SelectCase{Dir: reflect.SelectRecv, Chan: reflect.ValueOf(ticker.C)}
	if t.ctrl != nil {
		t.cases[caseCtrl] = reflect.SelectCase{Dir: reflect.SelectRecv, Chan: reflect.ValueOf(t.ctrl)}
	} else {
		t.cases[caseCtrl] = reflect.SelectCase{Dir: reflect.SelectRecv}
	}
	for i, ch := range t.chans {
		t.cases[caseChans+i] = reflect.SelectCase{Dir: reflect.SelectRecv, Chan: reflect.ValueOf(ch)}
	}

	for t.active > 0 {
		var msg Message
		ci := 0
		if n <= selectInputs {
			// Up to selectInputs input channels (a chain; a join or a
			// set operation over instances of two inputs at parallelism up
			// to 4; an exchange from up to eight instances): a plain
			// select, much cheaper than reflect.Select, which allocates
			// per call. A nil channel is never ready: the inputs past n,
			// those ended or blocked (readable), and ctrl without
			// checkpointing.
			var in [selectInputs]chan Message
			for i := range n {
				in[i] = t.readable(i)
			}
			select {
			case <-t.job.ctx.Done():
				return nil
			case <-ticker.C:
				if err := t.tickAll(t.job.opts.Now()); err != nil {
					return err
				}
				continue
			case c := <-t.ctrl:
				if err := t.controlChain(c); err != nil {
					return err
				}
				continue
			case msg = <-in[0]:
				ci = 0
			case msg = <-in[1]:
				ci = 1
			case msg = <-in[2]:
				ci = 2
			case msg = <-in[3]:
				ci = 3
			case msg = <-in[4]:
				ci = 4
			case msg = <-in[5]:
				ci = 5
			case msg = <-in[6]:
				ci = 6
			case msg = <-in[7]:
				ci = 7
			}
		} else {
			chosen, rv, _ := reflect.Select(t.cases)
			switch chosen {
			case caseDone:
				return nil
			case caseTick:
				if err := t.tickAll(t.job.opts.Now()); err != nil {
					return err
				}
				continue
			case caseCtrl:
				if err := t.controlChain(rv.Interface().(control)); err != nil {
					return err
				}
				continue
			}
			ci = chosen - caseChans
			msg = rv.Interface().(Message)
		}
		if err := t.message(ci, msg); err != nil {
			return err
		}
		if t.out.err != nil {
			return nil // cancelled
		}
	}
	return t.finish()
}

// readable returns input channel ci, or nil (never ready) once that
// input ended or while alignment blocks it: the channel the select cases
// hold for it.
func (t *operatorTask) readable(ci int) chan Message {
	if t.ended[ci] || t.blocked[ci] {
		return nil
	}
	return t.chans[ci]
}

// tickAll ticks the task, then the tasks chained to it.
func (t *operatorTask) tickAll(now int64) error {
	if err := t.tick(now); err != nil || t.out.err != nil {
		return err
	}
	return chainTick(t.chain, now)
}

func (t *operatorTask) tick(now int64) error {
	t.busy.enter()
	err := t.op.OnTick(now)
	t.busy.leave()
	if err != nil {
		return t.inOperator(err)
	}
	t.out.flush()
	return nil
}

func (t *operatorTask) message(ci int, msg Message) error {
	switch msg.Kind {
	case MsgBatch:
		// A batch does not change the channel's status (as in Flink): a
		// sender that becomes active says so first, with a watermark; an
		// idle task may still emit rows (from a timer, OnTick) and stays
		// idle, and its rows are late downstream where they are behind.
		n := t.m.RowsIn.Add(int64(msg.Batch.Len()))
		if f := t.job.opts.FailAfterRows; f > 0 && t.v.Sink && n >= f && n-int64(msg.Batch.Len()) < f {
			return fmt.Errorf("%s: injected failure after %d rows", t.v.Name, f)
		}
		t.recordInFlight(ci, msg.Batch)
		t.busy.enter()
		err := t.op.ProcessBatch(t.inputOf[ci], msg.Batch)
		t.busy.leave()
		if err != nil {
			return t.inOperator(err)
		}
		if t.releases && !msg.Borrowed {
			types.PutBatch(msg.Batch)
		}
		t.out.flush()
	case MsgWatermark:
		if msg.Idle {
			t.valve.setIdle(ci)
			if err := t.idleOutput(); err != nil {
				return err
			}
		} else {
			if err := t.activeInput(ci); err != nil {
				return err
			}
			t.valve.watermark(ci, msg.Watermark)
		}
		return t.advance()
	case MsgBarrier:
		return t.barrier(ci, msg.Barrier)
	case MsgEnd:
		t.ended[ci] = true
		t.active--
		t.cases[caseChans+ci].Chan = reflect.Value{} // a nil channel is never ready
		if err := t.completeAligned(); err != nil {
			return err
		}
		if err := t.idleOutput(); err != nil {
			return err
		}
		return t.advance()
	}
	return nil
}

// activeInput notes that input channel ci sent a watermark (an active status):
// when the task was idle, it tells its operator and its outputs that it
// is active again, before the message is handled.
func (t *operatorTask) activeInput(ci int) error {
	if !t.valve.active(ci) {
		return nil
	}
	return t.setStatus(false)
}

// idleOutput tells the operator and the outputs that the task is idle
// when every live input now is, after forwarding the largest watermark
// of those inputs when it is an advance (see watermarkValve).
func (t *operatorTask) idleOutput() error {
	if !t.valve.goesIdle() {
		return nil
	}
	if w, ok := t.valve.flush(); ok {
		if err := t.forwardWatermark(w); err != nil {
			return err
		}
	}
	return t.setStatus(true)
}

// setStatus hands the task's new status to an IdleAware operator and
// sends it downstream (an active status as the current watermark).
func (t *operatorTask) setStatus(idle bool) error {
	if ia, ok := t.op.(IdleAware); ok {
		t.busy.enter()
		err := ia.ProcessIdle(idle)
		t.busy.leave()
		if err != nil {
			return t.inOperator(err)
		}
	}
	t.out.flush()
	if idle {
		t.out.broadcast(Message{Kind: MsgWatermark, Idle: true})
	} else {
		t.out.broadcast(Message{Kind: MsgWatermark, Watermark: t.valve.cur})
	}
	return t.out.err
}

// advance forwards the minimum watermark over the live, active, aligned
// inputs when it advances (see watermarkValve).
func (t *operatorTask) advance() error {
	if min, ok := t.valve.next(); ok {
		return t.forwardWatermark(min)
	}
	return t.out.err
}

// forwardWatermark hands watermark w (an advance) to the operator and sends it on.
func (t *operatorTask) forwardWatermark(w int64) error {
	t.valve.cur = w
	t.busy.enter()
	err := t.op.ProcessWatermark(t.valve.cur)
	t.busy.leave()
	if err != nil {
		return t.inOperator(err)
	}
	t.m.Watermark.Store(t.valve.cur)
	t.out.broadcast(Message{Kind: MsgWatermark, Watermark: t.valve.cur})
	return t.out.err
}

// snapshotState takes the operator's and the sink's share of checkpoint id.
//
// With async, a backend that has an asynchronous phase
// (state.AsyncSnapshotter) only captures its state here, and pending is
// not nil: it writes the capture and fills st.Keyed, and the caller must
// not send st before it returned (ackWhenWritten). Only periodic aligned
// and at-least-once checkpoints go asynchronously: savepoints, the final
// checkpoint and unaligned checkpoints (which add to st later) are
// written before snapshotState returns.
func (t *operatorTask) snapshotState(id int64, info barrierInfo, async bool) (st *checkpoint.TaskState, pending func() error, err error) {
	if err := t.op.SnapshotState(id); err != nil {
		return nil, nil, t.inOperator(err)
	}
	st = &checkpoint.TaskState{OperatorID: t.v.ID, Instance: t.instance, Watermark: t.valve.cur}
	if so, ok := t.op.(StatelessOperator); ok && so.HoldsNoState() {
		return st, nil, nil
	}
	target := info.target
	target.CheckpointID = id
	if as, ok := t.ctx.State.(state.AsyncSnapshotter); ok && async && !info.savepoint && !info.final {
		finish, err := as.SnapshotAsync(target)
		if err != nil {
			return nil, nil, fmt.Errorf("%s: state snapshot: %w", t.v.Name, err)
		}
		pending = func() error {
			h, err := finish()
			if err != nil {
				return fmt.Errorf("%s: state snapshot: %w", t.v.Name, err)
			}
			if h != nil && (len(h.Files) > 0 || len(h.Changelog) > 0) {
				st.Keyed = h
			}
			return nil
		}
	} else if sn, ok := t.ctx.State.(state.Snapshotter); ok {
		h, err := sn.Snapshot(target)
		if err != nil {
			return nil, nil, fmt.Errorf("%s: state snapshot: %w", t.v.Name, err)
		}
		if h != nil && (len(h.Files) > 0 || len(h.Changelog) > 0) {
			st.Keyed = h
		}
	}
	if t.committer != nil {
		c, err := t.committer.PreCommit(id)
		if err != nil {
			return nil, nil, t.inOperator(err)
		}
		// Pre-committed but not yet committed transactions of earlier
		// checkpoints stay in this checkpoint too, so a restore commits them.
		var all [][]byte
		for _, k := range sortedKeys(t.pendingComm) {
			all = append(all, t.pendingComm[k]...)
		}
		t.pendingComm[id] = c
		st.Committables = append(all, c...)
		if sz, ok := t.committer.(interface{ CommittableBytes([][]byte) int64 }); ok {
			st.CommittableBytes = sz.CommittableBytes(st.Committables)
		}
	}
	return st, pending, nil
}

// ackWhenWritten acknowledges checkpoint id with st, after pending (if
// any) has written the state, on another goroutine: the task goes on
// processing meanwhile. A failed write declines the checkpoint. The
// write counts as part of the task for Job.Wait: an attempt has ended
// only when its state writes have, so that a restart never runs beside
// one.
func (t *operatorTask) ackWhenWritten(id int64, st *checkpoint.TaskState, pending func() error) {
	if pending == nil {
		t.ack(id, st)
		return
	}
	t.job.wg.Add(1) // the task itself holds a count: Wait cannot have returned
	go func() {
		defer t.job.wg.Done()
		if err := pending(); err != nil {
			t.job.cpEvent(taskEvent{id: id, decline: err, task: checkpoint.TaskID{OperatorID: t.v.ID, Instance: t.instance}})
			return
		}
		t.ack(id, st)
	}()
}

func sortedKeys(m map[int64][][]byte) []int64 {
	var ks []int64
	for k := range m {
		ks = append(ks, k)
	}
	sort.Slice(ks, func(a, b int) bool { return ks[a] < ks[b] })
	return ks
}

func (t *operatorTask) ack(id int64, st *checkpoint.TaskState) {
	t.job.cpEvent(taskEvent{id: id, state: st, task: checkpoint.TaskID{OperatorID: t.v.ID, Instance: t.instance}})
}

// unblockAll resumes reading every input that alignment blocked.
func (t *operatorTask) unblockAll() {
	for i := range t.blocked {
		if t.blocked[i] {
			t.blocked[i] = false
			if !t.ended[i] {
				t.cases[caseChans+i].Chan = reflect.ValueOf(t.chans[i])
			}
		}
	}
}

// controlChain handles message c, read from the task's control channel,
// for every task that reads that channel: a chain's tasks share their
// head's, and the checkpointer sends each notice once. (Whichever task
// reads it, e.g. one of two sinks of a chain each waiting in finish for
// the final checkpoint's notice, passes it to all.)
func (t *operatorTask) controlChain(c control) error {
	if t.headControl != nil {
		return t.headControl(c)
	}
	if err := t.control(c); err != nil {
		return err
	}
	return chainControl(t.chain, c)
}

// control handles a message from the checkpointer.
func (t *operatorTask) control(c control) error {
	if c.kind != ctlNotify {
		return nil
	}
	if sn, ok := t.ctx.State.(state.Snapshotter); ok {
		sn.CheckpointComplete(c.id)
	}
	return t.commitUpTo(c.id)
}

func (t *operatorTask) commitUpTo(id int64) error {
	if t.committer == nil {
		return nil
	}
	for _, k := range sortedKeys(t.pendingComm) {
		if k > id {
			break
		}
		if err := timeCommit(t.m, func() error { return t.committer.Commit(t.pendingComm[k]) }); err != nil {
			return fmt.Errorf("%s: commit of checkpoint %d: %w", t.v.Name, k, err)
		}
		delete(t.pendingComm, k)
	}
	if id > t.committed {
		t.committed = id
	}
	return nil
}

// finish runs once every input ended: the final watermark, Finish, and
// with checkpointing, waiting until the final checkpoint (whose barrier
// arrived before the inputs ended) is complete so that its output is
// committed before the task ends.
func (t *operatorTask) finish() error {
	if t.valve.cur < MaxWatermark {
		t.valve.cur = MaxWatermark
		t.busy.enter()
		err := t.op.ProcessWatermark(t.valve.cur)
		t.busy.leave()
		if err != nil {
			return t.inOperator(err)
		}
	}
	t.busy.enter()
	err := t.op.Finish()
	t.busy.leave()
	if err != nil {
		return t.inOperator(err)
	}
	t.m.Watermark.Store(MaxWatermark)
	t.out.broadcast(Message{Kind: MsgWatermark, Watermark: MaxWatermark})
	if t.committer != nil && t.lastDone > t.committed {
		for t.committed < t.lastDone {
			select {
			case <-t.job.ctx.Done():
				return nil
			case c := <-t.ctrl:
				if err := t.controlChain(c); err != nil {
					return err
				}
			}
		}
	}
	t.out.broadcast(Message{Kind: MsgEnd})
	return nil
}

// restoreKeyed loads this instance's key groups from the checkpoint.
func (t *operatorTask) restoreKeyed(op *checkpoint.OperatorState) error {
	var handles []*state.Handle
	for _, ts := range op.Tasks {
		if ts.Keyed != nil && ts.Keyed.KeyGroups.End > t.ctx.KeyGroups.Start && ts.Keyed.KeyGroups.Start < t.ctx.KeyGroups.End {
			handles = append(handles, ts.Keyed)
		}
	}
	if len(handles) == 0 {
		return nil
	}
	sn, ok := t.ctx.State.(state.Snapshotter)
	if !ok {
		return fmt.Errorf("%s: state backend %s cannot restore", t.v.Name, t.ctx.State.Kind())
	}
	if err := sn.Restore(t.job.restoreStorage(), handles); err != nil {
		return fmt.Errorf("%s: restoring state: %w", t.v.Name, err)
	}
	return nil
}

// restoredCommittables returns the committables this instance recovers:
// those of old instance i go to new instance i mod parallelism.
func (t *operatorTask) restoredCommittables(op *checkpoint.OperatorState) [][]byte {
	if op == nil {
		return nil
	}
	var out [][]byte
	for _, ts := range op.Tasks {
		if ts.Instance%t.v.Parallelism == t.instance {
			out = append(out, ts.Committables...)
		}
	}
	return out
}

// replayChannels feeds the in-flight rows recorded by an unaligned
// checkpoint into the operator before anything else. Rows recorded on a
// hash-partitioned input go to the instance owning their key group now;
// others go to new instance (old instance mod parallelism).
func (t *operatorTask) replayChannels(op *checkpoint.OperatorState) error {
	width := 0
	for _, ts := range op.Tasks {
		for _, cs := range ts.Channels {
			payload, err := storage.Read(t.job.restoreStorage(), cs.Path, storage.KindChannel, 1)
			if err != nil {
				return fmt.Errorf("%s: in-flight data: %w", t.v.Name, err)
			}
			if cs.Input < 0 || cs.Input >= len(t.v.Inputs) {
				return fmt.Errorf("%s: in-flight data %s: input %d, but the operator has %d", t.v.Name, cs.Path, cs.Input, len(t.v.Inputs))
			}
			up := t.job.graph.Vertices[t.v.Inputs[cs.Input].From]
			if cs.From != "" && cs.From != up.ID {
				return fmt.Errorf("%s: the unaligned checkpoint holds in-flight rows from operator %s, but this plan feeds the operator from %s (the plan changed, e.g. with table.optimizer.agg-phase-strategy or a parallelism that turns two-phase aggregation on or off): restore from an aligned checkpoint or a savepoint, or plan the job as before", t.v.Name, cs.From, up.ID)
			}
			width = len(up.Schema)
			b := types.NewBatch(width, 256)
			for len(payload) > 0 {
				opb := types.Op(payload[0])
				row, rest, err := types.DecodeValues(payload[1:])
				if err != nil {
					return fmt.Errorf("%s: in-flight data %s: %w", t.v.Name, cs.Path, err)
				}
				payload = rest
				if len(row) != width {
					return fmt.Errorf("%s: in-flight data %s: a row of %d columns, but the operator's input %d has %d (the plan changed since the checkpoint): restore from an aligned checkpoint or a savepoint", t.v.Name, cs.Path, len(row), cs.Input, width)
				}
				mine := false
				if len(cs.KeyCols) > 0 {
					mine = t.ctx.KeyGroups.Contains(state.KeyGroupOf(HashKey(row, cs.KeyCols), t.ctx.MaxParallelism))
				} else {
					mine = ts.Instance%t.v.Parallelism == t.instance
				}
				if mine {
					b.Append(opb, row)
				}
			}
			if b.Len() > 0 {
				if err := t.op.ProcessBatch(cs.Input, b); err != nil {
					return t.inOperator(err)
				}
				t.out.flush()
			}
		}
	}
	return nil
}
