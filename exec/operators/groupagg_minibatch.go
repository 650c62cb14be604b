package operators

import (
	"time"

	"github.com/streamsql/streamsql/types"
)

// Mini-batch mode of the non-windowed GROUP BY (GroupAggSpec.MiniBatch,
// Flink's table.exec.mini-batch.enabled): rows are folded into their
// groups first, and each group the mini-batch changed emits one change
// when the mini-batch ends, in the order the mini-batch first touched the
// groups: +I for a group it created, -U (its result before the
// mini-batch) and +U (after) for a changed one, -D for one it emptied,
// nothing when its result ended where it began. The changelog is shorter
// and its final table the same as row by row; only the intermediate
// results inside one mini-batch are not emitted (a hot key, or a global
// COUNT, emits once per mini-batch instead of once per row).
//
// Where a mini-batch ends:
//   - MiniBatchLatency 0 (the default): at the end of each input batch
//     (ProcessBatch), or, with a MiniBatchSize, after every MiniBatchSize
//     rows of it. Nothing is held back between calls.
//   - MiniBatchLatency above 0: the mini-batch spans input batches and
//     ends when the rows folded into it reach MiniBatchSize (within the
//     ProcessBatch that folds the last of them; 0: no bound), when OnTick
//     finds its first row (stamped with ctx.Now() as it is folded)
//     MiniBatchLatency old or older, when the store must write its
//     pending entries back (store.pressed: a bound of their number or of
//     the cache's bytes), at a checkpoint barrier (SnapshotState emits
//     it before flushing the store, so that the checkpointed state and
//     the changelog sent ahead of the barrier agree) and at the end of
//     the input (Finish).
//
// The task calls ProcessBatch, OnTick (about every 100 ms), SnapshotState
// and Finish from its one goroutine, never concurrently: the held
// mini-batch (o.mb) is the operator's alone. What OnTick emits goes
// downstream when it returns; what SnapshotState emits, ahead of the
// checkpoint's barrier (see exec.Operator).
//
// The mini-batch holds pointers to the entries of its groups (from get or
// insert), which a serialising store keeps valid only until its next flush
// or maybeFlush: while rows are held, ProcessBatch calls neither (it asks
// store.pressed, which evicts only clean entries), and every end of a
// held mini-batch emits first and lets the store flush after.
//
// A group emptied and then started again within one mini-batch is one
// group for it: -U/+U. Groups are removed from the state at once, as row
// by row, so a retraction after the group emptied is ignored.

// batchGroup is a group the current mini-batch changed.
type batchGroup struct {
	kg  int
	key string      // encoded key
	e   *groupEntry // current entry; nil once the mini-batch emptied it
	// before is the group's row (keys, results) before the mini-batch, at
	// o.mb.before[before:before+width]; -1 when it did not exist.
	before int
}

// miniBatch is the bookkeeping of the current mini-batch, reused from one
// to the next.
type miniBatch struct {
	index  map[string]int // kg+key -> position in groups
	groups []batchGroup
	before []types.Value // rows before the mini-batch, width each
	ikey   []byte
	// rows counts the rows folded since the last emit (MiniBatchLatency
	// above 0 only; 0 also when nothing is held); since is ctx.Now() when
	// the first of them was folded.
	rows  int
	since int64
}

// due reports whether a held mini-batch's first row is latency old at now.
func (mb *miniBatch) due(now int64, latency time.Duration) bool {
	return mb.rows > 0 && now-mb.since >= latency.Milliseconds()
}

// processMiniBatch folds b. Without a MiniBatchLatency: in pieces of at
// most MiniBatchSize rows (the whole batch when it is 0), emitting after
// each piece; with one, into the held mini-batch (holdMiniBatch).
func (o *groupAgg) processMiniBatch(b *types.Batch) error {
	if o.mb.index == nil {
		o.mb.index = make(map[string]int)
	}
	if o.spec.MiniBatchLatency > 0 {
		return o.holdMiniBatch(b)
	}
	size := o.spec.MiniBatchSize
	if size <= 0 {
		size = b.Len()
	}
	for lo := 0; lo < b.Len(); lo += size {
		if err := o.foldMiniBatch(b, lo, min(lo+size, b.Len())); err != nil {
			return err
		}
		if err := o.emitMiniBatch(); err != nil {
			return err
		}
	}
	o.groups.maybeFlush()
	return nil
}

