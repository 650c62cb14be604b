package sql

import (
	"github.com/pingcap/tidb/pkg/parser/ast"
	"github.com/pingcap/tidb/pkg/parser/opcode"

	"github.com/streamsql/streamsql/expr"
	"github.com/streamsql/streamsql/plan"
)

// Subqueries in WHERE: a conjunct `x [NOT] IN (SELECT y FROM ... WHERE
// ...)` or `[NOT] EXISTS (SELECT ... FROM ... WHERE ...)` is bound as a
// plan.Apply over the query's FROM, not yet decorrelated: the subquery is
// its FROM, filtered by its own conditions (those that read only its
// columns), then by its correlated conditions (inner = outer equalities
// and others, the outer columns read as expr.OuterCol); the Apply's
// condition is x = y for IN. The optimizer's decorrelate rule turns the
// Apply into a semi (IN, EXISTS) or anti (NOT IN, NOT EXISTS) join keyed
// by those equalities, the other correlated conditions of its top filter
// its residual. The Apply's output is the outer rows, so the scope does
// not change. A correlated subquery whose GROUP BY, HAVING or DISTINCT can
// change the answer, whose FROM reads the outer row (JOIN ... ON) or
// whose own subqueries read two levels out is bound as written
// (bind_semi_apply.go). A subquery this form cannot express (aggregates,
// NOT IN over nullable columns, no equality at all) is left in WHERE for
// bind_expr_subquery.go, which binds it as a value.

// subqueryPred recognises a WHERE conjunct with a subquery.
type subqueryPred struct {
	sel  *ast.SelectStmt
	in   ast.ExprNode // the tested expression of IN; nil for EXISTS
	anti bool
	at   int
}

func asSubqueryPred(n ast.ExprNode) (subqueryPred, bool) {
	not := false
	if u, ok := n.(*ast.UnaryOperationExpr); ok && u.Op == opcode.Not {
		not, n = true, u.V
	}
	for {
		p, ok := n.(*ast.ParenthesesExpr)
		if !ok {
			break
		}
		n = p.Expr
	}
	switch v := n.(type) {
	case *ast.PatternInExpr:
		sq, ok := v.Sel.(*ast.SubqueryExpr)
		if !ok {
			return subqueryPred{}, false
		}
		sel, ok := sq.Query.(*ast.SelectStmt)
		return subqueryPred{sel: sel, in: v.Expr, anti: v.Not != not, at: off(v)}, ok
	case *ast.ExistsSubqueryExpr:
		sq, ok := v.Sel.(*ast.SubqueryExpr)
		if !ok {
			return subqueryPred{}, false
		}
		sel, ok := sq.Query.(*ast.SelectStmt)
		return subqueryPred{sel: sel, anti: v.Not != not, at: off(v)}, ok
	}
	return subqueryPred{}, false
}

// bindSemiJoins joins in (with scope sc) with the subquery of every WHERE
// conjunct that has one, and returns the other conjuncts.
func (cx *compiler) bindSemiJoins(in plan.Node, sc *scope, where []ast.ExprNode) (plan.Node, []ast.ExprNode, error) {
	var nodes []ast.Node
	for _, c := range where {
		nodes = append(nodes, c)
	}
	in = cx.carryOuter(in, sc, cx.twoLevelRefs(sc, cx.outer, nodes)) // bind_outer_carry.go
	saved := cx.outer                                                // not these subqueries' outer query (bindExprSubqueries)
	cx.outer = nil
	defer func() { cx.outer = saved }()
	var rest []ast.ExprNode
	for _, c := range where {
		p, ok := asSubqueryPred(c)
		if !ok {
			rest = append(rest, c)
			continue
		}
		j, err := cx.bindSemiJoin(in, sc, p)
		if e, ok := err.(*Error); ok && e.Kind == ErrUnsupported {
			// A form a semi join cannot express: bound as a value
			// (bind_expr_subquery.go).
			rest = append(rest, c)
			continue
		}
		if err != nil {
			return nil, nil, err
		}
		in = j
	}
	return in, rest, nil
}

