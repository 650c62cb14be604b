package sql

import (
	"strconv"
	"strings"

	"github.com/pingcap/tidb/pkg/parser/ast"
	"github.com/pingcap/tidb/pkg/parser/opcode"

	"github.com/streamsql/streamsql/expr"
	"github.com/streamsql/streamsql/plan"
	"github.com/streamsql/streamsql/types"
)

// Subqueries in expressions: scalar subqueries `(SELECT ...)`, `[NOT]
// EXISTS (SELECT ...)`, `x [NOT] IN (SELECT ...)` and quantified
// comparisons anywhere in the WHERE clause or the select list of a
// SELECT without aggregation (a WHERE
// conjunct that bind_subquery.go can run as a semi or anti join is bound
// there first).
//
// Every such subquery is read as an aggregate query S without GROUP BY
// and put beside the SELECT's input before its WHERE and select list are
// bound; the subquery expression then stands for columns of S, which the
// scope carries as hidden columns (not in `*`, not nameable). S is bound
// as written, as a plan.Apply of the LeftJoin kind whose correlated
// conditions read the outer row as expr.OuterCol (bind_apply.go); the
// optimizer's decorrelate rule turns it into a LEFT join. The one form
// bind_apply.go leaves (a subquery over a window table function) is
// decorrelated here, into the same joins (joinGrouped), which also
// reports the correlations that cannot be typed.
// Decorrelation (the rules Calcite and Neumann's "unnesting" use, in
// their simplest form):
//
//   - uncorrelated: S is the subquery itself (a global aggregate: one
//     row), joined without keys (a nested-loop join with one row on the
//     right);
//   - correlated by equalities only (`inner = outer` conjuncts of its
//     WHERE, the outer side reading only outer columns): those conjuncts
//     leave the WHERE, S groups by their inner sides and is joined on
//     inner = outer;
//   - any other correlation (`x.b < t1.b`, outer columns in the select
//     list): the distinct values D of the outer columns the subquery
//     reads are cross-joined into its FROM (D's columns carry the outer
//     columns' names and qualifiers, so the subquery's text binds
//     unchanged), S groups by them and is joined back on them, NULL
//     equal to NULL.
//
// A scalar subquery without aggregates is wrapped in SINGLE_VALUE: NULL
// over no rows, a runtime error ("Subquery returns more than 1 row",
// MySQL's) over more than one. An outer row that has no row of S (its
// correlation values select nothing) gets the subquery's value over no
// rows: the select list evaluated with COUNT = 0 and every other
// aggregate NULL (so `(SELECT COUNT(*) ...)` is 0, not NULL). EXISTS is
// COUNT(*) > 0. `x IN (SELECT y ...)` follows SQL's three-valued rule:
// TRUE when a y equals x; else FALSE when the subquery is empty; else
// NULL when x or some y is NULL; else FALSE (NOT IN is its negation).
// It reads two aggregates: the number of y equal to x (correlated on x
// by equality), and COUNT(*), COUNT(y).
//
// Streaming semantics are Flink's: the joins and aggregates are regular
// (changelog) operators, so an outer row's result is updated (-U/+U) as
// the subquery's input changes.
//
// Comparisons `x op ANY|SOME|ALL (SELECT y ...)` read COUNT(*), COUNT(y),
// MIN(y) and MAX(y) (bindQuantified). Subqueries in the select list or
// HAVING of an aggregate query are bound over the aggregation as a
// derived relation (bind_agg_subquery.go).
//
// A correlated scalar subquery grouped by columns its WHERE equates with
// outer values (GROUP BY u.k ... WHERE u.k = t.k) has at most one group
// per outer row; it is bound with its GROUP BY (bind_apply.go), and an
// outer row without a group reads NULL.
//
// EXISTS, IN and ANY / ALL drop a correlated subquery's DISTINCT, ORDER BY
// and GROUP BY where they cannot change the answer (bind_set_only.go).
//
// A correlated scalar subquery grouped by its correlated columns may have
// HAVING (a group it rejects reads NULL, as no group does). A column
// two levels out is carried into the middle query's rows
// (bind_outer_carry.go).
//
// A correlated subquery whose GROUP BY, HAVING or DISTINCT shapes its
// rows, or whose JOIN ... ON reads the outer row, is read as a derived
// relation bound with its outer references (bind_derived_apply.go), as an
// uncorrelated one is read as a derived table.
//
// Subqueries in ON are bound by bind_on_subquery.go, in GROUP BY by
// bind_group_subquery.go; ORDER BY selects its expressions as hidden
// columns (sortByHidden). Row constructors: bind_row.go.
//
// Not supported: a subquery in an outer join's ON reading both sides; a
// correlated subquery with LIMIT; an unqualified reference three or more
// levels out (qualified by its table, one is carried level by level).

// subqueryValue is what a subquery expression of the AST binds to.
type subqueryValue struct {
	sc *scope    // the scope it was joined into (or one it extends)
	e  expr.Expr // bound against sc
}

// subqueryFinder collects the subquery expressions of an AST, outermost
// only (a subquery's own subqueries are bound with it), in text order.
type subqueryFinder struct{ found []ast.ExprNode }

func (f *subqueryFinder) Enter(n ast.Node) (ast.Node, bool) {
	switch v := n.(type) {
	case *ast.SubqueryExpr, *ast.ExistsSubqueryExpr, *ast.CompareSubqueryExpr:
		f.found = append(f.found, n.(ast.ExprNode))
		return n, true
	case *ast.PatternInExpr:
		if v.Sel != nil {
			v.Expr.Accept(f)
			f.found = append(f.found, v)
			return n, true
		}
	case *ast.BinaryOperationExpr:
		if sq := rowSubquery(v); sq != nil { // (a, b) = (SELECT x, y ...): bind_row.go
			for _, e := range append(append([]ast.ExprNode{}, rowOf(v.L)...), rowOf(v.R)...) {
				e.Accept(f)
			}
			f.found = append(f.found, v)
			return n, true
		}
	}
	return n, false
}
func (f *subqueryFinder) Leave(n ast.Node) (ast.Node, bool) { return n, true }

