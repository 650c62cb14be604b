package sql

import (
	"github.com/pingcap/tidb/pkg/parser/ast"
	"github.com/pingcap/tidb/pkg/parser/opcode"

	"github.com/streamsql/streamsql/expr"
	"github.com/streamsql/streamsql/plan"
	"github.com/streamsql/streamsql/types"
)

// Row constructors (MySQL's): `(a, b) op (c, d)`, `(a, b) op (SELECT x, y
// ...)`, `(a, b) [NOT] IN ((1, 2), (3, 4))` and `(a, b) [NOT] IN (SELECT
// x, y ...)`. A row has at least two elements and both sides of a
// comparison have as many ("Operand should contain n column(s)"
// otherwise). Comparisons are element-wise, as MySQL defines them:
//
//	(a, b) = (c, d)    a = c AND b = d
//	(a, b) <> (c, d)   a <> c OR b <> d
//	(a, b) <=> (c, d)  a <=> c AND b <=> d
//	(a, b) < (c, d)    a < c OR (a = c AND b < d)   (<=, >, >= alike)
//
// so a NULL element makes the result NULL unless the other elements
// decide it. IN over a list is the OR of the row equalities. IN over a
// subquery is three-valued per row: TRUE when a row of the subquery
// equals (a, b); else NULL when a row compares NULL (no element differs,
// some is NULL); else FALSE (also over no rows); NOT IN is its negation.
// A row comparison with a subquery reads one row of it (NULL over none,
// "Subquery returns more than 1 row" over several): the scalar subquery
// of bind_expr_subquery.go, with one SINGLE_VALUE per column.
//
// A WHERE conjunct `(a, b) IN (SELECT x, y ...)` is a semi join on a = x
// AND b = y (bind_subquery.go), as NOT IN is an anti join when every
// column is NOT NULL; other IN forms are bound as values here: two
// EXISTS counts of the subquery, one correlated by the equalities, one by
// "no element differs".

// rowOf returns the elements of a row constructor, or nil.
func rowOf(n ast.ExprNode) []ast.ExprNode {
	if r, ok := unparen(n).(*ast.RowExpr); ok {
		return r.Values
	}
	return nil
}

// isRowCompare reports whether a binary operation compares rows.
func isRowCompare(v *ast.BinaryOperationExpr) bool {
	if _, ok := cmpOps[v.Op]; !ok {
		return false
	}
	return rowOf(v.L) != nil || rowOf(v.R) != nil
}

// rowSubquery returns the subquery of a row comparison `(a, b) op (SELECT
// ...)` (either side), or nil.
func rowSubquery(v *ast.BinaryOperationExpr) *ast.SubqueryExpr {
	if !isRowCompare(v) {
		return nil
	}
	if sq, ok := unparen(v.R).(*ast.SubqueryExpr); ok && rowOf(v.L) != nil {
		return sq
	}
	if sq, ok := unparen(v.L).(*ast.SubqueryExpr); ok && rowOf(v.R) != nil {
		return sq
	}
	return nil
}

func (cx *compiler) operandError(at, want int) error {
	hint := "both sides of a row comparison have as many elements"
	if want == 1 {
		hint = "a row (a, b) is an operand of a comparison (=, <>, <, ...), of IN, = ANY and <> ALL only"
	}
	return cx.p.errAt(ErrInvalid, at, "Operand should contain "+itoa(want)+" column(s)", hint)
}

// bindRowCompare binds a comparison of two row constructors (a subquery
// side is bound already: lookupSubquery).
func (cx *compiler) bindRowCompare(v *ast.BinaryOperationExpr, x *ectx) (expr.Expr, error) {
	if rowSubquery(v) != nil {
		return cx.lookupSubquery(v, x) // bindRowSubquery
	}
	ls, rs := rowOf(v.L), rowOf(v.R)
	if ls == nil || rs == nil || len(ls) != len(rs) {
		want := len(ls)
		if ls == nil {
			want = len(rs)
		}
		return nil, cx.operandError(off(v), max(want, 1))
	}
	l, err := cx.bindExprs(ls, x)
	if err != nil {
		return nil, err
	}
	r, err := cx.bindExprs(rs, x)
	if err != nil {
		return nil, err
	}
	e, err := rowCompare(cmpOps[v.Op], l, r)
	if err != nil {
		return nil, cx.wrapTypeErr(err, v, nil)
	}
	return e, nil
}

