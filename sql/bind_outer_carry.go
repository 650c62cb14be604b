package sql

import (
	"strings"

	"github.com/pingcap/tidb/pkg/parser/ast"

	"github.com/streamsql/streamsql/expr"
	"github.com/streamsql/streamsql/plan"
)

// References two query levels out. While a correlated subquery is bound
// as written (cx.outer is the scope of the query around it), a subquery
// of its own may name a column of that outer query by its qualifier
// (`EXISTS (SELECT 1 FROM t2 WHERE x = a AND EXISTS (SELECT 1 FROM t3
// WHERE t3.y > t1.b))`). Such a column is carried into the middle
// query's rows: its input gets a column that reads the outer row
// (expr.OuterCol), reachable by the outer column's qualified name only
// (not in `*`), so the innermost subquery is correlated with the middle
// query alone, as any subquery one level in. The decorrelate rule then
// joins the outer values into the middle query where it reads them.

// twoLevelRefs lists the columns of outer that the subqueries inside
// nodes name with a qualifier that neither sc nor those subqueries'
// FROM clauses have (and that sc does not carry already): outer column
// indexes, first use first.
func twoLevelRefs(sc, outer *scope, nodes []ast.Node) []int {
	if outer == nil {
		return nil
	}
	var out []int
	for _, sq := range findSubqueries(nodes...) {
		f := &qualRefs{defined: map[string]bool{}}
		sq.Accept(f)
		for _, c := range f.cols {
			q, name := c.Name.Table.O, c.Name.Name.O
			if q == "" || f.defined[strings.ToLower(q)] || sc.hasQual(q) || len(sc.lookup(q, name)) > 0 {
				continue
			}
			if m := outer.lookup(q, name); len(m) == 1 && !containsInt(out, m[0]) {
				out = append(out, m[0])
			}
		}
	}
	return out
}

// qualRefs collects the qualified column references of an AST and the
// table names and aliases its FROM clauses define.
type qualRefs struct {
	cols    []*ast.ColumnNameExpr
	defined map[string]bool
}

func (f *qualRefs) Enter(n ast.Node) (ast.Node, bool) {
	switch v := n.(type) {
	case *ast.ColumnNameExpr:
		if v.Name.Table.O != "" {
			f.cols = append(f.cols, v)
		}
	case *ast.TableSource:
		if v.AsName.O != "" {
			f.defined[strings.ToLower(v.AsName.O)] = true
		} else if t, ok := v.Source.(*ast.TableName); ok {
			f.defined[strings.ToLower(t.Name.O)] = true
		}
	}
	return n, false
}
func (f *qualRefs) Leave(n ast.Node) (ast.Node, bool) { return n, true }

// carryOuter appends the outer columns cols (of cx.outer) to in as
// columns that read the outer row, and to sc (in place: the caller's
// scope) under their qualified names.
func (cx *compiler) carryOuter(in plan.Node, sc *scope, cols []int) plan.Node {
	if len(cols) == 0 {
		return in
	}
	s := in.Schema()
	p := &plan.Project{Input: in}
	for i, c := range s {
		p.Exprs, p.Names = append(p.Exprs, &expr.Col{Index: i, Name: c.Name, T: c.Type}), append(p.Names, c.Name)
	}
	for _, m := range cols {
		c := cx.outer.cols[m]
		p.Exprs, p.Names = append(p.Exprs, &expr.OuterCol{Index: m, Name: c.name, T: c.typ}), append(p.Names, c.name)
		sc.cols = append(sc.cols, column{qual: c.qual, name: c.name, typ: c.typ, system: true})
	}
	return p
}
