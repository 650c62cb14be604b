package optimizer

import (
	"github.com/streamsql/streamsql/expr"
	"github.com/streamsql/streamsql/plan"
)

// mergeProjects folds a Project over a Project into one, substituting the
// inner expressions, when every non-trivial inner expression is used at
// most once (so nothing is evaluated twice).
func mergeProjects(outer *plan.Project) (*plan.Project, bool) {
	inner, ok := outer.Input.(*plan.Project)
	if !ok {
		return nil, false
	}
	uses := make([]int, len(inner.Exprs))
	for _, e := range outer.Exprs {
		for _, c := range expr.Columns(e) {
			uses[c]++
		}
	}
	for i, e := range inner.Exprs {
		switch e.(type) {
		case *expr.Col, *expr.Literal:
		default:
			if uses[i] > 1 {
				return nil, false
			}
		}
	}
	exprs := make([]expr.Expr, len(outer.Exprs))
	for i, e := range outer.Exprs {
		exprs[i] = expr.MapColumns(e, func(c *expr.Col) expr.Expr { return inner.Exprs[c.Index] })
	}
	return &plan.Project{Input: inner.Input, Exprs: exprs, Names: outer.Names}, true
}

// mergeAllProjects is the merge-projects rule over the whole tree.
func mergeAllProjects(n plan.Node) plan.Node {
	return plan.TransformDown(n, func(n plan.Node) (plan.Node, bool) {
		if p, ok := n.(*plan.Project); ok {
			if m, ok := mergeProjects(p); ok {
				return m, true
			}
		}
		return n, false
	})
}
