package operators

import (
	"hash/maphash"
	"slices"

	"github.com/streamsql/streamsql/exec"
	"github.com/streamsql/streamsql/exec/agg"
	"github.com/streamsql/streamsql/exec/window"
	"github.com/streamsql/streamsql/plan"
	"github.com/streamsql/streamsql/types"
)

// partialSeed hashes the grouping encoding of keys in the local phase.
var partialSeed = maphash.MakeSeed()

// localFlushEntries bounds the groups (key and slice) a local window
// aggregate holds: past it, it emits them all.
const localFlushEntries = 1 << 16

// PartialSchema is the row a local window aggregate of spec over input
// emits (see NewLocalWindowAgg): the key columns, then the slice time and
// the accumulators (a count when every aggregate is COUNT(*)).
func PartialSchema(input types.Schema, spec WindowAggSpec) types.Schema {
	out := make(types.Schema, 0, len(spec.KeyCols)+2)
	for _, c := range spec.KeyCols {
		out = append(out, input[c])
	}
	acc := types.Column{Name: "partial_accumulators", Type: types.String}
	if onlyCountStar(spec.Aggs) {
		acc = types.Column{Name: "partial_count", Type: types.BigInt}
	}
	return append(out, types.Column{Name: "slice_time", Type: types.Timestamp}, acc)
}

// GlobalWindowAggSpec is the spec of the global phase that merges the rows
// of NewLocalWindowAgg(local): its keys are the partial row's first
// columns, its time column the slice time and PartialCol the accumulators.
func GlobalWindowAggSpec(local WindowAggSpec) WindowAggSpec {
	nk := len(local.KeyCols)
	g := local
	g.KeyCols = make([]int, nk)
	for i := range g.KeyCols {
		g.KeyCols[i] = i
	}
	g.Window.TimeCol = nk
	g.PartialCol = nk + 1
	return g
}

// CanSplitWindowAgg reports whether a window aggregate can run in two
// phases (NewLocalWindowAgg, then NewWindowAgg of GlobalWindowAggSpec): a
// TUMBLE, HOP or CUMULATE window (event or processing time) whose aggregates merge in any
// order (no DISTINCT, no FIRST_VALUE / LAST_VALUE / LISTAGG, no
// aggregate over its own window function). The input must be append-only:
// the caller checks that.
func CanSplitWindowAgg(spec WindowAggSpec) bool {
	w := spec.Window
	if w.Kind != plan.Tumble && w.Kind != plan.Hop && w.Kind != plan.Cumulate {
		return false
	}
	for _, a := range spec.Aggs {
		if a.Distinct {
			return false
		}
	}
	f, err := agg.Compile(spec.Aggs, false)
	return err == nil && !f.OrderSensitive()
}

// onlyCountStar reports whether every aggregate is COUNT(*): the
// aggregate then folds by counting, and a partial row carries the count
// (BIGINT) instead of encoded accumulators.
func onlyCountStar(aggs []plan.AggCall) bool {
	for _, a := range aggs {
		if a.Arg != nil || a.Func != plan.AggCount || a.Filter != nil {
			return false
		}
	}
	return true
}

// NewLocalWindowAgg returns the local phase of a two-phase window
// aggregate (Flink's LocalWindowAggregate): spec is the one-phase spec,
// which CanSplitWindowAgg accepts. It runs on the instances of its input,
// before the hash exchange, and folds the rows of each key and slice (a
// TUMBLE window, a HOP pane, a CUMULATE step) into accumulators held in
// memory only. It emits them as partial rows (PartialSchema):
//
//	key values..., slice time (the slice's end - 1), accumulators (agg.AppendAcc)
//
// (when every aggregate is COUNT(*), the last column is the row count, a
// BIGINT),
// when the watermark passes the slice's end (so that they precede the
// watermark downstream), at the end of a batch for slices the watermark
// passed already, before every checkpoint barrier (it has no state: a
// checkpoint finds everything it folded sent on), at end of input, and
// when it holds localFlushEntries groups. The global phase (NewWindowAgg of
// GlobalWindowAggSpec) merges any number of partial rows of one key and
// slice, in any order, into the result one-phase aggregation gives, and
// judges lateness as one phase does: a partial row's slice time stands for
// all its rows. The local phase drops nothing and fires no window.
//
// Input rows are inserts; a NULL time attribute drops the row, as the one-
// phase aggregate ignores it.
func NewLocalWindowAgg(spec WindowAggSpec) exec.Operator {
	return &localWindowAgg{spec: spec}
}

