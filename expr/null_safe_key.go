package expr

import "github.com/streamsql/streamsql/types"

// NullSafeKey is a NOT NULL stand-in for a nullable join key (its value, or a
// fixed value of its type when NULL; the IS NULL key beside it tells the
// two apart), or nil for a type without one. Decorrelation joins on it
// (the optimizer's rule and the binder's remaining forms alike).
func NullSafeKey(e Expr) Expr {
	t := e.Type()
	var zero types.Value
	switch t.Kind {
	case types.KindInt:
		zero = types.IntValue(0)
	case types.KindDouble:
		zero = types.DoubleValue(0)
	case types.KindString:
		zero = types.StringValue("")
	case types.KindBool:
		zero = types.BoolValue(false)
	case types.KindTimestamp:
		zero = types.TimestampValue(0)
	case types.KindDate:
		zero = types.DateValue(0)
	case types.KindDecimal:
		zero = types.DecimalValue(0, t.Scale)
	default:
		return nil
	}
	c, err := NewCoalesce("COALESCE", []Expr{e, &Literal{V: zero, T: types.Type{Kind: t.Kind, Precision: t.Precision, Scale: t.Scale, NotNull: true}}})
	if err != nil {
		return nil
	}
	return c
}
