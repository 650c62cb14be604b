package expr

import (
	"math"
	"strings"

	"github.com/streamsql/streamsql/types"
)

// ArithOp is a binary arithmetic operator.
type ArithOp uint8

const (
	OpAdd    ArithOp = iota // +
	OpSub                   // -
	OpMul                   // *
	OpDiv                   // /
	OpIntDiv                // DIV
	OpMod                   // % and MOD
)

var arithNames = [...]string{"+", "-", "*", "/", "DIV", "%"}

func (o ArithOp) String() string { return arithNames[o] }

type arithMode uint8

const (
	modeNull arithMode = iota // an operand is the NULL literal
	modeInt
	modeDec
	modeDouble
	modeTsInterval // timestamp ± interval, interval + timestamp
	modeDateInterval
	modeInterval // interval ± interval
)

// Arith is L op R over numbers (and TIMESTAMP ± INTERVAL). Typing follows
// MySQL: integer + - * give BIGINT; any DECIMAL operand gives DECIMAL (scale
// max(s1,s2) for + -, s1+s2 for *); '/' on integers and decimals gives
// DECIMAL with the dividend's scale + 4; a DOUBLE operand gives DOUBLE; DIV
// gives BIGINT; % keeps the operands' kind. Division or modulo by zero is
// NULL; integer and decimal overflow is an evaluation error.
type Arith struct {
	Op   ArithOp
	L, R Expr
	T    types.Type
	mode arithMode
}

// NewArith type-checks and builds L op R.
func NewArith(op ArithOp, l, r Expr) (Expr, error) {
	l, r = boolAsInt(l), boolAsInt(r) // MySQL: TRUE is 1, FALSE is 0
	l, r = stringAsNumber(l, r.Type()), stringAsNumber(r, l.Type())
	lt, rt := l.Type(), r.Type()
	a := &Arith{Op: op, L: l, R: r}
	notNull := lt.NotNull && rt.NotNull && op != OpDiv && op != OpIntDiv && op != OpMod
	switch {
	case lt.Kind == types.KindNull || rt.Kind == types.KindNull:
		a.mode = modeNull
		o := rt
		if o.Kind == types.KindNull {
			o = lt
		}
		if o.Kind == types.KindNull || !(o.IsNumeric() || o.Kind == types.KindTimestamp || o.Kind == types.KindInterval) {
			o = types.BigInt
		}
		if op == OpIntDiv {
			o = types.BigInt
		}
		a.T = o.Nullable()
		return a, nil
	case (lt.Kind == types.KindTimestamp || lt.Kind == types.KindDate) && rt.Kind == types.KindInterval && (op == OpAdd || op == OpSub),
		lt.Kind == types.KindInterval && (rt.Kind == types.KindTimestamp || rt.Kind == types.KindDate) && op == OpAdd:
		a.mode = modeTsInterval
		if lt.Kind == types.KindDate || rt.Kind == types.KindDate {
			a.mode = modeDateInterval
		}
		a.T = types.Timestamp
		a.T.NotNull = lt.NotNull && rt.NotNull
		return a, nil
	case lt.Kind == types.KindInterval && rt.Kind == types.KindInterval && (op == OpAdd || op == OpSub):
		a.mode = modeInterval
		a.T = types.Interval
		a.T.NotNull = notNull
		return a, nil
	case !lt.IsNumeric() || !rt.IsNumeric():
		bad := 0
		if lt.IsNumeric() {
			bad = 1
		}
		return nil, typeErr(bad, "operator '"+op.String()+"' cannot be applied to "+lt.Nullable().String()+" and "+rt.Nullable().String())
	}
	switch {
	case op == OpIntDiv:
		a.T = types.BigInt
		a.mode = modeDec
		if lt.Kind == types.KindDouble || rt.Kind == types.KindDouble {
			a.mode = modeDouble
		}
	case lt.Kind == types.KindDouble || rt.Kind == types.KindDouble:
		a.mode, a.T = modeDouble, types.Double
	case lt.Kind == types.KindInt && rt.Kind == types.KindInt && op != OpDiv:
		a.mode, a.T = modeInt, types.BigInt
	default:
		a.mode = modeDec
		ls, rs := int(scaleOf(lt)), int(scaleOf(rt))
		li, ri := intDigits(lt), intDigits(rt)
		switch op {
		case OpAdd, OpSub:
			s := max(ls, rs)
			a.T = decType(max(li, ri)+s+1, s)
		case OpMul:
			a.T = decType(li+ri+ls+rs, ls+rs)
		case OpDiv:
			s := ls + 4
			a.T = decType(li+rs+s, s)
		case OpMod:
			s := max(ls, rs)
			a.T = decType(max(li, ri)+s, s)
		}
	}
	a.T.NotNull = notNull
	return a, nil
}

