package sql

import (
	"strconv"

	"github.com/pingcap/tidb/pkg/parser/ast"
	"github.com/pingcap/tidb/pkg/parser/opcode"

	"github.com/streamsql/streamsql/expr"
	"github.com/streamsql/streamsql/plan"
	"github.com/streamsql/streamsql/types"
)

// Subqueries read as values, as a plan.Apply (the LeftJoin kind). Each
// is an aggregate query without GROUP BY (bind_expr_subquery.go reads
// EXISTS, IN and ANY / ALL as counts and bounds) and is bound here as
// written, not decorrelated: its aggregate over its FROM and its own
// conditions, then filtered by its correlated conditions, which read the
// outer row as expr.OuterCol. Its select list is the correlation's outer
// values ($k0, ...), its values ($v0, ...) and TRUE AS $present; the
// Apply puts that one row beside each outer row. The optimizer's
// decorrelate rule turns it into the LEFT join that joinGrouped builds
// for the forms this file leaves to it:
//
//   - correlated by equalities only (applySubquery): inner_i = outer_i
//     leave the WHERE; $k_i is outer_i, the value inner_i equals (both
//     sides in their common type; inner_i any expression over the FROM,
//     possibly shared by two equalities); the rule groups by the inner
//     sides and joins on them. A select list that reads an inner key
//     outside aggregates is bound grouped by the inner keys (one group or
//     none per outer row; over no rows the key reads NULL);
//   - correlated otherwise (applyGeneral: x.b < t1.b), or reading outer
//     columns in its select list (MAX(y) + t1.b), in a correlated
//     condition with a subquery of its own, or two levels out in its own
//     subqueries (all bound with cx.outer): $k_i are the outer columns
//     the subquery reads; the rule joins their distinct values into the
//     subquery where it reads them, groups by them and joins on them
//     NULL-safely.
//
// The values an outer row reads are joinGrouped's: CASE WHEN $present IS
// NULL THEN <the value over no rows> ELSE $v END, so they are the same
// whether the Apply is decorrelated or not (decorrelated, an outer row
// without a group gets no row, and so $present NULL). An uncorrelated
// subquery is an Apply too (joinGrouped makes it: nothing to take apart).
//
// A scalar subquery grouped by correlated columns (GROUP BY u.k ... WHERE
// u.k = t.k: groupedByCorrelation) is bound with its GROUP BY (and its
// HAVING read as CASE WHEN having THEN value END): one group or none per
// outer row, and none reads NULL (no CASE).
//
// The forms left to joinGrouped (decorrelated while binding): a subquery
// over a window table function (grouped by the window's bounds, the
// decorrelated form is a window aggregate, which the binder makes from
// the SQL text). joinGrouped also reports what the forms here cannot
// type: sides of a correlation without a common type, an unqualified
// outer column the subquery's FROM also has (ambiguous).

