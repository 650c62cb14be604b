package sql

import (
	"sort"
	"strconv"

	"github.com/pingcap/tidb/pkg/parser/ast"

	"github.com/streamsql/streamsql/expr"
	"github.com/streamsql/streamsql/plan"
)

// A correlated subquery read as a value whose GROUP BY, HAVING or
// DISTINCT shapes its rows (`EXISTS (SELECT 1 FROM t2 WHERE x = a GROUP BY
// x HAVING COUNT(*) > 1)` in a select list, `(SELECT DISTINCT y FROM t2
// WHERE x = a)`), or whose JOIN ... ON reads the outer row, is read, as an uncorrelated one is, as a derived
// relation the rewrites add their aggregates to; it is bound as written,
// its outer references expr.OuterCol (cx.outer), and the relation
// remembers the outer columns it reads (cx.correlated). joinSubquery
// lists them as the Apply's keys, so the decorrelate rule joins their
// distinct values into the relation where it reads them (through its
// aggregates, which group by them too). A LIMIT has no such
// decorrelation (it would keep the first rows per outer row): refused.

// derivedSelectIn is derivedSelect for a subquery of the query with scope
// sc: when the SELECT is correlated with sc (and has no LIMIT), the
// relation is bound with its outer references.
func (cx *compiler) derivedSelectIn(sc *scope, sel *ast.SelectStmt, at int) (*ast.SelectStmt, error) {
	d, err := cx.derivedSelect(sel, at)
	if err == nil || sel.Limit != nil || sel.From == nil {
		return d, err
	}
	rsc, ferr := cx.fromScope(sel)
	if ferr != nil {
		// The FROM reads the outer row itself (JOIN ... ON t1.a): the
		// outer columns are those the bound relation reads.
		return cx.derivedFromPlan(sc, sel, at, err)
	}
	refs := &outerRefs{inner: rsc, outer: sc, of: map[*ast.ColumnNameExpr]int{}}
	ns := clauseExprs(sel)
	cols := refs.refsOf(append(ns, sel.From.TableRefs)...)
	for _, i := range cx.twoLevelRefs(rsc, sc, ns) {
		if !containsInt(cols, i) {
			cols = append(cols, i)
		}
	}
	if len(cols) == 0 {
		return nil, err
	}
	c := *sel
	c.OrderBy = nil // the order of rows read as a set or an aggregate's input
	saved := cx.outer
	cx.outer = sc
	node, bcols, berr := cx.bindSelect(&c)
	cx.outer = saved
	if berr != nil {
		return nil, err
	}
	return cx.correlatedRelation(node, bcols, cols, at), nil
}

// derivedFromPlan is derivedSelectIn for a SELECT whose FROM reads the
// outer row: bound with its outer references, it is a relation when it
// reads some (err, derivedSelect's error, otherwise).
func (cx *compiler) derivedFromPlan(sc *scope, sel *ast.SelectStmt, at int, err error) (*ast.SelectStmt, error) {
	c := *sel
	c.OrderBy = nil
	saved := cx.outer
	cx.outer = sc
	node, bcols, berr := cx.bindSelect(&c)
	cx.outer = saved
	if berr != nil {
		return nil, err
	}
	cols := outerColumnsOf(node)
	if len(cols) == 0 {
		return nil, err
	}
	return cx.correlatedRelation(node, bcols, cols, at), nil
}

// fromReadsOuter reports whether sel's FROM reads the outer query's
// columns (an ON condition naming them): it binds only with them.
func (cx *compiler) fromReadsOuter(sc *scope, sel *ast.SelectStmt) bool {
	if sel.From == nil {
		return false
	}
	if _, err := cx.fromScope(sel); err == nil {
		return false
	}
	saved := cx.outer
	cx.outer = sc
	_, err := cx.fromScope(sel)
	cx.outer = saved
	return err == nil
}