// rowCompare is the element-wise comparison of two rows of one length.
func rowCompare(op expr.CmpOp, l, r []expr.Expr) (expr.Expr, error) {
	all := func(o expr.CmpOp, and bool) (expr.Expr, error) {
		var out expr.Expr
		for i := range l {
			c, err := expr.NewCompare(o, l[i], r[i])
			if err != nil {
				return nil, err
			}
			switch {
			case out == nil:
				out = c
			case and:
				out, err = expr.NewAnd(out, c)
			default:
				out, err = expr.NewOr(out, c)
			}
			if err != nil {
				return nil, err
			}
		}
		return out, nil
	}
	switch op {
	case expr.CmpEQ, expr.CmpNullEQ:
		return all(op, true)
	case expr.CmpNE:
		return all(op, false)
	}
	// Lexicographic: l0 < r0 OR (l0 = r0 AND (rest)), the last element
	// compared by op itself.
	strict := map[expr.CmpOp]expr.CmpOp{expr.CmpLT: expr.CmpLT, expr.CmpLE: expr.CmpLT, expr.CmpGT: expr.CmpGT, expr.CmpGE: expr.CmpGT}[op]
	n := len(l)
	out, err := expr.NewCompare(op, l[n-1], r[n-1])
	if err != nil {
		return nil, err
	}
	for i := n - 2; i >= 0; i-- {
		s, err := expr.NewCompare(strict, l[i], r[i])
		if err != nil {
			return nil, err
		}
		eq, err := expr.NewCompare(expr.CmpEQ, l[i], r[i])
		if err != nil {
			return nil, err
		}
		if out, err = expr.NewAnd(eq, out); err != nil {
			return nil, err
		}
		if out, err = expr.NewOr(s, out); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// bindRowInList binds `(a, b) [NOT] IN ((1, 2), (3, 4), ...)`: the OR of
// the row equalities (negated for NOT IN).
func (cx *compiler) bindRowInList(v *ast.PatternInExpr, x *ectx) (expr.Expr, error) {
	ls := rowOf(v.Expr)
	l, err := cx.bindExprs(ls, x)
	if err != nil {
		return nil, err
	}
	var out expr.Expr
	for _, item := range v.List {
		rs := rowOf(item)
		if len(rs) != len(ls) {
			return nil, cx.operandError(off(item), len(ls))
		}
		r, err := cx.bindExprs(rs, x)
		if err != nil {
			return nil, err
		}
		eq, err := rowCompare(expr.CmpEQ, l, r)
		if err != nil {
			return nil, cx.wrapTypeErr(err, item, nil)
		}
		if out == nil {
			out = eq
		} else if out, err = expr.NewOr(out, eq); err != nil {
			return nil, cx.wrapTypeErr(err, v, nil)
		}
	}
	if v.Not {
		if out, err = expr.NewNot(out); err != nil {
			return nil, cx.wrapTypeErr(err, v, nil)
		}
	}
	return out, nil
}

// bindRowSubquery binds `(a, b) op (SELECT x, y ...)` (the subquery on
// either side) as a value: the subquery's one row beside the outer row.
func (cx *compiler) bindRowSubquery(in plan.Node, sc *scope, v *ast.BinaryOperationExpr) (plan.Node, *scope, expr.Expr, error) {
	sq := rowSubquery(v)
	row, left := rowOf(v.L), true
	if row == nil {
		row, left = rowOf(v.R), false
	}
	in, sc, vals, err := cx.bindScalarValues(in, sc, sq, len(row))
	if err != nil {
		return nil, nil, nil, err
	}
	xs, err := cx.bindExprs(row, &ectx{sc: sc, clause: "a row comparison"})
	if err != nil {
		return nil, nil, nil, err
	}
	l, r := xs, vals
	if !left {
		l, r = vals, xs
	}
	e, err := rowCompare(cmpOps[v.Op], l, r)
	if err != nil {
		return nil, nil, nil, cx.wrapTypeErr(err, v, nil)
	}
	return in, sc, e, nil
}

// bindRowInValue binds `(a, b) [NOT] IN (SELECT x, y ...)` as a
// three-valued value: m counts the subquery's rows equal to (a, b), p
// those no element of which differs (equal or NULL); IN is CASE WHEN m >
// 0 THEN TRUE WHEN p > 0 THEN NULL ELSE FALSE END (m > 0 when no element
// is nullable).
func (cx *compiler) bindRowInValue(in plan.Node, sc *scope, v *ast.PatternInExpr) (plan.Node, *scope, expr.Expr, error) {
	row := rowOf(v.Expr)
	sel, err := cx.rowsSubquery(sc, v.Sel, "IN", len(row), off(v))
	if err != nil {
		return nil, nil, nil, err
	}
	// The outer values are carried as columns only generated names reach
	// (as bindInValue does), so the subquery's columns cannot capture them.
	var eqs, nes []ast.ExprNode
	// Without NULLs (every element NOT NULL on both sides) no row compares
	// NULL: m alone decides.
	notNull := true
	rsc, err := cx.fromScope(sel)
	if err != nil {
		return nil, nil, nil, err
	}
	for i, a := range row {
		xe, err := cx.bindExpr(a, &ectx{sc: sc, clause: "IN"})
		if err != nil {
			return nil, nil, nil, err
		}
		ye, yerr := cx.bindExpr(sel.Fields.Fields[i].Expr, &ectx{sc: rsc, clause: "IN", quiet: true})
		notNull = notNull && yerr == nil && ye.Type().NotNull && xe.Type().NotNull
		ref := a
		if readsColumns(xe) {
			in, sc, ref = cx.carryValue(in, sc, xe, off(a))
		}
		y := sel.Fields.Fields[i].Expr
		eq := &ast.BinaryOperationExpr{Op: opcode.EQ, L: y, R: ref}
		eq.SetOriginTextPosition(off(v))
		ne := &ast.BinaryOperationExpr{Op: opcode.NE, L: y, R: ref}
		ne.SetOriginTextPosition(off(v))
		eqs, nes = append(eqs, eq), append(nes, ne)
	}
	count := func(cond ast.ExprNode) (expr.Expr, error) {
		c := *sel
		c.Fields = &ast.FieldList{Fields: []*ast.SelectField{{Expr: countStar(off(v))}}}
		c.Where = andExprs(sel.Where, cond)
		var vals []expr.Expr
		var err error
		in, sc, vals, err = cx.joinSubquery(in, sc, &c, off(v))
		if err != nil {
			return nil, err
		}
		return vals[0], nil
	}
	m, err := count(andExprs(nil, eqs...))
	if err != nil {
		return nil, nil, nil, err
	}
	hit, err := expr.NewCompare(expr.CmpGT, m, intLit(0))
	if err != nil {
		return nil, nil, nil, cx.p.errAt(ErrInvalid, off(v), err.Error(), "")
	}
	if notNull {
		if v.Not {
			if hit, err = expr.NewNot(hit); err != nil {
				return nil, nil, nil, cx.p.errAt(ErrInvalid, off(v), err.Error(), "")
			}
		}
		return in, sc, hit, nil
	}
	differs := nes[0]
	for _, ne := range nes[1:] {
		o := &ast.BinaryOperationExpr{Op: opcode.LogicOr, L: differs, R: ne}
		o.SetOriginTextPosition(off(v))
		differs = o
	}
	maybe := &ast.IsTruthExpr{Expr: &ast.ParenthesesExpr{Expr: differs}, Not: true, True: 1}
	maybe.SetOriginTextPosition(off(v))
	p, err := count(maybe)
	if err != nil {
		return nil, nil, nil, err
	}
	unknown, err := expr.NewCompare(expr.CmpGT, p, intLit(0))
	if err != nil {
		return nil, nil, nil, cx.p.errAt(ErrInvalid, off(v), err.Error(), "")
	}
	null := &expr.Literal{V: types.NullValue(), T: types.Bool.Nullable()}
	e, err := expr.NewCase([]expr.Expr{hit, unknown}, []expr.Expr{boolLit(!v.Not), null}, boolLit(v.Not))
	if err != nil {
		return nil, nil, nil, cx.p.errAt(ErrInvalid, off(v), err.Error(), "")
	}
	return in, sc, e, nil
}

// rowsSubquery returns the SELECT of the subquery of a row IN (what),
// `*` expanded, selecting n columns; one whose rows an aggregate, GROUP
// BY, DISTINCT, ORDER BY or LIMIT shapes is read as a derived table (it
// must not refer to the outer query).
func (cx *compiler) rowsSubquery(sc *scope, n ast.ExprNode, what string, cols, at int) (*ast.SelectStmt, error) {
	sel, err := cx.expandedSubquery(sc, n, what, at)
	if err != nil {
		return nil, err
	}
	if len(sel.Fields.Fields) != cols {
		return nil, cx.operandError(at, cols)
	}
	if shaped(sel) || hasAggregate(fieldExprs(sel)...) {
		return cx.derivedSelect(sel, at)
	}
	return sel, nil
}
