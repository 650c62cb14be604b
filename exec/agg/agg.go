package agg

import (
	"errors"
	"fmt"
	"math/big"

	"github.com/streamsql/streamsql/expr"
	"github.com/streamsql/streamsql/plan"
	"github.com/streamsql/streamsql/types"
)

// ErrSubqueryRows is the error of a scalar subquery that has more than one
// row for an outer row (MySQL's error 1242).
var ErrSubqueryRows = errors.New("Subquery returns more than 1 row")

// ErrRetractMinMax is returned when a row is retracted from a MIN/MAX
// accumulator compiled without retraction support.
var ErrRetractMinMax = errors.New("MIN/MAX cannot retract a row: aggregate compiled for insert-only input")

// Acc is the accumulator state of one group: the net number of rows folded
// in and one Slot per aggregate call.
type Acc struct {
	Rows  int64
	Slots []Slot
}

// Slot is the accumulator of one aggregate call. Which fields are used
// depends on the function:
//   - N: rows (COUNT(*)) or non-NULL values (distinct values for DISTINCT);
//   - Sum, carry: exact sum of integer/decimal values, unscaled at the
//     call's scale, as the 128-bit integer carry·2⁶⁴ + Sum: Sum is a plain
//     int64 add, and each time it wraps carry counts the wrap, so no
//     overflow is lost, a later retraction can bring the sum back, and the
//     result can tell an exact value from one out of its type's range;
//   - FSum: sum of DOUBLE values;
//   - Ext: the current MIN/MAX (NULL when none);
//   - set: value multiset for DISTINCT and retractable MIN/MAX (else nil;
//     Multiset);
//   - list: the values of LISTAGG / GROUP_CONCAT and retractable
//     FIRST_VALUE / LAST_VALUE, in arrival order (else nil);
//   - sq, fsq: the sum of squares of the variance functions: exact
//     (unscaled at twice the argument's scale) for integers and decimals,
//     floating point for DOUBLE. Sum/carry and FSum hold the plain sum.
//
// BOOL_AND / BOOL_OR count non-NULL values in N and TRUE values in Sum.
//
// The fields most aggregates leave unused (carry, set, list, sq, fsq)
// live in a slotMore that a slot gets only when one of them is set
// (m): a group of COUNT, SUM, AVG, MIN and MAX accumulators keeps 64
// bytes per slot, not 96. Read them through the accessors (zero when
// the slot has none), write them through m.
type Slot struct {
	N    int64
	Sum  int64
	FSum float64
	Ext  types.Value
	more *slotMore
}

// slotMore holds a slot's rarely used fields (see Slot).
type slotMore struct {
	carry int64
	set   *ValueSet
	list  *ValueList
	sq    *big.Int
	fsq   float64
}

// m returns the slot's slotMore, adding one when it has none.
func (s *Slot) m() *slotMore {
	if s.more == nil {
		s.more = &slotMore{}
	}
	return s.more
}

// Multiset returns the slot's value multiset (DISTINCT, retractable
// MIN/MAX), or nil.
func (s *Slot) Multiset() *ValueSet {
	if s.more == nil {
		return nil
	}
	return s.more.set
}

func (s *Slot) list() *ValueList {
	if s.more == nil {
		return nil
	}
	return s.more.list
}

func (s *Slot) carry() int64 {
	if s.more == nil {
		return 0
	}
	return s.more.carry
}

func (s *Slot) sq() *big.Int {
	if s.more == nil {
		return nil
	}
	return s.more.sq
}

func (s *Slot) fsq() float64 {
	if s.more == nil {
		return 0
	}
	return s.more.fsq
}

// addSum adds x to the 128-bit sum (Carry, Sum).
func (s *Slot) addSum(x int64) {
	r := s.Sum + x
	if x > 0 && r < s.Sum {
		s.m().carry++
	} else if x < 0 && r > s.Sum {
		s.m().carry--
	}
	s.Sum = r
}

// subSum subtracts x from the 128-bit sum (Carry, Sum).
func (s *Slot) subSum(x int64) {
	r := s.Sum - x
	if x > 0 && r > s.Sum {
		s.m().carry--
	} else if x < 0 && r < s.Sum {
		s.m().carry++
	}
	s.Sum = r
}

