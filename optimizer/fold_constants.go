package optimizer

import (
	"github.com/streamsql/streamsql/expr"
	"github.com/streamsql/streamsql/plan"
	"github.com/streamsql/streamsql/types"
)

// foldConstants is the fold-constants rule: in every filter condition and
// join residual, a term that reads no column (and calls no volatile
// function) is evaluated; a TRUE term is dropped, and a filter whose terms
// are all dropped is removed. Other results (FALSE, NULL) stay as
// literals: the filter then passes no row, and the planner still plans
// its input (a stream's watermark and checkpoints go on). A term whose
// evaluation fails is left as written, so the error surfaces at run time
// exactly as it would have.
//
// The binder folds the constants a user writes; the terms this rule
// finds come from other rewrites (a filter pushed below a projection
// reads the projection's literals in place of its columns).
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
			if !changed {
				return n, false
			}
			j := *n
			j.Residual = cond
			return &j, true
		}
		return n, false
	})
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