func findSubqueries(ns ...ast.Node) []ast.ExprNode {
	f := &subqueryFinder{}
	for _, n := range ns {
		if n != nil {
			n.Accept(f)
		}
	}
	return f.found
}

// bindExprSubqueries joins the subqueries of exprs into in (scope sc) and
// records what each stands for; bindExpr returns that when it meets one
// (lookupSubquery). It returns the extended input and scope.
func (cx *compiler) bindExprSubqueries(in plan.Node, sc *scope, exprs []ast.Node) (plan.Node, *scope, error) {
	found := findSubqueries(exprs...)
	if len(found) == 0 {
		return in, sc, nil
	}
	// The query around a correlated subquery (cx.outer) is not these
	// subqueries' outer query: they read this one's columns.
	in = cx.carryOuter(in, sc, cx.twoLevelRefs(sc, cx.outer, exprs)) // bind_outer_carry.go
	saved := cx.outer
	cx.outer = nil
	defer func() { cx.outer = saved }()
	for _, n := range found {
		var e expr.Expr
		var err error
		switch v := n.(type) {
		case *ast.SubqueryExpr:
			in, sc, e, err = cx.bindScalarSubquery(in, sc, v)
		case *ast.ExistsSubqueryExpr:
			in, sc, e, err = cx.bindExistsValue(in, sc, v)
		case *ast.PatternInExpr:
			in, sc, e, err = cx.bindInValue(in, sc, v)
		case *ast.CompareSubqueryExpr:
			in, sc, e, err = cx.bindQuantified(in, sc, v)
		case *ast.BinaryOperationExpr:
			in, sc, e, err = cx.bindRowSubquery(in, sc, v) // bind_row.go
		}
		if err != nil {
			return nil, nil, err
		}
		if cx.subqs == nil {
			cx.subqs = map[ast.ExprNode]subqueryValue{}
		}
		cx.subqs[n] = subqueryValue{sc: sc, e: e}
	}
	return in, sc, nil
}

// lookupSubquery returns what a subquery expression was bound to in scope
// sc, or an error saying where subqueries are supported.
func (cx *compiler) lookupSubquery(n ast.ExprNode, x *ectx) (expr.Expr, error) {
	if v, ok := cx.subqs[n]; ok && x.agg == nil && x.sc.extends(v.sc) {
		return v.e, nil
	}
	where := "here"
	if x.agg != nil {
		where = "in the select list or HAVING of an aggregate query"
	} else if x.clause != "" {
		where = "in " + x.clause
	}
	return nil, cx.p.errAt(ErrUnsupported, off(n), "subqueries are not supported "+where,
		"subqueries work in WHERE, ON, the select list, GROUP BY, HAVING and a top-level ORDER BY; join a subquery in FROM instead")
}

// bindScalarSubquery binds `(SELECT ...)` as a value.
func (cx *compiler) bindScalarSubquery(in plan.Node, sc *scope, sq *ast.SubqueryExpr) (plan.Node, *scope, expr.Expr, error) {
	in, sc, vals, err := cx.bindScalarValues(in, sc, sq, 1)
	if err != nil {
		return nil, nil, nil, err
	}
	return in, sc, vals[0], nil
}

// bindScalarValues binds a subquery of one row and want columns (a
// scalar subquery, or the row of a row comparison: bind_row.go): its
// values beside each outer row, NULL over no rows.
func (cx *compiler) bindScalarValues(in plan.Node, sc *scope, sq *ast.SubqueryExpr, want int) (plan.Node, *scope, []expr.Expr, error) {
	sel, err := cx.subquerySelect(sc, sq, "a scalar")
	if err != nil {
		return nil, nil, nil, err
	}
	if sel, err = cx.expandStar(sel); err != nil {
		return nil, nil, nil, err
	}
	if len(sel.Fields.Fields) != want {
		if want > 1 {
			return nil, nil, nil, cx.operandError(off(sq), want)
		}
		return nil, nil, nil, cx.p.errAt(ErrInvalid, off(sq), "a scalar subquery must select one column", "")
	}
	if cx.groupedByCorrelation(sc, sel) { // bind_apply.go
		return cx.joinSubquery(in, sc, sel, off(sq))
	}
	if !plainAggregate(sel) {
		if shaped(sel) || cx.fromReadsOuter(sc, sel) {
			if sel, err = cx.derivedSelectIn(sc, sel, off(sq)); err != nil { // bind_derived_apply.go
				return nil, nil, nil, err
			}
		}
		// SINGLE_VALUE: NULL over no rows, an error over several.
		c := *sel
		c.Fields = &ast.FieldList{}
		for _, f := range sel.Fields.Fields {
			g := *f
			a := &ast.AggregateFuncExpr{F: singleValueAgg, Args: []ast.ExprNode{f.Expr}}
			a.SetOriginTextPosition(off(f.Expr))
			g.Expr = a
			c.Fields.Fields = append(c.Fields.Fields, &g)
		}
		sel = &c
	}
	return cx.joinSubquery(in, sc, sel, off(sq))
}

// bindExistsValue binds `[NOT] EXISTS (SELECT ...)`: COUNT(*) > 0.
func (cx *compiler) bindExistsValue(in plan.Node, sc *scope, v *ast.ExistsSubqueryExpr) (plan.Node, *scope, expr.Expr, error) {
	sq, ok := v.Sel.(*ast.SubqueryExpr)
	if !ok {
		return nil, nil, nil, cx.p.errAt(ErrUnsupported, off(v), "this EXISTS form is not supported", "")
	}
	sel, err := cx.subquerySelect(sc, sq, "an EXISTS")
	if err != nil {
		return nil, nil, nil, err
	}
	sel = cx.setOnly(sc, sel, true) // bind_set_only.go
	if shaped(sel) || hasAggregate(fieldExprs(sel)...) || cx.fromReadsOuter(sc, sel) {
		if sel, err = cx.derivedSelectIn(sc, sel, off(v)); err != nil { // bind_derived_apply.go
			return nil, nil, nil, err
		}
	}
	c := *sel
	c.Fields = &ast.FieldList{Fields: []*ast.SelectField{{Expr: countStar(off(v))}}}
	in, sc, vals, err := cx.joinSubquery(in, sc, &c, off(v))
	if err != nil {
		return nil, nil, nil, err
	}
	op := expr.CmpGT
	if v.Not {
		op = expr.CmpEQ
	}
	e, err := expr.NewCompare(op, vals[0], intLit(0))
	if err != nil {
		return nil, nil, nil, cx.p.errAt(ErrInvalid, off(v), err.Error(), "")
	}
	return in, sc, e, nil
}

