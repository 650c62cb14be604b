package agg

import (
	"math"
	"math/big"
	"slices"
	"strings"

	"github.com/streamsql/streamsql/plan"
	"github.com/streamsql/streamsql/types"
)

// The accumulators of LISTAGG, GROUP_CONCAT, FIRST_VALUE, LAST_VALUE, the
// variance family and BOOL_AND / BOOL_OR, and the per-call parts shared by
// every function: FILTER and COUNT(DISTINCT a, b, ...)'s tuples.

func isListFunc(f plan.AggFunc) bool { return f == plan.AggListAgg || f == plan.AggGroupConcat }

func isVarianceFunc(f plan.AggFunc) bool { return f >= plan.AggStddevPop && f <= plan.AggVarSamp }

// OrderSensitive reports whether a result depends on the order in which
// rows were folded in (LISTAGG, GROUP_CONCAT, FIRST_VALUE, LAST_VALUE), so
// that Merge's order matters.
func (f *Funcs) OrderSensitive() bool {
	for i := range f.calls {
		switch f.calls[i].fn {
		case plan.AggListAgg, plan.AggGroupConcat, plan.AggFirstValue, plan.AggLastValue:
			return true
		}
	}
	return false
}

// passes evaluates the call's FILTER condition: only TRUE folds the row.
func (c *call) passes(row []types.Value) (bool, error) {
	v, err := c.filter.Eval(row)
	if err != nil {
		return false, err
	}
	return !v.IsNull() && v.Bool(), nil
}

// argValue evaluates the call's argument over row. For COUNT(DISTINCT a,
// b, ...) it is the tuple's grouping encoding as one string value, or
// NULL when any element is NULL.
func (f *Funcs) argValue(c *call, row []types.Value) (types.Value, error) {
	var v types.Value
	if c.col >= 0 {
		v = row[c.col]
	} else {
		var err error
		if v, err = c.arg.Eval(row); err != nil {
			return v, err
		}
	}
	if len(c.more) == 0 || v.IsNull() {
		return v, nil
	}
	f.kbuf = types.AppendKey(f.kbuf[:0], v)
	for _, m := range c.more {
		x, err := m.Eval(row)
		if err != nil {
			return x, err
		}
		if x.IsNull() {
			return x, nil
		}
		f.kbuf = types.AppendKey(f.kbuf, x)
	}
	return types.StringValue(string(f.kbuf)), nil
}

// orderKeys evaluates GROUP_CONCAT's ORDER BY keys over row into f.keys.
func (f *Funcs) orderKeys(c *call, row []types.Value) error {
	f.keys = f.keys[:0]
	for _, o := range c.orderBy {
		k, err := o.Eval(row)
		if err != nil {
			return err
		}
		f.keys = append(f.keys, k)
	}
	return nil
}

// addSquare folds v (sign +1) or takes it out (sign -1) of a variance
// accumulator: the plain sum and the sum of squares.
func (c *call) addSquare(s *Slot, v types.Value, sign int64) {
	var u int64
	switch v.Kind() {
	case types.KindInt:
		u = types.Rescale(v.Int(), 0, c.scale)
	case types.KindDecimal:
		u = types.Rescale(v.Unscaled(), v.Scale(), c.scale)
	default:
		x := v.AsFloat()
		s.FSum += float64(sign) * x
		s.m().fsq += float64(sign) * x * x
		return
	}
	if sign > 0 {
		s.addSum(u)
	} else {
		s.subSum(u)
	}
	if s.sq() == nil {
		s.m().sq = new(big.Int)
	}
	sq := new(big.Int).SetInt64(u)
	sq.Mul(sq, sq)
	if sign > 0 {
		s.sq().Add(s.sq(), sq)
	} else {
		s.sq().Sub(s.sq(), sq)
	}
}

