package exec

import (
	"errors"
	"fmt"
	"io"
	"slices"
	"time"

	"github.com/streamsql/streamsql/checkpoint"
	"github.com/streamsql/streamsql/connectors"
	"github.com/streamsql/streamsql/types"
)

// skipCounter is implemented by readers that skip bad rows.
type skipCounter interface{ SkippedRows() int64 }

// splitState is one split being read by a source task.
type splitState struct {
	split   connectors.Split
	reader  connectors.SplitReader
	wm      int64 // largest event time seen minus delay
	ended   bool
	lastRow int64 // wall-clock ms of the last row (idle detection)
	idle    bool
	skipped int64
	waited  int64 // the reader's WaitedNs at the last read
}

// sourceTask runs one instance of a source vertex: it reads its splits in
// turn, stamps processing time, tracks per-split watermarks and emits rows
// and watermarks in an order equivalent to advancing the watermark after
// every row (see package doc).
type sourceTask struct {
	job      *Job
	v        *Vertex
	metrics  *Metrics
	instance int
	splits   []connectors.Split
	out      *collector

	states  []*splitState
	emitted int64 // last watermark sent downstream
	idleOut bool  // idle status sent downstream

	ctrl     chan control // nil without checkpointing
	stopping bool         // stop-with-savepoint: no more reading
	drain    bool

	// busy adds the time spent reading and emitting rows to metrics
	// (reads that return no rows count as idle).
	busy busyClock

	// rows is the room of the next batch the readers fill (a reader
	// appends up to the batch's capacity).
	rows batchRows

	// aligner, when set, keeps this task within a few rounds of event
	// time of its siblings (source_align.go); alignStep is the last
	// positive advance of its watermark over a round.
	aligner   *sourceAlign
	alignStep int64

	// chain are the operator tasks chained to this one (see chain.go):
	// it opens and closes them, ticks them (chainTicks: between read
	// rounds, and while it waits) and hands them the checkpointer's
	// notices.
	chain      []*operatorTask
	chainTicks <-chan time.Time // nil without a chain: never ready
}

// splitPollWait is how long one round over a source task's splits may
// wait for rows when the previous round found none (shared among the
// live splits: see run).
const splitPollWait = 100 * time.Millisecond

