package expr

import (
	"github.com/streamsql/streamsql/types"
)

// CmpOp is a comparison operator.
type CmpOp uint8

const (
	CmpEQ     CmpOp = iota // =
	CmpNE                  // <> and !=
	CmpLT                  // <
	CmpLE                  // <=
	CmpGT                  // >
	CmpGE                  // >=
	CmpNullEQ              // <=> (NULL-safe equality: never NULL)
)

var cmpNames = [...]string{"=", "<>", "<", "<=", ">", ">=", "<=>"}

func (o CmpOp) String() string { return cmpNames[o] }

// Compare is L op R. Numbers compare by value across INT, DECIMAL and
// DOUBLE; strings compare bytewise (case-sensitive); TIMESTAMP and DATE
// compare in time. A NULL operand gives NULL (except for <=>).
type Compare struct {
	Op   CmpOp
	L, R Expr
}

// coercePair makes two operands comparable: a string meeting a TIMESTAMP or
// DATE is cast to it, a string meeting a number is read as a DOUBLE
// (NumericString: MySQL's rule, '3x' is 3 and 'x' is 0), DATE
// meeting TIMESTAMP widens, BOOLEAN meeting a number becomes an integer.
func coercePair(l, r Expr) (Expr, Expr, error) {
	lt, rt := l.Type(), r.Type()
	lk, rk := lt.Kind, rt.Kind
	if lk == types.KindNull || rk == types.KindNull || lk == rk || (lt.IsNumeric() && rt.IsNumeric()) {
		return l, r, nil
	}
	conv := func(e Expr, t types.Type) Expr {
		c, err := NewCast(e, t)
		if err != nil {
			return e
		}
		return c
	}
	switch {
	case lk == types.KindString && (rk == types.KindTimestamp || rk == types.KindDate):
		return conv(l, rt.Nullable()), r, nil
	case rk == types.KindString && (lk == types.KindTimestamp || lk == types.KindDate):
		return l, conv(r, lt.Nullable()), nil
	case lk == types.KindDate && rk == types.KindTimestamp:
		return conv(l, types.Timestamp), r, nil
	case rk == types.KindDate && lk == types.KindTimestamp:
		return l, conv(r, types.Timestamp), nil
	case lk == types.KindString && rt.IsNumeric():
		return NumericString(l), r, nil
	case rk == types.KindString && lt.IsNumeric():
		return l, NumericString(r), nil
	case lk == types.KindBool && rt.IsNumeric():
		return conv(l, types.BigInt), r, nil
	case rk == types.KindBool && lt.IsNumeric():
		return l, conv(r, types.BigInt), nil
	}
	return nil, nil, typeErr(1, "cannot compare "+lt.Nullable().String()+" with "+rt.Nullable().String())
}

// KeyTypes brings the two sides of an equality that a join or an IN
// matches by value (a hash key) to one type, so that equal values are
// equal keys: their CommonType, or DOUBLE when a string meets a number
// (the string read by NumericString, as Compare reads it), or the time
// type when a string meets a TIMESTAMP or DATE (cast to it, as Compare
// casts it). Sides whose
// types differ only in nullability are returned as they are. The error
// says which types do not meet.
func KeyTypes(l, r Expr) (Expr, Expr, error) {
	lt, rt := l.Type(), r.Type()
	if lt.Nullable() == rt.Nullable() {
		return l, r, nil
	}
	if t, ok := CommonType(lt, rt); ok {
		var err error
		if l, err = Coerce(l, t.Nullable()); err != nil {
			return nil, nil, err
		}
		if r, err = Coerce(r, t.Nullable()); err != nil {
			return nil, nil, err
		}
		return l, r, nil
	}
	num := func(e Expr) (Expr, error) { return Coerce(e, types.Double) }
	var err error
	switch {
	case lt.Kind == types.KindString && (rt.Kind == types.KindTimestamp || rt.Kind == types.KindDate):
		l, err = Coerce(l, rt.Nullable()) // as Compare: the string is read as a time
	case rt.Kind == types.KindString && (lt.Kind == types.KindTimestamp || lt.Kind == types.KindDate):
		r, err = Coerce(r, lt.Nullable())
	case lt.Kind == types.KindString && (rt.IsNumeric() || rt.Kind == types.KindBool):
		l = NumericString(l)
		r, err = num(r)
	case rt.Kind == types.KindString && (lt.IsNumeric() || lt.Kind == types.KindBool):
		r = NumericString(r)
		l, err = num(l)
	default:
		return nil, nil, typeErr(1, "cannot compare "+lt.Nullable().String()+" with "+rt.Nullable().String())
	}
	if err != nil {
		return nil, nil, err
	}
	return l, r, nil
}

// NewCompare type-checks and builds L op R.
func NewCompare(op CmpOp, l, r Expr) (Expr, error) {
	l, r, err := coercePair(l, r)
	if err != nil {
		return nil, err
	}
	return &Compare{Op: op, L: l, R: r}, nil
}

func (c *Compare) Type() types.Type {
	return types.Type{Kind: types.KindBool, NotNull: c.Op == CmpNullEQ || (c.L.Type().NotNull && c.R.Type().NotNull)}
}
func (c *Compare) String() string { return render(c) }

func (c *Compare) Eval(row []types.Value) (types.Value, error) {
	// A column against a constant (event_type = 1, price < 10000) is the
	// common filter: read both directly, without the two calls.
	if col, ok := c.L.(*Col); ok {
		if lit, ok := c.R.(*Literal); ok {
			return c.compare(row[col.Index], lit.V), nil
		}
	}
	l, err := c.L.Eval(row)
	if err != nil {
		return l, err
	}
	r, err := c.R.Eval(row)
	if err != nil {
		return r, err
	}
	return c.compare(l, r), nil
}

// compare is the comparison of the operands' values l and r.
func (c *Compare) compare(l, r types.Value) types.Value {
	if l.IsNull() || r.IsNull() {
		if c.Op == CmpNullEQ {
			return types.BoolValue(l.IsNull() && r.IsNull())
		}
		return types.NullValue()
	}
	return types.BoolValue(cmpResult(c.Op, types.Compare(l, r)))
}

func cmpResult(op CmpOp, x int) bool {
	switch op {
	case CmpEQ, CmpNullEQ:
		return x == 0
	case CmpNE:
		return x != 0
	case CmpLT:
		return x < 0
	case CmpLE:
		return x <= 0
	case CmpGT:
		return x > 0
	}
	return x >= 0
}
