package sql

import (
	"strconv"

	"github.com/pingcap/tidb/pkg/parser/ast"

	"github.com/streamsql/streamsql/expr"
	"github.com/streamsql/streamsql/plan"
	"github.com/streamsql/streamsql/types"
)

// Correlated aggregate subqueries as a plan.Apply. A subquery of an
// expression that joinSubquery finds correlated by equalities only
// (inner_i = outer_i, taken out of its WHERE) is bound here as written,
// not decorrelated: its aggregate without GROUP BY over its FROM and
// WHERE, filtered first by the correlation (the outer sides read as
// expr.OuterCol). Its select list is the outer sides ($k0, ...: the value
// each inner key equals), its values ($v0, ...) and TRUE AS $present;
// the Apply (a LEFT join kind) puts one such row beside each outer row.
// The optimizer's decorrelate rule turns it into the LEFT join of the
// input with the aggregate grouped by the inner keys, joined on inner =
// outer, that joinGrouped builds for the forms this file leaves to it.
//
// The values an outer row reads are joinGrouped's: CASE WHEN $present IS
// NULL THEN <the value over no rows> ELSE $v END, so they are the same
// whether the Apply is decorrelated or not (decorrelated, an outer row
// without a group gets no row, and so $present NULL).
//
// The forms left to joinGrouped (decorrelated while binding): an inner
// key that is not a plain column of the subquery's FROM, or whose type
// differs from its outer side's (other than in nullability), or that two
// correlations share; a select list that reads an inner key outside
// aggregates (it needs the GROUP BY the decorrelated form has); a
// subquery over a window table function (grouped by the window's bounds,
// the decorrelated form is a window aggregate) or with a group window.

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
	inner := make([]*expr.Col, len(innerKeys))
	for i, k := range innerKeys {
		e, err := cx.bindExpr(k, &ectx{sc: rsc, clause: "a subquery's correlation", quiet: true})
		if err != nil {
			return nil, nil, nil, false, nil
		}
		c, isCol := e.(*expr.Col)
		if !isCol || c.T.Nullable() != outer[i].Type().Nullable() {
			return nil, nil, nil, false, nil
		}
		for _, d := range inner[:i] {
			if d.Index == c.Index {
				return nil, nil, nil, false, nil
			}
		}
		inner[i] = c
	}
	named := *sel // values named $v0, $v1, ...
	named.Fields = &ast.FieldList{}
	for i, f := range sel.Fields.Fields {
		c := *f
		c.AsName = ast.NewCIStr("$v" + strconv.Itoa(i))
		named.Fields.Fields = append(named.Fields.Fields, &c)
	}
	bound, _, err := cx.bindSelect(&named)
	if err != nil {
		return nil, nil, nil, false, nil // e.g. an inner key read outside aggregates
	}
	p, isProject := bound.(*plan.Project)
	if !isProject {
		return nil, nil, nil, false, nil
	}
	agg, isAgg := p.Input.(*plan.Aggregate)
	if !isAgg || len(agg.GroupKeys) > 0 || agg.Window != nil || agg.WindowKeys != nil {
		return nil, nil, nil, false, nil
	}
	aggIn := agg.Input.Schema()
	var corr []expr.Expr
	for i, c := range inner {
		if c.Index >= len(aggIn) || aggIn[c.Index].Name != c.Name || aggIn[c.Index].Type != c.T {
			return nil, nil, nil, false, nil
		}
		corr = append(corr, &expr.Compare{Op: expr.CmpEQ, L: c, R: expr.ToOuter(outer[i])})
	}
	a := *agg
	a.Input = &plan.Filter{Input: agg.Input, Cond: expr.AndAll(corr)}
	sub := &plan.Project{Input: &a}
	for i, o := range outer {
		sub.Exprs, sub.Names = append(sub.Exprs, expr.ToOuter(o)), append(sub.Names, "$k"+strconv.Itoa(i))
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
	empties := emptyValues(sub, nk, outer)
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