// bindInValue binds `x [NOT] IN (SELECT y ...)` as a three-valued value.
func (cx *compiler) bindInValue(in plan.Node, sc *scope, v *ast.PatternInExpr) (plan.Node, *scope, expr.Expr, error) {
	if rowOf(v.Expr) != nil {
		return cx.bindRowInValue(in, sc, v) // bind_row.go
	}
	sel, err := cx.columnSubquery(sc, v.Sel, "IN", off(v))
	if err != nil {
		return nil, nil, nil, err
	}
	y := sel.Fields.Fields[0].Expr
	// x is bound in the outer scope and carried as a column of the input
	// that only a generated name reaches, so that the subquery's own
	// columns cannot capture its names.
	x, err := cx.bindExpr(v.Expr, &ectx{sc: sc, clause: "IN"})
	if err != nil {
		return nil, nil, nil, err
	}
	xRef := v.Expr // a constant has no names to capture: compared as written (MySQL's rules)
	if readsColumns(x) {
		in, sc, xRef = cx.carryValue(in, sc, x, off(v))
	}
	// m: how many y equal x (correlated on x by that equality).
	eq := &ast.BinaryOperationExpr{Op: opcode.EQ, L: y, R: xRef}
	eq.SetOriginTextPosition(off(v))
	mSel := *sel
	mSel.Fields = &ast.FieldList{Fields: []*ast.SelectField{{Expr: countStar(off(v))}}}
	mSel.Where = andExprs(sel.Where, eq)
	in, sc, m, err := cx.joinSubquery(in, sc, &mSel, off(v))
	if err != nil {
		return nil, nil, nil, err
	}
	// n, nn: the subquery's rows and its non-NULL y.
	nSel := *sel
	cy := &ast.AggregateFuncExpr{F: "count", Args: []ast.ExprNode{y}}
	cy.SetOriginTextPosition(off(y))
	nSel.Fields = &ast.FieldList{Fields: []*ast.SelectField{{Expr: countStar(off(v))}, {Expr: cy}}}
	in, sc, n, err := cx.joinSubquery(in, sc, &nSel, off(v))
	if err != nil {
		return nil, nil, nil, err
	}
	e, err := inValue(x, m[0], n[0], n[1], v.Not)
	if err != nil {
		return nil, nil, nil, cx.p.errAt(ErrInvalid, off(v), err.Error(), "")
	}
	return in, sc, e, nil
}

// readsColumns reports whether a bound expression reads a column.
func readsColumns(e expr.Expr) bool {
	found := false
	expr.Walk(e, func(x expr.Expr) {
		if _, ok := x.(*expr.Col); ok {
			found = true
		}
	})
	return found
}

// carryValue appends x (bound against sc) to the input as a column named
// by a fresh relation, visible to no `*`, and returns a reference to it.
func (cx *compiler) carryValue(in plan.Node, sc *scope, x expr.Expr, at int) (plan.Node, *scope, ast.ExprNode) {
	rel := cx.freshRelation()
	s := in.Schema()
	p := &plan.Project{Input: in}
	for i, c := range s {
		p.Exprs, p.Names = append(p.Exprs, &expr.Col{Index: i, Name: c.Name, T: c.Type}), append(p.Names, c.Name)
	}
	p.Exprs, p.Names = append(p.Exprs, x), append(p.Names, "$x")
	nsc := sc.extended()
	nsc.cols = append(nsc.cols, column{qual: rel, name: "$x", typ: x.Type(), system: true})
	return p, nsc, colRef(rel, "$x", at)
}

// bindQuantified binds `x op ANY|SOME|ALL (SELECT y ...)`: = ANY is IN,
// <> ALL is NOT IN; the others compare x with MIN(y) / MAX(y), three-valued
// as SQL defines them: ANY is FALSE over no rows, TRUE when some y
// satisfies it, else NULL when x or some y is NULL, else FALSE; ALL is
// TRUE over no rows, FALSE when some y fails it, else NULL when x or some
// y is NULL, else TRUE.
func (cx *compiler) bindQuantified(in plan.Node, sc *scope, v *ast.CompareSubqueryExpr) (plan.Node, *scope, expr.Expr, error) {
	if (v.Op == opcode.EQ && !v.All) || (v.Op == opcode.NE && v.All) {
		p := &ast.PatternInExpr{Expr: v.L, Sel: v.R, Not: v.All}
		p.SetOriginTextPosition(off(v))
		return cx.bindInValue(in, sc, p)
	}
	op, ok := cmpOps[v.Op]
	if !ok {
		return nil, nil, nil, cx.p.errAt(ErrUnsupported, off(v), "operator "+v.Op.String()+" with ANY / ALL is not supported", "")
	}
	if rowOf(v.L) != nil { // MySQL's rule: only = ANY (IN) and <> ALL (NOT IN) take a row
		return nil, nil, nil, cx.operandError(off(v), 1)
	}
	sel, err := cx.columnSubquery(sc, v.R, "ANY / ALL", off(v))
	if err != nil {
		return nil, nil, nil, err
	}
	y := sel.Fields.Fields[0].Expr
	agg := func(f string) ast.ExprNode {
		a := &ast.AggregateFuncExpr{F: f, Args: []ast.ExprNode{y}}
		a.SetOriginTextPosition(off(y))
		return a
	}
	c := *sel
	c.Fields = &ast.FieldList{Fields: []*ast.SelectField{{Expr: countStar(off(v))}, {Expr: agg("count")}, {Expr: agg("min")}, {Expr: agg("max")}}}
	in, sc, vals, err := cx.joinSubquery(in, sc, &c, off(v))
	if err != nil {
		return nil, nil, nil, err
	}
	x, err := cx.bindExpr(v.L, &ectx{sc: sc, clause: "ANY / ALL"})
	if err != nil {
		return nil, nil, nil, err
	}
	e, err := quantifiedValue(x, op, v.All, vals[0], vals[1], vals[2], vals[3])
	if err != nil {
		return nil, nil, nil, cx.p.errAt(ErrType, off(v), err.Error(), "")
	}
	return in, sc, e, nil
}