func (t *sourceTask) run() error {
	spec := t.v.Source
	ctx := t.job.ctx
	defer chainClose(t.chain)
	if err := chainOpen(t.chain); err != nil {
		return err
	}
	if len(t.chain) > 0 {
		tk := time.NewTicker(t.job.opts.TickInterval)
		defer tk.Stop()
		t.chainTicks = tk.C
	}
	restored := t.restoredSplits()
	for _, sp := range t.splits {
		var pos []byte
		wm := MinWatermark
		if r, ok := restored[sp.ID()]; ok {
			pos, wm = r.Position, r.Watermark
		}
		r, err := spec.Source.OpenSplit(ctx, sp, pos)
		if err != nil {
			if namesTable(err, spec.Table.Name) {
				return err
			}
			return fmt.Errorf("source %s: split %s: %w", spec.Table.Name, sp.ID(), err)
		}
		t.states = append(t.states, &splitState{split: sp, reader: r, wm: wm, lastRow: t.job.opts.Now()})
	}
	defer func() {
		for _, s := range t.states {
			s.reader.Close()
		}
	}()
	defer t.alignRelease()
	t.emitted = MinWatermark
	// A restored source first re-establishes the watermark it had, so that
	// rows replayed after the checkpoint are judged as they were before.
	t.emitWatermark()
	physWidth := len(spec.Table.PhysicalColumns())
	width := len(t.v.Schema)
	t.rows = newBatchRows(t.job.graph.BatchSize)
	rb := types.GetBatch(physWidth, t.rows.next)
	live := 0
	for _, s := range t.states {
		if !s.ended {
			live++
		}
	}
	// With several splits, a split that waits for rows (PollWaiter) may
	// not hold up the others: it waits only when the previous round found
	// nothing anywhere, and then a share of its usual wait.
	quiet := false // the previous round read no rows
	for live > 0 && !t.stopping {
		before, backlog := t.emitted, false
		gotRows := false
		for _, s := range t.states {
			if s.ended || t.stopping {
				continue
			}
			if pw, ok := s.reader.(connectors.PollWaiter); ok && live > 1 {
				wait := time.Duration(0)
				if quiet {
					wait = max(splitPollWait/time.Duration(live), time.Millisecond)
				}
				pw.SetPollWait(wait)
			}
			if ctx.Err() != nil {
				return nil
			}
			if done, err := t.pollControl(); err != nil || done {
				return err
			}
			if done, err := t.holdInput(); err != nil || done {
				return err
			}
			if cap(rb.Ops) < t.rows.next {
				types.PutBatch(rb)
				rb = types.GetBatch(physWidth, t.rows.next)
			}
			rb.Reset()
			t.busy.enter()
			err := s.reader.Next(ctx, rb)
			// A read that filled its batch had more rows waiting.
			backlog = backlog || rb.Len() > 0 && rb.Len() >= cap(rb.Ops)
			t.rows.filled(rb.Len())
			if wr, ok := s.reader.(connectors.WaitReporter); ok {
				w := wr.WaitedNs()
				t.busy.idle(w - s.waited)
				s.waited = w
			}
			if sc, ok := s.reader.(skipCounter); ok {
				n := sc.SkippedRows()
				t.metrics.BadRowsSkipped.Add(n - s.skipped)
				s.skipped = n
			}
			if err != nil && !errors.Is(err, io.EOF) {
				if ctx.Err() != nil {
					return nil
				}
				var bad *connectors.BadRowError
				if errors.As(err, &bad) || namesTable(err, spec.Table.Name) {
					return err
				}
				return fmt.Errorf("source %s: %w", spec.Table.Name, err)
			}
			if rb.Len() > 0 {
				gotRows = true
				if t.failIfArmed(rb.Len()) {
					return nil
				}
				if d := t.job.opts.SourceBatchDelay; d > 0 {
					time.Sleep(d)
				}
				s.lastRow = t.job.opts.Now()
				s.idle = false
				t.activate()
				t.metrics.RowsIn.Add(int64(rb.Len()))
				rb = t.emitRows(s, rb, physWidth, width)
				t.busy.leave()
			} else {
				t.busy.leaveIdle()
			}
			if spec.ReaderWatermarks && !errors.Is(err, io.EOF) {
				if wr, ok := s.reader.(connectors.WatermarkReader); ok {
					if w := wr.Watermark(); w > s.wm {
						s.wm = w
					}
				}
			}
			if errors.Is(err, io.EOF) {
				s.ended = true
				live--
				// An ended split no longer holds the watermark back.
				s.wm = MaxWatermark
			}
		}
		quiet = !gotRows
		t.reportPending()
		t.checkIdle()
		t.out.flush()
		t.emitWatermark()
		if err := t.tickChain(); err != nil {
			return err
		}
		if t.out.err != nil {
			return nil
		}
		var step int64
		if before > MinWatermark && t.emitted < MaxWatermark {
			step = t.emitted - before
		}
		if done, err := t.align(backlog, step); err != nil || done {
			return err
		}
	}
	t.alignRelease()
	t.out.broadcast(Message{Kind: MsgWatermark, Watermark: MaxWatermark})
	t.metrics.Watermark.Store(MaxWatermark)
	if t.ctrl != nil {
		// With checkpointing a source ends only after the barrier of the
		// final checkpoint (or, when stopped with drain, of the savepoint),
		// so that everything it emitted is covered by a checkpoint.
		if !t.stopping {
			t.job.cpEvent(taskEvent{ended: true, task: t.taskID()})
		}
		for {
			select {
			case <-ctx.Done():
				return nil
			case <-t.chainTicks:
				if err := chainTick(t.chain, t.job.opts.Now()); err != nil {
					return err
				}
			case c := <-t.ctrl:
				done, err := t.handleControl(c)
				if err != nil || done {
					return err
				}
			}
		}
	}
	t.out.broadcast(Message{Kind: MsgEnd})
	return nil
}

// tickChain ticks the chained tasks when a tick is due (between read
// rounds: it does not wait for one).
func (t *sourceTask) tickChain() error {
	select {
	case <-t.chainTicks:
		return chainTick(t.chain, t.job.opts.Now())
	default:
		return nil
	}
}