func (a *Arith) Type() types.Type { return a.T }
func (a *Arith) String() string   { return render(a) }

// render is String for the binary operators (Arith, Compare, And, Or):
// they write their operands into one builder, so that rendering a chain
// of n operators (EXPLAIN, operator ids) is linear in its length rather
// than copying every prefix of the text once per level.
func render(e Expr) string {
	var b strings.Builder
	writeExpr(&b, e)
	return b.String()
}

func writeExpr(b *strings.Builder, e Expr) {
	var l, r Expr
	var op string
	switch n := e.(type) {
	case *Arith:
		l, op, r = n.L, n.Op.String(), n.R
	case *Compare:
		l, op, r = n.L, n.Op.String(), n.R
	case *And:
		l, op, r = n.L, "AND", n.R
	case *Or:
		l, op, r = n.L, "OR", n.R
	default:
		b.WriteString(e.String())
		return
	}
	writeOperand(b, l)
	b.WriteString(" " + op + " ")
	writeOperand(b, r)
}

// writeOperand writes a child of a binary operator, parenthesised when it
// is an operator itself.
func writeOperand(b *strings.Builder, e Expr) {
	switch e.(type) {
	case *Arith, *Compare, *And, *Or, *Between, *In, *Like, *IsNull, *IsBool:
		b.WriteByte('(')
		writeExpr(b, e)
		b.WriteByte(')')
		return
	}
	writeExpr(b, e)
}

// operand renders a child of a binary operator, parenthesised when it is an operator itself.
func operand(e Expr) string {
	var b strings.Builder
	writeOperand(&b, e)
	return b.String()
}

func (a *Arith) Eval(row []types.Value) (types.Value, error) {
	l, err := a.L.Eval(row)
	if err != nil || l.IsNull() {
		return types.NullValue(), err
	}
	r, err := a.R.Eval(row)
	if err != nil || r.IsNull() {
		return types.NullValue(), err
	}
	switch a.mode {
	case modeInt:
		x, y := l.Int(), r.Int()
		var z int64
		ok := true
		switch a.Op {
		case OpAdd:
			z, ok = addChecked(x, y)
		case OpSub:
			z, ok = subChecked(x, y)
		case OpMul:
			z, ok = mulChecked(x, y)
		case OpMod:
			if y == 0 {
				return types.NullValue(), nil
			}
			if y == -1 {
				return types.IntValue(0), nil
			}
			z = x % y
		}
		if !ok {
			return types.NullValue(), errOverflow
		}
		return types.IntValue(z), nil
	case modeDouble:
		x, y := l.AsFloat(), r.AsFloat()
		var z float64
		switch a.Op {
		case OpAdd:
			z = x + y
		case OpSub:
			z = x - y
		case OpMul:
			z = x * y
		case OpDiv:
			if y == 0 {
				return types.NullValue(), nil
			}
			z = x / y
		case OpMod:
			if y == 0 {
				return types.NullValue(), nil
			}
			z = math.Mod(x, y)
		case OpIntDiv:
			if y == 0 {
				return types.NullValue(), nil
			}
			q := math.Trunc(x / y)
			if math.IsNaN(q) || math.Abs(q) >= 9.2e18 {
				return types.NullValue(), errOverflow
			}
			return types.IntValue(int64(q)), nil
		}
		return types.DoubleValue(z), nil
	case modeDec:
		return a.evalDec(l, r)
	case modeTsInterval, modeDateInterval:
		ts, iv := l, r
		if l.Kind() == types.KindInterval {
			ts, iv = r, l
		}
		ms := ts.Millis()
		if a.mode == modeDateInterval {
			ms = ts.Int() * msPerDay
		}
		if a.Op == OpSub {
			return types.TimestampValue(ms - iv.Millis()), nil
		}
		return types.TimestampValue(ms + iv.Millis()), nil
	case modeInterval:
		if a.Op == OpSub {
			return types.IntervalValue(l.Millis() - r.Millis()), nil
		}
		return types.IntervalValue(l.Millis() + r.Millis()), nil
	}
	return types.NullValue(), nil
}