type call struct {
	// plain: a column argument without FILTER, tuple, list or multiset,
	// folded by Add's fast path.
	plain    bool
	fn       plan.AggFunc
	distinct bool
	star     bool
	col      int // argument column, or -1 when the argument is another expression
	arg      expr.Expr
	out      types.Type
	scale    uint8 // scale of Sum
	useSet   bool
	useList  bool
	// presence: the call's DISTINCT set is a presence set (the input
	// never retracts; CompileInsertOnly).
	presence bool
	// shareBit, when not 0, is the call's bit in the table of integers
	// its share group's presence sets share (see shareGroups), and
	// shareLeader the group's first call, whose slot's set holds it.
	shareBit    uint8
	shareLeader int
	name        string // the call as written, e.g. SUM(price), for errors

	more    []expr.Expr // COUNT(DISTINCT a, b, ...): the arguments after the first
	filter  expr.Expr   // FILTER (WHERE ...), or nil
	sep     string      // LISTAGG / GROUP_CONCAT separator
	orderBy []expr.Expr // GROUP_CONCAT ORDER BY keys
	desc    []bool
}

// Funcs is a compiled list of aggregate calls.
type Funcs struct {
	calls   []call
	retract bool
	kbuf    []byte
	keys    []types.Value // scratch: one row's ORDER BY keys
}

// Compile prepares calls for evaluation. With retract, MIN and MAX keep
// multisets so that rows can be retracted.
func Compile(calls []plan.AggCall, retract bool) (*Funcs, error) {
	return compile(calls, retract, false)
}

// CompileInsertOnly prepares calls for an input that never retracts a
// row: Compile(calls, false), except that DISTINCT keeps a presence set
// (which values occurred, not how often: see ValueSet), and Retract of a
// row is an error for a DISTINCT call. A set restored from a state that
// kept counts becomes a presence set at the first row added to it.
func CompileInsertOnly(calls []plan.AggCall) (*Funcs, error) {
	return compile(calls, false, true)
}

func compile(calls []plan.AggCall, retract, insertOnly bool) (*Funcs, error) {
	f := &Funcs{calls: make([]call, len(calls)), retract: retract}
	for i, a := range calls {
		c := call{fn: a.Func, distinct: a.Distinct, out: a.Type, col: -1, name: a.String()}
		c.more, c.filter, c.sep, c.orderBy, c.desc = a.More, a.Filter, a.Sep, a.OrderBy, a.Desc
		if a.Func > plan.AggSingleValue {
			return nil, fmt.Errorf("aggregate %d: unknown function %d", i, a.Func)
		}
		if a.Arg == nil {
			if a.Func != plan.AggCount {
				return nil, fmt.Errorf("aggregate %s needs an argument", a.Func)
			}
			c.star = true
			c.distinct = false
		} else {
			c.arg = a.Arg
			if col, ok := expr.AsCol(a.Arg); ok {
				c.col = col.Index
			}
			at := a.Arg.Type()
			if at.Kind == types.KindDecimal {
				c.scale = at.Scale
			}
		}
		if c.out.Kind == types.KindNull {
			c.out = defaultType(a)
		}
		c.useList = isListFunc(a.Func) || a.Func == plan.AggSingleValue || (retract && (a.Func == plan.AggFirstValue || a.Func == plan.AggLastValue))
		if c.useList || a.Func == plan.AggFirstValue || a.Func == plan.AggLastValue {
			c.distinct = c.distinct && isListFunc(a.Func) // applied when the result is built
		}
		c.useSet = (c.distinct && !c.useList) || (retract && (a.Func == plan.AggMin || a.Func == plan.AggMax))
		c.presence = insertOnly && c.useSet && c.distinct
		c.plain = !c.star && c.col >= 0 && c.filter == nil && len(c.more) == 0 && !c.useList && !c.useSet
		f.calls[i] = c
	}
	shareGroups(f.calls, calls)
	return f, nil
}

// maxShare is the most calls one shared table serves (a mask byte).
const maxShare = 8

