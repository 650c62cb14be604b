package sql

import (
	"strings"

	"github.com/pingcap/tidb/pkg/parser/ast"
)

// A correlated subquery of EXISTS, IN or ANY / ALL is read as a set: EXISTS
// asks whether it has a row, IN and ANY / ALL which values it holds (and
// whether one is NULL). GROUP BY, DISTINCT and ORDER BY cannot change
// those answers when:
//
//   - EXISTS: there is no HAVING or LIMIT (a group exists exactly when a
//     row does), GROUP BY has no ROLLUP and no group window; the select
//     list is then irrelevant (SELECT COUNT(*) ... GROUP BY k has a row
//     per group, so a row exactly when the subquery's rows are not none);
//   - IN, ANY / ALL: there is no HAVING or LIMIT, the one selected
//     expression is not an aggregate, and GROUP BY, if any, is on that
//     one column (GROUP BY y of SELECT y: the same values, each once).
//
// Those clauses are dropped from such a subquery when it is correlated,
// so that it is bound like one without them (a plan.Apply the optimizer
// decorrelates) instead of being refused: a correlated subquery cannot be
// read as a derived table, which is how the uncorrelated ones with these
// clauses are read (their plans are left as they are).

// setOnly returns sel without the clauses that cannot change what EXISTS
// (exists) or IN reads of it, when it is correlated with sc and they are
// droppable (see above); sel itself otherwise.
func (cx *compiler) setOnly(sc *scope, sel *ast.SelectStmt, exists bool) *ast.SelectStmt {
	if sel.GroupBy == nil && !sel.Distinct && sel.OrderBy == nil {
		return sel
	}
	if sel.Having != nil || sel.Limit != nil || sel.From == nil || sel.Fields == nil {
		return sel
	}
	if sel.GroupBy != nil {
		if sel.GroupBy.Rollup {
			return sel
		}
		for _, it := range sel.GroupBy.Items {
			if fc, ok := it.Expr.(*ast.FuncCallExpr); ok && windowFuncs[strings.ToUpper(fc.FnName.O)] {
				return sel
			}
			if _, ok := it.Expr.(*ast.PositionExpr); ok {
				return sel
			}
		}
	}
	rsc, err := cx.fromScope(sel)
	if err != nil {
		return sel
	}
	refs := &outerRefs{inner: rsc, outer: sc, of: map[*ast.ColumnNameExpr]int{}}
	ns := append(fieldExprs(sel), sel.Where)
	if sel.GroupBy != nil {
		for _, it := range sel.GroupBy.Items {
			ns = append(ns, it.Expr)
		}
	}
	if len(refs.refsOf(ns...)) == 0 {
		return sel // uncorrelated: read as a derived table, as before
	}
	c := *sel
	c.Distinct, c.OrderBy = false, nil
	if sel.GroupBy == nil {
		return &c
	}
	if exists {
		c.GroupBy = nil
		c.Fields = &ast.FieldList{Fields: []*ast.SelectField{{Expr: ast.NewValueExpr(1, "", "")}}}
		return &c
	}
	if len(sel.Fields.Fields) != 1 || sel.Fields.Fields[0].Expr == nil || hasAggregate(sel.Fields.Fields[0].Expr) || len(sel.GroupBy.Items) != 1 {
		return sel
	}
	column := func(n ast.ExprNode) int {
		cn, ok := unparen(n).(*ast.ColumnNameExpr)
		if !ok {
			return -1
		}
		if m := rsc.lookup(cn.Name.Table.O, cn.Name.Name.O); len(m) == 1 {
			return m[0]
		}
		return -1
	}
	if i := column(sel.Fields.Fields[0].Expr); i < 0 || i != column(sel.GroupBy.Items[0].Expr) {
		return sel
	}
	c.GroupBy = nil
	return &c
}
