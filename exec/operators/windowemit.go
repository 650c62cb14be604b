package operators

import (
	"container/heap"
	"encoding/binary"

	"github.com/streamsql/streamsql/exec"
	"github.com/streamsql/streamsql/exec/agg"
	"github.com/streamsql/streamsql/exec/window"
	"github.com/streamsql/streamsql/plan"
	"github.com/streamsql/streamsql/state"
	"github.com/streamsql/streamsql/types"
)

// EmitStrategy is a window aggregate's emit strategy (Flink's
// table.exec.emit.* keys). The zero value is the default: each window
// emits once, when the watermark passes its end, and later rows are
// dropped.
type EmitStrategy struct {
	// AllowLateness (ms, event time only): a fired window's state is kept
	// until the watermark reaches end - 1 + AllowLateness; a row arriving
	// in that time updates the window, which emits -U old / +U new.
	AllowLateness int64
	// EarlyFire: before the window closes, a window whose result changed
	// emits it every EarlyDelay ms of processing time (0: on every row).
	EarlyFire  bool
	EarlyDelay int64
	// LateFire (needs AllowLateness > 0): late rows' updates are emitted
	// every LateDelay ms of processing time (0: on every late row) instead
	// of at once.
	LateFire  bool
	LateDelay int64
}

// Active reports whether the strategy differs from the default: the
// window aggregate then produces a changelog.
func (s EmitStrategy) Active() bool { return s.AllowLateness > 0 || s.EarlyFire }

// NewWindowAggEmit returns the operator of a TUMBLE, HOP or CUMULATE
// window aggregate (see NewWindowAgg) under emit strategy emit. An active
// strategy makes the output a changelog (see emitAgg); an inactive one,
// and any strategy on a SESSION window, gives NewWindowAgg's operator.
// The strategy is kept out of WindowAggSpec so that the default
// operators' layout does not depend on it.
func NewWindowAggEmit(spec WindowAggSpec, emit EmitStrategy) exec.Operator {
	if !emit.Active() || spec.Window.Kind == plan.Session {
		return NewWindowAgg(spec)
	}
	return &emitAgg{windowBase: windowBase{spec: spec}, emit: emit}
}

// emitAgg runs TUMBLE, HOP and CUMULATE windows under an active
// EmitStrategy. The default strategy runs in sliceAgg, whose hot path
// knows nothing of it.
//
// State "emitwins": (group key ++ window end) -> emitEntry: the window's
// accumulators, whether it fired (the watermark passed its end), whether
// its result changed since its last emission, and the result it last
// emitted (for the -U row). Each row is folded into every window holding
// it (no slice sharing). Timers (local, rebuilt in Open): the window end
// for a window not fired yet; end + AllowLateness for a fired one, when
// its state is dropped; and a processing-time queue of windows waiting for
// an early or late emission.
//
// Output: the first emission of a window is +I, later ones -U (the
// previous row) then +U (the new one); nothing when the result did not
// change since the last emission. A window every row of which was
// retracted after it emitted sends -D of its last row.
type emitAgg struct {
	windowBase
	emit    EmitStrategy
	wins    *store[*emitEntry]
	cleanup *timers // end + lateness -> state keys of fired windows
	due     dueQueue
	bounds  []window.Bounds
	prev    []types.Value
}

type emitEntry struct {
	marks
	key        []types.Value
	start, end int64
	fired      bool // the watermark passed end - 1: the on-time result went out
	pending    bool // changed since the last emission
	// due is the processing time of the window's next early or late
	// emission (0: none waiting). It is state, like Flink's
	// processing-time timers: a restored window waiting for one is
	// emitted at that time (at once when it has passed).
	due  int64
	acc  agg.Acc
	last []types.Value // results last emitted; nil: nothing out
}

type emitEntryCodec struct{}

func (emitEntryCodec) Append(buf []byte, e *emitEntry) []byte {
	buf = types.AppendValues(buf, e.key)
	buf = binary.AppendVarint(buf, e.start)
	buf = binary.AppendVarint(buf, e.end)
	buf = binary.AppendVarint(buf, e.due)
	var flags byte
	if e.fired {
		flags |= 1
	}
	if e.pending {
		flags |= 2
	}
	if e.last != nil {
		flags |= 4
	}
	buf = append(buf, flags)
	buf = agg.AppendAcc(buf, &e.acc)
	if e.last != nil {
		buf = types.AppendValues(buf, e.last)
	}
	return buf
}

