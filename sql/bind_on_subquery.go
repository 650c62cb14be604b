package sql

import (
	"github.com/pingcap/tidb/pkg/parser/ast"

	"github.com/streamsql/streamsql/expr"
	"github.com/streamsql/streamsql/plan"
)

// Subqueries in a join's ON condition (MySQL allows them anywhere in ON).
//
//   - In a chain of inner joins an ON conjunct with a subquery is a
//     filter over the chain (ON and WHERE mean the same for inner joins):
//     its subqueries are bound over the joined rows as in WHERE
//     (bind_expr_subquery.go), then the conjunct filters them
//     (chainOnFilter).
//   - In an outer join ON is the join's condition, evaluated per pair of
//     rows, so it cannot move above the join. Each subquery of the ON
//     condition is bound over the input of the side whose columns it
//     reads (its outer references and, for IN and the quantified
//     comparisons, the tested expression): its value becomes a hidden
//     column of that side, and the condition reads it as it reads the
//     side's columns (bindOnSideSubqueries). An uncorrelated subquery is
//     bound over the left input. A subquery that reads columns of both
//     sides is refused: a per-pair subquery needs a decorrelation this
//     binder does not make.

// splitOnSubqueries separates the ON conjuncts that have a subquery.
func splitOnSubqueries(on []ast.ExprNode) (plain, withSubq []ast.ExprNode) {
	for _, c := range on {
		if len(findSubqueries(c)) > 0 {
			withSubq = append(withSubq, c)
		} else {
			plain = append(plain, c)
		}
	}
	return plain, withSubq
}

// chainOnFilter filters the rows of an inner-join chain (node, scope sc)
// by its ON conjuncts with subqueries.
func (cx *compiler) chainOnFilter(node plan.Node, sc *scope, conds []ast.ExprNode) (plan.Node, *scope, error) {
	if len(conds) == 0 {
		return node, sc, nil
	}
	var nodes []ast.Node
	for _, c := range conds {
		nodes = append(nodes, c)
	}
	node, nsc, err := cx.bindExprSubqueries(node, sc, nodes)
	if err != nil {
		return nil, nil, err
	}
	cond, err := cx.bindCond(conds, &ectx{sc: nsc, clause: "ON"})
	if err != nil {
		return nil, nil, err
	}
	// The subqueries' hidden columns stay: the caller's scope is nsc.
	return &plan.Filter{Input: node, Cond: cond}, nsc, nil
}

// onSideValue is a subquery of an outer join's ON bound over one side.
type onSideValue struct {
	n     ast.ExprNode
	right bool
	e     expr.Expr // over that side's extended scope
}

// bindOnSideSubqueries binds the subqueries of an outer join's ON
// conjuncts over the side each reads, extending l / r and their scopes;
// rebaseOnSide then makes them readable over the join's scope.
func (cx *compiler) bindOnSideSubqueries(l plan.Node, ls *scope, r plan.Node, rs *scope, conds []ast.ExprNode) (plan.Node, *scope, plan.Node, *scope, []onSideValue, error) {
	var out []onSideValue
	for _, c := range conds {
		for _, sq := range findSubqueries(c) {
			nl, nls, err := cx.bindExprSubqueries(l, ls, []ast.Node{sq})
			if err == nil {
				l, ls = nl, nls
				out = append(out, onSideValue{n: sq, e: cx.subqs[sq].e})
				continue
			}
			nr, nrs, rerr := cx.bindExprSubqueries(r, rs, []ast.Node{sq})
			if rerr == nil {
				r, rs = nr, nrs
				out = append(out, onSideValue{n: sq, right: true, e: cx.subqs[sq].e})
				continue
			}
			// Over both sides at once: an error there is the subquery's
			// own (an unknown column, a type error); none means it reads
			// both sides.
			both := &plan.Join{Kind: plan.InnerJoin, Left: l, Right: r}
			if _, _, berr := cx.bindExprSubqueries(both, concatScopes(ls, rs), []ast.Node{sq}); berr != nil {
				return nil, nil, nil, nil, nil, berr
			}
			return nil, nil, nil, nil, nil, cx.p.errAt(ErrUnsupported, off(sq), "a subquery in the ON condition of an outer join may read the columns of one side of the join only",
				"join the subquery's rows as a derived table, or compute the value in a derived table of one side")
		}
	}
	return l, ls, r, rs, out, nil
}

// rebaseOnSide records the ON subqueries' values over the join's scope sc
// (the left side's columns, then the right side's from column nl).
func (cx *compiler) rebaseOnSide(vals []onSideValue, sc *scope, nl int) {
	for _, v := range vals {
		e := v.e
		if v.right {
			e = expr.MapColumns(e, func(c *expr.Col) expr.Expr {
				return &expr.Col{Index: c.Index + nl, Name: c.Name, T: c.T}
			})
		}
		cx.subqs[v.n] = subqueryValue{sc: sc, e: e}
	}
}