// shareGroups gives presence sets of integers that see mostly the same
// values one table (maskSet): DISTINCT calls over one expression, each
// under its own condition, as COUNT(DISTINCT bidder) and COUNT(DISTINCT
// CASE WHEN price < 10000 THEN bidder END), or the same with FILTER. A
// row then costs one cache miss in the table for the group, not one per
// call, and a value seen by several calls is stored once. The grouping
// only places the values: each call keeps its own bit, so any calls could
// share a table and give the same results.
func shareGroups(calls []call, aggs []plan.AggCall) {
	groups := map[string][]int{}
	var order []string
	for i := range calls {
		c := &calls[i]
		if !c.presence || len(c.more) > 0 || c.arg == nil || c.arg.Type().Kind != types.KindInt {
			continue
		}
		k := expr.Key(aggs[i].DistinctSource()...)
		if len(groups[k]) == 0 {
			order = append(order, k)
		}
		groups[k] = append(groups[k], i)
	}
	for _, k := range order {
		g := groups[k]
		for len(g) >= 2 {
			n := min(len(g), maxShare)
			for j, ci := range g[:n] {
				calls[ci].shareBit, calls[ci].shareLeader = 1<<j, g[0]
			}
			g = g[n:]
		}
	}
}

// sharedSet makes the set of call i in a a view of its share group's
// table, holding the values its set held (restored, cloned or merged on
// its own), and returns it. The group's leader gets its view first: in
// one accumulator, every view of a group is of the leader's table.
func (f *Funcs) sharedSet(a *Acc, i int) *ValueSet {
	c := &f.calls[i]
	ls := &a.Slots[c.shareLeader]
	lead := ls.Multiset()
	if lead == nil || lead.shared == nil {
		lead = newSharedView(&maskSet{}, f.calls[c.shareLeader].shareBit, lead)
		ls.m().set = lead
	}
	if i == c.shareLeader {
		return lead
	}
	s := &a.Slots[i]
	set := newSharedView(lead.shared, c.shareBit, s.Multiset())
	s.m().set = set
	return set
}

func defaultType(a plan.AggCall) types.Type {
	switch {
	case a.Func == plan.AggCount:
		return types.BigInt
	case isListFunc(a.Func):
		return types.String
	case a.Func >= plan.AggStddevPop && a.Func <= plan.AggVarSamp:
		return types.Double
	case a.Func == plan.AggBoolAnd || a.Func == plan.AggBoolOr:
		return types.Bool
	case a.Arg == nil:
		return types.BigInt
	case a.Func == plan.AggAvg && a.Arg.Type().Kind != types.KindDecimal:
		return types.Double
	case a.Func == plan.AggSum && a.Arg.Type().Kind == types.KindInt:
		return types.BigInt
	}
	return a.Arg.Type()
}

// Len is the number of aggregate calls.
func (f *Funcs) Len() int { return len(f.calls) }

// Init makes a an empty accumulator for these calls, reusing its memory.
func (f *Funcs) Init(a *Acc) {
	a.Rows = 0
	if cap(a.Slots) >= len(f.calls) {
		a.Slots = a.Slots[:len(f.calls)]
		clear(a.Slots)
	} else {
		a.Slots = make([]Slot, len(f.calls))
	}
}

// Add folds one input row into a.
func (f *Funcs) Add(a *Acc, row []types.Value) error {
	a.Rows++
	for i := range f.calls {
		c := &f.calls[i]
		s := &a.Slots[i]
		if c.plain {
			if v := row[c.col]; !v.IsNull() {
				c.add(s, v)
			}
			continue
		}
		if c.filter != nil {
			if pass, err := c.passes(row); err != nil {
				return err
			} else if !pass {
				continue
			}
		}
		if c.star {
			s.N++
			continue
		}
		var v types.Value
		if c.col >= 0 && c.more == nil {
			v = row[c.col]
		} else {
			var err error
			if v, err = f.argValue(c, row); err != nil {
				return err
			}
		}
		if c.fn == plan.AggSingleValue { // every row counts, NULL too
			if s.list() == nil {
				s.m().list = &ValueList{}
			}
			s.list().append(v, nil)
			continue
		}
		if v.IsNull() {
			continue
		}
		if c.useList {
			if err := f.orderKeys(c, row); err != nil {
				return err
			}
			if s.list() == nil {
				s.m().list = &ValueList{}
			}
			s.list().append(v, f.keys)
		}
		if c.useSet {
			set := s.Multiset()
			switch {
			case c.shareBit != 0:
				if set == nil || set.shared == nil {
					set = f.sharedSet(a, i)
				}
			case set == nil || (c.presence && !set.presence):
				set = c.newSet(set)
				s.m().set = set
			}
			if fresh := set.add(&f.kbuf, v, 1); !fresh && c.distinct {
				continue
			}
		}
		c.add(s, v)
	}
	return nil
}

