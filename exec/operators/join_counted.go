package operators

import (
	"github.com/streamsql/streamsql/exec"
	"github.com/streamsql/streamsql/types"
)

// countedRow processes one row of side s, whose key (not NULL) is in
// o.keyBuf, in a regular join that keeps match counts: an outer join
// (the preserved sides' rows count their matches) or a semi or anti join
// (the left rows do). See NewJoin for what it emits.
func (o *join) countedRow(s, kg int, row []types.Value, op types.Op) error {
	mine, other := o.sides[s], o.sides[1-s]
	ttl := o.ttl.on()
	bg, ok := mine.get(kg, o.keyBuf)
	if ttl {
		bg, ok = refresh(&o.ttl, mine, kg, o.keyBuf, bg, ok)
	}
	retract := op.IsRetraction()
	var i int // the row's index in bg.rows
	switch {
	case retract:
		if !ok {
			return nil
		}
		if i = bg.find(row, &o.tagBuf); i < 0 {
			return nil // never stored (or expired): nothing to retract
		}
	case ok && o.spec.AppendOnly[s]:
		bg.rows = append(bg.rows, bagRow{enc: o.keepRow(row), n: 1})
		i = len(bg.rows) - 1
	case ok:
		i = o.addRow(bg, row)
	default:
		bg = &bag{rows: []bagRow{{enc: o.keepRow(row), n: 1}}}
		if ttl {
			o.ttl.create(kg, o.sideTag(s, o.keyBuf), &bg.ttlStamp)
		}
		mine.insert(kg, o.keyBuf, bg)
	}
	filter := o.spec.Semi || o.spec.Anti
	var found int64
	// A retracted left row of a semi or anti join needs no look at the
	// right side: its count says what was emitted, and right rows keep
	// no counts.
	if !retract || !filter || s == 1 {
		var ob *bag
		if ttl {
			ob, ok = other.get(kg, o.keyBuf)
			ob, ok = refresh(&o.ttl, other, kg, o.keyBuf, ob, ok)
		} else {
			ob, ok = other.peek(kg, o.keyBuf)
		}
		if ok {
			var err error
			if found, err = o.countMatches(s, kg, row, retract, ob); err != nil {
				return err
			}
		}
	}
	out := types.Insert
	if retract {
		out = types.Delete
	}
	matches := found
	if retract {
		// What was emitted for the row follows its stored count.
		matches = bg.rows[i].aux
	} else if o.counts[s] {
		if bg.rows[i].aux != found {
			bg.rewrite(i)
		}
		bg.rows[i].aux = found
	}
	switch {
	case o.spec.Outer[s]:
		if matches == 0 {
			o.emitPadded(s, row, 1, out)
		}
	case s == 0 && o.spec.Semi:
		if matches > 0 {
			o.ctx.Out.Emit(out, row)
		}
	case s == 0 && o.spec.Anti:
		if matches == 0 {
			o.ctx.Out.Emit(out, row)
		}
	}
	if retract {
		bg.removeAt(i, &o.tagBuf)
		if len(bg.rows) == 0 {
			mine.remove(kg, o.keyBuf, bg)
		}
	}
	return nil
}

// countMatches goes through the rows of the other side's bag ob that row
// (of side s, added or retracted) matches and returns how many there are
// (with their counts). Unless the join is a semi or anti join it emits the
// joined rows (+I, or -D for a retraction). When the other side keeps
// counts, it updates theirs and emits what a count going 0 -> 1 or 1 -> 0
// changes: the padded row of an outer join's row (retracted before its
// first joined row, emitted after its last joined row is retracted), or a
// semi / anti join's left row.
func (o *join) countMatches(s, kg int, row []types.Value, retract bool, ob *bag) (int64, error) {
	lw := o.spec.LeftWidth
	joined := !o.spec.Semi && !o.spec.Anti
	if !joined && s == 0 && !o.counts[1] {
		// A semi or anti join's left row only counts its matches.
		return o.countOnly(row, ob)
	}
	if s == 0 {
		copy(o.out[:lw], row)
	} else {
		copy(o.out[lw:], row)
	}
	track := o.counts[1-s]
	op, flip := types.Insert, types.Delete // flip: the op of the other row's padded / filtered row
	if retract {
		op, flip = types.Delete, types.Insert
	}
	if o.spec.Semi {
		flip = op
	}
	var found int64
	touched := false
	for ri := range ob.rows {
		// A key with many rows on the other side makes one input row
		// emit that many: give up when the job is stopping.
		if o.ctx.Stopped() {
			return found, exec.ErrStopped
		}
		r := &ob.rows[ri]
		if ok, err := o.pair(s, r.enc); err != nil {
			return found, err
		} else if !ok {
			continue
		}
		found += r.count()
		flips := false
		if track {
			if !touched {
				o.sides[1-s].touch(kg, o.keyBuf, ob)
				touched = true
			}
			if !retract || r.aux > 0 {
				ob.rewrite(ri)
			}
			if retract {
				if r.aux > 0 {
					r.aux--
					flips = r.aux == 0
				}
			} else {
				flips = r.aux == 0
				r.aux++
			}
		}
		if flips && !retract {
			if err := o.emitOther(1-s, r, flip); err != nil {
				return found, err
			}
		}
		if joined {
			for j := int64(0); j < r.count(); j++ {
				o.ctx.Out.Emit(op, o.out)
			}
		}
		if flips && retract {
			if err := o.emitOther(1-s, r, flip); err != nil {
				return found, err
			}
		}
	}
	return found, nil
}

// emitOther emits, with op, what a row r of side s that keeps counts
// stands for while unmatched (an outer join: r padded) or matched (a semi
// join: r) or unmatched (an anti join: r), once per occurrence.
func (o *join) emitOther(s int, r *bagRow, op types.Op) error {
	if o.spec.Outer[s] {
		return o.emitPaddedRow(s, r.enc, r.count(), op)
	}
	return o.emitStored(s, r.enc, r.count(), op)
}

// countOnly returns the number of rows of the right side's bag ob (with
// their counts) that the left row matches.
func (o *join) countOnly(row []types.Value, ob *bag) (int64, error) {
	if o.spec.Residual == nil {
		var n int64
		for _, r := range ob.rows {
			n += r.count()
		}
		return n, nil
	}
	lw := o.spec.LeftWidth
	copy(o.out[:lw], row)
	var found int64
	for _, r := range ob.rows {
		if o.ctx.Stopped() {
			return found, exec.ErrStopped
		}
		if err := decodeInto(1, o.out[lw:], r.enc); err != nil {
			return found, err
		}
		v, err := o.spec.Residual.Eval(o.out)
		if err != nil {
			return found, err
		}
		if isTrue(v) {
			found += r.count()
		}
	}
	return found, nil
}
