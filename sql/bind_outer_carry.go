package sql

import (
	"strings"

	"github.com/pingcap/tidb/pkg/parser/ast"

	"github.com/streamsql/streamsql/expr"
	"github.com/streamsql/streamsql/plan"
)

// References two query levels out. While a correlated subquery is bound
// as written (cx.outer is the scope of the query around it), a subquery
// of its own may name a column of that outer query, by its qualifier
// (`EXISTS (SELECT 1 FROM t2 WHERE x = a AND EXISTS (SELECT 1 FROM t3
// WHERE t3.y > t1.b))`, at any depth) or by a name that neither it nor
// the middle query has (`t3.y > b`, in its own clauses). Such a column is
// carried into the middle query's rows: its input gets a column that
// reads the outer row (expr.OuterCol), reachable by the outer column's
// name (not in `*`), so the innermost subquery is correlated with the
// middle query alone, as any subquery one level in. The decorrelate rule then
// joins the outer values into the middle query where it reads them.

// twoLevelRefs lists the columns of outer that the subqueries inside
// nodes name with a qualifier that neither sc nor those subqueries'
// FROM clauses have, or (in a subquery's own clauses, not its
// subqueries') by a name neither its FROM nor sc has, and that sc does
// not carry already: outer column indexes, first use first.
func (cx *compiler) twoLevelRefs(sc, outer *scope, nodes []ast.Node) []int {
	if outer == nil {
		return nil
	}
	var out []int
	add := func(m []int) {
		if len(m) == 1 && !containsInt(out, m[0]) {
			out = append(out, m[0])
		}
	}
	for _, sq := range findSubqueries(nodes...) {
		f := &qualRefs{defined: map[string]bool{}}
		sq.Accept(f)
		for _, c := range f.cols {
			q, name := c.Name.Table.O, c.Name.Name.O
			if q == "" || f.defined[strings.ToLower(q)] || sc.hasQual(q) || len(sc.lookup(q, name)) > 0 {
				continue
			}
			add(outer.lookup(q, name))
		}
		// An unqualified name of the subquery itself (not of its own
		// subqueries) that neither its FROM nor sc has.
		sel := selectOf(sq)
		if sel == nil {
			continue
		}
		var rsc *scope
		for _, c := range unqualifiedRefs(sel) {
			if rsc == nil {
				var err error
				if rsc, err = cx.fromScope(sel); err != nil {
					break
				}
			}
			name := c.Name.Name.O
			if len(rsc.lookup("", name)) == 0 && len(sc.lookup("", name)) == 0 {
				add(outer.lookup("", name))
			}
		}
	}
	return out
}

// selectOf is the SELECT of a subquery expression (nil for another form).
func selectOf(n ast.ExprNode) *ast.SelectStmt {
	var sq ast.ExprNode
	switch v := n.(type) {
	case *ast.SubqueryExpr:
		sq = v
	case *ast.ExistsSubqueryExpr:
		sq = v.Sel
	case *ast.CompareSubqueryExpr:
		sq = v.R
	case *ast.PatternInExpr:
		sq = v.Sel
	}
	s, ok := sq.(*ast.SubqueryExpr)
	if !ok {
		return nil
	}
	sel, _ := s.Query.(*ast.SelectStmt)
	return sel
}

// unqualifiedRefs lists the unqualified column references of a SELECT's
// select list, WHERE and HAVING, outside its own subqueries.
func unqualifiedRefs(sel *ast.SelectStmt) []*ast.ColumnNameExpr {
	f := &unqualified{}
	ns := append(fieldExprs(sel), sel.Where)
	if sel.Having != nil {
		ns = append(ns, sel.Having.Expr)
	}
	for _, n := range ns {
		if n != nil {
			n.Accept(f)
		}
	}
	return f.cols
}

type unqualified struct{ cols []*ast.ColumnNameExpr }

func (f *unqualified) Enter(n ast.Node) (ast.Node, bool) {
	switch v := n.(type) {
	case *ast.SubqueryExpr:
		return n, true
	case *ast.ColumnNameExpr:
		if v.Name.Table.O == "" {
			f.cols = append(f.cols, v)
		}
		return n, true
	}
	return n, false
}
func (f *unqualified) Leave(n ast.Node) (ast.Node, bool) { return n, true }

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
		sc.cols = append(sc.cols, column{qual: c.qual, name: c.name, typ: c.typ, carried: true})
	}
	return p
}