func (emitEntryCodec) Decode(buf []byte) (*emitEntry, error) {
	e := &emitEntry{}
	var err error
	if e.key, buf, err = types.DecodeValues(buf); err != nil {
		return nil, err
	}
	var k int
	if e.start, k = binary.Varint(buf); k <= 0 {
		return nil, errCorrupt
	}
	buf = buf[k:]
	if e.end, k = binary.Varint(buf); k <= 0 {
		return nil, errCorrupt
	}
	buf = buf[k:]
	if e.due, k = binary.Varint(buf); k <= 0 {
		return nil, errCorrupt
	}
	buf = buf[k:]
	if len(buf) == 0 {
		return nil, errCorrupt
	}
	flags := buf[0]
	buf = buf[1:]
	e.fired, e.pending = flags&1 != 0, flags&2 != 0
	if buf, err = agg.DecodeAcc(buf, &e.acc); err != nil {
		return nil, err
	}
	if flags&4 != 0 {
		if e.last, buf, err = types.DecodeValues(buf); err != nil {
			return nil, err
		}
		if e.last == nil {
			e.last = []types.Value{}
		}
	}
	if len(buf) != 0 {
		return nil, errCorrupt
	}
	return e, nil
}

const emitWinsState = "emitwins"

func (o *emitAgg) Open(ctx *exec.Context) error {
	if err := o.open(ctx); err != nil {
		return err
	}
	w := o.spec.Window
	switch w.Kind {
	case plan.Tumble, plan.Hop, plan.Cumulate:
	default:
		return errorf("window kind %s has no emit strategy", w.Kind)
	}
	if w.Size <= 0 || (w.Kind == plan.Hop && w.Slide <= 0) || (w.Kind == plan.Cumulate && w.Step <= 0) {
		return errorf("%s window needs a positive size, slide or step", w.Kind)
	}
	var err error
	if o.wins, err = newStore(ctx.State, emitWinsState, state.Codec[*emitEntry](emitEntryCodec{})); err != nil {
		return err
	}
	o.cleanup = newTimers()
	o.due = nil
	o.prev = make([]types.Value, len(o.out))
	o.wins.rangeAll(func(kg int, key string, e *emitEntry) bool {
		k := []byte(key)
		if e.fired {
			o.cleanup.add(e.end+o.emit.AllowLateness, kg, k)
		} else {
			o.timers.add(e.end, kg, k)
		}
		if e.due != 0 {
			heap.Push(&o.due, dueItem{at: e.due, kg: kg, key: key})
		}
		return true
	})
	o.timers.sortAll()
	o.cleanup.sortAll()
	return nil
}

func (o *emitAgg) now() int64 {
	if o.ctx.Now == nil {
		return 0
	}
	return o.ctx.Now()
}

// assign returns the windows holding ts.
func (o *emitAgg) assign(ts int64) []window.Bounds {
	w, off := &o.spec.Window, o.spec.Window.Offset
	t := ts - off
	b := o.bounds[:0]
	switch w.Kind {
	case plan.Tumble:
		b = append(b, window.Tumble(t, w.Size))
	case plan.Hop:
		b = window.AppendHop(b, t, w.Slide, w.Size)
	case plan.Cumulate:
		b = window.AppendCumulate(b, t, w.Step, w.Size)
	}
	for i := range b {
		b[i].Start += off
		b[i].End += off
	}
	o.bounds = b
	return b
}

func (o *emitAgg) ProcessBatch(_ int, b *types.Batch) error {
	defer o.countLate()
	lateness := o.emit.AllowLateness
	for i, n := 0, b.Len(); i < n; i++ {
		row := b.Row(i)
		kg, err := o.key.group(row)
		if err != nil {
			return err
		}
		ts, wm, ok := o.rowTime(row, kg)
		if !ok {
			continue
		}
		retract := b.Ops[i].IsRetraction()
		o.keyBuf = o.key.appendKey(o.keyBuf[:0], row)
		gkLen := len(o.keyBuf)
		dropped := false
		for _, wb := range o.assign(ts) {
			if window.Fired(wb.End+lateness, wm) {
				dropped = true
				continue
			}
			o.keyBuf = appendTime(o.keyBuf[:gkLen], wb.End)
			e, ok := o.wins.get(kg, o.keyBuf)
			if !ok {
				if retract {
					continue // nothing to retract from
				}
				e = &emitEntry{key: o.key.keyValues(row), start: wb.Start, end: wb.End}
				o.funcs.Init(&e.acc)
				if window.Fired(wb.End, wm) {
					// a window whose first row is late (within the
					// lateness): it is in its late phase at once
					e.fired = true
					o.cleanup.add(wb.End+lateness, kg, o.keyBuf)
				} else {
					o.timers.add(wb.End, kg, o.keyBuf)
				}
				o.wins.insert(kg, o.keyBuf, e)
			}
			if retract {
				err = o.funcs.Retract(&e.acc, row)
			} else {
				err = o.funcs.Add(&e.acc, row)
			}
			if err != nil {
				return err
			}
			e.pending = true
			switch {
			case e.fired && o.emit.LateFire && o.emit.LateDelay > 0:
				o.schedule(e, kg, o.keyBuf, o.now()+o.emit.LateDelay)
			case e.fired:
				o.emitEntry(e)
			case o.emit.EarlyFire && o.emit.EarlyDelay > 0:
				o.schedule(e, kg, o.keyBuf, o.now()+o.emit.EarlyDelay)
			case o.emit.EarlyFire:
				o.emitEntry(e)
			}
		}
		if dropped {
			o.late++
		}
		if o.resultErr != nil {
			return o.resultErr
		}
	}
	o.wins.maybeFlush()
	return nil
}