// quantifiedValue builds the CASE of bindQuantified from the subquery's
// COUNT(*) n, COUNT(y) nn, MIN(y) mn and MAX(y) mx.
func quantifiedValue(x expr.Expr, op expr.CmpOp, all bool, n, nn, mn, mx expr.Expr) (expr.Expr, error) {
	cmp := func(o expr.CmpOp, r expr.Expr) (expr.Expr, error) { return expr.NewCompare(o, x, r) }
	var holds expr.Expr // ANY: some y satisfies; ALL: every y does (when nn > 0)
	var err error
	switch {
	case op == expr.CmpNE && !all: // some y <> x: not all equal to x
		var a, b expr.Expr
		if a, err = cmp(expr.CmpNE, mn); err == nil {
			if b, err = cmp(expr.CmpNE, mx); err == nil {
				holds, err = expr.NewOr(a, b)
			}
		}
	case op == expr.CmpEQ && all:
		var a, b expr.Expr
		if a, err = cmp(expr.CmpEQ, mn); err == nil {
			if b, err = cmp(expr.CmpEQ, mx); err == nil {
				holds, err = expr.NewAnd(a, b)
			}
		}
	case (op == expr.CmpLT || op == expr.CmpLE) != all: // ANY <: x < MAX; ALL >: x > MAX
		holds, err = cmp(op, mx)
	default: // ANY >: x > MIN; ALL <: x < MIN
		holds, err = cmp(op, mn)
	}
	if err != nil {
		return nil, err
	}
	empty, err := expr.NewCompare(expr.CmpEQ, n, intLit(0))
	if err != nil {
		return nil, err
	}
	some, err := expr.NewCompare(expr.CmpGT, nn, intLit(0))
	if err != nil {
		return nil, err
	}
	decided := holds // ANY: decided TRUE when some y satisfies
	if all {
		if decided, err = expr.NewNot(holds); err != nil { // ALL: decided FALSE when some y fails
			return nil, err
		}
	}
	if decided, err = expr.NewAnd(some, decided); err != nil {
		return nil, err
	}
	someNull, err := expr.NewCompare(expr.CmpLT, nn, n)
	if err != nil {
		return nil, err
	}
	null := &expr.Literal{V: types.NullValue(), T: types.Bool.Nullable()}
	onEmpty, onDecided, otherwise := boolLit(false), boolLit(true), boolLit(false)
	if all {
		onEmpty, onDecided, otherwise = boolLit(true), boolLit(false), boolLit(true)
	}
	return expr.NewCase([]expr.Expr{empty, &expr.IsNull{X: x}, decided, someNull},
		[]expr.Expr{onEmpty, null, onDecided, null}, otherwise)
}

// expandedSubquery returns the SELECT of the subquery n of a predicate
// (what: "IN", "ANY", ...), `*` expanded.
func (cx *compiler) expandedSubquery(sc *scope, n ast.ExprNode, what string, at int) (*ast.SelectStmt, error) {
	sq, ok := n.(*ast.SubqueryExpr)
	if !ok {
		return nil, cx.p.errAt(ErrUnsupported, at, "this "+what+" form is not supported", "")
	}
	sel, err := cx.subquerySelect(sc, sq, "an "+what)
	if err != nil {
		return nil, err
	}
	if sel, err = cx.expandStar(sel); err != nil {
		return nil, err
	}
	return sel, nil
}

// columnSubquery returns the one-column SELECT of the subquery of IN or
// ANY / ALL (what), `*` expanded; one whose rows an aggregate, GROUP BY,
// DISTINCT, ORDER BY or LIMIT shapes is read as a derived table, so that
// the rewrites can add their conditions and aggregates to it.
func (cx *compiler) columnSubquery(sc *scope, n ast.ExprNode, what string, at int) (*ast.SelectStmt, error) {
	sel, err := cx.expandedSubquery(sc, n, what, at)
	if err != nil {
		return nil, err
	}
	if len(sel.Fields.Fields) != 1 {
		return nil, cx.p.errAt(ErrInvalid, at, "the subquery of "+what+" must select one column", "")
	}
	sel = cx.setOnly(sc, sel, false) // bind_set_only.go
	if shaped(sel) || hasAggregate(fieldExprs(sel)...) || cx.fromReadsOuter(sc, sel) {
		return cx.derivedSelectIn(sc, sel, at) // bind_derived_apply.go
	}
	return sel, nil
}

// inValue is CASE WHEN m > 0 THEN TRUE WHEN n = 0 THEN FALSE WHEN x IS
// NULL OR nn < n THEN NULL ELSE FALSE END (negated for NOT IN).
func inValue(x, m, n, nn expr.Expr, not bool) (expr.Expr, error) {
	hit, err := expr.NewCompare(expr.CmpGT, m, intLit(0))
	if err != nil {
		return nil, err
	}
	empty, err := expr.NewCompare(expr.CmpEQ, n, intLit(0))
	if err != nil {
		return nil, err
	}
	someNull, err := expr.NewCompare(expr.CmpLT, nn, n)
	if err != nil {
		return nil, err
	}
	unknown, err := expr.NewOr(&expr.IsNull{X: x}, someNull)
	if err != nil {
		return nil, err
	}
	t, f := boolLit(!not), boolLit(not)
	null := &expr.Literal{V: types.NullValue(), T: types.Bool.Nullable()}
	return expr.NewCase([]expr.Expr{hit, empty, unknown}, []expr.Expr{t, f, null}, f)
}

