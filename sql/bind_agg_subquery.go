package sql

import (
	"strconv"
	"strings"

	"github.com/pingcap/tidb/pkg/parser/ast"

	"github.com/streamsql/streamsql/plan"
)

// Subqueries in the select list or HAVING of an aggregate query: the
// query is split in two. The inner query is the aggregation itself — the
// same FROM, WHERE and GROUP BY, selecting every aggregate call and every
// column the select list and HAVING read outside aggregates and
// subqueries; the outer query reads its rows, with the aggregate calls
// replaced by references to its columns and HAVING as its WHERE, and binds
// the subqueries as in a query without aggregation
// (bind_expr_subquery.go). The inner query's columns carry the names and
// qualifiers of the columns they stand for, so a subquery correlated with
// a grouped column (`(SELECT COUNT(*) FROM u WHERE u.k = t.k) ... GROUP BY
// t.k`) binds unchanged.

// aggLeaves collects what the outer query needs from the aggregation,
// outside subqueries: aggregate calls and grouped expressions (in aggs)
// and column references (in cols).
type aggLeaves struct {
	aggs    []ast.ExprNode
	cols    []*ast.ColumnNameExpr
	grouped func(ast.ExprNode) bool // an expression GROUP BY lists
}

func (l *aggLeaves) Enter(n ast.Node) (ast.Node, bool) {
	switch v := n.(type) {
	case *ast.SubqueryExpr, *ast.ExistsSubqueryExpr, *ast.CompareSubqueryExpr:
		return n, true
	case *ast.AggregateFuncExpr:
		l.aggs = append(l.aggs, v)
		return n, true
	case *ast.ColumnNameExpr:
		l.cols = append(l.cols, v)
		return n, true
	case ast.ExprNode:
		if l.grouped(v) {
			l.aggs = append(l.aggs, v)
			return n, true
		}
	}
	return n, false
}
func (l *aggLeaves) Leave(n ast.Node) (ast.Node, bool) { return n, true }

// aggRefs replaces aggregate calls and grouped expressions by references
// to the inner query's columns.
type aggRefs struct {
	rel  string
	name map[ast.Node]string
}

func (r *aggRefs) Enter(n ast.Node) (ast.Node, bool) {
	if _, ok := r.name[n]; ok {
		return n, true
	}
	switch n.(type) {
	case *ast.SubqueryExpr, *ast.ExistsSubqueryExpr, *ast.CompareSubqueryExpr:
		return n, true
	}
	return n, false
}

func (r *aggRefs) Leave(n ast.Node) (ast.Node, bool) {
	if name, ok := r.name[n]; ok {
		return colRef(r.rel, name, off(n.(ast.ExprNode))), true
	}
	return n, true
}

// needsAggSplit reports whether a SELECT aggregates and has a subquery in
// its select list or HAVING.
func needsAggSplit(sel *ast.SelectStmt) bool {
	if hasOverAggregate(sel) {
		return false
	}
	ns := fieldExprs(sel)
	if sel.Having != nil {
		ns = append(ns, sel.Having.Expr)
	}
	if sel.GroupBy == nil && !hasAggregate(ns...) {
		return false
	}
	outside := &outsideAggs{}
	for _, n := range ns {
		n.Accept(outside)
	}
	if !outside.found {
		return false // only inside aggregate arguments: joined per input row (bindSelect)
	}
	if sel.GroupBy != nil {
		for _, it := range sel.GroupBy.Items {
			if fc, ok := it.Expr.(*ast.FuncCallExpr); ok && windowFuncs[strings.ToUpper(fc.FnName.O)] {
				return false // group windows: not split
			}
		}
	}
	return true
}

// outsideAggs reports whether an AST has a subquery outside aggregate
// calls.
type outsideAggs struct{ found bool }

func (o *outsideAggs) Enter(n ast.Node) (ast.Node, bool) {
	switch n.(type) {
	case *ast.AggregateFuncExpr:
		return n, true
	case *ast.SubqueryExpr, *ast.ExistsSubqueryExpr, *ast.CompareSubqueryExpr:
		o.found = true
		return n, true
	case *ast.PatternInExpr:
		if n.(*ast.PatternInExpr).Sel != nil {
			o.found = true
			return n, true
		}
	}
	return n, false
}
func (o *outsideAggs) Leave(n ast.Node) (ast.Node, bool) { return n, true }

