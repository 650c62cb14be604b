package optimizer

import (
	"slices"

	"github.com/streamsql/streamsql/expr"
	"github.com/streamsql/streamsql/plan"
)

// pushFilter moves a filter closer to the sources, returning the rewritten
// subtree and whether anything moved:
//
//   - over a Project whose columns the condition reads are plain columns
//     (or constants) of the projection's input, the filter goes below it;
//   - over a Join (inner), the condition joins the join's condition, where
//     splitJoinCondition sends one-sided terms below the join; over an
//     outer, semi or anti join, the terms over a side that is never padded
//     go below it (pushBelowOuter);
//   - over a window TVF, the terms that read no window column go below it.
//
// Both rewrites keep the result: a filter commutes with a projection of
// columns, and an inner join's WHERE terms are its ON terms. Plan nodes are
// not modified; changed nodes are copies.
func pushFilter(f *plan.Filter) (plan.Node, bool) {
	switch in := f.Input.(type) {
	case *plan.Project:
		for _, c := range expr.Columns(f.Cond) {
			switch in.Exprs[c].(type) {
			case *expr.Col, *expr.Literal:
			default:
				return f, false
			}
		}
		cond := expr.MapColumns(f.Cond, func(c *expr.Col) expr.Expr { return in.Exprs[c.Index] })
		return &plan.Project{Input: &plan.Filter{Input: in.Input, Cond: cond}, Exprs: in.Exprs, Names: in.Names}, true
	case *plan.Join:
		if in.Kind != plan.InnerJoin {
			return pushBelowOuter(f, in)
		}
		j := *in
		j.Residual = expr.AndAll(append(expr.Conjuncts(in.Residual), expr.Conjuncts(f.Cond)...))
		return &j, true
	case *plan.WindowTVF:
		// Terms over the input's columns (not the window columns) filter
		// the input: a row is kept or dropped in all its windows alike.
		n := len(in.Input.Schema())
		var below, above []expr.Expr
		for _, t := range expr.Conjuncts(f.Cond) {
			if cols := expr.Columns(t); len(cols) > 0 && slices.Max(cols) >= n {
				above = append(above, t)
			} else {
				below = append(below, t)
			}
		}
		if len(below) == 0 {
			return f, false
		}
		tvf := *in
		tvf.Input = &plan.Filter{Input: in.Input, Cond: expr.AndAll(below)}
		if len(above) == 0 {
			return &tvf, true
		}
		return &plan.Filter{Input: &tvf, Cond: expr.AndAll(above)}, true
	}
	return f, false
}

// pushBelowOuter moves the terms of a WHERE over an outer, semi or anti
// join that read only a side whose columns are never padded (the left
// side of a LEFT, semi or anti join, the right side of a RIGHT join) below
// the join, as a filter of that side: a row of that side that fails them
// drops all its output rows, padded or joined. The other terms filter the
// padded rows too, so they stay above (they are not part of ON).
func pushBelowOuter(f *plan.Filter, j *plan.Join) (plan.Node, bool) {
	lw := len(j.Left.Schema())
	side := 0 // the side never padded: bit 1 left, 2 right
	switch {
	case j.Kind == plan.LeftJoin || j.Kind.Filters():
		side = 1
	case j.Kind == plan.RightJoin:
		side = 2
	default:
		return f, false
	}
	var below, above []expr.Expr
	for _, t := range expr.Conjuncts(f.Cond) {
		if expr.Sides(t, lw) == side {
			below = append(below, t)
		} else {
			above = append(above, t)
		}
	}
	if len(below) == 0 {
		return f, false
	}
	out := *j
	if side == 1 {
		out.Left = &plan.Filter{Input: j.Left, Cond: expr.AndAll(below)}
	} else {
		out.Right = &plan.Filter{Input: j.Right, Cond: expr.MapColumns(expr.AndAll(below), func(c *expr.Col) expr.Expr {
			return &expr.Col{Index: c.Index - lw, Name: c.Name, T: c.T}
		})}
	}
	if len(above) == 0 {
		return &out, true
	}
	return &plan.Filter{Input: &out, Cond: expr.AndAll(above)}, true
}

// splitJoinCondition moves the terms of a join's residual condition that
// read only one side below the join, as filters of that side (fewer rows
// in the join's state), and returns the join that is left. Terms that read
// no column stay in the residual, and so do the terms over a side an outer
// join preserves (its rows that fail them are padded, not dropped) and
// the left terms of an anti join (its left rows that fail them have no
// match: they are kept).
func splitJoinCondition(j *plan.Join) *plan.Join {
	lw := len(j.Left.Schema())
	var left, right, both []expr.Expr
	for _, t := range expr.Conjuncts(j.Residual) {
		switch expr.Sides(t, lw) {
		case 1:
			if j.Kind.Preserves(0) || j.Kind == plan.AntiJoin {
				both = append(both, t)
				continue
			}
			left = append(left, t)
		case 2:
			if j.Kind.Preserves(1) {
				both = append(both, t)
				continue
			}
			right = append(right, expr.MapColumns(t, func(c *expr.Col) expr.Expr {
				return &expr.Col{Index: c.Index - lw, Name: c.Name, T: c.T}
			}))
		default:
			both = append(both, t)
		}
	}
	if len(left) == 0 && len(right) == 0 {
		return j
	}
	out := *j
	if len(left) > 0 {
		out.Left = &plan.Filter{Input: j.Left, Cond: expr.AndAll(left)}
	}
	if len(right) > 0 {
		out.Right = &plan.Filter{Input: j.Right, Cond: expr.AndAll(right)}
	}
	out.Residual = expr.AndAll(both)
	return &out
}

// pushDownFilters is the filter-pushdown rule: top-down, every filter is
// pushed as far as pushFilter moves it, and every join's one-sided terms
// go below it (splitJoinCondition); the filters those moves create are
// pushed further as the walk reaches them.
func pushDownFilters(n plan.Node) plan.Node {
	return plan.TransformDown(n, func(n plan.Node) (plan.Node, bool) {
		switch n := n.(type) {
		case *plan.Filter:
			return pushFilter(n)
		case *plan.Join:
			j := splitJoinCondition(n)
			return j, j != n
		}
		return n, false
	})
}
