package sql

import (
	"slices"
	"strings"

	"github.com/pingcap/tidb/pkg/parser/ast"
	"github.com/pingcap/tidb/pkg/parser/opcode"

	"github.com/streamsql/streamsql/catalog"
	"github.com/streamsql/streamsql/expr"
	"github.com/streamsql/streamsql/plan"
	"github.com/streamsql/streamsql/types"
)

// cte is a WITH query of the statement, bound once.
type cte struct {
	node plan.Node
	cols []column
	// keepQuals: the columns keep their own qualifiers instead of taking
	// the relation's name (the outer values a correlated subquery reads,
	// bind_expr_subquery.go).
	keepQuals bool
}

const maxViewDepth = 16

// bindWith binds WITH name AS (query), ... for the rest of the statement.
func (cx *compiler) bindWith(w *ast.WithClause) error {
	if w.IsRecursive {
		return cx.p.errAt(ErrUnsupported, cx.findWord("RECURSIVE", 0), "recursive WITH is not supported", "")
	}
	for _, c := range w.CTEs {
		node, cols, err := cx.bindResultSet(c.Query.Query)
		if err != nil {
			return err
		}
		if len(c.ColNameList) > 0 {
			if len(c.ColNameList) != len(cols) {
				return cx.p.errAt(ErrInvalid, cx.findWord(c.Name.O, 0), "WITH "+c.Name.O+" names "+itoa(len(c.ColNameList))+" columns but its query returns "+itoa(len(cols)), "")
			}
			for i := range cols {
				cols[i].name = c.ColNameList[i].O
			}
			node = renamed(node, cols)
		}
		if cx.ctes == nil {
			cx.ctes = map[string]cte{}
		}
		cx.ctes[strings.ToLower(c.Name.O)] = cte{node: node, cols: cols}
	}
	return nil
}

// renamed projects node's columns under the names of cols when they differ.
func renamed(node plan.Node, cols []column) plan.Node {
	s := node.Schema()
	same := true
	for i := range s {
		same = same && s[i].Name == cols[i].name
	}
	if same {
		return node
	}
	p := &plan.Project{Input: node}
	for i, c := range s {
		p.Exprs = append(p.Exprs, &expr.Col{Index: i, Name: c.Name, T: c.Type})
		p.Names = append(p.Names, cols[i].name)
	}
	return p
}

// tableRefOffset finds a table name in the FROM clause (after FROM, JOIN or ',').
func (cx *compiler) tableRefOffset(name string) int {
	for i, t := range cx.toks {
		if i > 0 && t.isName() && strings.EqualFold(t.name(), name) {
			p := cx.toks[i-1]
			if p.is("FROM") || p.is("JOIN") || p.is(",") || p.is("INTO") || p.is(".") {
				return t.start
			}
		}
	}
	return cx.findWord(name, 0)
}