// reportPending sets the task's PendingRecords to the sum over its splits
// whose readers report it (-1 when none does).
func (t *sourceTask) reportPending() {
	n, known := int64(0), false
	var splits map[string]int64
	for _, s := range t.states {
		if pr, ok := s.reader.(connectors.PendingRecordsReporter); ok && !s.ended {
			if p := pr.PendingRecords(); p >= 0 {
				n += p
				known = true
				if splits == nil {
					splits = make(map[string]int64, len(t.states))
				}
				splits[s.split.ID()] = p
			}
		}
	}
	if !known {
		n = -1
	}
	t.metrics.PendingRecords.Store(n)
	if splits != nil || t.metrics.splitPending.Load() != nil {
		t.metrics.splitPending.Store(&splits)
	}
}

func (t *sourceTask) taskID() checkpoint.TaskID {
	return checkpoint.TaskID{OperatorID: t.v.ID, Instance: t.instance}
}

// restoredSplits returns the checkpointed positions of all splits of this
// source (taken at any parallelism), by split id.
func (t *sourceTask) restoredSplits() map[string]checkpoint.SplitState {
	op := t.job.restore.op(t.v.ID)
	if op == nil {
		return nil
	}
	out := map[string]checkpoint.SplitState{}
	for _, ts := range op.Tasks {
		for _, sp := range ts.Splits {
			out[sp.SplitID] = sp
		}
	}
	return out
}

// restoredPositions returns the checkpointed positions of a source's
// splits (of all former instances), by split id.
func restoredPositions(op *checkpoint.OperatorState) map[string][]byte {
	out := map[string][]byte{}
	for _, ts := range op.Tasks {
		for _, sp := range ts.Splits {
			out[sp.SplitID] = sp.Position
		}
	}
	return out
}

// pollControl handles pending checkpointer messages without blocking. It
// reports whether the task is done (it emitted its final barrier).
func (t *sourceTask) pollControl() (bool, error) {
	if t.ctrl == nil {
		return false, nil
	}
	for {
		select {
		case c := <-t.ctrl:
			done, err := t.handleControl(c)
			if err != nil || done {
				return done, err
			}
		default:
			return false, nil
		}
	}
}

func (t *sourceTask) handleControl(c control) (bool, error) {
	switch c.kind {
	case ctlStop:
		if !t.stopping {
			t.stopping = true
			t.drain = c.drain
			t.out.flush()
			if c.drain {
				t.out.broadcast(Message{Kind: MsgWatermark, Watermark: MaxWatermark})
			}
		}
	case ctlNotify:
		for _, s := range t.states {
			if cr, ok := s.reader.(connectors.CheckpointedReader); ok {
				cr.CheckpointComplete(c.id)
			}
		}
		if err := chainControl(t.chain, c); err != nil {
			return false, err
		}
	case ctlTrigger:
		if err := t.emitBarrier(c); err != nil {
			return false, err
		}
		if c.final || (t.stopping && c.savepoint) {
			t.out.broadcast(Message{Kind: MsgEnd})
			return true, nil
		}
	}
	return false, t.out.err
}

// emitBarrier records every split's position and watermark and emits the
// barrier in one step: the rows before the barrier are exactly the rows
// up to these positions.
func (t *sourceTask) emitBarrier(c control) error {
	t.out.flush()
	st := checkpoint.TaskState{OperatorID: t.v.ID, Instance: t.instance, Watermark: t.emitted}
	for _, s := range t.states {
		var pos []byte
		if cr, ok := s.reader.(connectors.CheckpointedReader); ok {
			p, err := cr.SnapshotPosition(c.id)
			if err != nil {
				t.job.cpEvent(taskEvent{id: c.id, decline: fmt.Errorf("source %s: split %s: %w", t.v.Source.Table.Name, s.split.ID(), err), task: t.taskID()})
				t.out.broadcast(Message{Kind: MsgBarrier, Barrier: Barrier{CheckpointID: c.id, Savepoint: c.savepoint}})
				return nil
			}
			pos = p
		} else {
			pos = s.reader.Position()
		}
		st.Splits = append(st.Splits, checkpoint.SplitState{SplitID: s.split.ID(), Position: append([]byte(nil), pos...), Watermark: s.wm})
	}
	t.out.broadcast(Message{Kind: MsgBarrier, Barrier: Barrier{CheckpointID: c.id, Savepoint: c.savepoint}})
	t.job.cpEvent(taskEvent{id: c.id, state: &st, task: t.taskID()})
	return t.out.err
}

// currentWatermark is the minimum over live, non-idle splits (MaxWatermark
// when all ended, MinWatermark-holding when all are idle is handled by checkIdle).
func (t *sourceTask) currentWatermark() (int64, bool) {
	min := MaxWatermark
	any := false
	for _, s := range t.states {
		if s.idle && !s.ended {
			continue
		}
		any = true
		if s.wm < min {
			min = s.wm
		}
	}
	return min, any
}

