package operators

import (
	"fmt"
	"unsafe"

	"github.com/streamsql/streamsql/exec"
	"github.com/streamsql/streamsql/exec/agg"
	"github.com/streamsql/streamsql/exec/window"
	"github.com/streamsql/streamsql/plan"
	"github.com/streamsql/streamsql/state"
	"github.com/streamsql/streamsql/types"
)

// WindowAggSpec configures a group-window aggregate.
type WindowAggSpec struct {
	KeyCols []int          // group key columns of the input row (plain columns)
	Window  plan.Window    // TimeCol indexes the input row; Proctime => processing-time windows
	Aggs    []plan.AggCall // Arg exprs bound against the input row
	// PartialCol, when above zero, makes the operator the global phase of
	// a two-phase aggregate (GlobalWindowAggSpec): input rows are the
	// partial rows of NewLocalWindowAgg, whose accumulators, in this
	// column, are merged instead of folding rows (TUMBLE, HOP and
	// CUMULATE only).
	PartialCol int
	// InsertOnlyInput, when set, promises that the input carries only +I
	// rows (the planner's windows take no changelog): DISTINCT then keeps
	// which values occurred, not how often (agg.CompileInsertOnly), and a
	// retraction of a row from a DISTINCT aggregate fails the job.
	InsertOnlyInput bool
}

// NewWindowAgg returns the operator of a TUMBLE, HOP, CUMULATE or SESSION
// group window. Its input must be hash-partitioned on KeyCols (or be a
// single instance when KeyCols is empty).
//
// Output row: key values..., window_start, window_end (TimestampValue),
// agg results...; all +I, each (key, window) once, when the window fires
// (watermark >= window_end - 1, or at end of input). Windows with no rows
// (every row retracted) emit nothing.
//
// Rows are taken in arrival order. A row whose window has fired is late: it
// is dropped from that window but still counted in later windows that are
// open (HOP, CUMULATE), and LateRowsDropped grows by one per row dropped
// from at least one window. SESSION checks lateness after merging. Rows
// with a NULL time attribute are ignored.
//
// Processing-time windows (Window.Proctime) ignore watermarks other than the
// final one; they fire from OnTick(now) when now >= end - 1. A row stamped
// at or before the time windows last fired counts as stamped just after it
// (it joins the open window) instead of being dropped.
//
// NewWindowAggEmit runs the window under an emit strategy.
func NewWindowAgg(spec WindowAggSpec) exec.Operator {
	if spec.Window.Kind == plan.Session {
		return &sessionAgg{windowBase: windowBase{spec: spec}}
	}
	return &sliceAgg{windowBase: windowBase{spec: spec}}
}

// windowBase is what the sliced and the session window operators share.
type windowBase struct {
	exec.Base
	// resultErr is the first window result that could not be computed
	// (see emit).
	resultErr error
	spec      WindowAggSpec
	ctx       *exec.Context
	metrics   *exec.Metrics
	key       keying
	funcs     *agg.Funcs
	// clock is the watermark, or for processing-time windows the time up
	// to which windows fired.
	clock  clock
	timers *timers
	keyBuf []byte
	out    []types.Value
	late   int64
	// partial is the decoded accumulator of a partial row (fold);
	// countPartial: partial rows carry a COUNT(*) count instead.
	partial      agg.Acc
	countPartial bool
	// locals, when set, has windows that fire outside the timers.
	locals localWindows
}

// localWindows is implemented by an operator that keeps some windows out
// of the timers (sliceAgg's local slices and HOP windows): fireUpTo fires
// them in end order with the timers' windows.
type localWindows interface {
	// nextLocal returns the smallest end of a local window that has fired
	// at wm.
	nextLocal(wm int64) (int64, bool)
	// fireLocal fires the local windows ending at end; it returns
	// exec.ErrStopped when it abandoned them because the job is stopping.
	fireLocal(end int64) error
}

func (w *windowBase) open(ctx *exec.Context) error {
	w.ctx = ctx
	w.metrics = metricsOf(ctx)
	w.key = newKeying(ctx, w.spec.KeyCols)
	f, err := agg.Compile(w.spec.Aggs, false)
	if w.spec.InsertOnlyInput {
		f, err = agg.CompileInsertOnly(w.spec.Aggs)
	}
	if err != nil {
		return err
	}
	w.funcs = f
	w.countPartial = w.spec.PartialCol > 0 && onlyCountStar(w.spec.Aggs)
	w.timers = newTimers()
	w.out = make([]types.Value, len(w.spec.KeyCols)+2+len(w.spec.Aggs))
	if tc := w.spec.Window.TimeCol; tc < 0 {
		return errorf("window time column %d out of range", tc)
	}
	return w.clock.open(ctx)
}

// rowTime returns the time attribute of row and the watermark against
// which it is judged in key group kg; ok is false when the time is NULL.
// A processing-time row stamped at or before the time windows last fired
// moves just past it (into the open window).
func (w *windowBase) rowTime(row []types.Value, kg int) (ts, wm int64, ok bool) {
	v := row[w.spec.Window.TimeCol]
	if v.IsNull() {
		return 0, 0, false
	}
	ts, wm = v.Millis(), w.clock.at(kg)
	if w.spec.Window.Proctime && ts <= wm && wm != exec.MaxWatermark {
		ts = wm + 1
	}
	return ts, wm, true
}

