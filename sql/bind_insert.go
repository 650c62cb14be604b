package sql

import (
	"strings"

	"github.com/pingcap/tidb/pkg/parser/ast"

	"github.com/streamsql/streamsql/expr"
	"github.com/streamsql/streamsql/plan"
	"github.com/streamsql/streamsql/types"
)

// assignable reports whether a value of type from may be stored in a
// column of type to by an implicit cast (INSERT): numbers convert among
// themselves, strings convert to and from anything, DATE and TIMESTAMP
// convert to each other, BOOLEAN and numbers convert to each other.
func assignable(from, to types.Type) bool {
	if from.Kind == types.KindNull || from.Kind == to.Kind || to.Kind == types.KindString || from.Kind == types.KindString {
		return expr.CanCast(from, to)
	}
	num := func(t types.Type) bool { return t.IsNumeric() || t.Kind == types.KindBool }
	if num(from) && num(to) {
		return true
	}
	return (from.Kind == types.KindDate && to.Kind == types.KindTimestamp) || (from.Kind == types.KindTimestamp && to.Kind == types.KindDate)
}

func (cx *compiler) compileInsert() (Stmt, error) {
	st, err := cx.parseQuery()
	if err != nil {
		return nil, err
	}
	ins, ok := st.(*ast.InsertStmt)
	if !ok {
		return nil, cx.p.errAt(ErrSyntax, 0, "malformed INSERT", "")
	}
	switch {
	case ins.Setlist:
		return nil, cx.p.errAt(ErrUnsupported, cx.findWord("SET", 0), "INSERT ... SET is not supported", "use INSERT INTO t (cols) VALUES (...)")
	case len(ins.OnDuplicate) > 0:
		return nil, cx.p.errAt(ErrUnsupported, cx.findWord("DUPLICATE", 0), "ON DUPLICATE KEY UPDATE is not supported", "a table with a PRIMARY KEY applies upserts")
	}
	var tn *ast.TableName
	if ins.Table != nil && ins.Table.TableRefs != nil {
		if ts, ok := ins.Table.TableRefs.Left.(*ast.TableSource); ok {
			tn, _ = ts.Source.(*ast.TableName)
		}
	}
	if tn == nil {
		return nil, cx.p.errAt(ErrSyntax, 0, "INSERT needs a table name", "")
	}
	name := tn.Name.O
	at := cx.tableRefOffset(name)
	tbl := cx.cat.Table(name)
	if tbl == nil {
		if cx.cat.View(name) != nil {
			return nil, cx.p.errAt(ErrInvalid, at, "cannot INSERT into view '"+name+"'", "insert into a table")
		}
		return nil, cx.p.errAt(ErrUnknownTable, at, "unknown table '"+name+"'", cx.tableHint(name))
	}
	if ins.IsReplace && !tbl.IsMemory() {
		return nil, cx.p.errAt(ErrUnsupported, at, "REPLACE works only on in-memory tables; '"+tbl.Name+"' has a connector",
			"use INSERT INTO; a table with a PRIMARY KEY applies upserts")
	}
	phys := tbl.PhysicalColumns()
	// target[i] is the physical column that the i-th value fills
	var target []int
	if len(ins.Columns) > 0 {
		seen := map[int]bool{}
		for _, c := range ins.Columns {
			cn := c.Name.O
			coff := cx.findWord(cn, at)
			if tbl.ProctimeColumn >= 0 && strings.EqualFold(tbl.Columns[tbl.ProctimeColumn].Name, cn) {
				return nil, cx.p.errAt(ErrInvalid, coff, "cannot insert into PROCTIME column '"+cn+"'", "it is computed when rows are read")
			}
			k := phys.Index(cn)
			if k < 0 {
				return nil, cx.p.errAt(ErrUnknownColumn, coff, "unknown column '"+cn+"' in table '"+tbl.Name+"'", columnHint(cn, phys.Names()))
			}
			if seen[k] {
				return nil, cx.p.errAt(ErrDuplicate, coff, "column '"+cn+"' is listed twice", "")
			}
			seen[k] = true
			target = append(target, k)
		}
		for k, c := range phys {
			if !seen[k] && c.Type.NotNull {
				return nil, cx.p.errAt(ErrInvalid, at, "column '"+c.Name+"' is NOT NULL and needs a value", "add it to the column list")
			}
		}
	} else {
		for k := range phys {
			target = append(target, k)
		}
	}
	var query plan.Node
	if ins.Lists != nil {
		v := &plan.Values{Columns: phys}
		for _, row := range ins.Lists {
			if len(row) != len(target) {
				o := 0
				if len(row) > 0 {
					o = off(row[0])
				}
				return nil, cx.p.errAt(ErrInvalid, o, "INSERT has "+itoa(len(row))+" values for "+itoa(len(target))+" columns of '"+tbl.Name+"'", "")
			}
			out := make([]expr.Expr, len(phys))
			for i, n := range row {
				e, err := cx.bindExpr(n, &ectx{sc: &scope{}, clause: "VALUES"})
				if err != nil {
					return nil, err
				}
				k := target[i]
				if out[k], err = cx.assign(e, phys[k], off(n)); err != nil {
					return nil, err
				}
			}
			for k := range out {
				if out[k] == nil {
					out[k] = expr.NullLiteral(phys[k].Type)
				}
			}
			v.Rows = append(v.Rows, out)
		}
		query = v
	} else {
		q, cols, _, err := cx.bindTop(ins.Select, false)
		if err != nil {
			return nil, err
		}
		if len(cols) != len(target) {
			return nil, cx.p.errAt(ErrInvalid, cx.selectOffset(0), "the query returns "+itoa(len(cols))+" columns but '"+tbl.Name+"' takes "+itoa(len(target)),
				"select one value per target column: "+strings.Join(targetNames(phys, target), ", "))
		}
		p := &plan.Project{Input: q, Exprs: make([]expr.Expr, len(phys)), Names: phys.Names()}
		for i, c := range cols {
			k := target[i]
			e, err := cx.assign(&expr.Col{Index: i, Name: c.name, T: c.typ}, phys[k], cx.selectOffset(0))
			if err != nil {
				return nil, err
			}
			p.Exprs[k] = e
		}
		for k := range p.Exprs {
			if p.Exprs[k] == nil {
				p.Exprs[k] = expr.NullLiteral(phys[k].Type)
			}
		}
		query = p
		if identity(p) {
			query = q
		}
	}
	return &Insert{At: At{P: cx.p}, Table: tbl, Query: query, Replace: ins.IsReplace}, nil
}