// applySubquery binds sel (its correlation taken out of its WHERE: inner
// keys innerKeys, equal to outer, bound against sc) as a plan.Apply over
// in. ok is false, with no error, for a form left to joinGrouped.
func (cx *compiler) applySubquery(in plan.Node, sc *scope, sel *ast.SelectStmt, innerKeys []ast.ExprNode, outer []expr.Expr, at int) (node plan.Node, nsc *scope, vals []expr.Expr, ok bool, err error) {
	rsc, err := cx.fromScope(sel)
	if err != nil {
		return nil, nil, nil, false, nil
	}
	for _, c := range rsc.cols {
		if c.tvf != nil {
			return nil, nil, nil, false, nil // GROUP BY window_start, window_end would make it a window aggregate
		}
	}
	// Each correlation inner_i = outer_i, its sides in their common type
	// (each keeps its nullability: the rule brings a nullable side and a
	// NOT NULL one together at the join).
	inner := make([]expr.Expr, len(innerKeys))
	outer = append([]expr.Expr(nil), outer...)
	for i, k := range innerKeys {
		e, err := cx.bindExpr(k, &ectx{sc: rsc, clause: "a subquery's correlation", quiet: true})
		if err != nil {
			return nil, nil, nil, false, nil
		}
		if e.Type().Nullable() != outer[i].Type().Nullable() {
			t, common := expr.CommonType(e.Type(), outer[i].Type())
			if !common {
				return nil, nil, nil, false, nil // joinGrouped reports it
			}
			if e, err = coerceKeepNull(e, t); err != nil {
				return nil, nil, nil, false, nil
			}
			if outer[i], err = coerceKeepNull(outer[i], t); err != nil {
				return nil, nil, nil, false, nil
			}
		}
		inner[i] = e
	}
	grouped := sel.GroupBy != nil
	p, agg, isAgg := cx.plainAggregateOf(sel, grouped)
	if !isAgg && !grouped {
		// The select list reads an inner key outside aggregates (SELECT
		// COUNT(*) + u.k ... WHERE u.k = t.k): bound grouped by the inner
		// keys, one group or none per outer row; over no rows the key
		// reads NULL, as in the query without GROUP BY (bindApply's
		// empty values).
		g := *sel
		g.GroupBy = &ast.GroupByClause{}
		for _, k := range innerKeys {
			g.GroupBy.Items = append(g.GroupBy.Items, &ast.ByItem{Expr: k})
		}
		p, agg, isAgg = cx.plainAggregateOf(&g, true)
	}
	if !isAgg {
		return nil, nil, nil, false, nil
	}
	if grouped {
		for _, g := range agg.GroupKeys { // grouped by correlated columns only
			found := false
			for _, k := range inner {
				found = found || sameBound(g, k)
			}
			if !found {
				return nil, nil, nil, false, nil
			}
		}
	}
	aggIn := agg.Input.Schema()
	var corr []expr.Expr
	for i, k := range inner {
		bad := false
		expr.Walk(k, func(x expr.Expr) {
			if c, ok := x.(*expr.Col); ok && (c.Index >= len(aggIn) || aggIn[c.Index].Type != c.T) {
				bad = true
			}
		})
		if bad {
			return nil, nil, nil, false, nil
		}
		corr = append(corr, &expr.Compare{Op: expr.CmpEQ, L: k, R: expr.ToOuter(outer[i])})
	}
	keys := make([]expr.Expr, len(outer))
	for i, o := range outer {
		keys[i] = expr.ToOuter(o)
	}
	return cx.bindApply(in, sc, p, agg, corr, keys, outer, grouped, at)
}

// coerceKeepNull casts e to t's kind, keeping e's nullability.
func coerceKeepNull(e expr.Expr, t types.Type) (expr.Expr, error) {
	t.NotNull = e.Type().NotNull
	if e.Type() == t {
		return e, nil
	}
	return expr.Coerce(e, t)
}

// sameBound reports whether two bound expressions are the same column,
// or the same expression text over the same type.
func sameBound(a, b expr.Expr) bool {
	ac, aok := a.(*expr.Col)
	bc, bok := b.(*expr.Col)
	if aok || bok {
		return aok && bok && ac.Index == bc.Index
	}
	return a.String() == b.String() && a.Type() == b.Type()
}