// emit sends one window result. A result that cannot be computed (a SUM
// beyond its type) is not sent: the first such error is kept in
// resultErr, and fireUpTo fails the operator with it after the fire.
func (w *windowBase) emit(key []types.Value, start, end int64, a *agg.Acc) {
	if a.Rows <= 0 || w.resultErr != nil {
		return
	}
	n := copy(w.out, key)
	w.out[n] = types.TimestampValue(start)
	w.out[n+1] = types.TimestampValue(end)
	if err := w.funcs.Results(w.out[n+2:], a); err != nil {
		w.resultErr = err
		return
	}
	w.ctx.Out.Emit(types.Insert, w.out)
}

// fold adds row to a: the row itself, or for the global phase of a
// two-phase aggregate the partial accumulators it carries.
func (w *windowBase) fold(a *agg.Acc, row []types.Value) error {
	if w.spec.PartialCol <= 0 {
		return w.funcs.Add(a, row)
	}
	if w.countPartial {
		n := row[w.spec.PartialCol].Int()
		a.Rows += n
		for j := range a.Slots {
			a.Slots[j].N += n
		}
		return nil
	}
	if _, err := agg.DecodeAcc(stringBytes(row[w.spec.PartialCol].Str()), &w.partial); err != nil {
		return errorf("partial accumulators of a two-phase window aggregate: %v", err)
	}
	w.funcs.Merge(a, &w.partial)
	return nil
}

// stringBytes views s as bytes, for reading only (DecodeAcc does not
// write its input nor keep it).
func stringBytes(s string) []byte { return unsafe.Slice(unsafe.StringData(s), len(s)) }

// rowsOf is the number of input rows row stands for: one, or for a
// partial row (PartialCol) the rows its accumulators folded.
func (w *windowBase) rowsOf(row []types.Value) int64 {
	if w.spec.PartialCol <= 0 {
		return 1
	}
	if w.countPartial {
		return row[w.spec.PartialCol].Int()
	}
	if _, err := agg.DecodeAcc(stringBytes(row[w.spec.PartialCol].Str()), &w.partial); err != nil {
		return 1
	}
	return w.partial.Rows
}

// ReleasesInput implements exec.InputReleaser: window operators copy the
// key values and fold the rows into accumulators, keeping no row slice.
func (w *windowBase) ReleasesInput() bool { return true }

func (w *windowBase) countLate() {
	if w.late > 0 {
		w.metrics.LateRowsDropped.Add(w.late)
		w.late = 0
	}
}

// fireFunc fires what is registered for (kg, key) at end.
type fireFunc func(kg int, key []byte, end int64) error

// advance handles a new watermark and fires due windows. Processing-time
// windows only take the final watermark (end of input).
func (w *windowBase) advance(wm int64, fire fireFunc) error {
	if w.spec.Window.Proctime && wm != exec.MaxWatermark {
		return nil
	}
	if !w.clock.advance(wm) {
		return nil
	}
	return w.fireUpTo(wm, fire)
}

// tick fires processing-time windows up to now.
func (w *windowBase) tick(now int64, fire fireFunc) error {
	if !w.spec.Window.Proctime || !w.clock.advance(now) {
		return nil
	}
	return w.fireUpTo(now, fire)
}

// fireUpTo fires, in end order, every window that has fired at wm. A
// watermark that jumps far fires many windows: the loop checks before each
// window whether the job is stopping, and then returns exec.ErrStopped
// with the rest unfired (the job ends; its state is not used again).
func (w *windowBase) fireUpTo(wm int64, fire fireFunc) error {
	for {
		if w.locals != nil {
			if le, ok := w.locals.nextLocal(wm); ok {
				if w.timers.ends.len() == 0 || w.timers.ends.min() > le {
					if err := w.locals.fireLocal(le); err != nil {
						return err
					}
					if w.resultErr != nil {
						return w.resultErr
					}
					continue
				}
			}
		}
		end, b, ok := w.timers.pop(wm, false)
		if !ok {
			return nil
		}
		for i := 0; i < b.len(); i++ {
			if w.ctx.Stopped() {
				return exec.ErrStopped
			}
			if err := fire(b.kg(i), b.key(i), end); err != nil {
				return err
			}
			if w.resultErr != nil {
				return w.resultErr
			}
		}
		w.timers.release(b)
	}
}

// winEntry is the state of one (key, slice): the key values and the
// accumulators.
//
// The fields a row of countRun touches (pend, the key value, acc.Rows) come
// first, in one cache line.
type winEntry struct {
	marks
	// local slices and local HOP panes only (see localSlices, flushPanes):
	// pend: changed since the last flush; stored: put in the backend; kg:
	// the entry's key group.
	pend   bool
	stored bool
	kg     int32
	kbuf   [1]types.Value // inline room: one allocation for one key and up to
	acc    agg.Acc
	key    []types.Value
	sbuf   [2]agg.Slot // two aggregates, the common case
}

// newWinEntry returns an entry with room for nk key values and ns slots.
func newWinEntry(nk, ns int) *winEntry {
	e := &winEntry{}
	if nk <= len(e.kbuf) {
		e.key = e.kbuf[:nk:nk]
	} else {
		e.key = make([]types.Value, nk)
	}
	if ns <= len(e.sbuf) {
		e.acc.Slots = e.sbuf[:0:ns]
	}
	return e
}

type winEntryCodec struct{}