func (cx *compiler) bindSemiJoin(in plan.Node, sc *scope, p subqueryPred) (plan.Node, error) {
	sel := p.sel
	what := "EXISTS"
	if p.in != nil {
		what = "IN"
	}
	if cx.shapedApply(sc, p) || cx.readsTwoLevelsOut(sc, sel) { // bind_semi_apply.go
		return cx.bindSemiAsWritten(in, sc, p, what)
	}
	if sel.From == nil || sel.GroupBy != nil || sel.Having != nil || sel.Limit != nil || sel.OrderBy != nil || sel.Distinct ||
		hasAggregate(fieldExprs(sel)...) {
		return nil, cx.p.errAt(ErrUnsupported, p.at, "this "+what+" subquery is not supported: only SELECT ... FROM ... [WHERE ...] without GROUP BY, aggregates, DISTINCT, ORDER BY or LIMIT",
			"")
	}
	var inner []ast.ExprNode
	if sel.Where != nil {
		inner = splitAnd(sel.Where)
	}
	rin, rsc, err := cx.bindFrom(sel.From.TableRefs, &inner)
	if err != nil {
		// The FROM reads the outer row (JOIN ... ON t3.x = t1.a): the
		// subquery as written, with outer references (bind_semi_apply.go).
		return cx.bindSemiAsWritten(in, sc, p, what)
	}
	a := &plan.Apply{Kind: plan.SemiJoin, Input: in, What: what}
	if p.anti {
		a.Kind, a.What = plan.AntiJoin, "NOT "+what
	}
	a.Pos.Line, a.Pos.Col = cx.p.position(p.at)
	a.Pos.Stmt = cx.p.Index
	width := len(in.Schema())
	// key is outer = inner as a join compares them: a nullable side and a
	// NOT NULL side are brought to their common type first. The equality
	// is not typed as a WHERE comparison would be (no implicit casts), so
	// that the decorrelate rule finds the two sides as they are.
	key := func(outer, innerE expr.Expr, at int) (expr.Expr, error) {
		outer, innerE, err := expr.KeyTypes(outer, innerE) // a string meets a number as DOUBLE (MySQL)
		if err != nil {
			return nil, cx.p.errAt(ErrType, at, errMsg(err), "CAST one side")
		}
		return &expr.Compare{Op: expr.CmpEQ, L: outer, R: innerE}, nil
	}
	if p.in != nil {
		// (a, b) IN (SELECT x, y ...): a = x AND b = y (bind_row.go).
		outer := []ast.ExprNode{p.in}
		if r := rowOf(p.in); r != nil {
			outer = r
			if sel, err = cx.expandStar(sel); err != nil {
				return nil, err
			}
		}
		if len(sel.Fields.Fields) != len(outer) {
			if len(outer) > 1 {
				return nil, cx.operandError(p.at, len(outer))
			}
			return nil, cx.p.errAt(ErrInvalid, p.at, "the subquery of IN must select one column", "")
		}
		var conds []expr.Expr
		for i, f := range sel.Fields.Fields {
			ie, err := cx.bindExpr(f.Expr, &ectx{sc: rsc, clause: "the select list"})
			if err != nil {
				return nil, err
			}
			oe, err := cx.bindExpr(outer[i], &ectx{sc: sc, clause: "WHERE"})
			if err != nil {
				return nil, err
			}
			if p.anti && (!oe.Type().NotNull || !ie.Type().NotNull) {
				return nil, cx.p.errAt(ErrUnsupported, p.at, "NOT IN over a nullable column is not supported (a NULL makes NOT IN unknown for every row)",
					"write NOT EXISTS (SELECT ... WHERE inner = outer), or make both columns NOT NULL")
			}
			// Cond reads the subquery's columns after the input's.
			ie = expr.MapColumns(ie, func(c *expr.Col) expr.Expr { return &expr.Col{Index: c.Index + width, Name: c.Name, T: c.T} })
			k, err := key(oe, ie, p.at)
			if err != nil {
				return nil, err
			}
			conds = append(conds, k)
		}
		a.Cond = expr.AndAll(conds)
	}
	var filters []ast.ExprNode
	var correlated []expr.Expr // inner = outer, over the subquery's columns and expr.OuterCol
	var others []expr.Expr     // other conditions over both
	for _, c := range inner {
		if _, err := cx.bindExpr(c, &ectx{sc: rsc, clause: "WHERE", quiet: true}); err == nil {
			filters = append(filters, c)
			continue
		}
		b, ok := c.(*ast.BinaryOperationExpr)
		if ok && b.Op == opcode.EQ {
			li, lerr := cx.bindExpr(b.L, &ectx{sc: rsc, clause: "WHERE", quiet: true})
			ro, rerr := cx.bindExpr(b.R, &ectx{sc: sc, clause: "WHERE", quiet: true})
			if lerr != nil || rerr != nil {
				ri, rierr := cx.bindExpr(b.R, &ectx{sc: rsc, clause: "WHERE", quiet: true})
				lo, loerr := cx.bindExpr(b.L, &ectx{sc: sc, clause: "WHERE", quiet: true})
				li, ro, lerr, rerr = ri, lo, rierr, loerr
			}
			if lerr == nil && rerr == nil {
				k, err := key(expr.ToOuter(ro), li, off(b))
				if err != nil {
					return nil, err
				}
				correlated = append(correlated, k)
				continue
			}
		}
		// Another correlated condition (s.ts BETWEEN r.ts - INTERVAL ...):
		// the semi or anti join's residual, when the subquery has a
		// correlated equality for its key (correlatedCond).
		if e, ok := cx.correlatedCond(c, sc, rsc); ok {
			others = append(others, e)
			continue
		}
		// Neither the subquery's own condition nor a correlated equality:
		// report it against the subquery's columns, which names what is wrong.
		if _, err := cx.bindExpr(c, &ectx{sc: rsc, clause: "the subquery's WHERE"}); err != nil {
			return nil, cx.p.errAt(ErrUnsupported, off(c), "a condition of the "+what+" subquery refers to the outer query in a form that is not supported: "+
				errMsg(err), "correlate with equalities only (inner.col = outer.col)")
		}
	}
	// The subquery: its FROM, its own conditions, then its correlation.
	a.Subquery = rin
	if len(filters) > 0 {
		cond, err := cx.bindCond(filters, &ectx{sc: rsc, clause: "WHERE"})
		if err != nil {
			return nil, err
		}
		a.Subquery = &plan.Filter{Input: rin, Cond: cond}
	}
	if a.Cond == nil && len(correlated) == 0 {
		return nil, cx.p.errAt(ErrUnsupported, p.at, "an uncorrelated "+what+" subquery without keys is not supported",
			"correlate the subquery with the outer query by equalities (inner.col = outer.col)")
	}
	if len(correlated)+len(others) > 0 {
		a.Subquery = &plan.Filter{Input: a.Subquery, Cond: expr.AndAll(append(correlated, others...))}
	}
	return a, nil
}