// bindApply finishes applySubquery and applyGeneral: the aggregate agg
// (under the projection p of its values) reads its input through the
// filter of the correlated terms corr; the projection lists keys ($k0,
// ...: expressions over outer columns, the values the decorrelated form
// groups by; outer is each one over the outer query's columns) before the
// values; TRUE AS $present follows. When grouped (GROUP BY correlated
// columns), an outer row that selects no row has no group, so its values
// are NULL; otherwise they are the aggregates' over no rows. It returns the Apply of that over in,
// the scope that extends sc by the subquery's columns, and the values.
func (cx *compiler) bindApply(in plan.Node, sc *scope, p *plan.Project, agg *plan.Aggregate, corr, keys, outer []expr.Expr, grouped bool, at int) (node plan.Node, nsc *scope, vals []expr.Expr, ok bool, err error) {
	a := *agg
	if len(corr) > 0 { // none: only the select list reads the outer row
		a.Input = &plan.Filter{Input: agg.Input, Cond: expr.AndAll(corr)}
	}
	sub := &plan.Project{Input: &a}
	for i, k := range keys {
		sub.Exprs, sub.Names = append(sub.Exprs, k), append(sub.Names, "$k"+strconv.Itoa(i))
	}
	sub.Exprs, sub.Names = append(sub.Exprs, p.Exprs...), append(sub.Names, p.Names...)
	s := sub.Schema()
	nk := len(outer)
	mp := &plan.Project{Input: sub}
	for i, c := range s {
		mp.Exprs, mp.Names = append(mp.Exprs, &expr.Col{Index: i, Name: c.Name, T: c.Type}), append(mp.Names, c.Name)
	}
	mp.Exprs, mp.Names = append(mp.Exprs, boolLit(true)), append(mp.Names, "$present")
	ap := &plan.Apply{Kind: plan.LeftJoin, Input: in, Subquery: mp, What: "scalar"}
	ap.Pos.Line, ap.Pos.Col = cx.p.position(at)
	ap.Pos.Stmt = cx.p.Index
	base := len(sc.cols)
	nsc = sc.extended()
	for _, c := range mp.Schema() {
		nsc.cols = append(nsc.cols, column{name: c.Name, typ: c.Type.Nullable(), hidden: true})
	}
	empties := make([]expr.Expr, len(s)-nk) // grouped: no row, so NULL, over no rows
	if !grouped {
		empties = emptyValues(sub, nk, outer)
	}
	for i, e := range empties {
		if e != nil { // outer columns the select list reads: the outer row's, here
			empties[i] = expr.FromOuter(e)
		}
	}
	present := &expr.Col{Index: base + len(s), Name: "$present", T: types.Bool.Nullable()}
	for i := nk; i < len(s); i++ {
		v := expr.Expr(&expr.Col{Index: base + i, Name: s[i].Name, T: s[i].Type.Nullable()})
		if e := empties[i-nk]; e != nil {
			c, err := expr.NewCase([]expr.Expr{&expr.IsNull{X: present}}, []expr.Expr{e}, v)
			if err != nil {
				return nil, nil, nil, false, cx.p.errAt(ErrInvalid, at, err.Error(), "")
			}
			v = c
		}
		f, err := cx.fold.Fold(v)
		if err != nil {
			return nil, nil, nil, false, cx.p.errAt(ErrInvalid, at, err.Error(), "")
		}
		vals = append(vals, f)
	}
	return ap, nsc, vals, true, nil
}

// plainAggregateOf binds sel, its values named $v0, $v1, ..., and returns
// its projection and aggregate when it is a projection over an aggregate
// without window, with GROUP BY keys when grouped, without otherwise; ok
// is false otherwise, or when it does not bind (e.g. a column read outside
// aggregates without GROUP BY: it needs the GROUP BY of the decorrelated
// form).
func (cx *compiler) plainAggregateOf(sel *ast.SelectStmt, grouped bool) (p *plan.Project, agg *plan.Aggregate, ok bool) {
	named := *sel
	named.Fields = &ast.FieldList{}
	for i, f := range sel.Fields.Fields {
		c := *f
		c.AsName = ast.NewCIStr("$v" + strconv.Itoa(i))
		named.Fields.Fields = append(named.Fields.Fields, &c)
	}
	bound, _, err := cx.bindSelect(&named)
	if err != nil {
		return nil, nil, false
	}
	if grouped && sel.Having != nil {
		// A group HAVING rejects reads NULL, as no group does: the
		// subquery has no row either way.
		if bound, err = havingAsValue(bound, 0); err != nil {
			return nil, nil, false
		}
	}
	if p, ok = bound.(*plan.Project); !ok {
		return nil, nil, false
	}
	agg, ok = p.Input.(*plan.Aggregate)
	if !ok || (len(agg.GroupKeys) > 0) != grouped || agg.Window != nil || agg.WindowKeys != nil {
		return nil, nil, false
	}
	return p, agg, true
}