// aggArgs returns the arguments of the aggregate calls of an AST
// (outside subqueries): a subquery in one is evaluated per input row.
func aggArgs(ns ...ast.Node) []ast.Node {
	l := &aggLeaves{grouped: func(ast.ExprNode) bool { return false }}
	for _, n := range ns {
		if n != nil {
			n.Accept(l)
		}
	}
	var out []ast.Node
	for _, a := range l.aggs {
		if f, ok := a.(*ast.AggregateFuncExpr); ok {
			for _, x := range f.Args {
				out = append(out, x)
			}
		}
	}
	return out
}

// bindAggSplit binds an aggregate query with subqueries in its select
// list or HAVING (see above).
func (cx *compiler) bindAggSplit(sel *ast.SelectStmt) (plan.Node, []column, error) {
	if sel.From == nil {
		return nil, nil, cx.p.errAt(ErrUnsupported, 0, "an aggregate without FROM with a subquery in its select list is not supported", "")
	}
	sc, err := cx.fromScope(sel) // bind_expr_subquery.go
	if err != nil {
		return nil, nil, err
	}
	var having ast.ExprNode
	if sel.Having != nil {
		having = cx.substituteAliases(sel.Having.Expr, sel.Fields.Fields, sc)
	}
	groupIDs := map[string]bool{}
	if sel.GroupBy != nil {
		for _, it := range sel.GroupBy.Items {
			if e, err := cx.bindExpr(it.Expr, &ectx{sc: sc, clause: "GROUP BY", quiet: true}); err == nil {
				groupIDs[exprID(e)] = true
			}
		}
	}
	leaves := &aggLeaves{grouped: func(n ast.ExprNode) bool {
		if len(groupIDs) == 0 || len(findSubqueries(n)) > 0 {
			return false
		}
		e, err := cx.bindExpr(n, &ectx{sc: sc, clause: "GROUP BY", quiet: true})
		return err == nil && groupIDs[exprID(e)]
	}}
	for _, n := range fieldExprs(sel) {
		n.Accept(leaves)
	}
	if having != nil {
		having.Accept(leaves)
	}
	rel := cx.freshRelation()
	inner := *sel
	inner.Fields, inner.Having, inner.Distinct, inner.OrderBy, inner.Limit = &ast.FieldList{}, nil, false, nil, nil
	var cols []column
	seen := map[int]bool{}
	for _, c := range leaves.cols {
		m := sc.lookup(c.Name.Table.O, c.Name.Name.O)
		if len(m) != 1 || seen[m[0]] {
			continue // unknown or ambiguous: the outer query reports it; or listed already
		}
		seen[m[0]] = true
		sc := sc.cols[m[0]]
		inner.Fields.Fields = append(inner.Fields.Fields, &ast.SelectField{Expr: colRef(sc.qual, sc.name, off(c))})
		cols = append(cols, column{qual: sc.qual, name: sc.name})
	}
	refs := &aggRefs{rel: rel, name: map[ast.Node]string{}}
	for i, a := range leaves.aggs {
		name := "$a" + strconv.Itoa(i)
		refs.name[a] = name
		inner.Fields.Fields = append(inner.Fields.Fields, &ast.SelectField{Expr: a, AsName: ast.NewCIStr(name)})
		cols = append(cols, column{qual: rel, name: name})
	}
	if len(inner.Fields.Fields) == 0 {
		inner.Fields.Fields = append(inner.Fields.Fields, &ast.SelectField{Expr: countStar(0), AsName: ast.NewCIStr("$a")})
		cols = append(cols, column{qual: rel, name: "$a"})
	}
	node, icols, err := cx.bindSelect(&inner)
	if err != nil {
		return nil, nil, err
	}
	for i := range cols {
		cols[i].typ = icols[i].typ
	}
	cx.addRelation(rel, cte{node: node, cols: cols, keepQuals: true})
	outer := &ast.SelectStmt{Kind: ast.SelectStmtKindSelect, Distinct: sel.Distinct, Fields: &ast.FieldList{}}
	for _, f := range sel.Fields.Fields {
		c := *f
		if c.Expr != nil {
			if c.AsName.O == "" {
				c.AsName = ast.NewCIStr(cx.fieldName(f))
			}
			e, _ := c.Expr.Accept(refs)
			c.Expr = e.(ast.ExprNode)
		}
		outer.Fields.Fields = append(outer.Fields.Fields, &c)
	}
	if having != nil {
		h, _ := having.Accept(refs)
		outer.Where = h.(ast.ExprNode)
	}
	outer.From = &ast.TableRefsClause{TableRefs: &ast.Join{Left: &ast.TableSource{Source: &ast.TableName{Name: ast.NewCIStr(rel)}}}}
	return cx.bindSelect(outer)
}