func (winEntryCodec) Append(buf []byte, e *winEntry) []byte {
	buf = types.AppendValues(buf, e.key)
	return agg.AppendAcc(buf, &e.acc)
}

func (winEntryCodec) Decode(buf []byte) (*winEntry, error) {
	e := &winEntry{}
	var err error
	if e.key, buf, err = types.DecodeValues(buf); err != nil {
		return nil, err
	}
	if buf, err = agg.DecodeAcc(buf, &e.acc); err != nil {
		return nil, err
	}
	if len(buf) != 0 {
		return nil, errCorrupt
	}
	return e, nil
}

// sliceAgg runs TUMBLE, HOP and CUMULATE windows over shared slices.
//
// State "slices": (group key ++ slice end) -> winEntry; each row is folded
// once into the slice holding it. Tumble slices are the windows. Hop slices
// are panes of gcd(size, slide): a window is the merge of its panes, and a
// pane is deleted once the last window covering it fired. Cumulate slices
// are steps: when window [b, e) fires, its slice (which by then holds all
// of [b, e)) is folded into the slice ending at e+step.
//
// Timers (local, rebuilt from the slices in Open): tumble and cumulate
// register each slice's end when the slice is created. Hop keeps, instead
// of timers, one due window end per key's pane list (see hopQueues): the
// first open window covering one of its panes. Firing window e schedules
// the key's next window that covers a remaining pane. Only windows holding
// rows fire, and firing one visits only its panes that hold rows (the
// panes index), so HOP costs are proportional to the windows that hold
// data, however large size/slide is.
//
// Local slices: on the memory backend, the tumble slices of an end that
// had no slices when the operator opened live in a localSlices table
// instead (no timer, no state key); they are put into the backend at
// flushes (checkpoint barriers, Finish), which is all a checkpoint needs,
// and fire from the table in creation order, the order the timers would
// have fired them in.
//
// Local panes: on the memory backend, HOP panes live in the panes index
// only (which holds their entries): a new pane is not put into the
// backend, nor a changed one touched; flushes put the panes changed since
// the last flush (flushPanes), and a pane that was put is deleted from
// the backend when its last window fires.
type sliceAgg struct {
	windowBase
	slicer window.Slicer
	slices *store[*winEntry]
	// hot indexes the live slice entries of each open slice end by
	// keying.hotHash, so that the common row skips computing its key group,
	// encoding its state key and the string-keyed lookup. It is a cache over
	// the store (pointers to the store's entries), empty after Open; a slice
	// end's map is dropped once its slices are gone. Invariant: a stored
	// slice whose end has a complete map has a non-nil map entry at its hash.
	// An end with local slices has loc instead of a map.
	hot     []hotSlices
	hotLast int
	hotFree []map[uint64]*winEntry
	// partial holds the slice ends that had slices when the operator
	// opened: their hot indexes are not complete.
	partial map[int64]bool
	// panes (hop only) lists the stored panes of each group key, and due
	// the pane lists to fire at each window end (see windowhop.go).
	panes paneIndex
	due   hopQueues
	// local: new tumble ends get local slices (memory backend).
	local bool
	// hopLocal: HOP panes live in the panes index only, put into the
	// store at flushes (memory backend; see flushPanes).
	hopLocal bool
	locFree  []*localSlices
	entFree  []*winEntry
	allStar  bool // every aggregate is COUNT(*)
	// counts: every aggregate is COUNT(*), over rows (allStar) or partial
	// counts (countPartial): a local entry then counts in acc.Rows only
	// (countRun), its slots following in syncCounts; countCol is the
	// column of a partial row's count, -1 for rows that count one.
	counts   bool
	countCol int
	keyCol   int // the key column when there is exactly one, else -1
	sliceLo  int64
	sliceHi  int64 // [sliceLo, sliceHi) is the slice of the previous row
	scrat    agg.Acc
	// per-chunk scratch
	plan []rowPlan
	ents []*winEntry
}

type hotSlices struct {
	end      int64
	m        map[uint64]*winEntry
	complete bool
	loc      *localSlices // non-nil: the end's slices are local (m is nil)
}

// localSlices holds the local slices of one tumble end: every slice of the
// end, indexed by key hash (open addressing), in creation order.
type localSlices struct {
	tab  []locSlot // len a power of two, at most half full
	n    int
	ents []*winEntry
}

type locSlot struct {
	h uint64
	e *winEntry // nil: empty
}

// maxFreeEntries bounds the recycled entries kept for new local slices.
const maxFreeEntries = 1 << 16

func (l *localSlices) reset() {
	clear(l.tab)
	l.n = 0
	clear(l.ents)
	l.ents = l.ents[:0]
}

// findLocal returns the local slice of row's key, whose hash is h.
func (o *sliceAgg) findLocal(l *localSlices, h uint64, row []types.Value) *winEntry {
	if len(l.tab) == 0 {
		return nil
	}
	mask := uint64(len(l.tab) - 1)
	for i := h & mask; ; i = (i + 1) & mask {
		sl := &l.tab[i]
		if sl.e == nil {
			return nil
		}
		if sl.h == h && o.sameKey(sl.e.key, row) {
			return sl.e
		}
	}
}