// applyGeneral binds sel, correlated with sc by conditions other than
// equalities (x.b < t1.b), as a plan.Apply over in: its FROM and the
// conditions without outer columns (local) as an aggregate query, then the
// correlated conditions (corr) over its FROM's columns followed by the
// outer columns all it reads (first use first), which read as OuterCol.
// The select list holds outer.c AS $k0, ... for those columns, then the
// values. The decorrelate rule joins the distinct values of those outer
// columns into the subquery's FROM, groups by them and LEFT-joins the
// result on them, NULL equal to NULL: the plan joinGrouped builds for the
// forms this leaves to it: a subquery inside the subquery, a subquery
// without FROM, over a window table function, or an unqualified outer
// column that the subquery's FROM also has (joinGrouped says it is
// ambiguous). ok is false, with no error, for those. Outer columns the
// select list reads (outerInFields: SELECT MAX(y) + t1.b) bind to
// OuterCol there too; decorrelated, they are the group keys.
func (cx *compiler) applyGeneral(in plan.Node, sc *scope, sel *ast.SelectStmt, rsc *scope, all []int, local, corr []ast.ExprNode, outerInFields bool, at int) (node plan.Node, nsc *scope, vals []expr.Expr, ok bool, err error) {
	// A correlated condition with a subquery of its own (x.b < (SELECT
	// ...)) is bound with the subquery's WHERE, its outer columns read as
	// expr.OuterCol; so is the subquery when its own subqueries name outer
	// columns (two levels out: carried into its rows, bind_outer_carry.go),
	// which become keys too.
	var corrSub, corrPlain []ast.ExprNode
	for _, c := range corr {
		if len(findSubqueries(c)) > 0 {
			corrSub = append(corrSub, c)
		} else {
			corrPlain = append(corrPlain, c)
		}
	}
	corr = corrPlain
	nested := cx.twoLevelRefs(rsc, sc, append(fieldExprs(sel), sel.Where))
	for _, i := range nested {
		if !containsInt(all, i) {
			all = append(all, i)
		}
	}
	cs := &scope{cols: append([]column{}, rsc.cols...), quals: rsc.quals}
	for _, c := range rsc.cols {
		if c.tvf != nil {
			return nil, nil, nil, false, nil
		}
	}
	n := len(rsc.cols)
	var keys, outer []expr.Expr
	for _, i := range all {
		c := sc.cols[i]
		if c.qual == "" && len(rsc.lookup("", c.name)) > 0 {
			return nil, nil, nil, false, nil
		}
		cs.cols = append(cs.cols, column{qual: c.qual, name: c.name, typ: c.typ})
		col := &expr.Col{Index: i, Name: c.name, T: c.typ}
		keys, outer = append(keys, expr.ToOuter(col)), append(outer, col)
	}
	toOuter := func(e expr.Expr) expr.Expr {
		return expr.MapColumns(e, func(c *expr.Col) expr.Expr {
			if c.Index < n {
				return c
			}
			return keys[c.Index-n]
		})
	}
	var corrE []expr.Expr
	for _, c := range corr {
		if k, isKey, ok := cx.joinKeyOf(c, cs, n); !ok {
			return nil, nil, nil, false, nil
		} else if isKey {
			corrE = append(corrE, toOuter(k))
			continue
		}
		e, err := cx.bindCond([]ast.ExprNode{c}, &ectx{sc: cs, clause: "WHERE", quiet: true})
		if err != nil {
			return nil, nil, nil, false, nil
		}
		corrE = append(corrE, toOuter(e))
	}
	c := *sel
	c.Where = andExprs(nil, append(local, corrSub...)...)
	if outerInFields || len(corrSub) > 0 || len(nested) > 0 {
		// The select list reads outer columns (MAX(y) + t1.b): bound as
		// expr.OuterCol. A subquery of its own binds without it
		// (bindExprSubqueries, bindSemiJoins): its outer query is this one.
		cx.outer = sc
		defer func() { cx.outer = nil }()
	}
	p, agg, isAgg := cx.plainAggregateOf(&c, false)
	cx.outer = nil
	if !isAgg || len(agg.Input.Schema()) < n {
		return nil, nil, nil, false, nil
	}
	return cx.bindApply(in, sc, p, agg, corrE, keys, outer, false, at)
}