// newSet returns an empty set for c, or a presence set of old's values
// (a set restored from a state that kept counts) when c keeps one.
func (c *call) newSet(old *ValueSet) *ValueSet {
	switch {
	case !c.presence:
		return NewValueSet()
	case old != nil:
		return old.presenceCopy()
	}
	return NewPresenceSet()
}

// Retract folds one input row out of a.
func (f *Funcs) Retract(a *Acc, row []types.Value) error {
	a.Rows--
	for i := range f.calls {
		c := &f.calls[i]
		s := &a.Slots[i]
		if c.filter != nil {
			if pass, err := c.passes(row); err != nil {
				return err
			} else if !pass {
				continue
			}
		}
		if c.star {
			s.N--
			continue
		}
		var v types.Value
		if c.col >= 0 && c.more == nil {
			v = row[c.col]
		} else {
			var err error
			if v, err = f.argValue(c, row); err != nil {
				return err
			}
		}
		if c.fn == plan.AggSingleValue {
			if s.list() != nil {
				s.list().remove(&f.kbuf, v, nil)
			}
			continue
		}
		if v.IsNull() {
			continue
		}
		if c.useList {
			if err := f.orderKeys(c, row); err != nil {
				return err
			}
			if s.list() == nil || !s.list().remove(&f.kbuf, v, f.keys) {
				continue
			}
		} else if c.fn == plan.AggFirstValue || c.fn == plan.AggLastValue {
			return fmt.Errorf("%s cannot retract a row: aggregate compiled for insert-only input", c.name)
		}
		if c.useSet {
			if c.presence || s.Multiset().Presence() {
				return fmt.Errorf("%s cannot retract a row: its DISTINCT values were kept for an input that never retracts (restore a state only into the query that took it)", c.name)
			}
			if s.Multiset() == nil {
				continue
			}
			found, gone := s.Multiset().remove(&f.kbuf, v)
			if !found || (c.distinct && !gone) {
				continue
			}
		} else if c.fn == plan.AggMin || c.fn == plan.AggMax {
			return ErrRetractMinMax
		}
		c.sub(s, v)
	}
	return nil
}

// add folds a non-NULL value into s.
func (c *call) add(s *Slot, v types.Value) {
	s.N++
	switch c.fn {
	case plan.AggSum, plan.AggAvg:
		switch v.Kind() {
		case types.KindInt:
			if c.scale == 0 {
				s.addSum(v.Int())
			} else {
				s.addSum(types.Rescale(v.Int(), 0, c.scale))
			}
		case types.KindDecimal:
			s.addSum(types.Rescale(v.Unscaled(), v.Scale(), c.scale))
		default:
			s.FSum += v.AsFloat()
		}
	case plan.AggStddevPop, plan.AggStddevSamp, plan.AggVarPop, plan.AggVarSamp:
		c.addSquare(s, v, 1)
	case plan.AggBoolAnd, plan.AggBoolOr:
		if v.Bool() {
			s.Sum++
		}
	case plan.AggFirstValue:
		if s.Ext.IsNull() {
			s.Ext = v
		}
	case plan.AggLastValue:
		s.Ext = v
	case plan.AggMin:
		if s.Ext.IsNull() || types.Compare(v, s.Ext) < 0 {
			s.Ext = v
		}
	case plan.AggMax:
		if s.Ext.IsNull() || types.Compare(v, s.Ext) > 0 {
			s.Ext = v
		}
	}
}

// sub folds a non-NULL value out of s (after the multiset, if any, was updated).
func (c *call) sub(s *Slot, v types.Value) {
	s.N--
	switch c.fn {
	case plan.AggStddevPop, plan.AggStddevSamp, plan.AggVarPop, plan.AggVarSamp:
		c.addSquare(s, v, -1)
		if s.N == 0 {
			s.Sum, s.FSum = 0, 0
			if m := s.more; m != nil {
				m.carry, m.fsq, m.sq = 0, 0, nil
			}
		}
	case plan.AggBoolAnd, plan.AggBoolOr:
		if v.Bool() {
			s.Sum--
		}
	case plan.AggSum, plan.AggAvg:
		switch v.Kind() {
		case types.KindInt:
			s.subSum(types.Rescale(v.Int(), 0, c.scale))
		case types.KindDecimal:
			s.subSum(types.Rescale(v.Unscaled(), v.Scale(), c.scale))
		default:
			s.FSum -= v.AsFloat()
		}
		if s.N == 0 {
			s.Sum, s.FSum = 0, 0 // forget rounding residue of doubles
			if m := s.more; m != nil {
				m.carry = 0
			}
		}
	case plan.AggMin, plan.AggMax:
		if !s.Ext.IsNull() && types.Equal(v, s.Ext) && (s.Multiset() == nil || !s.Multiset().has(v)) {
			s.Ext = s.Multiset().extreme(c.fn == plan.AggMax)
		}
	}
}