type localWindowAgg struct {
	exec.Base
	spec    WindowAggSpec
	ctx     *exec.Context
	funcs   *agg.Funcs
	slicer  window.Slicer
	allStar bool // every aggregate is COUNT(*): fold by counting
	keyCol  int  // the one key column, or -1
	// counting: allStar with one key column; the slices keep their
	// groups in countGroups (countBatch) instead of entries.
	counting bool
	wm       int64
	// lastStamp is the latest time attribute of a row seen (processing-
	// time windows: see proctimeProgress).
	lastStamp int64
	slices    map[int64]*partialSlice // by slice end
	entries   int
	free      []*partialSlice
	entFree   []*partialEntry // emitted entries, for reuse
	out       []types.Value
	buf       []byte
	keyBuf    []byte
	ends      []int64
	// emitRouted's: a batch per instance, and the instance (+1; 0: not
	// looked up) of each dense index of the window at routeBase of keys
	// of routeKind
	byTarget  []*types.Batch
	routes    []int32
	routeBase int64
	routeKind types.Kind
}

// partialSlice holds the groups of one slice end (its key in
// localWindowAgg.slices): an open-addressing table by key hash, and the
// entries in creation order.
type partialSlice struct {
	tab  []partialSlot
	ents []*partialEntry
	cnt  countGroups // the groups instead, when the operator is counting
}

// partialSlot is a table slot: its entry, and inline what the common
// case reads (a key of one fixed-size value, a COUNT(*) count) so that a
// lookup does not leave the table.
type partialSlot struct {
	h     uint64
	x     int64      // the fixed-size key value (fixed)
	kind  types.Kind // its kind (fixed)
	fixed bool
	n     int64 // rows counted (only COUNT(*) aggregates), moved to e at emit
	e     *partialEntry
}

type partialEntry struct {
	key []types.Value
	enc string // grouping encoding of key (keys that are not one fixed-size value)
	acc agg.Acc
}

func (o *localWindowAgg) Open(ctx *exec.Context) error {
	o.ctx = ctx
	f, err := agg.Compile(o.spec.Aggs, false)
	if err != nil {
		return err
	}
	o.funcs = f
	if o.slicer, err = newSlicer(o.spec.Window); err != nil {
		return err
	}
	o.allStar = onlyCountStar(o.spec.Aggs)
	o.keyCol = -1
	if len(o.spec.KeyCols) == 1 {
		o.keyCol = o.spec.KeyCols[0]
	}
	o.counting = o.allStar && o.keyCol >= 0
	o.wm, o.lastStamp = exec.MinWatermark, exec.MinWatermark
	o.slices = make(map[int64]*partialSlice)
	o.out = make([]types.Value, len(o.spec.KeyCols)+2)
	return nil
}

// ReleasesInput implements exec.InputReleaser: entries copy their key
// values.
func (o *localWindowAgg) ReleasesInput() bool { return true }

func (o *localWindowAgg) ProcessBatch(_ int, b *types.Batch) error {
	if o.spec.Window.Proctime {
		o.noteStamps(b)
	}
	if o.counting {
		if err := o.countBatch(b); err != nil {
			return err
		}
		return o.emitDue()
	}
	w, vals, ops := b.Width, b.Vals, b.Ops
	timeCol := o.spec.Window.TimeCol
	var s *partialSlice
	lo, hi := int64(1), int64(0)
	for i := range ops {
		row := vals[i*w : i*w+w : i*w+w]
		if ops[i].IsRetraction() {
			return errorf("the local phase of a window aggregate got a retraction; its input must be append-only")
		}
		tv := &row[timeCol]
		if tv.IsNull() {
			continue
		}
		if ts := tv.Millis(); ts < lo || ts >= hi {
			hi = o.slicer.SliceEnd(ts)
			lo = hi - o.slicer.Slice
			s = o.slice(hi)
		}
		sl := o.entry(s, row)
		if o.allStar {
			sl.n++
		} else if err := o.funcs.Add(&sl.e.acc, row); err != nil {
			return err
		}
	}
	return o.emitDue()
}

// emitDue emits, after a batch, every group when the operator holds
// localFlushEntries of them, and otherwise the slices the watermark passed
// already: their rows go on at once, as the one-phase aggregate would
// have seen them.
func (o *localWindowAgg) emitDue() error {
	if o.spec.Window.Proctime {
		o.proctimeProgress()
	}
	if o.entries >= localFlushEntries {
		return o.emitUpTo(exec.MaxWatermark)
	}
	return o.emitUpTo(o.wm)
}