// joinKeyOf reads a correlated condition c as the join key the decorrelated
// form's join of the subquery's FROM (columns below n of scope cs) with the
// outer values (columns from n) takes it for, as a join of a FROM list
// does (buildJoin): an equality whose one side reads only the FROM's
// columns and the other only outer ones, sides bound apart and brought to
// a common type when one is nullable and the other not. The key is an
// untyped equality, FROM side first, for the decorrelate rule to take
// apart. isKey is false for any other condition; ok is false when the
// sides do not compare (joinGrouped reports it).
func (cx *compiler) joinKeyOf(c ast.ExprNode, cs *scope, n int) (key expr.Expr, isKey, ok bool) {
	b, isBin := c.(*ast.BinaryOperationExpr)
	if !isBin || b.Op != opcode.EQ {
		return nil, false, true
	}
	x := &ectx{sc: cs, clause: "ON", quiet: true}
	le, lerr := cx.bindExpr(b.L, x)
	re, rerr := cx.bindExpr(b.R, x)
	if lerr != nil || rerr != nil {
		return nil, false, true
	}
	ls, rs := expr.Sides(le, n), expr.Sides(re, n)
	switch {
	case ls == 1 && rs == 2:
	case ls == 2 && rs == 1:
		le, re = re, le
	default:
		return nil, false, true
	}
	le, re, err := expr.KeyTypes(le, re)
	if err != nil {
		return nil, false, false
	}
	return &expr.Compare{Op: expr.CmpEQ, L: le, R: re}, true, true
}

// groupedByCorrelation reports whether a scalar subquery is an aggregate
// grouped by columns its WHERE equates with the outer query's (SELECT
// COUNT(*) FROM u WHERE u.k = t.k GROUP BY u.k), and correlated by such
// equalities only: then it has at most one group, so one row or none, per
// outer row, and applySubquery binds it as it is written (none: NULL).
func (cx *compiler) groupedByCorrelation(sc *scope, sel *ast.SelectStmt) bool {
	if sel.GroupBy == nil || sel.GroupBy.Rollup || sel.Distinct || sel.Limit != nil || sel.OrderBy != nil || sel.From == nil ||
		!hasAggregate(fieldExprs(sel)...) {
		return false
	}
	rsc, err := cx.fromScope(sel)
	if err != nil {
		return false
	}
	refs := &outerRefs{inner: rsc, outer: sc, of: map[*ast.ColumnNameExpr]int{}}
	if len(refs.refsOf(fieldExprs(sel)...)) > 0 || (sel.Having != nil && len(refs.refsOf(sel.Having.Expr)) > 0) {
		return false
	}
	column := func(n ast.ExprNode) int {
		c, ok := unparen(n).(*ast.ColumnNameExpr)
		if !ok {
			return -1
		}
		if m := rsc.lookup(c.Name.Table.O, c.Name.Name.O); len(m) == 1 {
			return m[0]
		}
		return -1
	}
	equated := map[int]bool{}
	for _, c := range splitAnd(sel.Where) {
		if len(refs.refsOf(c)) == 0 {
			continue
		}
		b, ok := unparen(c).(*ast.BinaryOperationExpr)
		if !ok || b.Op != opcode.EQ {
			return false
		}
		l, r := b.L, b.R
		if len(refs.refsOf(l)) > 0 {
			l, r = r, l
		}
		if len(refs.refsOf(l)) > 0 || refs.innerRefs(r) || column(l) < 0 {
			return false
		}
		equated[column(l)] = true
	}
	for _, it := range sel.GroupBy.Items {
		if i := column(it.Expr); i < 0 || !equated[i] {
			return false
		}
	}
	return len(equated) > 0
}
