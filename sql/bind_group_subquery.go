package sql

import (
	"strconv"
	"strings"

	"github.com/pingcap/tidb/pkg/parser/ast"
	"github.com/pingcap/tidb/pkg/parser/format"

	"github.com/streamsql/streamsql/plan"
)

// GROUP BY a subquery expression, written out or through a select alias
// (MySQL's `SELECT (SELECT COUNT(*) FROM u WHERE u.k = t.a) AS c,
// COUNT(*) FROM t GROUP BY c`): the key is a value per input row, so the
// query is bound in two steps. The inner query selects every column of
// the FROM (under its own qualifier and name) and each such key ($g0,
// ...), with the WHERE; its subqueries are bound as in any select list
// (bind_expr_subquery.go). The outer query is the original one over the
// inner query's rows, each such GROUP BY item and each select item it
// names replaced by its key column; HAVING and ORDER BY reach the key
// through the select alias as before.

// groupKeySubqueries returns the GROUP BY items of sel that are
// subquery expressions (through a select alias or written out), with the
// select items they name; nil when there are none.
func (cx *compiler) groupKeySubqueries(sel *ast.SelectStmt) (items []int, fields []*ast.SelectField, err error) {
	if sel.GroupBy == nil || sel.From == nil {
		return nil, nil, nil
	}
	var sc *scope
	for i, it := range sel.GroupBy.Items {
		var f *ast.SelectField
		n := it.Expr
		if cn, ok := n.(*ast.ColumnNameExpr); ok && cn.Name.Table.O == "" {
			for _, fl := range sel.Fields.Fields {
				if fl.Expr != nil && fl.AsName.O != "" && strings.EqualFold(fl.AsName.O, cn.Name.Name.O) && len(findSubqueries(fl.Expr)) > 0 {
					f = fl
					break
				}
			}
			if f == nil {
				continue
			}
			if sc == nil {
				if sc, err = cx.fromScope(sel); err != nil {
					return nil, nil, err
				}
			}
			if len(sc.lookup("", cn.Name.Name.O)) > 0 {
				continue // an input column: GROUP BY names it, not the alias
			}
		} else if len(findSubqueries(n)) == 0 {
			continue
		} else {
			// A select item written as the key is the key (MySQL).
			for _, fl := range sel.Fields.Fields {
				if fl.Expr != nil && sameText(fl.Expr, n) {
					f = fl
					break
				}
			}
		}
		items, fields = append(items, i), append(fields, f)
	}
	return items, fields, nil
}

// bindGroupBySubqueries binds sel in the two steps above; ok is false
// when its GROUP BY has no subquery key.
func (cx *compiler) bindGroupBySubqueries(sel *ast.SelectStmt) (node plan.Node, cols []column, ok bool, err error) {
	items, fields, err := cx.groupKeySubqueries(sel)
	if err != nil || len(items) == 0 {
		return nil, nil, false, err
	}
	sc, err := cx.fromScope(sel)
	if err != nil {
		return nil, nil, false, err
	}
	rel := cx.freshRelation()
	inner := &ast.SelectStmt{Kind: ast.SelectStmtKindSelect, From: sel.From, Where: sel.Where, Fields: &ast.FieldList{}}
	var icols []column
	for _, c := range sc.cols {
		if c.hidden || c.system {
			continue
		}
		inner.Fields.Fields = append(inner.Fields.Fields, &ast.SelectField{Expr: colRef(c.qual, c.name, 0)})
		icols = append(icols, column{qual: c.qual, name: c.name})
	}
	keyOf := map[*ast.SelectField]string{}
	outer := *sel
	outer.GroupBy = &ast.GroupByClause{Items: append([]*ast.ByItem{}, sel.GroupBy.Items...), Rollup: sel.GroupBy.Rollup}
	for k, i := range items {
		name := "$g" + strconv.Itoa(k)
		e := sel.GroupBy.Items[i].Expr
		if fields[k] != nil {
			e = fields[k].Expr
			keyOf[fields[k]] = name
		}
		inner.Fields.Fields = append(inner.Fields.Fields, &ast.SelectField{Expr: e, AsName: ast.NewCIStr(name)})
		icols = append(icols, column{qual: rel, name: name})
		it := *sel.GroupBy.Items[i]
		it.Expr = colRef(rel, name, off(sel.GroupBy.Items[i].Expr))
		outer.GroupBy.Items[i] = &it
	}
	n, bcols, err := cx.bindSelect(inner)
	if err != nil {
		return nil, nil, false, err
	}
	for i := range icols {
		icols[i].typ = bcols[i].typ
	}
	cx.addRelation(rel, cte{node: n, cols: icols, keepQuals: true})
	outer.From = &ast.TableRefsClause{TableRefs: &ast.Join{Left: &ast.TableSource{Source: &ast.TableName{Name: ast.NewCIStr(rel)}}}}
	outer.Where = nil
	outer.Fields = &ast.FieldList{}
	for _, f := range sel.Fields.Fields {
		if name, ok := keyOf[f]; ok {
			c := *f
			if c.AsName.O == "" {
				c.AsName = ast.NewCIStr(cx.fieldName(f))
			}
			c.Expr = colRef(rel, name, off(f.Expr))
			f = &c
		}
		outer.Fields.Fields = append(outer.Fields.Fields, f)
	}
	out, ocols, err := cx.bindSelect(&outer)
	return out, ocols, true, err
}

// sameText reports whether two expressions read the same once restored
// to SQL text (the same expression written twice).
func sameText(a, b ast.ExprNode) bool {
	ta, oka := restoreText(a)
	tb, okb := restoreText(b)
	return oka && okb && ta == tb
}

func restoreText(n ast.ExprNode) (string, bool) {
	var sb strings.Builder
	if err := unparen(n).Restore(format.NewRestoreCtx(format.DefaultRestoreFlags, &sb)); err != nil {
		return "", false
	}
	return sb.String(), true
}