// expandStar returns sel with `*` and `t.*` in its select list replaced by
// references to the columns they stand for (qualified, so they bind the
// same inside the rewrites).
func (cx *compiler) expandStar(sel *ast.SelectStmt) (*ast.SelectStmt, error) {
	star := false
	for _, f := range sel.Fields.Fields {
		star = star || f.WildCard != nil
	}
	if !star {
		return sel, nil
	}
	rsc, err := cx.fromScope(sel)
	if err != nil {
		return nil, err
	}
	out := &ast.FieldList{}
	for _, f := range sel.Fields.Fields {
		if f.WildCard == nil {
			out.Fields = append(out.Fields, f)
			continue
		}
		idx, err := cx.expandWildcard(f, rsc)
		if err != nil {
			return nil, err
		}
		for _, i := range idx {
			c := rsc.cols[i]
			out.Fields = append(out.Fields, &ast.SelectField{Expr: colRef(c.qual, c.name, f.Offset)})
		}
	}
	c := *sel
	c.Fields = out
	return &c, nil
}

// subquerySelect returns the SELECT of a subquery expression; a set
// operation (UNION ...) is read as a derived table.
func (cx *compiler) subquerySelect(sc *scope, sq *ast.SubqueryExpr, what string) (*ast.SelectStmt, error) {
	switch q := sq.Query.(type) {
	case *ast.SelectStmt:
		if q.Kind != ast.SelectStmtKindSelect {
			return nil, cx.p.errAt(ErrUnsupported, off(sq), "this form of "+what+" subquery is not supported", "use SELECT")
		}
		if err := cx.refuseOuterAggregates(sc, q); err != nil {
			return nil, err
		}
		return q, nil
	case *ast.SetOprStmt:
		sel := &ast.SelectStmt{Kind: ast.SelectStmtKindSelect, Fields: &ast.FieldList{Fields: []*ast.SelectField{{WildCard: &ast.WildCardField{}}}}}
		sel.From = &ast.TableRefsClause{TableRefs: &ast.Join{Left: &ast.TableSource{Source: q}}}
		return cx.derivedSelect(sel, off(sq))
	}
	return nil, cx.p.errAt(ErrUnsupported, off(sq), "this form of "+what+" subquery is not supported", "")
}

// refuseOuterAggregates refuses an aggregate in a subquery's select list
// whose arguments read only outer columns: SQL evaluates it in the outer
// query (one value over the outer rows), which the rewrites do not do.
func (cx *compiler) refuseOuterAggregates(sc *scope, sel *ast.SelectStmt) error {
	leaves := &aggLeaves{grouped: func(ast.ExprNode) bool { return false }}
	for _, f := range fieldExprs(sel) {
		f.Accept(leaves)
	}
	if len(leaves.aggs) == 0 {
		return nil
	}
	rsc, err := cx.fromScope(sel)
	if err != nil {
		return nil // a FROM that does not bind alone (JOIN ... ON t1.a): joinSubquery binds it or says why
	}
	refs := &outerRefs{inner: rsc, outer: sc, of: map[*ast.ColumnNameExpr]int{}}
	for _, a := range leaves.aggs {
		f, ok := a.(*ast.AggregateFuncExpr)
		if !ok {
			continue
		}
		for _, x := range f.Args {
			if len(refs.refsOf(x)) > 0 && !refs.innerRefs(x) {
				return cx.p.errAt(ErrUnsupported, off(f), "an aggregate of outer columns inside a subquery (an aggregate of the outer query) is not supported",
					"aggregate in the outer query and compare there")
			}
		}
	}
	return nil
}

// derivedSelect binds an uncorrelated SELECT and returns `SELECT c0, c1,
// ... FROM <its rows>`: the rows become a relation the subquery rewrites
// can add conditions and aggregates to.
func (cx *compiler) derivedSelect(sel *ast.SelectStmt, at int) (*ast.SelectStmt, error) {
	node, cols, err := cx.bindSelectAsRelation(sel, at)
	if err != nil {
		return nil, err
	}
	name := cx.freshRelation()
	var outCols []column
	var fields []*ast.SelectField
	for i, c := range cols {
		cn := "c" + strconv.Itoa(i)
		outCols = append(outCols, column{name: cn, typ: c.typ})
		fields = append(fields, &ast.SelectField{Expr: colRef(name, cn, at)})
	}
	cx.addRelation(name, cte{node: node, cols: outCols})
	d := &ast.SelectStmt{Kind: ast.SelectStmtKindSelect, Fields: &ast.FieldList{Fields: fields}}
	d.From = &ast.TableRefsClause{TableRefs: &ast.Join{Left: &ast.TableSource{Source: &ast.TableName{Name: ast.NewCIStr(name)}}}}
	return d, nil
}

// bindSelectAsRelation binds a SELECT (with its ORDER BY / LIMIT) that
// must not refer to the outer query.
func (cx *compiler) bindSelectAsRelation(sel *ast.SelectStmt, at int) (plan.Node, []column, error) {
	node, cols, err := cx.bindResultSet(sel)
	if err != nil {
		return nil, nil, cx.p.errAt(ErrUnsupported, at, "this subquery is not supported: "+errMsg(err),
			"a subquery with GROUP BY, HAVING, DISTINCT, ORDER BY or LIMIT must not refer to the outer query")
	}
	return node, cols, nil
}

// freshRelation names a relation the rewrites add (no SQL text can name it).
func (cx *compiler) freshRelation() string {
	cx.nsubq++
	return "$subquery" + strconv.Itoa(cx.nsubq)
}

func (cx *compiler) addRelation(name string, c cte) {
	if cx.ctes == nil {
		cx.ctes = map[string]cte{}
	}
	cx.ctes[strings.ToLower(name)] = c
}

// outerRefs classifies the column references of a subquery: refs[i] is
// the outer scope column a reference reads, for each reference that does
// not resolve in the subquery's own FROM but does in the outer scope.
type outerRefs struct {
	inner, outer *scope
	cols         []int                       // outer scope columns read, in first-use order
	of           map[*ast.ColumnNameExpr]int // reference -> outer scope column
	nested       bool                        // a reference inside a nested subquery
}