// sameKey is keying.sameKey, inline for one key column of a fixed-size kind.
func (o *sliceAgg) sameKey(key, row []types.Value) bool {
	if c := o.keyCol; c >= 0 {
		a, b := key[0], row[c]
		if k := a.Kind(); k == b.Kind() && k != types.KindString && k != types.KindDecimal {
			return a.Int() == b.Int()
		}
	}
	return o.key.sameKey(key, row)
}

// rowHash is keying.hotHash, inline for one key column of a fixed-size kind.
func (o *sliceAgg) rowHash(row []types.Value) uint64 {
	if c := o.keyCol; c >= 0 {
		if v := row[c]; v.Kind() != types.KindString {
			h := (uint64(0x9E3779B97F4A7C15) ^ uint64(v.Int()) ^ uint64(v.Kind())<<58) * 0xbf58476d1ce4e5b9
			return (h ^ h>>31) & hotHashMask
		}
	}
	return o.key.hotHash(row)
}

// add inserts a new entry at hash h.
func (l *localSlices) add(h uint64, e *winEntry) {
	if 2*(l.n+1) > len(l.tab) {
		old := l.tab
		l.tab = make([]locSlot, max(64, 2*len(old)))
		mask := uint64(len(l.tab) - 1)
		for _, sl := range old {
			if sl.e == nil {
				continue
			}
			i := sl.h & mask
			for l.tab[i].e != nil {
				i = (i + 1) & mask
			}
			l.tab[i] = sl
		}
	}
	mask := uint64(len(l.tab) - 1)
	i := h & mask
	for l.tab[i].e != nil {
		i = (i + 1) & mask
	}
	l.tab[i] = locSlot{h: h, e: e}
	l.n++
	l.ents = append(l.ents, e)
}

// newLocal returns a new local slice entry for row's key in key group kg,
// its accumulators empty.
func (o *sliceAgg) newLocal(row []types.Value, kg int) *winEntry {
	var e *winEntry
	if n := len(o.entFree); n > 0 {
		e = o.entFree[n-1]
		o.entFree[n-1] = nil
		o.entFree = o.entFree[:n-1]
		e.marks = marks{}
		e.stored = false
	} else {
		e = newWinEntry(len(o.key.cols), o.funcs.Len())
	}
	for j, c := range o.key.cols {
		e.key[j] = row[c]
	}
	e.kg = int32(kg)
	e.pend = true
	o.funcs.Init(&e.acc)
	return e
}

// hotEnd returns the index of slice end in o.hot, adding it when missing:
// then its slices are local when the operator keeps local slices and the
// end had none when the operator opened; otherwise it gets a hot map,
// complete on the memory backend for ends that had no slices at Open.
func (o *sliceAgg) hotEnd(end int64) int {
	if o.hotLast < len(o.hot) && o.hot[o.hotLast].end == end {
		return o.hotLast
	}
	for i := range o.hot {
		if o.hot[i].end == end {
			o.hotLast = i
			return i
		}
	}
	h := hotSlices{end: end, complete: o.slices.shared && !o.partial[end]}
	if h.complete && o.local {
		if n := len(o.locFree); n > 0 {
			h.loc, o.locFree = o.locFree[n-1], o.locFree[:n-1]
		} else {
			h.loc = &localSlices{}
		}
	} else if n := len(o.hotFree); n > 0 {
		h.m, o.hotFree = o.hotFree[n-1], o.hotFree[:n-1]
	} else {
		h.m = make(map[uint64]*winEntry)
	}
	o.hot = append(o.hot, h)
	o.hotLast = len(o.hot) - 1
	return o.hotLast
}

// hotMap returns the hot index of slice end, and whether it is complete:
// then every stored slice of that end is in it (at its hash, unless two
// keys share a hash), so a key whose hash is absent has no slice yet.
// Indexes are complete on the memory backend for ends that had no slices
// when the operator opened. The end must not have local slices.
func (o *sliceAgg) hotMap(end int64) (map[uint64]*winEntry, bool) {
	h := &o.hot[o.hotEnd(end)]
	return h.m, h.complete
}

// sliceGone returns the watermark-end after which no slice ending at end
// exists: tumble and cumulate slices go when their own window fires, hop
// panes when the last window covering them does.
func (o *sliceAgg) sliceGone(end int64) int64 {
	if o.slicer.Kind == window.HopSlices {
		return o.slicer.LastWindowEnd(end)
	}
	return end
}

// dropHot forgets the hot index of slice ends whose slices are all gone
// at watermark wm (or every one, with all). Local slices go when they fire.
func (o *sliceAgg) dropHot(wm int64, all bool) {
	j := 0
	for _, h := range o.hot {
		if h.loc == nil && (all || window.Fired(o.sliceGone(h.end), wm)) {
			clear(h.m)
			o.hotFree = append(o.hotFree, h.m)
			continue
		}
		o.hot[j] = h
		j++
	}
	clear(o.hot[j:])
	o.hot = o.hot[:j]
	o.hotLast = 0
	for end := range o.partial {
		if window.Fired(o.sliceGone(end), wm) {
			delete(o.partial, end)
		}
	}
}

// nextLocal implements localWindows.
func (o *sliceAgg) nextLocal(wm int64) (int64, bool) {
	if o.panes != nil {
		return o.due.next(wm)
	}
	end, ok := int64(0), false
	for i := range o.hot {
		if h := &o.hot[i]; h.loc != nil && window.Fired(h.end, wm) && (!ok || h.end < end) {
			end, ok = h.end, true
		}
	}
	return end, ok
}

