package sql

import (
	"strings"

	"github.com/streamsql/streamsql/catalog"
	"github.com/streamsql/streamsql/expr"
	"github.com/streamsql/streamsql/plan"
	"github.com/streamsql/streamsql/types"
)

// DELETE and UPDATE on in-memory tables. Both are bounded operations on
// the rows the table holds when the statement runs (see Delete, Update);
// their expressions are plain row expressions over the table's physical
// columns.

// compileDelete compiles DELETE FROM t [WHERE cond].
func (cx *compiler) compileDelete() (Stmt, error) {
	c := &cursor{p: cx.p, toks: cx.toks, i: 1}
	if err := c.expect("FROM"); err != nil {
		return nil, err
	}
	tbl, err := cx.dmlTable(c, "DELETE")
	if err != nil {
		return nil, err
	}
	d := &Delete{At: At{P: cx.p}, Table: tbl}
	if c.eof() {
		return d, nil
	}
	if !c.accept("WHERE") {
		return nil, c.errHere("expected WHERE or the end of the statement", "usage: DELETE FROM t [WHERE condition]")
	}
	if d.Where, err = cx.rowCondition(tbl, c); err != nil {
		return nil, err
	}
	return d, nil
}

// compileUpdate compiles UPDATE t SET col = expr, ... [WHERE cond].
func (cx *compiler) compileUpdate() (Stmt, error) {
	const usage = "usage: UPDATE t SET column = expression, ... [WHERE condition]"
	c := &cursor{p: cx.p, toks: cx.toks, i: 1}
	tbl, err := cx.dmlTable(c, "UPDATE")
	if err != nil {
		return nil, err
	}
	if err := c.expect("SET"); err != nil {
		return nil, err
	}
	phys := tbl.PhysicalColumns()
	u := &Update{At: At{P: cx.p}, Table: tbl}
	for {
		name, off, err := c.name("column")
		if err != nil {
			return nil, err
		}
		k := phys.Index(name)
		if k < 0 {
			return nil, cx.p.errAt(ErrUnknownColumn, off, "unknown column '"+name+"' in table '"+tbl.Name+"'", columnHint(name, phys.Names()))
		}
		if !c.accept("=") {
			return nil, c.errHere("expected '=' after the column name", usage)
		}
		start, end := c.exprSpan(true)
		if start == end {
			return nil, c.errHere("expected an expression", usage)
		}
		e, err := cx.bindRowExpr(tbl, start, end)
		if err != nil {
			return nil, err
		}
		if e, err = cx.assign(e, phys[k], start); err != nil {
			return nil, err
		}
		u.Set = append(u.Set, Assignment{Col: k, Expr: e})
		if !c.accept(",") {
			break
		}
	}
	if c.eof() {
		return u, nil
	}
	if !c.accept("WHERE") {
		return nil, c.errHere("expected ',', WHERE or the end of the statement", usage)
	}
	if u.Where, err = cx.rowCondition(tbl, c); err != nil {
		return nil, err
	}
	return u, nil
}

// dmlTable reads the target table name of DELETE or UPDATE: an existing
// in-memory table.
func (cx *compiler) dmlTable(c *cursor, verb string) (*catalog.Table, error) {
	name, off, err := c.name("table")
	if err != nil {
		return nil, err
	}
	tbl := cx.cat.Table(name)
	if tbl == nil {
		if cx.cat.View(name) != nil {
			return nil, cx.p.errAt(ErrInvalid, off, "cannot "+verb+" view '"+name+"'", verb+" works on in-memory tables")
		}
		return nil, cx.p.errAt(ErrUnknownTable, off, "unknown table '"+name+"'", cx.tableHint(name))
	}
	if !tbl.IsMemory() {
		return nil, cx.p.errAt(ErrUnsupported, off, verb+" works only on in-memory tables; '"+name+"' has a connector",
			"a table with a PRIMARY KEY takes upserts and deletes from a changelog INSERT")
	}
	return tbl, nil
}

// rowCondition binds the rest of the statement (after WHERE) as a boolean
// row expression.
func (cx *compiler) rowCondition(tbl *catalog.Table, c *cursor) (expr.Expr, error) {
	start, end := c.exprSpan(false)
	if start == end {
		return nil, c.errHere("expected a condition after WHERE", "")
	}
	e, err := cx.bindRowExpr(tbl, start, end)
	if err != nil {
		return nil, err
	}
	if k := e.Type().Kind; k != types.KindBool && k != types.KindNull {
		return nil, cx.p.errAt(ErrType, start, "WHERE needs a BOOLEAN condition, not "+e.Type().Nullable().String(), "compare the value, e.g. x <> 0")
	}
	return e, nil
}

// exprSpan consumes the tokens of one expression and returns its text
// span [start, end). With list set it stops before a comma or WHERE at
// parenthesis depth 0 (an UPDATE assignment), otherwise at the end.
func (c *cursor) exprSpan(list bool) (start, end int) {
	start = c.peek().start
	end = start
	depth := 0
	for !c.eof() {
		t := c.peek()
		switch {
		case t.is("("):
			depth++
		case t.is(")"):
			depth--
		case list && depth == 0 && (t.is(",") || t.is("WHERE")):
			return start, end
		}
		end = t.end
		c.i++
	}
	return start, end
}

// bindRowExpr binds the expression at [start, end) of the statement over
// the physical columns of tbl, as it would be bound in a select list over
// the table alone (no subqueries over other tables, no aggregates). Error
// positions are those of the statement.
func (cx *compiler) bindRowExpr(tbl *catalog.Table, start, end int) (expr.Expr, error) {
	const sel = "SELECT "
	if start < len(sel) {
		return nil, cx.p.errAt(ErrSyntax, start, "expected an expression", "")
	}
	cat := catalog.New()
	if err := cat.AddTable(&catalog.Table{Name: tbl.Name, Columns: tbl.PhysicalColumns(), ProctimeColumn: -1}); err != nil {
		return nil, cx.p.errAt(ErrInvalid, start, err.Error(), "")
	}
	// The statement's text up to the expression is blanked (keeping line
	// breaks) so that positions in the query are those of the statement.
	b := []byte(cx.p.Text[:end])
	for i := range start {
		if b[i] != '\n' && b[i] != '\r' {
			b[i] = ' '
		}
	}
	copy(b, sel)
	text := string(b) + " FROM `" + strings.ReplaceAll(tbl.Name, "`", "``") + "`"
	p := cx.p
	p.Text = text
	sub := &compiler{p: p, cat: cat, toks: lex(text), depth: cx.depth}
	st, err := sub.compile()
	if err != nil {
		return nil, err
	}
	q, ok := st.(*Query)
	var pr *plan.Project
	if ok {
		pr, ok = q.Plan.(*plan.Project)
	}
	if !ok || len(pr.Exprs) != 1 {
		return nil, cx.p.errAt(ErrUnsupported, start, "expected one row expression (no aggregates or subqueries)", "")
	}
	if _, isScan := pr.Input.(*plan.Scan); !isScan {
		return nil, cx.p.errAt(ErrUnsupported, start, "expected one row expression (no aggregates or subqueries)", "")
	}
	return pr.Exprs[0], nil
}