func targetNames(s types.Schema, idx []int) []string {
	var out []string
	for _, i := range idx {
		out = append(out, s[i].Name)
	}
	return out
}

// identity reports whether a projection passes its input through unchanged.
func identity(p *plan.Project) bool {
	in := p.Input.Schema()
	if len(in) != len(p.Exprs) {
		return false
	}
	for i, e := range p.Exprs {
		c, ok := e.(*expr.Col)
		if !ok || c.Index != i || in[i].Type != c.T || in[i].Name != p.Names[i] {
			return false
		}
	}
	return true
}

// assign converts a value for a target column (implicit cast).
func (cx *compiler) assign(e expr.Expr, col types.Column, at int) (expr.Expr, error) {
	from, to := e.Type(), col.Type
	if from.Kind == types.KindNull {
		if to.NotNull {
			if _, isLit := e.(*expr.Literal); isLit {
				return nil, cx.p.errAt(ErrInvalid, at, "column '"+col.Name+"' is NOT NULL", "")
			}
		}
		if _, isLit := e.(*expr.Literal); isLit {
			return expr.NullLiteral(to), nil
		}
		return &expr.Cast{X: e, T: to.Nullable()}, nil
	}
	if from.Nullable() == to.Nullable() {
		return e, nil
	}
	if !assignable(from, to) {
		return nil, cx.p.errAt(ErrType, at, "cannot store "+from.Nullable().String()+" in column '"+col.Name+"' of type "+to.Nullable().String(),
			"CAST the value to "+to.Nullable().String())
	}
	c, err := expr.NewCast(e, to.Nullable())
	if err != nil {
		return nil, cx.p.errAt(ErrType, at, err.Error(), "")
	}
	f, err := expr.Fold(c)
	if err != nil {
		return nil, cx.p.errAt(ErrType, at, err.Error()+" for column '"+col.Name+"'", "")
	}
	return f, nil
}