// countBatch is ProcessBatch of a counting operator: each row adds one to
// its group's count in its slice's countGroups, the common row (a key of a
// fixed-size kind whose group exists) with one increment in the dense
// counts or one probe of the table (find, inlined).
func (o *localWindowAgg) countBatch(b *types.Batch) error {
	w, vals, ops := b.Width, b.Vals, b.Ops
	timeCol, keyCol := o.spec.Window.TimeCol, o.keyCol
	var g *countGroups
	lo, hi := int64(1), int64(0)
	for i := range ops {
		off := i * w
		if ops[i].IsRetraction() {
			return errorf("the local phase of a window aggregate got a retraction; its input must be append-only")
		}
		tv := &vals[off+timeCol]
		if tv.IsNull() {
			continue
		}
		if ts := tv.Millis(); ts < lo || ts >= hi {
			hi = o.slicer.SliceEnd(ts)
			lo = hi - o.slicer.Slice
			g = &o.slice(hi).cnt
		}
		kv := &vals[off+keyCol]
		if k := kv.Kind(); k == g.kind && k != types.KindNull {
			// the common row: a key of the table's kind, counted densely
			// or whose group exists in the table
			if d := uint64(kv.Int() - g.base); d < uint64(len(g.dense)) {
				c := &g.dense[d]
				if *c == 0 {
					g.keys = append(g.keys, *kv)
					o.entries++
				}
				*c++
				continue
			} else if sl := g.find(kv.Int()); sl != nil {
				sl.n++
				continue
			}
		}
		if g.add(*kv, &o.keyBuf) {
			o.entries++
		}
	}
	return nil
}

// slice returns the groups of slice end, creating them.
func (o *localWindowAgg) slice(end int64) *partialSlice {
	if s, ok := o.slices[end]; ok {
		return s
	}
	var s *partialSlice
	if n := len(o.free); n > 0 {
		s, o.free = o.free[n-1], o.free[:n-1]
	} else {
		s = &partialSlice{}
	}
	o.slices[end] = s
	return s
}

// entry returns the slot of row's group in s, creating the group.
func (o *localWindowAgg) entry(s *partialSlice, row []types.Value) *partialSlot {
	var h uint64
	var x int64
	var kind types.Kind
	fixed := false
	if o.keyCol >= 0 {
		kv := &row[o.keyCol]
		switch kind = kv.Kind(); kind {
		case types.KindString, types.KindDecimal, types.KindNull:
		default:
			fixed = true
			x = kv.Int()
			h = (uint64(0x9E3779B97F4A7C15) ^ uint64(x) ^ uint64(kind)<<58) * 0xbf58476d1ce4e5b9
			h ^= h >> 31
		}
	}
	if !fixed {
		// The grouping encoding, never empty (a keyless aggregate's one
		// group is a zero byte).
		o.keyBuf = o.keyBuf[:0]
		for _, c := range o.spec.KeyCols {
			o.keyBuf = types.AppendKey(o.keyBuf, row[c])
		}
		if len(o.keyBuf) == 0 {
			o.keyBuf = append(o.keyBuf, 0)
		}
		h = maphash.Bytes(partialSeed, o.keyBuf)
	}
	if len(s.tab) > 0 {
		mask := uint64(len(s.tab) - 1)
		for j := h & mask; ; j = (j + 1) & mask {
			sl := &s.tab[j]
			if sl.e == nil {
				break
			}
			if sl.h != h || sl.fixed != fixed {
				continue
			}
			if fixed {
				if sl.x == x && sl.kind == kind {
					return sl
				}
			} else if sl.e.enc == string(o.keyBuf) {
				return sl
			}
		}
	}
	var e *partialEntry
	if n := len(o.entFree); n > 0 {
		e, o.entFree = o.entFree[n-1], o.entFree[:n-1]
		e.enc = ""
	} else {
		e = &partialEntry{key: make([]types.Value, len(o.spec.KeyCols))}
	}
	for j, c := range o.spec.KeyCols {
		e.key[j] = row[c]
	}
	if !fixed {
		e.enc = string(o.keyBuf)
	}
	o.funcs.Init(&e.acc)
	o.entries++
	return s.add(partialSlot{h: h, x: x, kind: kind, fixed: fixed, e: e})
}