// Merge folds src into dst (both for these calls). src is not modified.
func (f *Funcs) Merge(dst, src *Acc) {
	dst.Rows += src.Rows
	for i := range f.calls {
		c := &f.calls[i]
		d, s := &dst.Slots[i], &src.Slots[i]
		if c.useList {
			mergeList(d, s)
			continue
		}
		if !c.useSet {
			d.N += s.N
			d.addSum(s.Sum)
			if c := s.carry(); c != 0 {
				d.m().carry += c
			}
			d.FSum += s.FSum
			mergeSquares(d, s)
			switch c.fn {
			case plan.AggFirstValue:
				if d.Ext.IsNull() {
					d.Ext = s.Ext
				}
			case plan.AggLastValue:
				if !s.Ext.IsNull() {
					d.Ext = s.Ext
				}
			case plan.AggMin:
				if !s.Ext.IsNull() && (d.Ext.IsNull() || types.Compare(s.Ext, d.Ext) < 0) {
					d.Ext = s.Ext
				}
			case plan.AggMax:
				if !s.Ext.IsNull() && (d.Ext.IsNull() || types.Compare(s.Ext, d.Ext) > 0) {
					d.Ext = s.Ext
				}
			}
			continue
		}
		if s.Multiset() == nil || s.Multiset().Len() == 0 {
			continue
		}
		if d.Multiset() == nil {
			d.m().set = c.newSet(nil)
		}
		s.Multiset().each(func(v types.Value, n int64) {
			fresh := d.Multiset().add(&f.kbuf, v, n)
			if c.distinct {
				if fresh {
					c.add(d, v)
				}
			} else {
				// retractable MIN/MAX: N counts values with multiplicity
				d.N += n - 1
				c.add(d, v)
			}
		})
	}
}

// Results writes one value per call into dst (len(dst) >= Len()). It
// fails, naming the call, when an exact SUM or AVG does not fit the
// call's result type (BIGINT, or DECIMAL of at most expr.MaxDecimalDigits
// digits): a value is never wrapped or rounded to fit.
func (f *Funcs) Results(dst []types.Value, a *Acc) error {
	for i := range f.calls {
		v, err := f.calls[i].result(&a.Slots[i])
		if err != nil {
			return err
		}
		dst[i] = v
	}
	return nil
}

func (c *call) result(s *Slot) (types.Value, error) {
	switch c.fn {
	case plan.AggCount:
		return c.numeric(s.N, 0, 0, 0)
	case plan.AggSum:
		if s.N <= 0 {
			return types.NullValue(), nil
		}
		return c.numeric(s.Sum, s.carry(), c.scale, s.FSum)
	case plan.AggAvg:
		if s.N <= 0 {
			return types.NullValue(), nil
		}
		return c.average(s, s.N)
	case plan.AggListAgg, plan.AggGroupConcat:
		return c.joined(s), nil
	case plan.AggStddevPop, plan.AggStddevSamp, plan.AggVarPop, plan.AggVarSamp:
		return c.variance(s), nil
	case plan.AggBoolAnd:
		if s.N <= 0 {
			return types.NullValue(), nil
		}
		return types.BoolValue(s.Sum == s.N), nil
	case plan.AggBoolOr:
		if s.N <= 0 {
			return types.NullValue(), nil
		}
		return types.BoolValue(s.Sum > 0), nil
	case plan.AggSingleValue:
		switch s.list().Len() {
		case 0:
			return types.NullValue(), nil
		case 1:
			return coerce(s.list().Entries[0].V, c.out), nil
		}
		return types.NullValue(), ErrSubqueryRows
	case plan.AggFirstValue, plan.AggLastValue:
		if c.useList {
			if s.list().Len() == 0 {
				return types.NullValue(), nil
			}
			e := s.list().Entries[0]
			if c.fn == plan.AggLastValue {
				e = s.list().Entries[len(s.list().Entries)-1]
			}
			return coerce(e.V, c.out), nil
		}
		fallthrough
	default:
		if s.Ext.IsNull() {
			return types.NullValue(), nil
		}
		return coerce(s.Ext, c.out), nil
	}
}

