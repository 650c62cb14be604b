package operators

import (
	"github.com/streamsql/streamsql/types"
)

// Mini-batch mode of the non-windowed GROUP BY (GroupAggSpec.MiniBatch,
// Flink's table.exec.mini-batch.enabled): the rows of one input batch are
// folded into their groups first, and each group changed by the batch
// emits one change at the end of the batch, in the order the batch first
// touched the groups: +I for a group the batch created, -U (its result
// before the batch) and +U (after) for a changed one, -D for one the batch
// emptied, nothing when its result ended where it began. The changelog is
// shorter and its final table the same as row by row; only the
// intermediate results inside one batch are not emitted (a hot key, or a
// global COUNT, emits once per batch instead of once per row).
//
// A group emptied and then started again within one batch is one group
// for the batch: -U/+U. Groups are removed from the state at once, as row
// by row, so a retraction after the group emptied is ignored.

// batchGroup is a group the current batch changed.
type batchGroup struct {
	kg  int
	key string      // encoded key
	e   *groupEntry // current entry; nil once the batch emptied it
	// before is the group's row (keys, results) before the batch, at
	// o.mb.before[before:before+width]; -1 when it did not exist.
	before int
}

// miniBatch is the per-batch bookkeeping, reused from batch to batch.
type miniBatch struct {
	index  map[string]int // kg+key -> position in groups
	groups []batchGroup
	before []types.Value // rows before the batch, width each
	ikey   []byte
}

// processMiniBatch folds b in pieces of at most MiniBatchSize rows (the
// whole batch when it is 0), emitting after each piece.
func (o *groupAgg) processMiniBatch(b *types.Batch) error {
	if o.mb.index == nil {
		o.mb.index = make(map[string]int)
	}
	size := o.spec.MiniBatchSize
	if size <= 0 {
		size = b.Len()
	}
	for lo := 0; lo < b.Len(); lo += size {
		if err := o.foldMiniBatch(b, lo, min(lo+size, b.Len())); err != nil {
			return err
		}
	}
	o.groups.maybeFlush()
	return nil
}

// foldMiniBatch folds rows [lo, hi) of b into their groups and emits one
// change per group they changed.
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
	err := o.emitMiniBatch(nk, width)
	clear(mb.index)
	mb.groups = mb.groups[:0]
	clear(mb.before)
	mb.before = mb.before[:0]
	return err
}

// emitMiniBatch emits one change per group the batch touched.
func (o *groupAgg) emitMiniBatch(nk, width int) error {
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