func (o *outerRefs) Enter(n ast.Node) (ast.Node, bool) {
	switch v := n.(type) {
	case *ast.SubqueryExpr:
		return n, true // its own references are bound with it
	case *ast.ColumnNameExpr:
		q, name := v.Name.Table.O, v.Name.Name.O
		if len(o.inner.lookup(q, name)) > 0 {
			return n, true
		}
		if m := o.outer.lookup(q, name); len(m) == 1 {
			o.of[v] = m[0]
			if !containsInt(o.cols, m[0]) {
				o.cols = append(o.cols, m[0])
			}
		}
		return n, true
	}
	return n, false
}
func (o *outerRefs) Leave(n ast.Node) (ast.Node, bool) { return n, true }

func containsInt(s []int, x int) bool {
	for _, v := range s {
		if v == x {
			return true
		}
	}
	return false
}

// refsOf lists the outer columns the nodes read.
func (o *outerRefs) refsOf(ns ...ast.Node) []int {
	sub := &outerRefs{inner: o.inner, outer: o.outer, of: map[*ast.ColumnNameExpr]int{}}
	for _, n := range ns {
		if n != nil {
			n.Accept(sub)
		}
	}
	return sub.cols
}

// innerRefs reports whether an expression reads a column of the subquery's FROM.
func (o *outerRefs) innerRefs(n ast.Node) bool {
	f := &innerFinder{inner: o.inner}
	n.Accept(f)
	return f.found
}

type innerFinder struct {
	inner *scope
	found bool
}

func (f *innerFinder) Enter(n ast.Node) (ast.Node, bool) {
	switch v := n.(type) {
	case *ast.SubqueryExpr:
		return n, true
	case *ast.ColumnNameExpr:
		f.found = f.found || len(f.inner.lookup(v.Name.Table.O, v.Name.Name.O)) > 0
		return n, true
	}
	return n, false
}
func (f *innerFinder) Leave(n ast.Node) (ast.Node, bool) { return n, true }

// joinSubquery LEFT-joins the aggregate query sel (an aggregate select
// list without GROUP BY, possibly correlated with sc) to in, one row of
// sel per outer row, and returns its values bound against the new scope.
func (cx *compiler) joinSubquery(in plan.Node, sc *scope, sel *ast.SelectStmt, at int) (plan.Node, *scope, []expr.Expr, error) {
	rsc, err := cx.fromScope(sel)
	if err != nil {
		if j, nsc, vals, ok, aerr := cx.applyFromReadsOuter(in, sc, sel, at); ok || aerr != nil { // bind_derived_apply.go
			return j, nsc, vals, aerr
		}
		return nil, nil, nil, err
	}
	refs := &outerRefs{inner: rsc, outer: sc, of: map[*ast.ColumnNameExpr]int{}}
	var having ast.ExprNode
	if sel.Having != nil {
		having = sel.Having.Expr
	}
	all := refs.refsOf(append(fieldExprs(sel), sel.Where, having)...)
	nested := cx.twoLevelRefs(rsc, sc, append(fieldExprs(sel), sel.Where, having)) // bind_outer_carry.go
	nested = append(nested, cx.correlatedRelations(sel)...)                        // bind_derived_apply.go
	for _, i := range nested {
		if !containsInt(all, i) {
			all = append(all, i)
		}
	}
	if len(all) == 0 {
		return cx.joinGrouped(in, sc, sel, nil, false, at)
	}
	refuse := func() (plan.Node, *scope, []expr.Expr, error) {
		return nil, nil, nil, cx.p.errAt(ErrUnsupported, at, "a correlated subquery with GROUP BY, HAVING, DISTINCT, ORDER BY or LIMIT is not supported",
			"GROUP BY works on the columns the subquery's WHERE equates with the outer query's")
	}
	grouped := sel.GroupBy != nil && cx.groupedByCorrelation(sc, sel)
	if (sel.GroupBy != nil && !grouped) || (sel.Having != nil && !grouped) || sel.Distinct || sel.Limit != nil || sel.OrderBy != nil {
		return refuse()
	}
	// Correlated by equalities only?
	var local, innerKeys []ast.ExprNode
	var outerKeys []ast.ExprNode
	byEq := len(refs.refsOf(fieldExprs(sel)...)) == 0 && len(nested) == 0
	for _, c := range splitAnd(sel.Where) {
		if len(refs.refsOf(c)) == 0 {
			local = append(local, c)
			continue
		}
		b, ok := unparen(c).(*ast.BinaryOperationExpr)
		if ok && b.Op == opcode.EQ {
			l, r := b.L, b.R
			if len(refs.refsOf(l)) > 0 {
				l, r = r, l
			}
			if len(refs.refsOf(l)) == 0 && refs.innerRefs(l) && !refs.innerRefs(r) {
				innerKeys, outerKeys = append(innerKeys, l), append(outerKeys, r)
				continue
			}
		}
		byEq = false
	}
	if grouped && !byEq {
		return refuse()
	}
	if byEq {
		c := *sel
		c.Where = andExprs(nil, local...)
		var outer []expr.Expr
		for _, k := range outerKeys {
			e, err := cx.bindExpr(k, &ectx{sc: sc, clause: "a subquery's correlation"})
			if err != nil {
				return nil, nil, nil, err
			}
			outer = append(outer, e)
		}
		if j, nsc, vals, ok, err := cx.applySubquery(in, sc, &c, innerKeys, outer, at); ok || err != nil { // bind_apply.go
			return j, nsc, vals, err
		}
		if grouped {
			return refuse()
		}
		c.Fields, c.GroupBy = keyedFields(innerKeys, sel.Fields.Fields)
		return cx.joinGrouped(in, sc, &c, outer, false, at)
	}
	var corr []ast.ExprNode
	for _, c := range splitAnd(sel.Where) {
		if len(refs.refsOf(c)) > 0 {
			corr = append(corr, c)
		}
	}
	if j, nsc, vals, ok, err := cx.applyGeneral(in, sc, sel, rsc, all, local, corr, len(refs.refsOf(fieldExprs(sel)...)) > 0, at); ok || err != nil { // bind_apply.go
		return j, nsc, vals, err
	}
	// General correlation: cross-join the distinct outer values into the
	// subquery's FROM under the outer columns' names.
	var keys []ast.ExprNode
	var outer []expr.Expr
	p := &plan.Project{Input: in}
	var dcols []column
	for _, i := range all {
		c := sc.cols[i]
		if c.qual == "" && len(rsc.lookup("", c.name)) > 0 {
			return nil, nil, nil, cx.p.errAt(ErrUnsupported, at, "the subquery's reference to the outer column '"+c.name+"' is ambiguous here", "qualify it with its table name")
		}
		col := &expr.Col{Index: i, Name: c.name, T: c.typ}
		p.Exprs, p.Names = append(p.Exprs, col), append(p.Names, c.name)
		dcols = append(dcols, column{qual: c.qual, name: c.name, typ: c.typ})
		keys = append(keys, colRef(c.qual, c.name, at))
		outer = append(outer, col)
	}
	name := cx.freshRelation()
	cx.addRelation(name, cte{node: distinctOf(p), cols: dcols, keepQuals: true})
	dref := &ast.TableSource{Source: &ast.TableName{Name: ast.NewCIStr(name)}}
	c := *sel
	if sel.From == nil {
		c.From = &ast.TableRefsClause{TableRefs: &ast.Join{Left: dref}}
	} else {
		c.From = &ast.TableRefsClause{TableRefs: &ast.Join{Left: sel.From.TableRefs, Right: dref, Tp: ast.CrossJoin}}
	}
	c.Fields, c.GroupBy = keyedFields(keys, sel.Fields.Fields)
	return cx.joinGrouped(in, sc, &c, outer, true, at)
}