// outerColumnsOf lists the outer columns a bound subquery reads (a
// subquery inside it reads its own input's), first use first.
func outerColumnsOf(n plan.Node) []int {
	var out []int
	add := func(e expr.Expr) {
		if e == nil {
			return
		}
		expr.Walk(e, func(x expr.Expr) {
			if c, ok := x.(*expr.OuterCol); ok && !containsInt(out, c.Index) {
				out = append(out, c.Index)
			}
		})
	}
	var walk func(plan.Node)
	walk = func(n plan.Node) {
		switch n := n.(type) {
		case *plan.Apply:
			walk(n.Input)
			return
		case *plan.Filter:
			add(n.Cond)
		case *plan.Project:
			for _, e := range n.Exprs {
				add(e)
			}
		case *plan.Join:
			for _, e := range append(append([]expr.Expr{n.Residual}, n.LeftKeys...), n.RightKeys...) {
				add(e)
			}
		case *plan.Aggregate:
			for _, e := range n.GroupKeys {
				add(e)
			}
			for _, c := range n.Aggs {
				for _, e := range c.Exprs() {
					add(e)
				}
			}
		}
		for _, c := range n.Children() {
			walk(c)
		}
	}
	walk(n)
	return out
}

// correlatedRelation registers node (columns bcols; reading the outer
// columns cols) as a derived relation and returns SELECT c0, c1, ... of it.
func (cx *compiler) correlatedRelation(node plan.Node, bcols []column, cols []int, at int) *ast.SelectStmt {
	name := cx.freshRelation()
	var outCols []column
	var fields []*ast.SelectField
	for i, bc := range bcols {
		cn := "c" + strconv.Itoa(i)
		outCols = append(outCols, column{name: cn, typ: bc.typ})
		fields = append(fields, &ast.SelectField{Expr: colRef(name, cn, at)})
	}
	cx.addRelation(name, cte{node: node, cols: outCols})
	if cx.correlated == nil {
		cx.correlated = map[string][]int{}
	}
	cx.correlated[name] = cols
	out := &ast.SelectStmt{Kind: ast.SelectStmtKindSelect, Fields: &ast.FieldList{Fields: fields}}
	out.From = &ast.TableRefsClause{TableRefs: &ast.Join{Left: &ast.TableSource{Source: &ast.TableName{Name: ast.NewCIStr(name)}}}}
	return out
}

// correlatedRelations lists the outer columns that the correlated derived
// relations a SELECT's FROM names read (derivedSelectIn).
func (cx *compiler) correlatedRelations(sel *ast.SelectStmt) []int {
	if sel.From == nil || len(cx.correlated) == 0 {
		return nil
	}
	var out []int
	f := &qualRefs{defined: map[string]bool{}}
	sel.From.TableRefs.Accept(f)
	names := make([]string, 0, len(cx.correlated))
	for name := range cx.correlated {
		names = append(names, name)
	}
	sort.Strings(names) // the same plan for the same query
	for _, name := range names {
		if f.defined[name] {
			for _, c := range cx.correlated[name] {
				if !containsInt(out, c) {
					out = append(out, c)
				}
			}
		}
	}
	return out
}

// applyFromReadsOuter binds an aggregate subquery without GROUP BY whose
// FROM reads the outer row (SELECT COUNT(u.k) FROM t2 LEFT JOIN u ON u.k
// = t2.x AND u.k = t1.a) as written, its outer references expr.OuterCol,
// as a plan.Apply keyed by the outer columns it reads (bindApply); the
// decorrelate rule joins their distinct values in where it reads them. ok
// is false, with no error, for another form.
func (cx *compiler) applyFromReadsOuter(in plan.Node, sc *scope, sel *ast.SelectStmt, at int) (node plan.Node, nsc *scope, vals []expr.Expr, ok bool, err error) {
	if !plainAggregate(sel) || sel.Having != nil || !cx.fromReadsOuter(sc, sel) {
		return nil, nil, nil, false, nil
	}
	saved := cx.outer
	cx.outer = sc
	p, agg, isAgg := cx.plainAggregateOf(sel, false)
	cx.outer = saved
	if !isAgg {
		return nil, nil, nil, false, nil
	}
	cols := outerColumnsOf(p)
	if len(cols) == 0 {
		return nil, nil, nil, false, nil
	}
	var keys, outer []expr.Expr
	for _, i := range cols {
		c := sc.cols[i]
		col := &expr.Col{Index: i, Name: c.name, T: c.typ}
		keys, outer = append(keys, expr.ToOuter(col)), append(outer, col)
	}
	return cx.bindApply(in, sc, p, agg, nil, keys, outer, false, at)
}