// outOfRange is the error of a result that does not fit the call's type;
// exact is the result as text.
func (c *call) outOfRange(exact string) error {
	t := c.out.Nullable()
	limit := "-9223372036854775808 to 9223372036854775807"
	if t.Kind == types.KindDecimal {
		limit = fmt.Sprintf("at most %d digits", expr.MaxDecimalDigits)
	}
	return fmt.Errorf("%s = %s is out of the range of its result type %s (%s); "+
		"cast the argument to DOUBLE for an approximate result", c.name, exact, t, limit)
}

// numeric converts an exact sum (Carry·2⁶⁴ + sum, unscaled at scale) plus
// a float part into a value of the call's type.
func (c *call) numeric(sum, carry int64, scale uint8, fsum float64) (types.Value, error) {
	t := c.out
	switch t.Kind {
	case types.KindDouble:
		f := wideFloat(sum, carry)
		if scale > 0 {
			f /= float64(types.Pow10(scale))
		}
		return types.DoubleValue(f + fsum), nil
	case types.KindDecimal:
		if carry != 0 {
			return types.Value{}, c.outOfRange(wideText(sum, carry, scale))
		}
		u, ok := rescaleChecked(sum, scale, t.Scale)
		if fsum != 0 {
			u += roundHalfAway(fsum * float64(types.Pow10(t.Scale)))
		}
		if !ok || !fitsDigits(u) {
			return types.Value{}, c.outOfRange(wideText(sum, carry, scale))
		}
		return types.DecimalValue(u, t.Scale), nil
	default:
		if carry != 0 {
			return types.Value{}, c.outOfRange(wideText(sum, carry, scale))
		}
		return types.IntValue(types.Rescale(sum, scale, 0) + int64(fsum)), nil
	}
}

// average returns (Carry·2⁶⁴ + Sum at the call's scale + FSum) / n as a
// value of the call's type.
func (c *call) average(s *Slot, n int64) (types.Value, error) {
	t, sum, scale := c.out, s.Sum, c.scale
	switch t.Kind {
	case types.KindDouble:
		f := wideFloat(sum, s.carry())
		if scale > 0 {
			f /= float64(types.Pow10(scale))
		}
		return types.DoubleValue((f + s.FSum) / float64(n)), nil
	case types.KindDecimal:
		if s.FSum != 0 {
			sum += roundHalfAway(s.FSum * float64(types.Pow10(scale)))
		}
		q, ok := divRoundWide(sum, s.carry(), scale, t.Scale, n)
		if !ok || !fitsDigits(q) {
			return types.Value{}, c.outOfRange(wideQuotient(sum, s.carry(), scale, n))
		}
		return types.DecimalValue(q, t.Scale), nil
	default:
		if s.FSum != 0 {
			sum += roundHalfAway(s.FSum * float64(types.Pow10(scale)))
		}
		if s.carry() != 0 {
			return types.Value{}, c.outOfRange(wideQuotient(sum, s.carry(), scale, n))
		}
		return types.IntValue(types.Rescale(sum, scale, 0) / n), nil
	}
}

func roundHalfAway(f float64) int64 {
	if f < 0 {
		return int64(f - 0.5)
	}
	return int64(f + 0.5)
}

// coerce converts a MIN/MAX value to the result type's kind where the
// kinds differ numerically (e.g. a decimal with another scale).
func coerce(v types.Value, t types.Type) types.Value {
	switch t.Kind {
	case types.KindDecimal:
		switch v.Kind() {
		case types.KindDecimal:
			if v.Scale() != t.Scale {
				return types.DecimalValue(types.Rescale(v.Unscaled(), v.Scale(), t.Scale), t.Scale)
			}
		case types.KindInt:
			return types.DecimalValue(types.Rescale(v.Int(), 0, t.Scale), t.Scale)
		}
	case types.KindDouble:
		if v.Kind() == types.KindInt || v.Kind() == types.KindDecimal {
			return types.DoubleValue(v.AsFloat())
		}
	case types.KindInt:
		if v.Kind() == types.KindDecimal {
			return types.IntValue(types.Rescale(v.Unscaled(), v.Scale(), 0))
		}
	}
	return v
}
