package operators

import (
	"slices"

	"github.com/streamsql/streamsql/exec"
	"github.com/streamsql/streamsql/exec/agg"
	"github.com/streamsql/streamsql/plan"
	"github.com/streamsql/streamsql/state"
	"github.com/streamsql/streamsql/types"
)

// OverSpec configures an OVER aggregation.
type OverSpec struct {
	PartitionCols []int // the input is hash-partitioned on them
	TimeCol       int   // the ORDER BY time attribute
	Proctime      bool  // processing time: rows are aggregated on arrival
	Frames        []plan.OverFrame
	Calls         []plan.OverCall // Arg exprs bound against the input row
	// OutWidth is the number of input columns an output row keeps (input
	// columns after it, e.g. computed partition keys, are dropped).
	OutWidth int
}

// NewOver returns the operator of OVER aggregates. Output: each input row
// once, as +I, its first OutWidth columns followed by one value per call,
// computed over the call's frame of the row's partition.
//
// Event time: a row waits in keyed state until the watermark reaches its
// time; then the partition's waiting rows up to the watermark are taken in
// time order (rows with equal times in arrival order). A row whose time is
// at or behind the watermark when it arrives is late: dropped and counted
// in LateRowsDropped. Rows with a NULL time are dropped too. (Flink's
// bounded OVER functions judge a row against the last time their
// partition processed instead, which depends on when watermarks arrive;
// the watermark rule gives the same rows at every parallelism and across
// restores, with the watermark restored per key group, see clock.)
//
// Processing time: a row is aggregated when it arrives, at the operator's
// clock (ctx.Now, never going backwards), in arrival order.
//
// Frames (plan.OverFrame): a ROWS frame gives each row its own value; a
// RANGE frame gives the rows of one time (peers) the same value, computed
// with all of them. Bounded frames slide by retracting the rows that left
// them; the partition keeps the argument slots (over_args.go: arguments,
// FILTER conditions, ORDER BY keys, further COUNT(DISTINCT) arguments) of
// the rows its bounded frames still cover (at most n+1 rows for ROWS n
// PRECEDING), so that a row is retracted with the values it was added
// with.
func NewOver(spec OverSpec) exec.Operator { return &overOp{spec: spec} }

// overFrame is the compiled state of one frame: its calls' accumulators
// functions and where its calls' values go in the output row.
type overFrame struct {
	plan.OverFrame
	funcs *agg.Funcs
	outAt []int // output column of each of the frame's calls
}

type overOp struct {
	exec.Base
	spec    OverSpec
	ctx     *exec.Context
	metrics *exec.Metrics
	key     keying
	frames  []overFrame
	args    *overArgs // the argument row's layout (over_args.go)
	hasHist bool      // some frame is bounded
	hasRow  bool      // some frame is ROWS
	hasRng  bool      // some frame is RANGE
	parts   *store[*overEntry]
	// hot indexes the partitions by keying.hotHash (memory backend only,
	// whose entries are the stored ones and are never removed), so that a
	// row skips encoding its key and the string-keyed lookup.
	hot    map[uint64]*overEntry
	clock  clock
	timers *timers
	// ptimers replaces timers on the memory backend: buckets of entry
	// pointers, so that firing skips the state lookup.
	ptimers *entryTimers
	now     int64 // processing time of the last row
	late    int64

	keyBuf  []byte
	argRow  []types.Value
	res     []types.Value
	out     []types.Value
	group   []types.Value // output rows of a peer group (RANGE frames)
	due     []int
	pendOut []types.Value
}

// overEntry is the state of one partition.
//
// Rows get sequence numbers in processing order: hist holds the argument
// rows [base, next) (stride 1+args.width(): the time, then the argument
// slots),
// starts[f] is the first row still in bounded frame f's accumulators.
// pend holds the rows waiting for the watermark (stride OutWidth) in
// arrival order, with their times in pendTs; timer is the end registered
// with the timers for them (armed).
type overEntry struct {
	marks
	key    []types.Value
	accs   []agg.Acc
	starts []int64
	base   int64
	next   int64
	hist   []types.Value
	pend   []types.Value
	pendTs []int64
	armed  bool
	timer  int64
	enc    []byte // the state key (not serialised)
	kg     int32  // the key group (not serialised)
}

const overState = "over"