// fromScope is the scope of a SELECT's FROM clause (empty without one),
// for looking names up; the plan bound on the way is dropped.
func (cx *compiler) fromScope(sel *ast.SelectStmt) (*scope, error) {
	if sel.From == nil {
		return &scope{}, nil
	}
	var scratch []ast.ExprNode
	if sel.Where != nil {
		scratch = splitAnd(sel.Where)
	}
	_, sc, err := cx.bindFrom(sel.From.TableRefs, &scratch)
	return sc, err
}

// shaped reports whether a SELECT has a clause that shapes its rows
// (GROUP BY, HAVING, DISTINCT, ORDER BY, LIMIT): the subquery rewrites
// read such a subquery as a derived table.
func shaped(sel *ast.SelectStmt) bool {
	return sel.GroupBy != nil || sel.Having != nil || sel.Distinct || sel.Limit != nil || sel.OrderBy != nil
}

// plainAggregate reports whether a SELECT is an aggregate without GROUP
// BY: one row, which the rewrites can group by correlation values.
func plainAggregate(sel *ast.SelectStmt) bool {
	return hasAggregate(fieldExprs(sel)...) && sel.GroupBy == nil && !sel.Distinct && sel.Limit == nil && sel.OrderBy == nil
}

// keyedFields prepends the keys to a select list and groups by them.
func keyedFields(keys []ast.ExprNode, fields []*ast.SelectField) (*ast.FieldList, *ast.GroupByClause) {
	out := &ast.FieldList{}
	var g *ast.GroupByClause
	for i, k := range keys {
		out.Fields = append(out.Fields, &ast.SelectField{Expr: k, AsName: ast.NewCIStr("$k" + strconv.Itoa(i))})
		if g == nil {
			g = &ast.GroupByClause{}
		}
		g.Items = append(g.Items, &ast.ByItem{Expr: k})
	}
	out.Fields = append(out.Fields, fields...)
	return out, g
}

// joinGrouped binds sel (its first len(outer) fields the grouping keys
// matching outer, the rest the values), LEFT-joins it to in on the keys
// (NULL-safe when nullSafe), and returns the values over the new scope,
// each replaced by its value over no rows where the outer row has no
// row of sel.
func (cx *compiler) joinGrouped(in plan.Node, sc *scope, sel *ast.SelectStmt, outer []expr.Expr, nullSafe bool, at int) (plan.Node, *scope, []expr.Expr, error) {
	named := *sel // values named $v0, $v1, ... (the keys are $k0, ...)
	named.Fields = &ast.FieldList{}
	for i, f := range sel.Fields.Fields {
		c := *f
		if i >= len(outer) {
			c.AsName = ast.NewCIStr("$v" + strconv.Itoa(i-len(outer)))
		}
		named.Fields.Fields = append(named.Fields.Fields, &c)
	}
	node, _, err := cx.bindSelect(&named)
	if err != nil {
		return nil, nil, nil, err
	}
	if node, err = havingAsValue(node, len(outer)); err != nil {
		return nil, nil, nil, cx.p.errAt(ErrInvalid, at, err.Error(), "")
	}
	s := node.Schema()
	nk := len(outer)
	// The marker is TRUE on every row of S: NULL after the join means the
	// outer row has none.
	mp := &plan.Project{Input: node}
	for i, c := range s {
		mp.Exprs, mp.Names = append(mp.Exprs, &expr.Col{Index: i, Name: c.Name, T: c.Type}), append(mp.Names, c.Name)
	}
	mp.Exprs, mp.Names = append(mp.Exprs, boolLit(true)), append(mp.Names, "$present")
	j := &plan.Join{Kind: plan.LeftJoin, Left: in, Right: mp}
	for i := 0; i < nk; i++ {
		l, r := outer[i], expr.Expr(&expr.Col{Index: i, Name: s[i].Name, T: s[i].Type})
		if l, r, err = expr.KeyTypes(l, r); err != nil { // a string meets a number as DOUBLE (MySQL)
			return nil, nil, nil, cx.p.errAt(ErrType, at, errMsg(err)+" in a subquery's correlation", "CAST one side")
		}
		if nullSafe && (!l.Type().NotNull || !r.Type().NotNull) {
			ls, rs, ok := expr.NullSafeKey(l), expr.NullSafeKey(r), true
			if ls == nil || rs == nil {
				ok = false
			}
			if ok {
				j.LeftKeys = append(j.LeftKeys, &expr.IsNull{X: l}, ls)
				j.RightKeys = append(j.RightKeys, &expr.IsNull{X: r}, rs)
				continue
			}
		}
		j.LeftKeys, j.RightKeys = append(j.LeftKeys, l), append(j.RightKeys, r)
	}
	base := len(sc.cols)
	nsc := sc.extended()
	for _, c := range mp.Schema() {
		nsc.cols = append(nsc.cols, column{name: c.Name, typ: c.Type.Nullable(), hidden: true})
	}
	empties := emptyValues(node, nk, outer)
	present := &expr.Col{Index: base + len(s), Name: "$present", T: types.Bool.Nullable()}
	var vals []expr.Expr
	for i := nk; i < len(s); i++ {
		v := expr.Expr(&expr.Col{Index: base + i, Name: s[i].Name, T: s[i].Type.Nullable()})
		if e := empties[i-nk]; e != nil {
			c, err := expr.NewCase([]expr.Expr{&expr.IsNull{X: present}}, []expr.Expr{e}, v)
			if err != nil {
				return nil, nil, nil, cx.p.errAt(ErrInvalid, at, err.Error(), "")
			}
			v = c
		}
		f, err := cx.fold.Fold(v)
		if err != nil {
			return nil, nil, nil, cx.p.errAt(ErrInvalid, at, err.Error(), "")
		}
		vals = append(vals, f)
	}
	if nk == 0 {
		// Uncorrelated: one row beside every outer row, a join without
		// keys once the decorrelate rule has looked at it.
		ap := &plan.Apply{Kind: plan.LeftJoin, Input: in, Subquery: mp, What: "scalar"}
		ap.Pos.Line, ap.Pos.Col = cx.p.position(at)
		ap.Pos.Stmt = cx.p.Index
		return ap, nsc, vals, nil
	}
	return j, nsc, vals, nil
}