// bindFrom binds a FROM item. where holds the WHERE conjuncts: a chain of
// inner joins takes its equi-join keys from them (and removes those) and
// is joined in an order where each join has keys when it can
// (join_order.go).
func (cx *compiler) bindFrom(n ast.ResultSetNode, where *[]ast.ExprNode) (plan.Node, *scope, error) {
	switch v := n.(type) {
	case *ast.Join:
		if v.Right == nil {
			return cx.bindFrom(v.Left, where)
		}
		if tn := lookupRight(v); tn != nil {
			return cx.bindLookupJoin(v, tn, where) // FOR SYSTEM_TIME AS OF (bind_lookup.go)
		}
		if chainJoin(v) {
			return cx.bindJoinChain(v, where) // join_order.go
		}
		kind := plan.InnerJoin
		switch {
		case v.NaturalJoin || len(v.Using) > 0:
			return cx.bindUsingJoin(v, where) // bind_using.go
		case v.Tp == ast.LeftJoin || v.Tp == ast.RightJoin:
			kind = plan.LeftJoin
			if v.Tp == ast.RightJoin {
				kind = plan.RightJoin
			}
			if v.On == nil {
				return nil, nil, cx.p.errAt(ErrSyntax, cx.findWord("JOIN", 0), "an outer join needs an ON condition", "")
			}
			if kind == plan.LeftJoin && cx.writtenFull(v.On.Expr) {
				kind = plan.FullJoin
			}
		}
		l, ls, err := cx.bindFrom(v.Left, where)
		if err != nil {
			return nil, nil, err
		}
		r, rs, err := cx.bindFrom(v.Right, where)
		if err != nil {
			return nil, nil, err
		}
		sc := concatScopes(ls, rs)
		for _, q := range rs.quals {
			if q != "" && ls.hasQual(q) {
				return nil, nil, cx.p.errAt(ErrDuplicate, cx.tableRefOffset(q), "table name '"+q+"' is used twice in FROM", "give one of them an alias")
			}
		}
		var on []ast.ExprNode
		if v.On != nil {
			on = splitAnd(v.On.Expr)
		}
		if _, withSubq := splitOnSubqueries(on); len(withSubq) > 0 { // bind_on_subquery.go
			var vals []onSideValue
			if l, ls, r, rs, vals, err = cx.bindOnSideSubqueries(l, ls, r, rs, withSubq); err != nil {
				return nil, nil, err
			}
			sc = concatScopes(ls, rs)
			cx.rebaseOnSide(vals, sc, len(ls.cols))
		}
		return cx.buildJoin(kind, l, r, len(ls.cols), sc, on, v.On != nil, where, rs)
	case *ast.TableSource:
		alias := v.AsName.O
		switch src := v.Source.(type) {
		case *ast.TableName:
			return cx.bindTableName(src, alias)
		case *ast.SelectStmt, *ast.SetOprStmt:
			if sel, ok := src.(*ast.SelectStmt); ok {
				if note, data, ok := cx.tvfOf(sel); ok {
					return cx.bindTVF(note, data, alias) // bind_tvf.go
				}
			}
			node, cols, err := cx.bindResultSet(src)
			if err != nil {
				return nil, nil, err
			}
			sc := &scope{quals: []string{alias}}
			for _, c := range cols {
				c.qual = alias
				sc.cols = append(sc.cols, c)
			}
			return node, sc, nil
		}
	}
	return nil, nil, cx.p.errAt(ErrUnsupported, 0, "unsupported FROM item", "")
}

func (cx *compiler) bindTableName(tn *ast.TableName, alias string) (plan.Node, *scope, error) {
	if tn.AsOf != nil {
		return nil, nil, cx.misplacedAsOf(tn)
	}
	name := tn.Name.O
	qual := alias
	if qual == "" {
		qual = name
	}
	at := cx.tableRefOffset(name)
	if c, ok := cx.ctes[strings.ToLower(name)]; ok && tn.Schema.O == "" {
		sc := &scope{quals: []string{qual}}
		if c.keepQuals {
			sc.quals = nil
		}
		for _, col := range c.cols {
			if !c.keepQuals {
				col.qual = qual
			} else if !slices.Contains(sc.quals, col.qual) {
				sc.quals = append(sc.quals, col.qual)
			}
			sc.cols = append(sc.cols, col)
		}
		return c.node, sc, nil
	}
	if t := cx.cat.Table(name); t != nil {
		sc := &scope{quals: []string{qual}}
		for i, c := range t.Columns {
			sc.cols = append(sc.cols, column{qual: qual, name: c.Name, typ: c.Type,
				proctime: i == t.ProctimeColumn, rowtime: t.Watermark != nil && t.Watermark.Column == i})
		}
		return &plan.Scan{Table: t, Alias: alias}, sc, nil
	}
	if v := cx.cat.View(name); v != nil {
		return cx.bindView(v, qual, at)
	}
	return nil, nil, cx.p.errAt(ErrUnknownTable, at, "unknown table '"+name+"'", cx.tableHint(name))
}