// holdMiniBatch folds b into the held mini-batch, ending it whenever its
// rows reach MiniBatchSize (when set), and once more after b when the
// store must write back (store.pressed). The other ends are OnTick's,
// SnapshotState's and Finish's.
func (o *groupAgg) holdMiniBatch(b *types.Batch) error {
	mb := &o.mb
	size := o.spec.MiniBatchSize
	for lo, n := 0, b.Len(); lo < n; {
		hi := n
		if size > 0 {
			hi = min(n, lo+size-mb.rows)
		}
		if mb.rows == 0 {
			mb.since = o.ctx.Now()
		}
		if err := o.foldMiniBatch(b, lo, hi); err != nil {
			return err
		}
		mb.rows += hi - lo
		lo = hi
		if size > 0 && mb.rows >= size {
			if err := o.releaseMiniBatch(); err != nil {
				return err
			}
		}
	}
	if mb.rows > 0 && o.groups.pressed() {
		return o.releaseMiniBatch()
	}
	return nil
}

// releaseMiniBatch ends a held mini-batch: it emits its changes, then lets
// the store flush (the mini-batch no longer holds entries).
func (o *groupAgg) releaseMiniBatch() error {
	err := o.emitMiniBatch()
	o.groups.maybeFlush()
	return err
}

// foldMiniBatch folds rows [lo, hi) of b into their groups, recording in
// o.mb each group the current mini-batch touches first (and its row before).
func (o *groupAgg) foldMiniBatch(b *types.Batch, lo, hi int) error {
	nk := len(o.spec.KeyCols)
	width := nk + len(o.spec.Aggs)
	mb := &o.mb
	for i := lo; i < hi; i++ {
		row := b.Row(i)
		kg, err := o.key.group(row)
		if err != nil {
			return err
		}
		o.keyBuf = o.key.appendKey(o.keyBuf[:0], row)
		mb.ikey = append(append(mb.ikey[:0], byte(kg>>8), byte(kg)), o.keyBuf...)
		gi, seen := mb.index[string(mb.ikey)]
		if !seen {
			g := batchGroup{kg: kg, key: string(o.keyBuf), before: -1}
			if e, ok := o.groups.get(kg, o.keyBuf); ok {
				g.e = e
				g.before = len(mb.before)
				mb.before = append(mb.before, e.key...)
				mb.before = append(mb.before, make([]types.Value, len(o.spec.Aggs))...)
				if err := o.funcs.Results(mb.before[g.before+nk:g.before+width], &e.acc); err != nil {
					return err
				}
			}
			gi = len(mb.groups)
			mb.groups = append(mb.groups, g)
			mb.index[string(mb.ikey)] = gi
		}
		g := &mb.groups[gi]
		retract := b.Ops[i].IsRetraction()
		if g.e == nil {
			if retract {
				continue
			}
			e := &groupEntry{key: o.key.keyValues(row)}
			o.funcs.Init(&e.acc)
			if err := o.funcs.Add(&e.acc, row); err != nil {
				return err
			}
			o.groups.insert(kg, o.keyBuf, e)
			g.e = e
			continue
		}
		if retract {
			err = o.funcs.Retract(&g.e.acc, row)
		} else {
			err = o.funcs.Add(&g.e.acc, row)
		}
		if err != nil {
			return err
		}
		if g.e.acc.Rows <= 0 && nk == 0 {
			o.funcs.Init(&g.e.acc) // a global aggregate returns to its result over zero rows
		} else if g.e.acc.Rows <= 0 {
			o.groups.remove(kg, o.keyBuf, g.e)
			g.e = nil
		}
	}
	return nil
}

// emitMiniBatch emits one change per group the current mini-batch
// changed and starts the next one (empty). It does not flush the store.
func (o *groupAgg) emitMiniBatch() error {
	mb := &o.mb
	err := o.emitChanges()
	clear(mb.index)
	mb.groups = mb.groups[:0]
	clear(mb.before)
	mb.before = mb.before[:0]
	mb.rows = 0
	return err
}

// emitChanges emits one change per group the current mini-batch changed,
// in the order it first touched them.
func (o *groupAgg) emitChanges() error {
	nk := len(o.spec.KeyCols)
	width := nk + len(o.spec.Aggs)
	mb := &o.mb
	for i := range mb.groups {
		g := &mb.groups[i]
		var before []types.Value
		if g.before >= 0 {
			before = mb.before[g.before : g.before+width]
		}
		if g.e == nil {
			if before != nil {
				o.ctx.Out.Emit(types.Delete, before)
			}
			continue
		}
		copy(o.out, g.e.key)
		if err := o.funcs.Results(o.out[nk:], &g.e.acc); err != nil {
			return err
		}
		switch {
		case before == nil:
			o.ctx.Out.Emit(types.Insert, o.out)
		case !sameValues(before[nk:], o.out[nk:]):
			o.ctx.Out.Emit(types.UpdateBefore, before)
			o.ctx.Out.Emit(types.UpdateAfter, o.out)
		}
	}
	return nil
}