// havingAsValue turns Project(e) over Filter(HAVING c) over Aggregate into
// Project(CASE WHEN c THEN e END) over the Aggregate (the first nk
// expressions, grouping keys, unchanged): a group HAVING
// rejects still has its row, valued NULL, so that "no row" means "no
// group" to the join that reads it.
func havingAsValue(node plan.Node, nk int) (plan.Node, error) {
	p, ok := node.(*plan.Project)
	if !ok {
		return node, nil
	}
	f, ok := p.Input.(*plan.Filter)
	if !ok {
		return node, nil
	}
	if _, ok := f.Input.(*plan.Aggregate); !ok {
		return node, nil
	}
	out := &plan.Project{Input: f.Input, Names: p.Names}
	for i, e := range p.Exprs {
		if i < nk { // grouping keys
			out.Exprs = append(out.Exprs, e)
			continue
		}
		c, err := expr.NewCase([]expr.Expr{f.Cond}, []expr.Expr{e}, nil)
		if err != nil {
			return nil, err
		}
		out.Exprs = append(out.Exprs, c)
	}
	return out, nil
}

// emptyValues are the values of an aggregate query's select list over no
// rows (nil where that is NULL), for an outer row whose correlation
// values are outer: node is Project(exprs) over [Filter(HAVING) over]
// Aggregate, whose first nk output columns are the grouping keys.
func emptyValues(node plan.Node, nk int, outer []expr.Expr) []expr.Expr {
	p, ok := node.(*plan.Project)
	out := make([]expr.Expr, len(node.Schema())-nk)
	if !ok {
		return out
	}
	var cond expr.Expr
	inner := p.Input
	if f, ok := inner.(*plan.Filter); ok {
		cond, inner = f.Cond, f.Input
	}
	a, ok := inner.(*plan.Aggregate)
	if !ok || a.Window != nil {
		return out
	}
	keyOuter := make([]expr.Expr, len(a.GroupKeys))
	for i := 0; i < nk && i < len(p.Exprs); i++ {
		if c, ok := p.Exprs[i].(*expr.Col); ok && c.Index < len(keyOuter) {
			keyOuter[c.Index] = outer[i]
		}
	}
	subst := func(c *expr.Col) expr.Expr {
		if c.Index < len(a.GroupKeys) {
			if e := keyOuter[c.Index]; e != nil {
				return e
			}
			return &expr.Literal{V: types.NullValue(), T: c.T.Nullable()}
		}
		if k := c.Index - len(a.GroupKeys); k < len(a.Aggs) && a.Aggs[k].Func == plan.AggCount {
			return &expr.Literal{V: types.IntValue(0), T: a.Aggs[k].Type}
		}
		return &expr.Literal{V: types.NullValue(), T: c.T.Nullable()}
	}
	for i := nk; i < len(p.Exprs); i++ {
		e := expr.MapColumns(p.Exprs[i], subst)
		if cond != nil {
			c, err := expr.NewCase([]expr.Expr{expr.MapColumns(cond, subst)}, []expr.Expr{e}, nil)
			if err != nil {
				continue
			}
			e = c
		}
		if l, ok := e.(*expr.Literal); ok && l.V.IsNull() {
			continue
		}
		out[i-nk] = e
	}
	return out
}

func countStar(at int) ast.ExprNode {
	a := &ast.AggregateFuncExpr{F: "count", Args: []ast.ExprNode{ast.NewValueExpr(1, "", "")}}
	a.SetOriginTextPosition(at)
	return a
}

func colRef(qual, name string, at int) ast.ExprNode {
	c := &ast.ColumnNameExpr{Name: &ast.ColumnName{Table: ast.NewCIStr(qual), Name: ast.NewCIStr(name)}}
	c.SetOriginTextPosition(at)
	return c
}

// andExprs ANDs conditions (nil entries skipped); nil when there are none.
func andExprs(first ast.ExprNode, more ...ast.ExprNode) ast.ExprNode {
	out := first
	for _, m := range more {
		if m == nil {
			continue
		}
		if out == nil {
			out = m
			continue
		}
		b := &ast.BinaryOperationExpr{Op: opcode.LogicAnd, L: out, R: m}
		b.SetOriginTextPosition(off(m))
		out = b
	}
	return out
}

func unparen(n ast.ExprNode) ast.ExprNode {
	for {
		p, ok := n.(*ast.ParenthesesExpr)
		if !ok {
			return n
		}
		n = p.Expr
	}
}

func intLit(i int64) expr.Expr {
	return &expr.Literal{V: types.IntValue(i), T: types.Type{Kind: types.KindInt, NotNull: true}}
}

func boolLit(b bool) expr.Expr {
	return &expr.Literal{V: types.BoolValue(b), T: types.Type{Kind: types.KindBool, NotNull: true}}
}