func (o *overOp) Open(ctx *exec.Context) error {
	o.ctx = ctx
	o.metrics = metricsOf(ctx)
	o.key = newKeying(ctx, o.spec.PartitionCols)
	if o.spec.TimeCol < 0 || o.spec.TimeCol >= o.spec.OutWidth {
		return errorf("over: time column %d out of range", o.spec.TimeCol)
	}
	o.args = newOverArgs(o.spec.Calls)
	o.frames = make([]overFrame, len(o.spec.Frames))
	byFrame := make([][]plan.AggCall, len(o.spec.Frames))
	for i, c := range o.spec.Calls {
		if c.Frame < 0 || c.Frame >= len(o.frames) {
			return errorf("over: call %d's frame %d out of range", i, c.Frame)
		}
		byFrame[c.Frame] = append(byFrame[c.Frame], o.args.calls[i])
		o.frames[c.Frame].outAt = append(o.frames[c.Frame].outAt, o.spec.OutWidth+i)
	}
	for i, f := range o.spec.Frames {
		// An unbounded frame never retracts a row (the input is
		// insert-only): its DISTINCT calls keep presence sets.
		fs, err := agg.Compile(byFrame[i], true)
		if f.Unbounded {
			fs, err = agg.CompileInsertOnly(byFrame[i])
		}
		if err != nil {
			return err
		}
		o.frames[i].OverFrame, o.frames[i].funcs = f, fs
		o.hasHist = o.hasHist || !f.Unbounded
		o.hasRow = o.hasRow || f.Rows
		o.hasRng = o.hasRng || !f.Rows
	}
	o.argRow = make([]types.Value, o.args.width())
	o.res = make([]types.Value, len(o.spec.Calls))
	o.out = make([]types.Value, o.spec.OutWidth+len(o.spec.Calls))
	o.timers = newTimers()
	var err error
	if o.parts, err = newStore(ctx.State, overState, overCodec{}); err != nil {
		return err
	}
	if o.parts.shared {
		o.hot = make(map[uint64]*overEntry)
	}
	if err := o.clock.open(ctx); err != nil {
		return err
	}
	if o.parts.shared {
		o.ptimers = &entryTimers{buckets: map[int64][]*overEntry{}}
	}
	o.parts.rangeAll(func(kg int, key string, e *overEntry) bool {
		if e.armed {
			e.kg, e.enc = int32(kg), []byte(key)
			o.arm(kg, e.enc, e, e.timer)
		}
		return true
	})
	o.timers.sortAll()
	return nil
}

// ReleasesInput implements exec.InputReleaser: rows are copied into state.
func (o *overOp) ReleasesInput() bool { return true }

// entry returns the partition of row for mutation, creating it. Its
// state key is e.enc.
func (o *overOp) entry(kg int, row []types.Value) *overEntry {
	var h uint64
	if o.hot != nil {
		h = o.key.hotHash(row)
		if e := o.hot[h]; e != nil && o.key.sameKey(e.key, row) {
			if !e.dirty {
				o.parts.touch(kg, e.enc, e)
			}
			return e
		}
	}
	o.keyBuf = o.key.appendKey(o.keyBuf[:0], row)
	e, ok := o.parts.get(kg, o.keyBuf)
	if !ok {
		e = &overEntry{key: o.key.keyValues(row), accs: make([]agg.Acc, len(o.frames)), starts: make([]int64, len(o.frames))}
		for i := range o.frames {
			o.frames[i].funcs.Init(&e.accs[i])
		}
		o.parts.insert(kg, o.keyBuf, e)
	}
	if e.enc == nil {
		e.enc = append([]byte(nil), o.keyBuf...)
		e.kg = int32(kg)
	}
	if o.hot != nil {
		o.hot[h] = e
	}
	return e
}

func (o *overOp) ProcessBatch(_ int, b *types.Batch) error {
	w := o.spec.OutWidth
	if o.spec.Proctime {
		o.now = max(o.now, o.ctx.Now())
	}
	for i, n := 0, b.Len(); i < n; i++ {
		row := b.Row(i)
		if b.Ops[i].IsRetraction() {
			return errorf("OverAggregate doesn't support consuming update and delete changes")
		}
		kg, err := o.key.group(row)
		if err != nil {
			return err
		}
		if o.spec.Proctime {
			e := o.entry(kg, row)
			if err := o.processGroup(e, row[:w], 1, o.now); err != nil {
				return err
			}
			continue
		}
		tv := row[o.spec.TimeCol]
		if tv.IsNull() {
			continue
		}
		ts := tv.Millis()
		if ts <= o.clock.at(kg) {
			o.late++
			continue
		}
		e := o.entry(kg, row)
		e.pend = append(e.pend, row[:w]...)
		e.pendTs = append(e.pendTs, ts)
		if !e.armed || ts+1 < e.timer {
			o.arm(kg, e.enc, e, ts+1)
		}
	}
	o.countLate()
	o.parts.maybeFlush()
	return nil
}

func (o *overOp) countLate() {
	if o.late > 0 {
		o.metrics.LateRowsDropped.Add(o.late)
		o.late = 0
	}
}

