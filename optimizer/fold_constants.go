package optimizer

import (
	"github.com/streamsql/streamsql/expr"
	"github.com/streamsql/streamsql/plan"
	"github.com/streamsql/streamsql/types"
)

// foldConstants is the fold-constants rule. Every constant sub-expression
// (one that reads no column and calls no volatile function) of a filter
// condition, a join's keys and residual, a projection and an aggregate's
// group keys and arguments is evaluated to a literal of its own type
// (expr.FoldSubexpressions: the node's output schema does not change);
// then, in a filter or join condition, a TRUE term is dropped, and a
// filter whose terms are all dropped is removed. Other results (FALSE,
// NULL) stay as literals: the filter then passes no row, and the planner
// still plans its input (a stream's watermark and checkpoints go on). A
// sub-expression whose evaluation fails is left as written, so the error
// surfaces at run time exactly as it would have.
//
// The binder folds the constants a user writes as it types them (see
// doc.go: their errors are reported there, at their position, and their
// literals type other expressions); the constants this rule finds come
// from other rewrites (a filter pushed below a projection reads the
// projection's literals in place of its columns; a decorrelated
// subquery's value over no rows, as 0 + NULL, sits in a CASE).
func foldConstants(n plan.Node) plan.Node {
	return plan.TransformDown(n, func(n plan.Node) (plan.Node, bool) {
		switch n := n.(type) {
		case *plan.Filter:
			cond, changed := foldTerms(n.Cond)
			if !changed {
				return n, false
			}
			if cond == nil {
				return n.Input, true
			}
			return &plan.Filter{Input: n.Input, Cond: cond}, true
		case *plan.Join:
			cond, changed := foldTerms(n.Residual)
			lk, lch := foldList(n.LeftKeys)
			rk, rch := foldList(n.RightKeys)
			if !changed && !lch && !rch {
				return n, false
			}
			j := *n
			j.Residual, j.LeftKeys, j.RightKeys = cond, lk, rk
			return &j, true
		case *plan.Project:
			exprs, changed := foldList(n.Exprs)
			if !changed {
				return n, false
			}
			return &plan.Project{Input: n.Input, Exprs: exprs, Names: n.Names}, true
		case *plan.Aggregate:
			keys, changed := foldList(n.GroupKeys)
			aggs, copied := n.Aggs, false
			for i, c := range n.Aggs {
				folded := false
				out, _ := c.MapExprs(func(e expr.Expr) (expr.Expr, bool) {
					f, ch := expr.FoldSubexpressions(e)
					folded = folded || ch
					return f, true
				})
				if !folded {
					continue
				}
				if !copied {
					aggs, copied = append([]plan.AggCall(nil), n.Aggs...), true
				}
				out.Name = c.Name // its column keeps its name
				aggs[i], changed = out, true
			}
			if !changed {
				return n, false
			}
			g := *n
			g.GroupKeys, g.Aggs = keys, aggs
			return &g, true
		}
		return n, false
	})
}

// foldList folds the constant sub-expressions of each expression of
// list; it returns list itself when nothing changed.
func foldList(list []expr.Expr) ([]expr.Expr, bool) {
	var out []expr.Expr
	for i, e := range list {
		f, changed := expr.FoldSubexpressions(e)
		if !changed {
			continue
		}
		if out == nil {
			out = append([]expr.Expr(nil), list...)
		}
		out[i] = f
	}
	if out == nil {
		return list, false
	}
	return out, true
}

// foldTerms folds the constant conjuncts of cond and drops the TRUE ones.
// It returns the new condition (nil when no term is left) and whether
// anything changed.
func foldTerms(cond expr.Expr) (expr.Expr, bool) {
	if cond == nil {
		return nil, false
	}
	terms := expr.Conjuncts(cond)
	var out []expr.Expr
	changed := false
	for _, t := range terms {
		if _, lit := t.(*expr.Literal); !lit && expr.IsConstant(t) {
			if v, err := expr.Fold(t); err == nil {
				t, changed = v, true
			}
		} else if f, ch := expr.FoldSubexpressions(t); ch {
			t, changed = f, true
		}
		if l, ok := t.(*expr.Literal); ok && l.T.Kind == types.KindBool && !l.V.IsNull() && l.V.Bool() {
			changed = true
			continue
		}
		out = append(out, t)
	}
	if !changed {
		return cond, false
	}
	return expr.AndAll(out), true
}