// fireLocal implements localWindows: it fires the HOP windows ending at
// end (fireHopEnd), or emits the local slices of end in creation order,
// deletes those put in the backend, and recycles them.
func (o *sliceAgg) fireLocal(end int64) error {
	if o.panes != nil {
		return o.fireHopEnd(end)
	}
	i := o.hotEnd(end)
	l := o.hot[i].loc
	start := end - o.slicer.Size
	for _, e := range l.ents {
		if o.ctx.Stopped() {
			return exec.ErrStopped
		}
		o.syncCounts(e)
		o.emit(e.key, start, end, &e.acc)
		if e.stored {
			o.keyBuf = appendTime(appendKeyValues(o.keyBuf[:0], e.key), end)
			o.remove(int(e.kg), o.keyBuf, e)
		}
		e.dead = true
		if len(o.entFree) < maxFreeEntries {
			o.entFree = append(o.entFree, e)
		}
	}
	l.reset()
	o.locFree = append(o.locFree, l)
	copy(o.hot[i:], o.hot[i+1:])
	o.hot[len(o.hot)-1] = hotSlices{}
	o.hot = o.hot[:len(o.hot)-1]
	o.hotLast = 0
	return nil
}

// flushLocal puts every local slice changed since the last flush into the
// backend.
func (o *sliceAgg) flushLocal() {
	for _, h := range o.hot {
		if h.loc == nil {
			continue
		}
		for _, e := range h.loc.ents {
			if !e.pend {
				continue
			}
			e.pend = false
			o.syncCounts(e)
			o.keyBuf = appendTime(appendKeyValues(o.keyBuf[:0], e.key), h.end)
			o.slices.insert(int(e.kg), o.keyBuf, e)
			e.stored = true
		}
	}
}

// appendKeyValues appends the grouping encoding of key values (what
// keying.appendKey gives for the row they came from).
func appendKeyValues(buf []byte, key []types.Value) []byte {
	for _, v := range key {
		buf = types.AppendKey(buf, v)
	}
	return buf
}

const slicesState = "slices"

// newSlicer returns the slicer of a TUMBLE, HOP or CUMULATE window.
func newSlicer(w plan.Window) (window.Slicer, error) {
	var s window.Slicer
	var err error
	switch w.Kind {
	case plan.Tumble:
		s, err = window.NewTumbleSlicer(w.Size)
	case plan.Hop:
		s, err = window.NewHopSlicer(w.Slide, w.Size)
	case plan.Cumulate:
		s, err = window.NewCumulateSlicer(w.Step, w.Size)
	default:
		err = fmt.Errorf("window kind %d has no slices", w.Kind)
	}
	s.Offset = w.Offset
	return s, err
}

func (o *sliceAgg) Open(ctx *exec.Context) error {
	if err := o.open(ctx); err != nil {
		return err
	}
	var err error
	if o.slicer, err = newSlicer(o.spec.Window); err != nil {
		return err
	}
	if o.slicer.Kind == window.HopSlices {
		o.panes = paneIndex{}
		o.due = hopQueues{lists: map[int64][]dueList{}}
		o.locals = o
	}
	o.sliceLo, o.sliceHi = 1, 0
	o.partial = make(map[int64]bool)
	o.plan = make([]rowPlan, chunkRows)
	o.ents = make([]*winEntry, chunkRows)
	o.keyCol = -1
	if len(o.spec.KeyCols) == 1 {
		o.keyCol = o.spec.KeyCols[0]
	}
	o.allStar = o.spec.PartialCol <= 0 && onlyCountStar(o.spec.Aggs)
	o.counts, o.countCol = o.allStar || o.countPartial, -1
	if o.countPartial {
		o.countCol = o.spec.PartialCol
	}
	if o.slices, err = newStore(ctx.State, slicesState, state.Codec[*winEntry](winEntryCodec{})); err != nil {
		return err
	}
	o.local = o.slices.shared && o.slicer.Kind == window.TumbleSlices
	o.hopLocal = o.slices.shared && o.slicer.Kind == window.HopSlices
	if o.local {
		o.locals = o
	}
	o.rebuild()
	return nil
}

// rebuild registers the timers of every stored slice.
func (o *sliceAgg) rebuild() {
	o.slices.rangeAll(func(kg int, key string, p *winEntry) bool {
		k := []byte(key)
		sliceEnd := readTime(k)
		gk := k[:len(k)-8]
		o.partial[sliceEnd] = true
		if o.slicer.Kind == window.HopSlices {
			if o.hopLocal {
				p.kg, p.stored = int32(kg), true
			}
			l := o.panes.add(gk, kg, sliceEnd, o.livePane(p))
			if e, ok := o.slicer.NextWindowEnd(sliceEnd, o.clock.at(kg)); ok {
				o.due.add(e, l)
			}
		} else {
			o.timers.add(sliceEnd, kg, gk)
		}
		return true
	})
	o.timers.sortAll()
}

// chunkRows is the number of rows a batch pass handles at a time (keeps the
// per-row scratch in the first-level cache).
const chunkRows = 256

func (o *sliceAgg) ProcessBatch(_ int, b *types.Batch) error {
	defer o.countLate()
	if o.local && !o.spec.Window.Proctime && o.clock.restored == nil && len(o.partial) == 0 && o.keyCol >= 0 {
		if err := o.processLocal(b); err != nil {
			return err
		}
	} else {
		for lo, n := 0, b.Len(); lo < n; lo += chunkRows {
			if err := o.processChunk(b, lo, min(lo+chunkRows, n)); err != nil {
				return err
			}
		}
	}
	o.maybeFlush()
	return nil
}