// add inserts a new slot and returns where it went.
func (s *partialSlice) add(ns partialSlot) *partialSlot {
	if 2*(len(s.ents)+1) > len(s.tab) {
		old := s.tab
		s.tab = make([]partialSlot, max(16, 4*len(s.ents)))
		mask := uint64(len(s.tab) - 1)
		for _, sl := range old {
			if sl.e == nil {
				continue
			}
			j := sl.h & mask
			for s.tab[j].e != nil {
				j = (j + 1) & mask
			}
			s.tab[j] = sl
		}
	}
	mask := uint64(len(s.tab) - 1)
	j := ns.h & mask
	for s.tab[j].e != nil {
		j = (j + 1) & mask
	}
	s.tab[j] = ns
	s.ents = append(s.ents, ns.e)
	return &s.tab[j]
}

// emitUpTo emits and forgets the slices that watermark wm passed, in end
// order (every slice with exec.MaxWatermark).
func (o *localWindowAgg) emitUpTo(wm int64) error {
	o.ends = o.ends[:0]
	for end := range o.slices {
		if wm == exec.MaxWatermark || window.Fired(end, wm) {
			o.ends = append(o.ends, end)
		}
	}
	slices.Sort(o.ends)
	nk := len(o.spec.KeyCols)
	for _, end := range o.ends {
		s := o.slices[end]
		if o.counting {
			o.emitCounts(&s.cnt, end)
			o.entries -= s.cnt.len()
			delete(o.slices, end)
			s.cnt.reset()
			o.free = append(o.free, s)
			continue
		}
		if o.allStar {
			for i := range s.tab {
				if sl := &s.tab[i]; sl.e != nil {
					sl.e.acc.Rows = sl.n
				}
			}
		}
		for _, e := range s.ents {
			copy(o.out, e.key)
			o.out[nk] = types.TimestampValue(end - 1)
			if o.allStar {
				o.out[nk+1] = types.IntValue(e.acc.Rows)
			} else {
				o.buf = agg.AppendAcc(o.buf[:0], &e.acc)
				o.out[nk+1] = types.StringValue(string(o.buf))
			}
			o.ctx.Out.Emit(types.Insert, o.out)
		}
		o.entries -= len(s.ents)
		delete(o.slices, end)
		if room := localFlushEntries - len(o.entFree); room > 0 {
			o.entFree = append(o.entFree, s.ents[:min(room, len(s.ents))]...)
		}
		clear(s.ents)
		s.ents = s.ents[:0]
		clear(s.tab)
		o.free = append(o.free, s)
	}
	return nil
}

// partialBatchRows is the most partial rows emitCounts puts in one batch
// (the default batch size; a hash exchange cuts its batches at the job's).
const partialBatchRows = 1024

// emitCounts emits the partial rows of the groups g of the slice ending at
// end, in creation order: as whole batches when the output takes them
// (exec.BatchOutput; a hash exchange then partitions each in passes over
// the batch), otherwise row by row.
func (o *localWindowAgg) emitCounts(g *countGroups, end int64) {
	if ro, ok := o.ctx.Out.(exec.RoutedOutput); ok {
		if n := ro.Targets(); n > 0 {
			o.emitRouted(ro, n, g, end)
			return
		}
	}
	t := types.TimestampValue(end - 1)
	if bo, ok := o.ctx.Out.(exec.BatchOutput); ok {
		for lo := 0; lo < len(g.keys); lo += partialBatchRows {
			hi := min(lo+partialBatchRows, len(g.keys))
			b := types.GetBatch(len(o.out), hi-lo)
			for _, k := range g.keys[lo:hi] {
				b.Ops = append(b.Ops, types.Insert)
				b.Vals = append(b.Vals, k, t, types.IntValue(g.count(k, &o.keyBuf)))
			}
			bo.EmitBatch(b)
		}
		return
	}
	o.out[1] = t
	for _, k := range g.keys {
		o.out[0] = k
		o.out[2] = types.IntValue(g.count(k, &o.keyBuf))
		o.ctx.Out.Emit(types.Insert, o.out)
	}
}

