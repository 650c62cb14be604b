package expr

import (
	"math"
	"strconv"
	"strings"

	"github.com/streamsql/streamsql/types"
)

// Cast converts X to type T (CAST(x AS t), and the implicit conversions the
// binder inserts). A value that cannot be converted is an evaluation error
// that names the value, except in a Lenient cast.
type Cast struct {
	X Expr
	T types.Type
	// Lenient is MySQL's implicit string-to-number conversion of a
	// comparison (NumericString): a string reads as its longest numeric
	// prefix, 0 when it has none ('3x' is 3, 'x' is 0), never an error.
	Lenient bool
}

// NumericString returns x (a string) as a DOUBLE for a comparison with a
// number, as MySQL compares them: leading blanks skipped, the longest
// prefix that is a number, 0 when there is none. It prints as
// NUMERIC_PREFIX(x).
func NumericString(x Expr) Expr {
	t := types.Double
	t.NotNull = x.Type().NotNull
	return &Cast{X: x, T: t, Lenient: true}
}

// numericPrefix is the value of the longest prefix of s (after blanks)
// that is a decimal number with an optional exponent; 0 when none.
func numericPrefix(s string) float64 {
	s = strings.TrimLeft(s, " \t\n\r\f\v")
	i := 0
	if i < len(s) && (s[i] == '+' || s[i] == '-') {
		i++
	}
	digits := 0
	for i < len(s) && s[i] >= '0' && s[i] <= '9' {
		i, digits = i+1, digits+1
	}
	if i < len(s) && s[i] == '.' {
		i++
		for i < len(s) && s[i] >= '0' && s[i] <= '9' {
			i, digits = i+1, digits+1
		}
	}
	if digits == 0 {
		return 0
	}
	end := i
	if i < len(s) && (s[i] == 'e' || s[i] == 'E') {
		j := i + 1
		if j < len(s) && (s[j] == '+' || s[j] == '-') {
			j++
		}
		k := j
		for k < len(s) && s[k] >= '0' && s[k] <= '9' {
			k++
		}
		if k > j {
			end = k
		}
	}
	f, _ := strconv.ParseFloat(s[:end], 64) // out of range: ±Inf
	return f
}

// CanCast reports whether a value of type from can be cast to type to.
func CanCast(from, to types.Type) bool {
	switch {
	case to.Kind == types.KindNull:
		return from.Kind == types.KindNull
	case from.Kind == types.KindNull || from.Kind == to.Kind || to.Kind == types.KindString:
		return true
	case from.Kind == types.KindString:
		return to.Kind != types.KindInterval
	}
	num := func(k types.Kind) bool {
		return k == types.KindInt || k == types.KindDouble || k == types.KindDecimal || k == types.KindBool
	}
	switch {
	case num(from.Kind) && num(to.Kind):
		return true
	case from.Kind == types.KindDate && to.Kind == types.KindTimestamp,
		from.Kind == types.KindTimestamp && to.Kind == types.KindDate:
		return true
	}
	return false
}

// NewCast returns CAST(x AS t). It returns x itself when x already has type
// t (ignoring NOT NULL), and a TypeError when the kinds cannot convert.
func NewCast(x Expr, t types.Type) (Expr, error) {
	ft := x.Type()
	if ft.Nullable() == t.Nullable() {
		return x, nil
	}
	if !CanCast(ft, t) {
		return nil, typeErr(0, "cannot cast "+ft.Nullable().String()+" to "+t.Nullable().String())
	}
	t.NotNull = ft.NotNull
	return &Cast{X: x, T: t}, nil
}

func (c *Cast) Type() types.Type { return c.T }
func (c *Cast) String() string {
	if c.Lenient {
		return "NUMERIC_PREFIX(" + c.X.String() + ")" // NumericString
	}
	return "CAST(" + c.X.String() + " AS " + c.T.Nullable().String() + ")"
}
func (c *Cast) Eval(row []types.Value) (types.Value, error) {
	v, err := c.X.Eval(row)
	if err != nil || v.IsNull() {
		return v, err
	}
	if c.Lenient && v.Kind() == types.KindString {
		return types.DoubleValue(numericPrefix(v.Str())), nil
	}
	return CastValue(v, c.X.Type(), c.T)
}

func castFail(v types.Value, from, to types.Type) error {
	s := types.Render(v, from)
	if v.Kind() == types.KindString {
		s = "'" + s + "'"
	}
	return &EvalError{Msg: "cannot cast " + s + " to " + to.Nullable().String()}
}