// processLocal folds the rows of b in arrival order, each in one step in
// the common case of local tumble slices keyed by one column: an inserted
// row with a time in an open local slice and a key of a fixed-size kind.
// Any other row goes through processChunk on its own.
func (o *sliceAgg) processLocal(b *types.Batch) error {
	w, vals, ops := b.Width, b.Vals, b.Ops
	timeCol, keyCol := o.spec.Window.TimeCol, o.keyCol
	// loc holds the slices of [lo, hi) when that slice is open and local.
	var loc *localSlices
	lo, hi := int64(1), int64(0)
	for i := 0; i < len(ops); i++ {
		if loc != nil && o.counts {
			// the common rows up to the next new slice, without calls
			if i = countRun(vals, ops, w, timeCol, keyCol, o.countCol, lo, hi, loc, i); i == len(ops) {
				break
			}
		}
		row := vals[i*w : i*w+w : i*w+w]
		tv, kv := &row[timeCol], &row[keyCol]
		kind := kv.Kind()
		if loc == nil || tv.IsNull() || ops[i].IsRetraction() || kind == types.KindString || kind == types.KindDecimal ||
			tv.Millis() < lo || tv.Millis() >= hi {
			if err := o.processChunk(b, i, i+1); err != nil {
				return err
			}
			// processChunk assigned row i (when it has a time) to
			// [o.sliceLo, o.sliceHi) and made that end hot unless late.
			lo, hi, loc = o.sliceLo, o.sliceHi, nil
			if !window.Fired(hi, o.clock.wm) {
				if j := o.findHot(hi); j >= 0 {
					loc = o.hot[j].loc
				}
			}
			continue
		}
		// rowHash and sameKey for one key column of a fixed-size kind
		x := uint64(kv.Int())
		h := (uint64(0x9E3779B97F4A7C15) ^ x ^ uint64(kind)<<58) * 0xbf58476d1ce4e5b9
		h = (h ^ h>>31) & hotHashMask
		var e *winEntry
		if len(loc.tab) > 0 {
			mask := uint64(len(loc.tab) - 1)
			for j := h & mask; ; j = (j + 1) & mask {
				sl := &loc.tab[j]
				if sl.e == nil {
					break
				}
				if sl.h == h {
					if k := &sl.e.key[0]; k.Kind() == kind && uint64(k.Int()) == x {
						e = sl.e
						break
					}
				}
			}
		}
		if e == nil {
			kg, err := o.key.group(row)
			if err != nil {
				return err
			}
			e = o.newLocal(row, kg)
			loc.add(h, e)
		}
		e.pend = true
		if o.allStar {
			e.acc.Rows++
			for j := range e.acc.Slots {
				e.acc.Slots[j].N++
			}
		} else if err := o.fold(&e.acc, row); err != nil {
			return err
		}
	}
	return nil
}

// countRun is processLocal's fold of rows i.. while they are the common
// case, all aggregates being COUNT(*), and their slices exist: it returns
// the first row it did not fold. A row counts one, or with countCol >= 0
// (partial rows of a two-phase count) the count in that column.
func countRun(vals []types.Value, ops []types.Op, w, timeCol, keyCol, countCol int, lo, hi int64, loc *localSlices, i int) int {
	if len(loc.tab) == 0 {
		return i
	}
	tab := loc.tab
	mask := uint64(len(tab) - 1)
	hmask := hotHashMask
	for ; i < len(ops); i++ {
		off := i * w
		if off+w > len(vals) || ops[i].IsRetraction() {
			return i
		}
		tv, kv := &vals[off+timeCol], &vals[off+keyCol]
		kind := kv.Kind()
		if tv.IsNull() || kind == types.KindString || kind == types.KindDecimal || tv.Millis() < lo || tv.Millis() >= hi {
			return i
		}
		x := uint64(kv.Int())
		h := (uint64(0x9E3779B97F4A7C15) ^ x ^ uint64(kind)<<58) * 0xbf58476d1ce4e5b9
		h = (h ^ h>>31) & hmask
		var e *winEntry
		for j := h & mask; ; j = (j + 1) & mask {
			sl := &tab[j]
			if sl.e == nil {
				return i
			}
			if sl.h == h {
				// a local entry's one key value is kbuf[0]
				if k := &sl.e.kbuf[0]; k.Kind() == kind && uint64(k.Int()) == x {
					e = sl.e
					break
				}
			}
		}
		e.pend = true
		// the slots' N follow in syncCounts
		if countCol < 0 {
			e.acc.Rows++
		} else {
			e.acc.Rows += vals[off+countCol].Int()
		}
	}
	return i
}

// syncCounts brings the COUNT(*) slots of a local entry up to date before
// it is read: countRun only counts acc.Rows, which every COUNT(*) slot
// equals (both start at 0 and move together in Add, Retract and the fold
// of a partial count).
func (o *sliceAgg) syncCounts(e *winEntry) {
	if o.counts {
		for j := range e.acc.Slots {
			e.acc.Slots[j].N = e.acc.Rows
		}
	}
}

