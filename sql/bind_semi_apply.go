package sql

import (
	"github.com/pingcap/tidb/pkg/parser/ast"

	"github.com/streamsql/streamsql/expr"
	"github.com/streamsql/streamsql/plan"
)

// A WHERE conjunct's correlated IN / EXISTS subquery whose GROUP BY,
// HAVING or DISTINCT can change the answer (setOnly cannot drop them:
// `EXISTS (SELECT 1 FROM t2 WHERE x = a GROUP BY x HAVING COUNT(*) > 1)`)
// is bound as written, every clause, with the names the subquery's own
// scope does not reach read from the outer row (expr.OuterCol, through
// cx.outer), as a semi (anti) plan.Apply. The optimizer's decorrelate
// rule pulls its correlated equalities up through its aggregate (which
// then also groups by their inner sides) and makes it a semi (anti) join
// on them; a correlation it cannot pull up (another condition, one read
// in the select list or an aggregate) is refused by the planner at the
// subquery. A LIMIT has no such decorrelation (its rows would be the
// first per outer row): refused as before.

// shapedApply reports whether a WHERE conjunct's subquery is such a form:
// correlated with sc, with GROUP BY, HAVING or DISTINCT that setOnly
// keeps, and no LIMIT.
func (cx *compiler) shapedApply(sc *scope, p subqueryPred) bool {
	sel := p.sel
	if sel.From == nil || sel.Limit != nil || sel.Fields == nil {
		return false
	}
	if !shaped(cx.setOnly(sc, sel, p.in == nil)) || (sel.GroupBy == nil && sel.Having == nil && !sel.Distinct) {
		return false
	}
	rsc, err := cx.fromScope(sel)
	if err != nil {
		return false
	}
	refs := &outerRefs{inner: rsc, outer: sc, of: map[*ast.ColumnNameExpr]int{}}
	ns := clauseExprs(sel)
	return len(refs.refsOf(ns...)) > 0
}

// bindSemiAsWritten binds p's subquery as written, every clause, its
// outer references expr.OuterCol, as a semi or anti plan.Apply over in
// (scope sc); its condition is x = y for IN. It serves shapedApply's
// forms, a FROM that reads the outer row (JOIN ... ON) and a subquery
// whose own subqueries read two levels out (readsTwoLevelsOut).
func (cx *compiler) bindSemiAsWritten(in plan.Node, sc *scope, p subqueryPred, what string) (plan.Node, error) {
	sel := *p.sel
	sel.OrderBy = nil // the order of a set is no part of it
	if p.in != nil && (len(sel.Fields.Fields) != 1 || sel.Fields.Fields[0].Expr == nil) {
		return nil, cx.p.errAt(ErrInvalid, p.at, "the subquery of IN must select one column", "")
	}
	saved := cx.outer
	cx.outer = sc
	sub, _, err := cx.bindSelect(&sel)
	cx.outer = saved
	if err != nil {
		return nil, err
	}
	a := &plan.Apply{Kind: plan.SemiJoin, Input: in, Subquery: sub, What: what}
	if p.anti {
		a.Kind, a.What = plan.AntiJoin, "NOT "+what
	}
	a.Pos.Line, a.Pos.Col = cx.p.position(p.at)
	a.Pos.Stmt = cx.p.Index
	if p.in == nil {
		return a, nil
	}
	oe, err := cx.bindExpr(p.in, &ectx{sc: sc, clause: "WHERE"})
	if err != nil {
		return nil, err
	}
	width := len(in.Schema())
	y := sub.Schema()[0]
	ie := expr.Expr(&expr.Col{Index: width, Name: y.Name, T: y.Type})
	if p.anti && (!oe.Type().NotNull || !ie.Type().NotNull) {
		return nil, cx.p.errAt(ErrUnsupported, p.at, "NOT IN over a nullable column is not supported (a NULL makes NOT IN unknown for every row)",
			"write NOT EXISTS (SELECT ... WHERE inner = outer), or make both columns NOT NULL")
	}
	if oe.Type().Nullable() != ie.Type().Nullable() {
		t, ok := expr.CommonType(oe.Type(), ie.Type())
		if !ok {
			return nil, cx.p.errAt(ErrType, p.at, "cannot compare "+oe.Type().Nullable().String()+" with "+ie.Type().Nullable().String(), "CAST one side")
		}
		if oe, err = expr.Coerce(oe, t.Nullable()); err != nil {
			return nil, cx.p.errAt(ErrType, p.at, err.Error(), "")
		}
		if ie, err = expr.Coerce(ie, t.Nullable()); err != nil {
			return nil, cx.p.errAt(ErrType, p.at, err.Error(), "")
		}
	}
	a.Cond = &expr.Compare{Op: expr.CmpEQ, L: oe, R: ie}
	return a, nil
}

// readsTwoLevelsOut reports whether a subquery of sel (itself a subquery
// of the query with scope sc) names a column of sc (twoLevelRefs): sel is
// then bound as written, as shapedApply's forms are.
func (cx *compiler) readsTwoLevelsOut(sc *scope, sel *ast.SelectStmt) bool {
	rsc, err := cx.fromScope(sel)
	if err != nil {
		return false
	}
	ns := append(fieldExprs(sel), sel.Where)
	if sel.Having != nil {
		ns = append(ns, sel.Having.Expr)
	}
	return len(cx.twoLevelRefs(rsc, sc, ns)) > 0
}