func fieldExprs(sel *ast.SelectStmt) []ast.Node {
	var out []ast.Node
	if sel.Fields != nil {
		for _, f := range sel.Fields.Fields {
			if f.Expr != nil {
				out = append(out, f.Expr)
			}
		}
	}
	return out
}

// clauseExprs returns the expressions of a SELECT's select list, WHERE,
// GROUP BY and HAVING (the places a correlated subquery reads the outer
// row from, besides its FROM).
func clauseExprs(sel *ast.SelectStmt) []ast.Node {
	ns := append(fieldExprs(sel), sel.Where)
	if sel.GroupBy != nil {
		for _, it := range sel.GroupBy.Items {
			ns = append(ns, it.Expr)
		}
	}
	if sel.Having != nil {
		ns = append(ns, sel.Having.Expr)
	}
	return ns
}

// errMsg is an error's message without its location.
func errMsg(err error) string {
	if e, ok := err.(*Error); ok {
		return e.Msg
	}
	return err.Error()
}

// correlatedCond binds c, a condition of a subquery's WHERE that reads
// both the subquery's columns (scope inner) and the outer query's (scope
// outer, read as expr.OuterCol), as a boolean; ok is false when it does
// not bind so or holds a subquery of its own.
func (cx *compiler) correlatedCond(c ast.ExprNode, outer, inner *scope) (expr.Expr, bool) {
	nested := false
	c.Accept(visitFunc(func(n ast.Node) {
		if _, ok := n.(*ast.SubqueryExpr); ok {
			nested = true
		}
	}))
	if nested {
		return nil, false
	}
	saved := cx.outer
	cx.outer = outer
	defer func() { cx.outer = saved }()
	e, err := cx.bindCond([]ast.ExprNode{c}, &ectx{sc: inner, clause: "WHERE", quiet: true})
	if err != nil || !expr.ReadsOuter(e) {
		return nil, false
	}
	return e, true
}

// visitFunc is an ast.Visitor calling f on every node it enters.
type visitFunc func(ast.Node)

func (f visitFunc) Enter(n ast.Node) (ast.Node, bool) { f(n); return n, false }
func (f visitFunc) Leave(n ast.Node) (ast.Node, bool) { return n, true }