// findHot returns the index of slice end in o.hot, or -1.
func (o *sliceAgg) findHot(end int64) int {
	if o.hotLast < len(o.hot) && o.hot[o.hotLast].end == end {
		return o.hotLast
	}
	for i := range o.hot {
		if o.hot[i].end == end {
			o.hotLast = i
			return i
		}
	}
	return -1
}

// processChunk folds rows [lo, hi) of b in three passes, so that the cache
// misses of different rows overlap: assign slices, look the entries up in
// the hot index, fold the rows in (in arrival order).
func (o *sliceAgg) processChunk(b *types.Batch, lo, hi int) error {
	plan, ents := o.plan[:hi-lo], o.ents[:hi-lo]
	if err := o.assign(b, lo, plan); err != nil {
		return err
	}
	w := b.Width
	vals := b.Vals[lo*w : hi*w]
	curOK, curEnd, cur, loc := false, int64(0), map[uint64]*winEntry(nil), (*localSlices)(nil)
	for i := range plan {
		p := &plan[i]
		ents[i] = nil
		if p.skip {
			continue
		}
		if !curOK || p.target != curEnd {
			curOK, curEnd = true, p.target
			h := &o.hot[o.hotEnd(p.target)]
			cur, loc = h.m, h.loc
		}
		if loc != nil {
			ents[i] = o.findLocal(loc, p.hash, vals[i*w:i*w+w:i*w+w])
		} else {
			ents[i] = cur[p.hash]
		}
	}
	cols := o.key.cols
	curOK = false
	for i := range plan {
		p := &plan[i]
		if p.skip {
			continue
		}
		row := vals[i*w : i*w+w : i*w+w]
		retract := b.Ops[lo+i].IsRetraction()
		e := ents[i]
		if !curOK || p.target != curEnd {
			curOK, curEnd = true, p.target
			loc = o.hot[o.hotEnd(p.target)].loc
		}
		if loc != nil {
			if e == nil {
				// a slice created by an earlier row of the chunk
				e = o.findLocal(loc, p.hash, row)
			}
			if e == nil {
				if retract {
					continue // nothing to retract from
				}
				kg := int(p.kg)
				if kg < 0 {
					var err error
					if kg, err = o.key.group(row); err != nil {
						return err
					}
				}
				e = o.newLocal(row, kg)
				loc.add(p.hash, e)
			}
			e.pend = true
			if !retract && o.allStar {
				e.acc.Rows++
				for j := range e.acc.Slots {
					e.acc.Slots[j].N++
				}
				continue
			}
		} else {
			kg := int(p.kg)
			if e != nil && o.key.sameKey(e.key, row) {
				if o.hopLocal {
					e.pend = true
				} else if !e.dirty {
					if kg < 0 {
						kg = o.key.groupOrStart(row)
					}
					o.keyBuf = appendTime(o.key.appendKey(o.keyBuf[:0], row), p.target)
					o.slices.touch(kg, o.keyBuf, e)
				}
			} else {
				if kg < 0 {
					var err error
					if kg, err = o.key.group(row); err != nil {
						return err
					}
				}
				o.keyBuf = o.key.appendKey(o.keyBuf[:0], row)
				gkLen := len(o.keyBuf)
				o.keyBuf = appendTime(o.keyBuf, p.target)
				hot, complete := o.hotMap(p.target)
				// The first pass ran before this chunk's new entries existed.
				e = hot[p.hash]
				ok := false
				if e != nil && o.key.sameKey(e.key, row) {
					ok = true
					if o.hopLocal {
						e.pend = true
					} else if !e.dirty {
						o.slices.touch(kg, o.keyBuf, e)
					}
				} else if o.hopLocal {
					// the panes index lists every live pane
					if e, ok = o.panes.find(o.keyBuf[:gkLen], p.target); ok {
						e.pend = true
					}
				} else if e != nil || !complete {
					e, ok = o.slices.get(kg, o.keyBuf)
				}
				if !ok {
					if retract {
						continue // nothing to retract from
					}
					e = newWinEntry(len(cols), o.funcs.Len())
					for j, c := range cols {
						e.key[j] = row[c]
					}
					o.funcs.Init(&e.acc)
					if err := o.fold(&e.acc, row); err != nil {
						return err
					}
					if o.hopLocal {
						e.kg, e.pend = int32(kg), true
					} else {
						o.slices.insert(kg, o.keyBuf, e)
					}
					if o.panes != nil {
						l := o.panes.add(o.keyBuf[:gkLen], kg, p.target, o.livePane(e))
						o.due.add(p.timer, l)
					} else {
						o.timers.add(p.timer, kg, o.keyBuf[:gkLen])
					}
					hot[p.hash] = e
					continue
				}
				hot[p.hash] = e
			}
		}
		var err error
		if retract {
			err = o.funcs.Retract(&e.acc, row)
		} else {
			err = o.fold(&e.acc, row)
		}
		if err != nil {
			return err
		}
	}
	clear(ents)
	return nil
}

// rowPlan is what the first pass over a chunk decides for a row.
type rowPlan struct {
	hash          uint64 // hotHash of the key
	target, timer int64  // slice end to fold into; window end to register for a new slice
	kg            int32  // key group, or -1 when not computed yet
	skip          bool   // no time, late for every window, or in no window
}