// bindView re-binds a view's stored query and uses its plan inline.
func (cx *compiler) bindView(v *catalog.View, qual string, at int) (plan.Node, *scope, error) {
	if cx.depth >= maxViewDepth {
		return nil, nil, cx.p.errAt(ErrInvalid, at, "views nest too deeply (does view '"+v.Name+"' refer to itself?)", "")
	}
	line, col := cx.p.position(at)
	sub := Piece{Text: v.Query, Index: cx.p.Index, Line: line, Col: col, Offset: cx.p.Offset + at}
	q := &compiler{p: sub, cat: cx.cat, toks: lex(v.Query), depth: cx.depth + 1}
	node, cols, _, err := q.bindQueryText(false)
	if err != nil {
		return nil, nil, cx.p.errAt(ErrInvalid, at, "view '"+v.Name+"' no longer binds: "+errMsg(err), "recreate the view")
	}
	if len(v.Columns) == len(cols) {
		for i := range cols {
			cols[i].name = v.Columns[i].Name
		}
		node = renamed(node, cols)
	}
	sc := &scope{quals: []string{qual}}
	for _, c := range cols {
		c.qual = qual
		sc.cols = append(sc.cols, c)
	}
	return node, sc, nil
}

// buildJoin makes a join: equalities between one side's and the other
// side's columns become keys; the other ON conditions the residual. An
// inner join without keys is a nested-loop join (the planner keeps all
// rows of both sides in one subtask); an outer one needs a key.
func (cx *compiler) buildJoin(kind plan.JoinKind, l, r plan.Node, nl int, sc *scope, on []ast.ExprNode, hasOn bool, where *[]ast.ExprNode, rs *scope) (plan.Node, *scope, error) {
	j := &plan.Join{Kind: kind, Left: l, Right: r}
	shift := func(e expr.Expr) expr.Expr {
		return expr.MapColumns(e, func(c *expr.Col) expr.Expr {
			return &expr.Col{Index: c.Index - nl, Name: c.Name, T: c.T}
		})
	}
	tryKey := func(n ast.ExprNode, quiet bool) (bool, error) {
		b, ok := n.(*ast.BinaryOperationExpr)
		if !ok || b.Op != opcode.EQ {
			return false, nil
		}
		x := &ectx{sc: sc, clause: "ON", quiet: quiet}
		le, err := cx.bindExpr(b.L, x)
		if err != nil {
			return false, err
		}
		re, err := cx.bindExpr(b.R, x)
		if err != nil {
			return false, err
		}
		ls, rsd := expr.Sides(le, nl), expr.Sides(re, nl)
		switch {
		case ls == 1 && rsd == 2:
		case ls == 2 && rsd == 1:
			le, re = re, le
		default:
			return false, nil
		}
		if kl, kr, kerr := expr.KeyTypes(le, re); kerr != nil { // a string meets a number as DOUBLE (MySQL)
			return false, cx.p.errAt(ErrType, off(b), "cannot join "+le.Type().Nullable().String()+" with "+re.Type().Nullable().String(), "CAST one side")
		} else {
			le, re = kl, kr
		}
		j.LeftKeys = append(j.LeftKeys, le)
		j.RightKeys = append(j.RightKeys, shift(re))
		return true, nil
	}
	var residual []ast.ExprNode
	for _, c := range on {
		ok, err := tryKey(c, false)
		if err != nil {
			return nil, nil, err
		}
		if !ok {
			residual = append(residual, c)
		}
	}
	if !hasOn && where != nil {
		rest := (*where)[:0:0]
		for _, c := range *where {
			ok, err := tryKey(c, true)
			if err != nil || !ok {
				rest = append(rest, c)
			}
		}
		*where = rest
	}
	if len(residual) > 0 {
		cond, err := cx.bindCond(residual, &ectx{sc: sc, clause: "ON"})
		if err != nil {
			return nil, nil, err
		}
		j.Residual = cond
	}
	// The columns of a side an outer join pads are nullable.
	for i := range sc.cols {
		if (i < nl && kind.Preserves(1)) || (i >= nl && kind.Preserves(0)) {
			sc.cols[i].typ = sc.cols[i].typ.Nullable()
		}
	}
	return j, sc, nil
}

// writtenFull reports whether the LEFT join whose ON condition is on was
// written FULL [OUTER] JOIN in the original text (the pre-parse layer
// rewrites FULL to LEFT, which the grammar knows): the nearest JOIN before
// the ON, skipping parenthesised groups, is preceded by FULL [OUTER].
func (cx *compiler) writtenFull(on ast.ExprNode) bool {
	at := off(on)
	i := len(cx.toks)
	for i > 0 && cx.toks[i-1].start >= at {
		i--
	}
	return joinBeforeIsFull(cx.toks, i)
}

var _ = types.Null