// CastValue converts a non-NULL value of type from to type to.
func CastValue(v types.Value, from, to types.Type) (types.Value, error) {
	if v.IsNull() {
		return v, nil
	}
	switch to.Kind {
	case types.KindString:
		if v.Kind() == types.KindString {
			return v, nil
		}
		return types.StringValue(types.Render(v, from)), nil
	case types.KindInt:
		var r int64
		switch v.Kind() {
		case types.KindInt, types.KindBool:
			r = v.Int()
		case types.KindDouble:
			f := math.Round(v.Double())
			if f >= 9.223372036854775807e18 || f < -9.223372036854775808e18 || math.IsNaN(f) {
				return v, castFail(v, from, to)
			}
			r = int64(f)
		case types.KindDecimal:
			r = types.Rescale(v.Unscaled(), v.Scale(), 0)
		case types.KindString:
			s := trimSpace(v.Str())
			i, err := strconv.ParseInt(s, 10, 64)
			if err != nil {
				u, sc, ok := ParseDecimal(s)
				if !ok {
					f, ferr := strconv.ParseFloat(s, 64)
					if ferr != nil || math.IsNaN(f) || math.IsInf(f, 0) || math.Abs(f) >= 9.2e18 {
						return v, castFail(v, from, to)
					}
					i = int64(math.Round(f))
				} else {
					i = types.Rescale(u, sc, 0)
				}
			}
			r = i
		default:
			return v, castFail(v, from, to)
		}
		if !intFits(r, to.Precision) {
			return v, castFail(v, from, to)
		}
		return types.IntValue(r), nil
	case types.KindDouble:
		switch v.Kind() {
		case types.KindString:
			f, err := strconv.ParseFloat(trimSpace(v.Str()), 64)
			if err != nil {
				return v, castFail(v, from, to)
			}
			return types.DoubleValue(f), nil
		case types.KindInt, types.KindBool, types.KindDecimal, types.KindDouble:
			return types.DoubleValue(v.AsFloat()), nil
		}
	case types.KindDecimal:
		var u int64
		var ok bool
		switch v.Kind() {
		case types.KindInt, types.KindBool:
			u, ok = rescale(v.Int(), 0, to.Scale)
		case types.KindDecimal:
			u, ok = rescale(v.Unscaled(), v.Scale(), to.Scale)
		case types.KindDouble:
			f := math.Round(v.Double() * math.Pow10(int(to.Scale)))
			ok = !math.IsNaN(f) && math.Abs(f) < 9.2e18
			u = int64(f)
		case types.KindString:
			var sc uint8
			u, sc, ok = ParseDecimal(trimSpace(v.Str()))
			if !ok {
				f, err := strconv.ParseFloat(trimSpace(v.Str()), 64)
				if err == nil {
					f = math.Round(f * math.Pow10(int(to.Scale)))
					ok = !math.IsNaN(f) && math.Abs(f) < 9.2e18
					u, sc = int64(f), to.Scale
				}
			}
			if ok {
				u, ok = rescale(u, sc, to.Scale)
			}
		}
		if !ok || (to.Precision > 0 && to.Precision < 19 && absu(u) >= uint64(types.Pow10(to.Precision))) {
			return v, castFail(v, from, to)
		}
		return types.DecimalValue(u, to.Scale), nil
	case types.KindBool:
		switch v.Kind() {
		case types.KindBool:
			return v, nil
		case types.KindInt:
			return types.BoolValue(v.Int() != 0), nil
		case types.KindDouble:
			return types.BoolValue(v.Double() != 0), nil
		case types.KindDecimal:
			return types.BoolValue(v.Unscaled() != 0), nil
		case types.KindString:
			switch strings.ToLower(trimSpace(v.Str())) {
			case "true", "1", "t", "yes", "y", "on":
				return types.BoolValue(true), nil
			case "false", "0", "f", "no", "n", "off":
				return types.BoolValue(false), nil
			}
		}
	case types.KindTimestamp:
		var ms int64
		switch v.Kind() {
		case types.KindTimestamp:
			ms = v.Millis()
		case types.KindDate:
			ms = v.Int() * msPerDay
		case types.KindString:
			var ok bool
			if ms, ok = ParseTimestamp(v.Str()); !ok {
				return v, castFail(v, from, to)
			}
		default:
			return v, castFail(v, from, to)
		}
		return types.TimestampValue(truncMillis(ms, to.Precision)), nil
	case types.KindDate:
		switch v.Kind() {
		case types.KindTimestamp:
			return types.DateValue(floorDiv(v.Millis(), msPerDay)), nil
		case types.KindDate:
			return v, nil
		case types.KindString:
			if d, ok := ParseDate(v.Str()); ok {
				return types.DateValue(d), nil
			}
		}
	case types.KindInterval:
		if v.Kind() == types.KindInterval {
			return v, nil
		}
	}
	return v, castFail(v, from, to)
}