// assign decides the slice of rows lo.. of b (one per plan entry), judging
// lateness against the watermark.
func (o *sliceAgg) assign(b *types.Batch, lo int, plan []rowPlan) error {
	hop := o.slicer.Kind == window.HopSlices
	proctime := o.spec.Window.Proctime
	timeCol := o.spec.Window.TimeCol
	w := b.Width
	vals := b.Vals[lo*w : (lo+len(plan))*w]
	for i := range plan {
		p := &plan[i]
		row := vals[i*w : i*w+w : i*w+w]
		p.kg, p.skip = -1, true
		tv := &row[timeCol]
		if tv.IsNull() {
			continue
		}
		ts := tv.Millis()
		wm := o.clock.wm
		if o.clock.restored != nil {
			kg, err := o.key.group(row)
			if err != nil {
				return err
			}
			p.kg = int32(kg)
			wm = o.clock.at(kg)
		}
		if proctime && ts <= wm && wm != exec.MaxWatermark {
			ts = wm + 1
		}
		if ts < o.sliceLo || ts >= o.sliceHi {
			o.sliceHi = o.slicer.SliceEnd(ts)
			o.sliceLo = o.sliceHi - o.slicer.Slice
		}
		se := o.sliceHi
		target, timer := se, se
		if hop {
			first, ok := o.slicer.FirstWindowEnd(se)
			if !ok {
				continue // in no window (slide > size)
			}
			timer = first
			if window.Fired(first, wm) {
				next, ok := o.slicer.NextWindowEnd(se, wm)
				o.late += o.rowsOf(row)
				if !ok {
					continue
				}
				timer = next
			}
		} else if window.Fired(se, wm) {
			o.late += o.rowsOf(row)
			if o.slicer.Kind == window.TumbleSlices {
				continue
			}
			next, ok := o.slicer.NextWindowEnd(se, wm)
			if !ok {
				continue
			}
			target, timer = next, next
		}
		p.target, p.timer, p.skip = target, timer, false
		p.hash = o.rowHash(row)
	}
	return nil
}

// remove deletes a slice entry. Its hot index entry goes when the whole
// slice end is dropped (no row reaches a fired slice).
func (o *sliceAgg) remove(kg int, key []byte, e *winEntry) {
	o.slices.remove(kg, key, e)
}

// flush writes pending entries back; the hot index holds the store's live
// copies, which a serialising store may evict once they are clean, so it
// is dropped.
func (o *sliceAgg) flush() {
	o.flushLocal()
	o.flushPanes()
	o.slices.flush()
	if !o.slices.shared {
		o.dropHot(0, true)
	}
}

func (o *sliceAgg) maybeFlush() {
	if o.slices.needsFlush() {
		o.flush()
		return
	}
	o.slices.trim() // the hot index holds dirty entries only, which stay
}

func (o *sliceAgg) ProcessWatermark(wm int64) error {
	if err := o.advance(wm, o.fire); err != nil {
		return err
	}
	o.dropHot(o.clock.wm, false)
	return nil
}

func (o *sliceAgg) OnTick(now int64) error {
	if err := o.tick(now, o.fire); err != nil {
		return err
	}
	o.dropHot(o.clock.wm, false)
	return nil
}

func (o *sliceAgg) SnapshotState(int64) error {
	o.flush()
	o.clock.snapshot()
	return nil
}

func (o *sliceAgg) Finish() error { return finishWith(o.SnapshotState, o.slices) }

func (o *sliceAgg) fire(kg int, gk []byte, end int64) error {
	switch o.slicer.Kind {
	case window.TumbleSlices:
		o.keyBuf = appendTime(append(o.keyBuf[:0], gk...), end)
		e, ok := o.slices.peek(kg, o.keyBuf)
		if !ok {
			return nil
		}
		o.emit(e.key, end-o.slicer.Size, end, &e.acc)
		o.remove(kg, o.keyBuf, e)
	case window.CumulateSlices:
		o.fireCumulate(kg, gk, end)
	}
	return nil
}

func (o *sliceAgg) fireCumulate(kg int, gk []byte, end int64) {
	o.keyBuf = appendTime(append(o.keyBuf[:0], gk...), end)
	e, ok := o.slices.peek(kg, o.keyBuf)
	if !ok {
		return
	}
	o.emit(e.key, o.slicer.WindowStart(end), end, &e.acc)
	o.remove(kg, o.keyBuf, e)
	next, ok := o.slicer.NextWindowEndAfter(end)
	if !ok {
		return
	}
	o.keyBuf = appendTime(append(o.keyBuf[:0], gk...), next)
	if n, ok := o.slices.get(kg, o.keyBuf); ok {
		if !o.funcs.OrderSensitive() {
			o.funcs.Merge(&n.acc, &e.acc)
			return
		}
		// The next slice's rows came after this window's: merge them
		// into a copy of the window's accumulator (LISTAGG, FIRST_VALUE
		// and LAST_VALUE depend on the order), which becomes the slice's.
		merged := e.acc.Clone()
		o.funcs.Merge(&merged, &n.acc)
		n.acc = merged
		return
	}
	// The removed entry moves to the next slice (a fresh entry: the old
	// one is dead to the store), and into that slice end's hot index.
	ne := &winEntry{key: e.key, acc: e.acc.Clone()}
	o.slices.insert(kg, o.keyBuf, ne)
	hot, _ := o.hotMap(next)
	hot[hotHashKey(ne.key)] = ne
	o.timers.add(next, kg, gk)
}