// emitRows forwards the rows of rb read from split s. It returns the batch
// the caller should read into next.
func (t *sourceTask) emitRows(s *splitState, rb *types.Batch, physWidth, width int) *types.Batch {
	spec := t.v.Source
	wmSpec := spec.Watermark
	procCol := spec.ProctimeCol
	if wmSpec == nil && procCol < 0 {
		t.out.EmitBatch(rb)
		return types.GetBatch(physWidth, t.rows.next)
	}
	var now int64 // the processing time of the rows, when they get one
	if procCol < 0 {
		if wm, cut := t.scanWatermark(s, rb); !cut {
			// Fast path: no row in the batch is at or behind a watermark
			// that rows before it established, so the batch can go as a
			// whole and the watermark after it.
			s.wm = wm
			t.out.EmitBatch(rb)
			return types.GetBatch(physWidth, t.rows.next)
		}
	} else {
		// The same fast path for rows that get the processing time: the
		// rows are widened into a batch of their own, which goes whole.
		now = t.job.opts.Now()
		ext := withProctime(rb, procCol, width, now)
		if wmSpec == nil {
			t.out.EmitBatch(ext)
			return rb
		}
		if wm, cut := t.scanWatermark(s, ext); !cut {
			s.wm = wm
			t.out.EmitBatch(ext)
			return rb
		}
		types.PutBatch(ext)
	}
	row := make([]types.Value, width)
	for i := 0; i < rb.Len(); i++ {
		in := rb.Row(i)
		if procCol < 0 {
			copy(row, in)
		} else {
			copy(row[:procCol], in[:procCol])
			row[procCol] = types.TimestampValue(now)
			copy(row[procCol+1:], in[procCol:])
		}
		if wmSpec != nil {
			tv := row[wmSpec.Column]
			if !tv.IsNull() {
				ts := tv.Millis()
				// A row at or behind the watermark that rows before it
				// established must see that watermark first.
				if w, _ := t.currentWatermark(); w > t.emitted && ts <= w {
					t.out.flush()
					t.emitWatermark()
				}
				if c := ts - wmSpec.DelayMs; c > s.wm {
					s.wm = c
				}
			}
		}
		t.out.Emit(rb.Ops[i], row)
	}
	return rb
}

// withProctime returns a new batch (from the pool) of rb's rows, each with
// the processing time now inserted at column procCol (rows of width
// values).
func withProctime(rb *types.Batch, procCol, width int, now int64) *types.Batch {
	n := rb.Len()
	ext := types.GetBatch(width, n)
	ext.Ops = append(ext.Ops[:0], rb.Ops...)
	ext.Vals = slices.Grow(ext.Vals[:0], n*width)[:n*width]
	pt := types.TimestampValue(now)
	for i := 0; i < n; i++ {
		in, out := rb.Row(i), ext.Vals[i*width:(i+1)*width:(i+1)*width]
		copy(out[:procCol], in[:procCol])
		out[procCol] = pt
		copy(out[procCol+1:], in[procCol:])
	}
	return ext
}

// scanWatermark reports whether some row of rb would be at or behind the
// watermark established by the rows before it (so the watermark must be
// sent before that row), and otherwise split s's watermark after rb. It
// leaves s.wm as it is.
func (t *sourceTask) scanWatermark(s *splitState, rb *types.Batch) (wm int64, cut bool) {
	col, delay := t.v.Source.Watermark.Column, t.v.Source.Watermark.DelayMs
	// The task's watermark while rows of s go by is min(others, wm):
	// currentWatermark with s's watermark as it evolves (s is not idle).
	others := MaxWatermark
	for _, o := range t.states {
		if o == s || o.idle && !o.ended {
			continue
		}
		others = min(others, o.wm)
	}
	wm = s.wm
	emitted := t.emitted
	w := min(others, wm)
	for i, n := col, len(rb.Vals); i < n; i += rb.Width {
		tv := &rb.Vals[i]
		if tv.IsNull() {
			continue
		}
		ts := tv.Millis()
		if w > emitted && ts <= w {
			return 0, true
		}
		if c := ts - delay; c > wm {
			wm = c
			w = min(others, wm)
		}
	}
	return wm, false
}

