package optimizer

import (
	"github.com/streamsql/streamsql/expr"
	"github.com/streamsql/streamsql/plan"
)

// decorrelate is the decorrelate rule: an Apply (a WHERE clause's IN,
// NOT IN, EXISTS or NOT EXISTS subquery as the binder leaves it) becomes
// a semi or anti Join of its input with the subquery, keyed by
//
//   - the equalities of the Apply's condition between an outer expression
//     and a subquery expression (x = y of x IN (SELECT y ...)), first;
//   - then the correlated equalities of the filter on top of the subquery
//     (inner = outer, where the inner side reads only the subquery's
//     columns and the outer side only outer columns), in written order:
//     they leave the filter, which keeps the subquery's other terms (and
//     disappears without any).
//
// The join's keys are the two sides as the binder typed them (it made a
// nullable side and a NOT NULL side comparable). An Apply in any other
// form is left as it is: a correlation that is not an equality, an outer
// column read anywhere else in the subquery, or no key at all (a join
// without keys would compare every pair). The planner then refuses it
// with the message of Refusal.
func decorrelate(n plan.Node) plan.Node {
	return plan.TransformDown(n, func(n plan.Node) (plan.Node, bool) {
		a, ok := n.(*plan.Apply)
		if !ok {
			return n, false
		}
		j, why := semiJoinOf(a)
		if why != "" {
			return n, false
		}
		return j, true
	})
}

// Why an Apply is not decorrelated (the reason of semiJoinOf).
const (
	whyCorrelation = "a condition refers to the outer query in a form that is not supported"
	whyNoKeys      = "it has no equality between the outer query and the subquery"
)

// semiJoinOf is the join an Apply decorrelates into, or "" and the reason
// it does not.
func semiJoinOf(a *plan.Apply) (*plan.Join, string) {
	if !a.Kind.Filters() {
		return nil, whyCorrelation
	}
	j := &plan.Join{Kind: a.Kind, Left: a.Input, Right: a.Subquery}
	width := len(a.Input.Schema())
	for _, t := range expr.Conjuncts(a.Cond) {
		outer, inner, ok := keyOf(t, func(e expr.Expr) int { return expr.Sides(e, width) })
		if !ok || expr.ReadsOuter(t) {
			return nil, whyCorrelation
		}
		j.LeftKeys = append(j.LeftKeys, outer)
		j.RightKeys = append(j.RightKeys, shiftColumns(inner, -width))
	}
	if f, ok := a.Subquery.(*plan.Filter); ok && expr.ReadsOuter(f.Cond) {
		var local []expr.Expr
		for _, t := range expr.Conjuncts(f.Cond) {
			if !expr.ReadsOuter(t) {
				local = append(local, t)
				continue
			}
			outer, inner, ok := keyOf(t, correlationSide)
			if !ok {
				return nil, whyCorrelation
			}
			j.LeftKeys = append(j.LeftKeys, expr.FromOuter(outer))
			j.RightKeys = append(j.RightKeys, inner)
		}
		j.Right = f.Input
		if len(local) > 0 {
			j.Right = &plan.Filter{Input: f.Input, Cond: expr.AndAll(local)}
		}
	}
	if readsOuter(j.Right) {
		return nil, whyCorrelation
	}
	if len(j.LeftKeys) == 0 {
		return nil, whyNoKeys
	}
	return j, ""
}

// keyOf splits an equality into its outer side (side 1) and inner side
// (side 2), as side classifies them; ok is false for any other term.
func keyOf(t expr.Expr, side func(expr.Expr) int) (outer, inner expr.Expr, ok bool) {
	c, isCmp := t.(*expr.Compare)
	if !isCmp || c.Op != expr.CmpEQ {
		return nil, nil, false
	}
	switch {
	case side(c.L) == 1 && side(c.R) == 2:
		return c.L, c.R, true
	case side(c.L) == 2 && side(c.R) == 1:
		return c.R, c.L, true
	}
	return nil, nil, false
}

// correlationSide classifies an expression of a subquery: 1 when it reads
// outer columns only, 2 when it reads the subquery's columns only, 0 or 3
// otherwise (neither, or both).
func correlationSide(e expr.Expr) int {
	s := 0
	if expr.ReadsOuter(e) {
		s |= 1
	}
	if len(expr.Columns(e)) > 0 {
		s |= 2
	}
	return s
}

// shiftColumns adds d to every column index of e.
func shiftColumns(e expr.Expr, d int) expr.Expr {
	return expr.MapColumns(e, func(c *expr.Col) expr.Expr {
		return &expr.Col{Index: c.Index + d, Name: c.Name, T: c.T}
	})
}

// readsOuter reports whether an expression of the tree reads an outer
// column. It looks at the expressions of the nodes the binder puts in a
// subquery; an Apply's own condition reads its input's columns, not
// outer ones, so only its subquery is searched.
func readsOuter(n plan.Node) bool {
	var es []expr.Expr
	switch n := n.(type) {
	case *plan.Filter:
		es = []expr.Expr{n.Cond}
	case *plan.Project:
		es = n.Exprs
	case *plan.Join:
		es = append(append(append([]expr.Expr{}, n.LeftKeys...), n.RightKeys...), n.Residual)
	case *plan.Aggregate:
		es = n.GroupKeys
		for _, c := range n.Aggs {
			es = append(es, c.Exprs()...)
		}
	case *plan.Apply:
		return readsOuter(n.Input) || readsOuter(n.Subquery)
	}
	for _, e := range es {
		if e != nil && expr.ReadsOuter(e) {
			return true
		}
	}
	for _, c := range n.Children() {
		if readsOuter(c) {
			return true
		}
	}
	return false
}

// Refusal is the error message and hint for an Apply the decorrelate rule
// left (the planner's error; the same words the binder used for these
// forms before decorrelation moved here).
func Refusal(a *plan.Apply) (msg, hint string) {
	_, why := semiJoinOf(a)
	if why == whyNoKeys {
		return "an uncorrelated " + a.What + " subquery without keys is not supported",
			"correlate the subquery with the outer query by equalities (inner.col = outer.col)"
	}
	return "a condition of the " + a.What + " subquery refers to the outer query in a form that is not supported",
		"correlate with equalities only (inner.col = outer.col)"
}