func (a *Arith) evalDec(l, r types.Value) (types.Value, error) {
	x, xs := decOf(l)
	y, ys := decOf(r)
	rs := a.T.Scale
	var z int64
	ok := true
	switch a.Op {
	case OpAdd, OpSub:
		if x, ok = rescale(x, xs, rs); !ok {
			break
		}
		if y, ok = rescale(y, ys, rs); !ok {
			break
		}
		if a.Op == OpAdd {
			z, ok = addChecked(x, y)
		} else {
			z, ok = subChecked(x, y)
		}
	case OpMul:
		ps := xs + ys
		if ps <= rs {
			if z, ok = mulChecked(x, y); ok {
				z, ok = rescale(z, ps, rs)
			}
		} else {
			z, ok = mulDivRound(x, y, types.Pow10(ps-rs))
		}
	case OpDiv:
		if y == 0 {
			return types.NullValue(), nil
		}
		z, ok = decDiv(x, xs, y, ys, rs)
	case OpMod, OpIntDiv:
		if y == 0 {
			return types.NullValue(), nil
		}
		s := max(xs, ys)
		if x, ok = rescale(x, xs, s); !ok {
			break
		}
		if y, ok = rescale(y, ys, s); !ok {
			break
		}
		if a.Op == OpIntDiv {
			if y == -1 {
				return types.IntValue(-x), nil
			}
			return types.IntValue(x / y), nil
		}
		if y == -1 {
			z = 0
		} else {
			z = x % y
		}
		z, ok = rescale(z, s, rs)
	}
	if !ok {
		return types.NullValue(), errOverflow
	}
	return types.DecimalValue(z, rs), nil
}

// Neg is unary minus.
type Neg struct {
	X Expr
	T types.Type
}

// NewNeg type-checks -x.
func NewNeg(x Expr) (Expr, error) {
	x = stringAsNumber(boolAsInt(x), types.Double)
	t := x.Type()
	switch t.Kind {
	case types.KindNull:
		return &Neg{X: x, T: types.BigInt}, nil
	case types.KindInt:
		t.Precision = 64
	case types.KindDecimal, types.KindDouble, types.KindInterval:
	default:
		return nil, typeErr(0, "unary '-' cannot be applied to "+t.Nullable().String())
	}
	return &Neg{X: x, T: t}, nil
}

func (n *Neg) Type() types.Type { return n.T }
func (n *Neg) String() string   { return "-" + operand(n.X) }
func (n *Neg) Eval(row []types.Value) (types.Value, error) {
	v, err := n.X.Eval(row)
	if err != nil || v.IsNull() {
		return types.NullValue(), err
	}
	switch v.Kind() {
	case types.KindInt:
		if v.Int() == math.MinInt64 {
			return v, errOverflow
		}
		return types.IntValue(-v.Int()), nil
	case types.KindDecimal:
		return types.DecimalValue(-v.Unscaled(), v.Scale()), nil
	case types.KindDouble:
		return types.DoubleValue(-v.Double()), nil
	case types.KindInterval:
		return types.IntervalValue(-v.Millis()), nil
	}
	return types.NullValue(), nil
}

// stringAsNumber reads a string operand of arithmetic whose other operand
// is a number (or a string, or NULL) as a DOUBLE by its numeric prefix,
// as MySQL does ('3' + 1 is 4, '3x' * 2 is 6, 'x' + 1 is 1); other
// operands, and strings meeting a time or an interval, are returned as
// they are.
func stringAsNumber(e Expr, other types.Type) Expr {
	if e.Type().Kind != types.KindString {
		return e
	}
	switch other.Kind {
	case types.KindString, types.KindNull, types.KindBool:
		return NumericString(e)
	}
	if other.IsNumeric() {
		return NumericString(e)
	}
	return e
}

// boolAsInt reads a BOOLEAN operand of arithmetic as BIGINT (MySQL's rule:
// TRUE is 1, FALSE is 0); other operands are returned as they are.
func boolAsInt(e Expr) Expr {
	if e.Type().Kind != types.KindBool {
		return e
	}
	c, err := NewCast(e, types.BigInt)
	if err != nil {
		return e
	}
	return c
}
