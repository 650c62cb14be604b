package sql

import (
	"strings"

	"github.com/pingcap/tidb/pkg/parser/ast"

	"github.com/streamsql/streamsql/expr"
	"github.com/streamsql/streamsql/plan"
	"github.com/streamsql/streamsql/types"
)

// bindSetOpr binds a chain of set operations: UNION [ALL], INTERSECT [ALL]
// and EXCEPT [ALL] over the SELECTs (or parenthesised chains) sels.
// INTERSECT binds tighter than UNION and EXCEPT (SQL standard, MariaDB
// 10.4+); otherwise the chain is evaluated left to right, so in
// `a UNION b UNION ALL c` the duplicates of a and b are removed and c's
// rows are all kept. The result columns take the inputs' common types and
// the first input's names.
func (cx *compiler) bindSetOpr(sels []ast.Node) (plan.Node, []column, error) {
	if len(sels) == 1 { // (SELECT ...) in parentheses
		return cx.bindResultSet(sels[0])
	}
	var nodes []plan.Node
	var colsets [][]column
	ops := make([]ast.SetOprType, len(sels)) // ops[i]: the operator before input i (i > 0)
	for i, s := range sels {
		if i > 0 {
			switch v := s.(type) {
			case *ast.SelectStmt:
				if v.AfterSetOperator != nil {
					ops[i] = *v.AfterSetOperator
				}
			case *ast.SetOprSelectList:
				if v.AfterSetOperator != nil {
					ops[i] = *v.AfterSetOperator
				}
			}
		}
		n, cols, err := cx.bindResultSet(s)
		if err != nil {
			return nil, nil, err
		}
		if i > 0 && len(cols) != len(colsets[0]) {
			return nil, nil, cx.p.errAt(ErrType, cx.selectOffset(i), setOpName(ops[i])+" inputs have different numbers of columns ("+
				itoa(len(colsets[0]))+" and "+itoa(len(cols))+")", "")
		}
		nodes = append(nodes, n)
		colsets = append(colsets, cols)
	}
	out, err := cx.setOpColumns(colsets, setOpName(ops[1]))
	if err != nil {
		return nil, nil, err
	}
	for i, n := range nodes {
		if nodes[i], err = cx.castSetOpInput(n, colsets[i], out, i); err != nil {
			return nil, nil, err
		}
	}
	// INTERSECT first: fold each run of INTERSECTs into one term.
	terms := []plan.Node{nodes[0]}
	termOps := []ast.SetOprType{0}
	for i := 1; i < len(nodes); i++ {
		switch ops[i] {
		case ast.Intersect, ast.IntersectAll:
			last := len(terms) - 1
			terms[last] = &plan.SetOp{Kind: plan.Intersect, All: ops[i] == ast.IntersectAll, Left: terms[last], Right: nodes[i]}
		default:
			terms = append(terms, nodes[i])
			termOps = append(termOps, ops[i])
		}
	}
	node := terms[0]
	for i := 1; i < len(terms); i++ {
		switch termOps[i] {
		case ast.UnionAll:
			if u, ok := node.(*plan.Union); ok {
				node = &plan.Union{Inputs: append(u.Inputs[:len(u.Inputs):len(u.Inputs)], terms[i])}
			} else {
				node = &plan.Union{Inputs: []plan.Node{node, terms[i]}}
			}
		case ast.Union:
			node = distinctOf(&plan.Union{Inputs: []plan.Node{node, terms[i]}})
		case ast.Except, ast.ExceptAll:
			node = &plan.SetOp{Kind: plan.Except, All: termOps[i] == ast.ExceptAll, Left: node, Right: terms[i]}
		}
	}
	return node, out, nil
}

// setOpName is a set operator as SQL writes it.
func setOpName(op ast.SetOprType) string {
	return strings.ToUpper(op.String())
}

// setOpColumns returns the result columns of a set operation: per column,
// the common type of the inputs (VARCHAR when every input is NULL) and the
// first input's name.
func (cx *compiler) setOpColumns(colsets [][]column, name string) ([]column, error) {
	out := make([]column, len(colsets[0]))
	for c := range out {
		ts := make([]types.Type, len(colsets))
		for i := range colsets {
			ts[i] = colsets[i][c].typ
		}
		t, ok := expr.CommonType(ts...)
		if !ok {
			var names []string
			for _, x := range ts {
				names = append(names, x.Nullable().String())
			}
			return nil, cx.p.errAt(ErrType, cx.selectOffset(1), name+" column "+itoa(c+1)+" ('"+colsets[0][c].name+
				"') has incompatible types "+strings.Join(names, " and "), "CAST the columns to one type")
		}
		if t.Kind == types.KindNull {
			t = types.String
		}
		out[c] = column{name: colsets[0][c].name, typ: t}
	}
	return out, nil
}

// castSetOpInput projects input i of a set operation (columns cols) to the
// result columns out, casting where the types differ.
func (cx *compiler) castSetOpInput(n plan.Node, cols, out []column, i int) (plan.Node, error) {
	need := false
	for c := range out {
		if cols[c].typ != out[c].typ || cols[c].name != out[c].name {
			need = true
		}
	}
	if !need {
		return n, nil
	}
	p := &plan.Project{Input: n}
	for c, col := range cols {
		var e expr.Expr = &expr.Col{Index: c, Name: col.name, T: col.typ}
		if col.typ != out[c].typ {
			ce, err := expr.Coerce(e, out[c].typ)
			if err == nil {
				ce, err = expr.Fold(ce)
			}
			if err != nil {
				return nil, cx.p.errAt(ErrType, cx.selectOffset(i), err.Error(), "")
			}
			e = ce
		}
		p.Exprs = append(p.Exprs, e)
		p.Names = append(p.Names, out[c].name)
	}
	return p, nil
}