// truncMillis drops sub-precision digits of a timestamp (TIMESTAMP(0..2)).
func truncMillis(ms int64, p uint8) int64 {
	switch p {
	case 0:
		return floorDiv(ms, 1000) * 1000
	case 1:
		return floorDiv(ms, 100) * 100
	case 2:
		return floorDiv(ms, 10) * 10
	}
	return ms
}

func intFits(v int64, bits uint8) bool {
	switch bits {
	case 8:
		return v >= math.MinInt8 && v <= math.MaxInt8
	case 16:
		return v >= math.MinInt16 && v <= math.MaxInt16
	case 32:
		return v >= math.MinInt32 && v <= math.MaxInt32
	}
	return true
}

// CommonType returns the type that values of all ts convert to without loss
// (for UNION ALL, CASE, COALESCE, IN lists): integers widen to DECIMAL, and
// DECIMAL to DOUBLE; TIMESTAMP and DATE meet at TIMESTAMP; a BOOLEAN meets a
// number as BIGINT (MySQL's TRUE = 1, FALSE = 0); NULL fits anything. ok
// is false when the kinds do not meet (e.g. VARCHAR and BIGINT).
func CommonType(ts ...types.Type) (types.Type, bool) {
	var out types.Type
	first := true
	notNull := true
	for _, t := range ts {
		if t.Kind == types.KindNull {
			notNull = false
			continue
		}
		notNull = notNull && t.NotNull
		if first {
			out, first = t, false
			continue
		}
		var ok bool
		if out, ok = common2(out, t); !ok {
			return types.Type{}, false
		}
	}
	if first {
		return types.Null, true
	}
	out.NotNull = notNull
	return out, true
}

func common2(a, b types.Type) (types.Type, bool) {
	a.NotNull, b.NotNull = false, false
	if a.Kind == b.Kind {
		switch a.Kind {
		case types.KindInt:
			pa, pb := a.Precision, b.Precision
			if pa == 0 {
				pa = 64
			}
			if pb == 0 {
				pb = 64
			}
			return types.Type{Kind: types.KindInt, Precision: max(pa, pb)}, true
		case types.KindDecimal:
			s := max(a.Scale, b.Scale)
			return decType(max(intDigits(a), intDigits(b))+int(s), int(s)), true
		case types.KindString:
			if a.Precision == 0 || b.Precision == 0 {
				return types.String, true
			}
			return types.Type{Kind: types.KindString, Precision: max(a.Precision, b.Precision)}, true
		case types.KindTimestamp:
			return types.TimestampType(max(a.Precision, b.Precision)), true
		}
		return a, true
	}
	// MySQL: a BOOLEAN meeting a number is the integer 1 or 0.
	if a.Kind == types.KindBool && b.IsNumeric() {
		a = types.BigInt
	} else if b.Kind == types.KindBool && a.IsNumeric() {
		b = types.BigInt
	}
	if a.Kind == b.Kind {
		return common2(a, b)
	}
	if a.IsNumeric() && b.IsNumeric() {
		if a.Kind == types.KindDouble || b.Kind == types.KindDouble {
			return types.Double, true
		}
		s := max(scaleOf(a), scaleOf(b))
		return decType(max(intDigits(a), intDigits(b))+int(s), int(s)), true
	}
	if (a.Kind == types.KindTimestamp && b.Kind == types.KindDate) || (a.Kind == types.KindDate && b.Kind == types.KindTimestamp) {
		return types.Timestamp, true
	}
	return types.Type{}, false
}

// Coerce casts e to t unless it already has that type.
func Coerce(e Expr, t types.Type) (Expr, error) {
	if e.Type().Kind == types.KindNull {
		t.NotNull = false
		if _, ok := e.(*Literal); ok {
			return &Literal{V: types.NullValue(), T: t}, nil
		}
		return &Cast{X: e, T: t}, nil
	}
	return NewCast(e, t)
}