// emitWatermark sends the current watermark if it advanced.
func (t *sourceTask) emitWatermark() {
	if t.v.Source.Watermark == nil && !t.v.Source.ReaderWatermarks {
		return
	}
	w, any := t.currentWatermark()
	if !any {
		return
	}
	if t.liveSplitActive() {
		// A split that has not ended is active again. (Ended splits
		// count in the watermark but do not make an idle task active:
		// it would say active and idle in turn every round.)
		t.activate()
	}
	if w > t.emitted && w != MaxWatermark {
		t.emitted = w
		t.out.broadcast(Message{Kind: MsgWatermark, Watermark: w})
		t.metrics.Watermark.Store(w)
	}
}

// checkIdle marks splits idle: after the idle timeout without rows (a
// split whose reader reports records waiting, or does not know yet, is
// not idle: connectors.PendingRecordsReporter), and
// while their reader says so (connectors.IdleReporter: an exchange
// partition whose producers are all idle); and tells downstream when the
// whole task is idle, or active again (see watermarkValve).
func (t *sourceTask) checkIdle() {
	timeout := t.v.Source.IdleTimeoutMs
	now := t.job.opts.Now()
	allIdle, reported, live := true, false, 0
	for _, s := range t.states {
		if s.ended {
			continue
		}
		live++
		backlog := false
		if pr, ok := s.reader.(connectors.PendingRecordsReporter); ok && pr.PendingRecords() != 0 {
			// Records wait in the split's log (or its first fetch has not
			// answered yet): it is not idle, however long they take to
			// arrive (a slow fetch on a loaded machine, after a restore),
			// nor while its reader last saw its producers idle. Were it
			// idle, the operators downstream would move their watermark
			// past its rows, which would then come late.
			s.lastRow = now
			backlog = true
		}
		timedOut := timeout > 0 && now-s.lastRow >= timeout
		if ir, ok := s.reader.(connectors.IdleReporter); ok {
			reported = true
			s.idle = (timedOut || ir.Idle()) && !backlog
		} else if timedOut {
			s.idle = true
		}
		if !s.idle {
			allIdle = false
		}
	}
	if timeout <= 0 && !reported {
		return
	}
	if allIdle && !t.idleOut && (live > 0 || len(t.states) == 0) {
		t.idleOut = true
		t.out.flush()
		t.flushIdleWatermark()
		t.out.broadcast(Message{Kind: MsgWatermark, Idle: true})
	}
	if !allIdle {
		t.activate()
	}
}

// flushIdleWatermark, when the task goes idle, sends the watermark its
// splits established, if that is an advance: with their own watermarks
// (SourceSpec.ReaderWatermarks: exchange partitions, the receiving end of
// a shuffle), the largest of its live splits, as an operator task does
// when its inputs all went idle (see watermarkValve): otherwise the split
// idle last would hold the task's watermark. For other sources, the
// smallest over the live splits that have one (a row or a restored
// watermark): a split that never had a row holds the task's watermark
// until it is idle, and when it goes idle together with the others (its
// first fetch answered only as they finished reading, on a loaded
// machine), the watermark their rows established would otherwise never
// be sent, and the operators downstream would wait for it for good.
func (t *sourceTask) flushIdleWatermark() {
	top := MinWatermark
	if t.v.Source.ReaderWatermarks {
		for _, s := range t.states {
			if !s.ended {
				top = max(top, s.wm)
			}
		}
	} else if t.v.Source.Watermark != nil {
		top = MaxWatermark
		for _, s := range t.states {
			if !s.ended && s.wm > MinWatermark {
				top = min(top, s.wm)
			}
		}
	}
	if top > t.emitted && top != MaxWatermark {
		t.emitted = top
		t.out.broadcast(Message{Kind: MsgWatermark, Watermark: top})
		t.metrics.Watermark.Store(top)
	}
}

// liveSplitActive reports whether a split that has not ended is not idle.
func (t *sourceTask) liveSplitActive() bool {
	for _, s := range t.states {
		if !s.ended && !s.idle {
			return true
		}
	}
	return false
}

// activate tells downstream that the task is active again, when it said
// it was idle: before the rows or the watermark that follow.
func (t *sourceTask) activate() {
	if !t.idleOut {
		return
	}
	t.idleOut = false
	t.out.flush()
	t.out.broadcast(Message{Kind: MsgWatermark, Watermark: t.emitted})
}