func (o *overOp) ProcessWatermark(wm int64) error {
	if o.spec.Proctime || !o.clock.advance(wm) {
		return nil
	}
	for o.ptimers != nil {
		end, es, ok := o.ptimers.pop(wm)
		if !ok {
			break
		}
		for _, e := range es {
			if o.ctx.Stopped() {
				return exec.ErrStopped
			}
			if !e.armed || e.timer != end {
				continue
			}
			if !e.dirty {
				o.parts.touch(int(e.kg), e.enc, e)
			}
			if err := o.fireEntry(int(e.kg), e.enc, e, wm); err != nil {
				return err
			}
		}
		o.ptimers.release(es)
	}
	for {
		end, bk, ok := o.timers.pop(wm, false)
		if !ok {
			break
		}
		for i := 0; i < bk.len(); i++ {
			if o.ctx.Stopped() {
				return exec.ErrStopped
			}
			if err := o.fire(bk.kg(i), bk.key(i), end, wm); err != nil {
				return err
			}
		}
		o.timers.release(bk)
	}
	o.parts.maybeFlush()
	return nil
}

// fire takes the partition's rows up to wm, if end is its armed timer
// (otherwise the timer is stale: an earlier one took the rows).
func (o *overOp) fire(kg int, key []byte, end, wm int64) error {
	e, ok := o.parts.get(kg, key)
	if !ok || !e.armed || e.timer != end {
		return nil
	}
	return o.fireEntry(kg, key, e, wm)
}

// arm registers e (state key key) to fire when the watermark reaches
// end - 1.
func (o *overOp) arm(kg int, key []byte, e *overEntry, end int64) {
	e.armed, e.timer = true, end
	if o.ptimers != nil {
		o.ptimers.add(end, e)
		return
	}
	o.timers.add(end, kg, key)
}

// fireEntry takes partition e's rows up to wm (e is armed and its timer
// due; e was obtained for mutation).
func (o *overOp) fireEntry(kg int, key []byte, e *overEntry, wm int64) error {
	e.armed = false
	w := o.spec.OutWidth
	o.due = o.due[:0]
	for i, ts := range e.pendTs {
		if ts <= wm {
			o.due = append(o.due, i)
		}
	}
	sorted := true
	for j := 1; j < len(o.due); j++ {
		if e.pendTs[o.due[j]] < e.pendTs[o.due[j-1]] {
			sorted = false
			break
		}
	}
	if !sorted {
		slices.SortStableFunc(o.due, func(a, b int) int {
			x, y := e.pendTs[a], e.pendTs[b]
			switch {
			case x < y:
				return -1
			case x > y:
				return 1
			}
			return 0
		})
	}
	all := len(o.due) == len(e.pendTs)
	if all && sorted {
		// the common case: every waiting row is due, in time order
		for j := 0; j < len(e.pendTs); {
			k := j + 1
			for k < len(e.pendTs) && e.pendTs[k] == e.pendTs[j] {
				k++
			}
			if err := o.processGroup(e, e.pend[j*w:k*w], k-j, e.pendTs[j]); err != nil {
				return err
			}
			j = k
		}
		clear(e.pend)
		e.pend, e.pendTs = e.pend[:0], e.pendTs[:0]
		return nil
	}
	for j := 0; j < len(o.due); {
		k := j + 1
		ts := e.pendTs[o.due[j]]
		for k < len(o.due) && e.pendTs[o.due[k]] == ts {
			k++
		}
		o.pendOut = o.pendOut[:0]
		for _, d := range o.due[j:k] {
			o.pendOut = append(o.pendOut, e.pend[d*w:(d+1)*w]...)
		}
		if err := o.processGroup(e, o.pendOut, k-j, ts); err != nil {
			return err
		}
		j = k
	}
	// keep the rows that are not due, in arrival order
	keep, minTs := 0, int64(0)
	for i, ts := range e.pendTs {
		if ts <= wm {
			continue
		}
		copy(e.pend[keep*w:(keep+1)*w], e.pend[i*w:(i+1)*w])
		e.pendTs[keep] = ts
		if keep == 0 || ts < minTs {
			minTs = ts
		}
		keep++
	}
	clear(e.pend[keep*w:])
	e.pend, e.pendTs = e.pend[:keep*w], e.pendTs[:keep]
	if keep > 0 {
		o.arm(kg, key, e, minTs+1)
	}
	return nil
}

func (o *overOp) SnapshotState(int64) error {
	o.parts.flush()
	o.clock.snapshot()
	return nil
}

func (o *overOp) Finish() error { return finishWith(o.SnapshotState, o.parts) }

// copyState implements the test harness's stateCopier.
func (o *overOp) copyState(dst state.Backend) error {
	if err := o.parts.copyTo(dst); err != nil {
		return err
	}
	return o.clock.copyTo(dst)
}
