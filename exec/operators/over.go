package operators

import (
	"encoding/binary"

	"slices"

	"github.com/streamsql/streamsql/exec"
	"github.com/streamsql/streamsql/exec/agg"
	"github.com/streamsql/streamsql/exec/window"
	"github.com/streamsql/streamsql/expr"
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
// them; the partition keeps the argument values of the rows its bounded
// frames still cover (at most n+1 rows for ROWS n PRECEDING).
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
	args    []expr.Expr // the calls' arguments (nil for COUNT(*))
	argCols []int       // args[i]'s input column, or -1
	hasHist bool        // some frame is bounded
	hasRow  bool        // some frame is ROWS
	hasRng  bool        // some frame is RANGE
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
// rows [base, next) (stride 1+len(args): the time, then the arguments),
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
	o.args = make([]expr.Expr, len(o.spec.Calls))
	o.argCols = make([]int, len(o.spec.Calls))
	o.frames = make([]overFrame, len(o.spec.Frames))
	byFrame := make([][]plan.AggCall, len(o.spec.Frames))
	for i, c := range o.spec.Calls {
		o.args[i] = c.Arg
		o.argCols[i] = -1
		if col, ok := expr.AsCol(c.Arg); ok && c.Arg != nil {
			o.argCols[i] = col.Index
		}
		call := c.AggCall
		if c.Arg != nil {
			call.Arg = &expr.Col{Index: i, Name: c.Arg.String(), T: c.Arg.Type()}
		}
		byFrame[c.Frame] = append(byFrame[c.Frame], call)
		o.frames[c.Frame].outAt = append(o.frames[c.Frame].outAt, o.spec.OutWidth+i)
	}
	for i, f := range o.spec.Frames {
		fs, err := agg.Compile(byFrame[i], !f.Unbounded)
		if err != nil {
			return err
		}
		o.frames[i].OverFrame, o.frames[i].funcs = f, fs
		o.hasHist = o.hasHist || !f.Unbounded
		o.hasRow = o.hasRow || f.Rows
		o.hasRng = o.hasRng || !f.Rows
	}
	o.argRow = make([]types.Value, len(o.args))
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

// processGroup aggregates n rows of one time ts (rows: n rows of
// OutWidth values) in order and emits them. For ROWS frames each row gets
// the value after its own row; for RANGE frames every row of the group
// gets the value after all of them.
func (o *overOp) processGroup(e *overEntry, rows []types.Value, n int, ts int64) error {
	w := o.spec.OutWidth
	stride := 1 + len(o.args)
	buffer := o.hasRng && n > 1
	if buffer {
		o.group = slices.Grow(o.group[:0], len(rows)+n*len(o.spec.Calls))[:0]
	}
	for r := 0; r < n; r++ {
		row := rows[r*w : (r+1)*w]
		if err := o.evalArgs(row); err != nil {
			return err
		}
		if o.hasHist {
			e.hist = append(e.hist, types.TimestampValue(ts))
			e.hist = append(e.hist, o.argRow...)
		}
		e.next++
		for fi := range o.frames {
			f := &o.frames[fi]
			acc := &e.accs[fi]
			if err := f.funcs.Add(acc, o.argRow); err != nil {
				return err
			}
			if !f.Rows {
				continue
			}
			if !f.Unbounded {
				for e.next-e.starts[fi] > f.Preceding+1 {
					if err := o.retract(e, fi); err != nil {
						return err
					}
				}
			}
			if err := o.results(f, acc); err != nil {
				return err
			}
		}
		if buffer {
			o.group = append(o.group, row...)
			for fi := range o.frames {
				if f := &o.frames[fi]; f.Rows {
					for _, at := range f.outAt {
						o.group = append(o.group, o.out[at])
					}
				}
			}
			continue
		}
		if o.hasRng {
			if err := o.rangeResults(e, ts); err != nil {
				return err
			}
		}
		copy(o.out, row)
		o.ctx.Out.Emit(types.Insert, o.out)
	}
	if buffer {
		if err := o.rangeResults(e, ts); err != nil {
			return err
		}
		per := w
		for fi := range o.frames {
			if f := &o.frames[fi]; f.Rows {
				per += len(f.outAt)
			}
		}
		for r := 0; r < n; r++ {
			g := o.group[r*per : (r+1)*per]
			copy(o.out, g[:w])
			k := w
			for fi := range o.frames {
				if f := &o.frames[fi]; f.Rows {
					for _, at := range f.outAt {
						o.out[at] = g[k]
						k++
					}
				}
			}
			o.ctx.Out.Emit(types.Insert, o.out)
		}
	}
	if o.hasHist {
		o.trim(e, stride)
	}
	return nil
}

// rangeResults slides the bounded RANGE frames to [ts - preceding, ts]
// and writes the RANGE frames' values into o.out.
func (o *overOp) rangeResults(e *overEntry, ts int64) error {
	stride := 1 + len(o.args)
	for fi := range o.frames {
		f := &o.frames[fi]
		if f.Rows {
			continue
		}
		if !f.Unbounded {
			for e.starts[fi] < e.next {
				at := int(e.starts[fi]-e.base) * stride
				if e.hist[at].Millis() >= ts-f.Preceding {
					break
				}
				if err := o.retract(e, fi); err != nil {
					return err
				}
			}
		}
		if err := o.results(f, &e.accs[fi]); err != nil {
			return err
		}
	}
	return nil
}

// retract takes the oldest row of bounded frame fi out of it.
func (o *overOp) retract(e *overEntry, fi int) error {
	stride := 1 + len(o.args)
	at := int(e.starts[fi]-e.base) * stride
	e.starts[fi]++
	return o.frames[fi].funcs.Retract(&e.accs[fi], e.hist[at+1:at+stride])
}

// results writes frame f's values into o.out.
func (o *overOp) results(f *overFrame, acc *agg.Acc) error {
	res := o.res[:len(f.outAt)]
	if err := f.funcs.Results(res, acc); err != nil {
		return err
	}
	for i, at := range f.outAt {
		o.out[at] = res[i]
	}
	return nil
}

// trim drops the history rows that no bounded frame covers any more.
func (o *overOp) trim(e *overEntry, stride int) {
	low := e.next
	for fi := range o.frames {
		if !o.frames[fi].Unbounded {
			low = min(low, e.starts[fi])
		}
	}
	drop := int(low - e.base)
	if drop <= 0 {
		return
	}
	// Compact when the dead prefix is at least half the slice, so that
	// each row is copied O(1) times.
	if k := drop * stride; 2*k >= len(e.hist) || len(e.hist) == k {
		n := copy(e.hist, e.hist[k:])
		clear(e.hist[n:])
		e.hist = e.hist[:n]
		e.base = low
	}
}

// evalArgs computes the calls' arguments of row into o.argRow.
func (o *overOp) evalArgs(row []types.Value) error {
	for i, a := range o.args {
		switch {
		case a == nil:
			o.argRow[i] = types.Value{}
		case o.argCols[i] >= 0:
			o.argRow[i] = row[o.argCols[i]]
		default:
			v, err := a.Eval(row)
			if err != nil {
				return err
			}
			o.argRow[i] = v
		}
	}
	return nil
}

func (o *overOp) SnapshotState(int64) error {
	o.parts.flush()
	o.clock.snapshot()
	return nil
}

func (o *overOp) Finish() error { return o.SnapshotState(0) }

// copyState implements the test harness's stateCopier.
func (o *overOp) copyState(dst state.Backend) error {
	if err := o.parts.copyTo(dst); err != nil {
		return err
	}
	return o.clock.copyTo(dst)
}

// overCodec encodes a partition: key, timer, sequence numbers, per frame
// its start and accumulators, the history and the waiting rows.
type overCodec struct{}

func (overCodec) Append(buf []byte, e *overEntry) []byte {
	buf = types.AppendValues(buf, e.key)
	armed := int64(0)
	if e.armed {
		armed = 1
	}
	buf = binary.AppendVarint(buf, armed)
	buf = binary.AppendVarint(buf, e.timer)
	buf = binary.AppendVarint(buf, e.base)
	buf = binary.AppendVarint(buf, e.next)
	buf = binary.AppendUvarint(buf, uint64(len(e.accs)))
	for i := range e.accs {
		buf = binary.AppendVarint(buf, e.starts[i])
		buf = agg.AppendAcc(buf, &e.accs[i])
	}
	buf = types.AppendValues(buf, e.hist)
	buf = types.AppendValues(buf, e.pend)
	buf = binary.AppendUvarint(buf, uint64(len(e.pendTs)))
	for _, ts := range e.pendTs {
		buf = binary.AppendVarint(buf, ts)
	}
	return buf
}

func (overCodec) Decode(buf []byte) (*overEntry, error) {
	e := &overEntry{}
	var err error
	if e.key, buf, err = types.DecodeValues(buf); err != nil {
		return nil, err
	}
	var ints [4]int64
	for i := range ints {
		v, k := binary.Varint(buf)
		if k <= 0 {
			return nil, errCorrupt
		}
		ints[i], buf = v, buf[k:]
	}
	e.armed, e.timer, e.base, e.next = ints[0] == 1, ints[1], ints[2], ints[3]
	nf, k := binary.Uvarint(buf)
	if k <= 0 || nf > uint64(len(buf)) {
		return nil, errCorrupt
	}
	buf = buf[k:]
	e.accs = make([]agg.Acc, nf)
	e.starts = make([]int64, nf)
	for i := range e.accs {
		v, k := binary.Varint(buf)
		if k <= 0 {
			return nil, errCorrupt
		}
		e.starts[i], buf = v, buf[k:]
		if buf, err = agg.DecodeAcc(buf, &e.accs[i]); err != nil {
			return nil, err
		}
	}
	if e.hist, buf, err = types.DecodeValues(buf); err != nil {
		return nil, err
	}
	if e.pend, buf, err = types.DecodeValues(buf); err != nil {
		return nil, err
	}
	np, k := binary.Uvarint(buf)
	if k <= 0 || np > uint64(len(buf)) {
		return nil, errCorrupt
	}
	buf = buf[k:]
	e.pendTs = make([]int64, np)
	for i := range e.pendTs {
		v, k := binary.Varint(buf)
		if k <= 0 {
			return nil, errCorrupt
		}
		e.pendTs[i], buf = v, buf[k:]
	}
	if len(buf) != 0 {
		return nil, errCorrupt
	}
	return e, nil
}

// entryTimers is timers for the memory backend, whose entries are the
// stored ones: buckets of entry pointers by end. Like timers, it is not
// state: Open rebuilds it from the entries' armed timers.
type entryTimers struct {
	buckets map[int64][]*overEntry
	ends    endHeap
	free    [][]*overEntry
}

func (t *entryTimers) add(end int64, e *overEntry) {
	b, ok := t.buckets[end]
	if !ok {
		t.pushEnd(end)
		if n := len(t.free); n > 0 {
			b, t.free = t.free[n-1], t.free[:n-1]
		}
	}
	t.buckets[end] = append(b, e)
}

// pop removes and returns the entries of the smallest end that has fired
// at wm; the caller hands the slice back with release.
func (t *entryTimers) pop(wm int64) (int64, []*overEntry, bool) {
	if len(t.ends) == 0 || !window.Fired(t.ends[0], wm) {
		return 0, nil, false
	}
	end := t.popEnd()
	b := t.buckets[end]
	delete(t.buckets, end)
	return end, b, true
}

func (t *entryTimers) release(b []*overEntry) {
	clear(b)
	t.free = append(t.free, b[:0])
}

// pushEnd and popEnd keep ends a min-heap (container/heap without the
// boxing of its interface).
func (t *entryTimers) pushEnd(end int64) {
	h := append(t.ends, end)
	for i := len(h) - 1; i > 0; {
		p := (i - 1) / 2
		if h[p] <= h[i] {
			break
		}
		h[p], h[i] = h[i], h[p]
		i = p
	}
	t.ends = h
}

func (t *entryTimers) popEnd() int64 {
	h := t.ends
	top := h[0]
	n := len(h) - 1
	h[0] = h[n]
	h = h[:n]
	for i := 0; ; {
		l, m := 2*i+1, i
		if l < n && h[l] < h[m] {
			m = l
		}
		if r := l + 1; r < n && h[r] < h[m] {
			m = r
		}
		if m == i {
			break
		}
		h[i], h[m] = h[m], h[i]
		i = m
	}
	t.ends = h
	return top
}
