package plan

import (
	"fmt"
	"strings"

	"github.com/streamsql/streamsql/expr"
)

// aggCallText renders a call without its FILTER clause, e.g.
// COUNT(DISTINCT #0, #1), LISTAGG(#2, '-'), GROUP_CONCAT(#2 ORDER BY #0 DESC SEPARATOR ',').
func aggCallText(a AggCall) string {
	arg := "*"
	if a.Arg != nil {
		args := []string{a.Arg.String()}
		for _, m := range a.More {
			args = append(args, m.String())
		}
		arg = strings.Join(args, ", ")
	}
	if a.Distinct {
		arg = "DISTINCT " + arg
	}
	switch a.Func {
	case AggListAgg:
		arg += ", " + sqlQuote(a.Sep)
	case AggGroupConcat:
		if len(a.OrderBy) > 0 {
			var keys []string
			for i, o := range a.OrderBy {
				k := o.String()
				if a.Desc[i] {
					k += " DESC"
				}
				keys = append(keys, k)
			}
			arg += " ORDER BY " + strings.Join(keys, ", ")
		}
		arg += " SEPARATOR " + sqlQuote(a.Sep)
	}
	return fmt.Sprintf("%s(%s)", a.Func, arg)
}

// sqlQuote writes s as a SQL string literal.
func sqlQuote(s string) string { return "'" + strings.ReplaceAll(s, "'", "''") + "'" }

// Exprs lists every expression of the call (argument, further
// arguments, ORDER BY keys, filter), skipping nil ones.
// DistinctSource is the expression whose values a DISTINCT call counts:
// its arguments, or x for CASE WHEN c THEN x END (no ELSE), whose non-NULL
// values are x's.
func (a AggCall) DistinctSource() []expr.Expr {
	if c, ok := a.Arg.(*expr.Case); ok && len(a.More) == 0 && len(c.Whens) == 1 && isNullExpr(c.Else) {
		return []expr.Expr{c.Thens[0]}
	}
	return append([]expr.Expr{a.Arg}, a.More...)
}

func isNullExpr(e expr.Expr) bool {
	if e == nil {
		return true
	}
	l, ok := e.(*expr.Literal)
	return ok && l.V.IsNull()
}

func (a AggCall) Exprs() []expr.Expr {
	var out []expr.Expr
	if a.Arg != nil {
		out = append(out, a.Arg)
	}
	out = append(out, a.More...)
	out = append(out, a.OrderBy...)
	if a.Filter != nil {
		out = append(out, a.Filter)
	}
	return out
}

// MapExprs returns a copy of the call with every non-nil expression
// replaced by f's result; ok is false when f fails for one of them.
func (a AggCall) MapExprs(f func(expr.Expr) (expr.Expr, bool)) (AggCall, bool) {
	out := a
	one := func(e expr.Expr) (expr.Expr, bool) {
		if e == nil {
			return nil, true
		}
		return f(e)
	}
	var ok bool
	if out.Arg, ok = one(a.Arg); !ok {
		return a, false
	}
	if out.Filter, ok = one(a.Filter); !ok {
		return a, false
	}
	out.More = make([]expr.Expr, len(a.More))
	for i, e := range a.More {
		if out.More[i], ok = one(e); !ok {
			return a, false
		}
	}
	if a.More == nil {
		out.More = nil
	}
	out.OrderBy = make([]expr.Expr, len(a.OrderBy))
	for i, e := range a.OrderBy {
		if out.OrderBy[i], ok = one(e); !ok {
			return a, false
		}
	}
	if a.OrderBy == nil {
		out.OrderBy = nil
	}
	return out, true
}
