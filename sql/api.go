package sql

import (
	"github.com/streamsql/streamsql/catalog"
	"github.com/streamsql/streamsql/expr"
	"github.com/streamsql/streamsql/plan"
	"github.com/streamsql/streamsql/types"
)

// ParseExpr binds one scalar expression over a row of the given schema
// (columns by name), as it would be bound in a select list. Error
// positions count from the start of text.
func ParseExpr(text string, schema types.Schema) (expr.Expr, error) {
	cat := catalog.New()
	const name = "__row"
	if err := cat.AddTable(&catalog.Table{Name: name, Columns: schema, ProctimeColumn: -1}); err != nil {
		return nil, err
	}
	const prefix = "SELECT "
	p := Piece{Text: prefix + text + " FROM " + name, Index: 1, Line: 1, Col: 1 - len(prefix)}
	st, err := Compile(p, cat)
	if err != nil {
		return nil, err
	}
	q, ok := st.(*Query)
	if !ok {
		return nil, p.errAt(ErrSyntax, 0, "not an expression", "")
	}
	pr, ok := q.Plan.(*plan.Project)
	if !ok || len(pr.Exprs) != 1 {
		return nil, p.errAt(ErrSyntax, 0, "expected exactly one expression", "")
	}
	return pr.Exprs[0], nil
}