// mergeSquares adds src's sums of squares into dst (the plain sums are
// merged with the other numeric fields).
func mergeSquares(d, s *Slot) {
	if f := s.fsq(); f != 0 {
		d.m().fsq += f
	}
	if s.sq() != nil && s.sq().Sign() != 0 {
		if d.sq() == nil {
			d.m().sq = new(big.Int)
		}
		d.sq().Add(d.sq(), s.sq())
	}
}

// mergeList appends src's values after dst's: Merge folds a later slice
// or pane into an earlier one's accumulator.
func mergeList(d, s *Slot) {
	d.N += s.N
	if s.list().Len() == 0 {
		return
	}
	if d.list() == nil {
		d.m().list = &ValueList{}
	}
	for _, e := range s.list().Entries {
		d.list().append(e.V, e.Keys)
	}
}

// variance is VAR_POP / VAR_SAMP / STDDEV_POP / STDDEV_SAMP of the
// accumulated values: NULL over no value (and over one for the _SAMP
// forms). Integers and decimals are exact up to the final division:
// (n·Σx² − (Σx)²) / (n·d) with d = n or n − 1.
func (c *call) variance(s *Slot) types.Value {
	n := s.N
	samp := c.fn == plan.AggStddevSamp || c.fn == plan.AggVarSamp
	d := n
	if samp {
		d = n - 1
	}
	if n <= 0 || d <= 0 {
		return types.NullValue()
	}
	var v float64
	if s.sq() != nil || (s.FSum == 0 && s.fsq() == 0) {
		sum := wideBig(s.Sum, s.carry())
		num := new(big.Int).Mul(big.NewInt(n), orZero(s.sq()))
		num.Sub(num, new(big.Int).Mul(sum, sum))
		den := new(big.Int).Mul(big.NewInt(n), big.NewInt(d))
		if c.scale > 0 {
			den.Mul(den, new(big.Int).Exp(big.NewInt(10), big.NewInt(2*int64(c.scale)), nil))
		}
		v, _ = new(big.Rat).SetFrac(num, den).Float64()
	} else {
		v = (s.fsq() - s.FSum*s.FSum/float64(n)) / float64(d)
	}
	if v < 0 {
		v = 0 // rounding of doubles
	}
	if c.fn == plan.AggStddevPop || c.fn == plan.AggStddevSamp {
		v = math.Sqrt(v)
	}
	return types.DoubleValue(v)
}

func orZero(b *big.Int) *big.Int {
	if b == nil {
		return new(big.Int)
	}
	return b
}

// joined is LISTAGG / GROUP_CONCAT's result: the values joined by the
// separator, in arrival order or GROUP_CONCAT's ORDER BY (a stable sort:
// ties keep arrival order; NULL keys first ascending, last descending),
// each distinct value once with DISTINCT (its first place). NULL when
// there is no value.
func (c *call) joined(s *Slot) types.Value {
	if s.list().Len() == 0 {
		return types.NullValue()
	}
	es := s.list().Entries
	idx := make([]int, len(es))
	for i := range idx {
		idx[i] = i
	}
	if len(c.orderBy) > 0 {
		slices.SortStableFunc(idx, func(a, b int) int {
			for k := range c.orderBy {
				r := types.Compare(es[a].Keys[k], es[b].Keys[k])
				if c.desc[k] {
					r = -r
				}
				if r != 0 {
					return r
				}
			}
			return 0
		})
	}
	var seen map[string]bool
	if c.distinct {
		seen = map[string]bool{}
	}
	var b strings.Builder
	first := true
	var kb []byte
	for _, i := range idx {
		v := es[i].V
		if seen != nil {
			kb = types.AppendKey(kb[:0], v)
			if seen[string(kb)] {
				continue
			}
			seen[string(kb)] = true
		}
		if !first {
			b.WriteString(c.sep)
		}
		first = false
		if v.Kind() == types.KindString {
			b.WriteString(v.Str())
		} else {
			b.WriteString(v.String())
		}
	}
	return types.StringValue(b.String())
}