// emitRouted is emitCounts over a hash exchange that lets the operator
// route its rows (exec.RoutedOutput over n instances): the partial rows go
// into one batch per instance, in creation order within each. A key
// counted densely has its instance looked up once and remembered in
// o.routes at its dense index (for the dense window and key kind of
// routeBase and routeKind: another window or kind starts them afresh);
// other keys are looked up each time.
func (o *localWindowAgg) emitRouted(ro exec.RoutedOutput, n int, g *countGroups, end int64) {
	t := types.TimestampValue(end - 1)
	if len(o.byTarget) != n {
		o.byTarget = make([]*types.Batch, n)
	}
	if g.dense != nil && fixedKey(g.kind) && (o.routes == nil || o.routeBase != g.base || o.routeKind != g.kind) {
		if o.routes == nil {
			o.routes = make([]int32, denseCounts)
		} else {
			clear(o.routes)
		}
		o.routeBase, o.routeKind = g.base, g.kind
	}
	room := min(partialBatchRows, len(g.keys)/n+len(g.keys)/8+16)
	for _, k := range g.keys {
		var c int64
		dest := -1
		if k.Kind() == g.kind && fixedKey(g.kind) {
			if d := g.denseIndex(k.Int()); d >= 0 {
				c = g.dense[d]
				if r := o.routes[d]; r > 0 {
					dest = int(r - 1)
				} else {
					o.out[0] = k
					dest = ro.TargetOf(o.out)
					o.routes[d] = int32(dest + 1)
				}
			}
		}
		if dest < 0 {
			c = g.count(k, &o.keyBuf)
			o.out[0] = k
			dest = ro.TargetOf(o.out)
		}
		b := o.byTarget[dest]
		if b == nil {
			b = types.GetBatch(len(o.out), room)
			o.byTarget[dest] = b
		}
		b.Ops = append(b.Ops, types.Insert)
		b.Vals = append(b.Vals, k, t, types.IntValue(c))
		if b.Len() >= partialBatchRows {
			ro.EmitBatchTo(dest, b)
			o.byTarget[dest] = nil
		}
	}
	for dest, b := range o.byTarget {
		if b != nil {
			ro.EmitBatchTo(dest, b)
			o.byTarget[dest] = nil
		}
	}
}

func (o *localWindowAgg) ProcessWatermark(wm int64) error {
	if o.spec.Window.Proctime && wm != exec.MaxWatermark {
		return nil // processing-time slices follow the clock (proctimeProgress, OnTick)
	}
	o.wm = wm
	return o.emitUpTo(wm)
}

// Processing-time windows. The rows carry their processing time (PROCTIME()
// is stamped where the row is made, before this phase), and the global
// phase fires a window from its own clock, when that passes the window's
// end; a partial row that reaches it later counts in the open window, as a
// late row does in one phase. So that the partial rows of a slice reach the
// global phase as soon as its time has passed, the local phase's watermark
// is the latest processing time it has seen on a row, less 1 ms (the rows
// after it are stamped no earlier), or on the clock (OnTick, for an input
// that went quiet); event-time watermarks other than the final one do not
// move it. A row stamped before that watermark (from a slower input) opens
// its slice again and goes on at the end of its batch.

// proctimeProgress moves the watermark of a processing-time local phase
// to the latest time stamped on a row of the last batch, less 1 ms.
func (o *localWindowAgg) proctimeProgress() {
	if o.lastStamp != exec.MinWatermark && o.lastStamp-1 > o.wm {
		o.wm = o.lastStamp - 1
	}
}

// noteStamps records the latest time attribute of b's rows in lastStamp.
func (o *localWindowAgg) noteStamps(b *types.Batch) {
	w, col := b.Width, o.spec.Window.TimeCol
	for i := col; i < len(b.Vals); i += w {
		if v := &b.Vals[i]; !v.IsNull() && v.Millis() > o.lastStamp {
			o.lastStamp = v.Millis()
		}
	}
}

// OnTick implements exec.Operator: a processing-time local phase sends the
// slices the clock passed on.
func (o *localWindowAgg) OnTick(now int64) error {
	if !o.spec.Window.Proctime {
		return nil
	}
	if now-1 > o.wm {
		o.wm = now - 1
	}
	return o.emitUpTo(o.wm)
}

func (o *localWindowAgg) SnapshotState(int64) error { return o.emitUpTo(exec.MaxWatermark) }

var _ exec.IdleAware = (*localWindowAgg)(nil)

// ProcessIdle implements exec.IdleAware: when the task goes idle it sends
// every partial accumulator on before its idle status. Held back, they
// would reach the global phase after the status, once its watermark,
// no longer held by this input, had passed their windows: late.
func (o *localWindowAgg) ProcessIdle(idle bool) error {
	if !idle {
		return nil
	}
	return o.emitUpTo(exec.MaxWatermark)
}

// HoldsNoState implements exec.StatelessOperator: SnapshotState sends
// every group on.
func (o *localWindowAgg) HoldsNoState() bool { return true }

func (o *localWindowAgg) Finish() error { return o.emitUpTo(exec.MaxWatermark) }
