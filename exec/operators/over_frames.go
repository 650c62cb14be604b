package operators

import (
	"slices"

	"github.com/streamsql/streamsql/exec/agg"
	"github.com/streamsql/streamsql/types"
)

// The frame arithmetic of the OVER operator (over.go): aggregating a
// partition's rows in time order and sliding its bounded frames.

// processGroup aggregates n rows of one time ts (rows: n rows of
// OutWidth values) in order and emits them. For ROWS frames each row gets
// the value after its own row; for RANGE frames every row of the group
// gets the value after all of them.
func (o *overOp) processGroup(e *overEntry, rows []types.Value, n int, ts int64) error {
	w := o.spec.OutWidth
	stride := 1 + o.args.width()
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
	stride := 1 + o.args.width()
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
	stride := 1 + o.args.width()
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

// evalArgs computes the argument slots of row into o.argRow.
func (o *overOp) evalArgs(row []types.Value) error { return o.args.eval(o.argRow, row) }
