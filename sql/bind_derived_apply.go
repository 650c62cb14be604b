package sql

import (
	"sort"
	"strconv"

	"github.com/pingcap/tidb/pkg/parser/ast"
)

// A correlated subquery read as a value whose GROUP BY, HAVING or
// DISTINCT shapes its rows (`EXISTS (SELECT 1 FROM t2 WHERE x = a GROUP BY
// x HAVING COUNT(*) > 1)` in a select list, `(SELECT DISTINCT y FROM t2
// WHERE x = a)`) is read, as an uncorrelated one is, as a derived
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
		return nil, err
	}
	refs := &outerRefs{inner: rsc, outer: sc, of: map[*ast.ColumnNameExpr]int{}}
	ns := append(fieldExprs(sel), sel.Where)
	if sel.GroupBy != nil {
		for _, it := range sel.GroupBy.Items {
			ns = append(ns, it.Expr)
		}
	}
	if sel.Having != nil {
		ns = append(ns, sel.Having.Expr)
	}
	cols := refs.refsOf(append(ns, sel.From.TableRefs)...)
	for _, i := range twoLevelRefs(rsc, sc, ns) {
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
	return out, nil
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