// emitEntry sends e's current result when it differs from the last one it
// sent: +I the first time, else -U last / +U current; -D last when the
// window has no rows left.
func (o *emitAgg) emitEntry(e *emitEntry) {
	e.pending = false
	if o.resultErr != nil {
		return
	}
	n := copy(o.out, e.key)
	o.out[n] = types.TimestampValue(e.start)
	o.out[n+1] = types.TimestampValue(e.end)
	if e.acc.Rows <= 0 {
		if e.last != nil {
			copy(o.out[n+2:], e.last)
			o.ctx.Out.Emit(types.Delete, o.out)
			e.last = nil
		}
		return
	}
	res := o.out[n+2:]
	if err := o.funcs.Results(res, &e.acc); err != nil {
		o.resultErr = err
		return
	}
	if e.last == nil {
		o.ctx.Out.Emit(types.Insert, o.out)
		e.last = append(make([]types.Value, 0, len(res)), res...)
		return
	}
	if sameValues(e.last, res) {
		return
	}
	copy(o.prev, o.out[:n+2])
	copy(o.prev[n+2:], e.last)
	o.ctx.Out.Emit(types.UpdateBefore, o.prev)
	o.ctx.Out.Emit(types.UpdateAfter, o.out)
	copy(e.last, res)
}

// schedule queues window e, under key (key group kg), for an emission at
// processing time at, unless it waits for one already.
func (o *emitAgg) schedule(e *emitEntry, kg int, key []byte, at int64) {
	if e.due != 0 {
		return
	}
	e.due = max(at, 1)
	heap.Push(&o.due, dueItem{at: e.due, kg: kg, key: string(key)})
}

func (o *emitAgg) ProcessWatermark(wm int64) error {
	if err := o.advance(wm, o.fire); err != nil {
		return err
	}
	return o.clean(o.clock.wm)
}

// fire emits the on-time result of the window under key (when it changed
// since an early emission) and drops the window, or with a lateness keeps
// it until the lateness has passed.
func (o *emitAgg) fire(kg int, key []byte, end int64) error {
	e, ok := o.wins.get(kg, key)
	if !ok || e.fired {
		return nil
	}
	e.fired = true
	o.emitEntry(e)
	if o.emit.AllowLateness > 0 {
		o.cleanup.add(end+o.emit.AllowLateness, kg, key)
		return nil
	}
	o.wins.remove(kg, key, e)
	return nil
}

// clean drops the windows whose lateness has passed at wm, sending a late
// update still waiting for its delay first.
func (o *emitAgg) clean(wm int64) error {
	for {
		_, b, ok := o.cleanup.pop(wm, false)
		if !ok {
			return nil
		}
		for i := 0; i < b.len(); i++ {
			if o.ctx.Stopped() {
				return exec.ErrStopped
			}
			kg, key := b.kg(i), b.key(i)
			e, ok := o.wins.get(kg, key)
			if !ok || !e.fired {
				continue
			}
			if e.pending {
				o.emitEntry(e)
			}
			o.wins.remove(kg, key, e)
			if o.resultErr != nil {
				return o.resultErr
			}
		}
		o.cleanup.release(b)
	}
}

// OnTick fires processing-time windows, then sends the early and late
// emissions due at now.
func (o *emitAgg) OnTick(now int64) error {
	if err := o.tick(now, o.fire); err != nil {
		return err
	}
	for len(o.due) > 0 && o.due[0].at <= now {
		it := heap.Pop(&o.due).(dueItem)
		if e, ok := o.wins.get(it.kg, []byte(it.key)); ok && e.due == it.at {
			e.due = 0
			if e.pending {
				o.emitEntry(e)
			}
		}
		if o.resultErr != nil {
			return o.resultErr
		}
	}
	o.wins.maybeFlush()
	return nil
}

func (o *emitAgg) SnapshotState(int64) error {
	o.wins.flush()
	o.clock.snapshot()
	return nil
}

func (o *emitAgg) Finish() error { return finishWith(o.SnapshotState, o.wins) }

// dueItem is a window waiting for an early or late emission.
type dueItem struct {
	at  int64
	kg  int
	key string
}

type dueQueue []dueItem

func (q dueQueue) Len() int { return len(q) }
func (q dueQueue) Less(i, j int) bool {
	// ties in key order: the same order however the queue was built
	if q[i].at != q[j].at {
		return q[i].at < q[j].at
	}
	if q[i].key != q[j].key {
		return q[i].key < q[j].key
	}
	return q[i].kg < q[j].kg
}
func (q dueQueue) Swap(i, j int) { q[i], q[j] = q[j], q[i] }
func (q *dueQueue) Push(x any)   { *q = append(*q, x.(dueItem)) }
func (q *dueQueue) Pop() any {
	old := *q
	x := old[len(old)-1]
	*q = old[:len(old)-1]
	return x
}
