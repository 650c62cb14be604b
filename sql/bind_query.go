package sql

import (
	"strings"

	"github.com/pingcap/tidb/pkg/parser/ast"
	driver "github.com/pingcap/tidb/pkg/parser/test_driver"

	"github.com/streamsql/streamsql/expr"
	"github.com/streamsql/streamsql/plan"
)

type orderInfo struct {
	keys   []OrderKey
	limit  int64
	hidden int // trailing columns selected only to be sorted by (Query.Hidden)
}

// compileQueryStmt compiles a top-level SELECT.
func (cx *compiler) compileQueryStmt() (Stmt, error) {
	node, _, ord, err := cx.bindQueryText(true)
	if err != nil {
		return nil, err
	}
	if len(ord.keys) > 0 {
		// On a bounded input the engine sorts the collected rows (OrderBy);
		// the plan node lets an unbounded one sort as a stream (planner).
		s := &plan.Sort{Input: node, Limit: ord.limit}
		sch := node.Schema()
		for _, k := range ord.keys {
			c := sch[k.Col]
			s.Keys = append(s.Keys, plan.SortKey{Expr: &expr.Col{Index: k.Col, Name: c.Name, T: c.Type}, Desc: k.Desc})
		}
		node = s
	}
	return &Query{At: At{P: cx.p}, Plan: node, OrderBy: ord.keys, Limit: ord.limit, Hidden: ord.hidden}, nil
}

// bindQueryText pre-parses, parses and binds cx.p.Text as a query.
func (cx *compiler) bindQueryText(top bool) (plan.Node, []column, orderInfo, error) {
	st, err := cx.parseQuery()
	if err != nil {
		return nil, nil, orderInfo{}, err
	}
	rs, ok := st.(ast.ResultSetNode)
	if !ok {
		return nil, nil, orderInfo{}, cx.p.errAt(ErrSyntax, 0, "expected a SELECT query", "")
	}
	if !top {
		return cx.bindTop(rs, top)
	}
	// ORDER BY may name expressions the select list does not have (MySQL):
	// they are selected too, after it, and hidden from the result.
	rs2, width, err := cx.sortByHidden(rs)
	if err != nil {
		return nil, nil, orderInfo{}, err
	}
	node, cols, ord, err := cx.bindTop(rs2.(ast.ResultSetNode), top)
	if err != nil || width < 0 {
		return node, cols, ord, err
	}
	ord.hidden = len(cols) - width
	return node, cols[:width], ord, nil
}

// parseQuery pre-parses and parses a query-bearing statement (SELECT, INSERT).
func (cx *compiler) parseQuery() (ast.StmtNode, error) {
	cx.notes = newNotes()
	text, perr := rewriteQuery(cx.p.Text, cx.toks, cx.notes)
	if perr != nil {
		return nil, cx.preErr(perr)
	}
	st, err := cx.parse(text)
	if err != nil {
		return nil, err
	}
	cx.usingWords = findUsingWords(st, cx.toks)
	if !fixMinus(st, cx.notes) { // preparse_minus.go
		return nil, cx.p.errAt(ErrUnsupported, 0, "MINUS is not supported in this statement", "write EXCEPT")
	}
	return liftAggregates(st), nil // bind_agg_more.go
}

// bindTop binds a query with its ORDER BY / LIMIT (allowed only when top).
func (cx *compiler) bindTop(rs ast.Node, top bool) (plan.Node, []column, orderInfo, error) {
	ord := orderInfo{limit: -1}
	var orderBy *ast.OrderByClause
	var limit *ast.Limit
	switch v := rs.(type) {
	case *ast.SelectStmt:
		orderBy, limit = v.OrderBy, v.Limit
	case *ast.SetOprStmt:
		orderBy, limit = v.OrderBy, v.Limit
	}
	var node plan.Node
	var cols []column
	var err error
	switch v := rs.(type) {
	case *ast.SelectStmt:
		node, cols, err = cx.bindSelect(v)
	case *ast.SetOprStmt:
		if v.With != nil {
			if err = cx.bindWith(v.With); err != nil {
				return nil, nil, ord, err
			}
		}
		node, cols, err = cx.bindSetOpr(v.SelectList.Selects)
	default:
		node, cols, err = cx.bindResultSet(rs)
	}
	if err != nil {
		return nil, nil, ord, err
	}
	if orderBy != nil {
		if !top {
			return nil, nil, ord, cx.p.errAt(ErrUnsupported, cx.findWord("ORDER", 0), "ORDER BY is only supported on a top-level SELECT",
				"sort the final result instead")
		}
		for _, it := range orderBy.Items {
			k, err := cx.orderKey(it, cols)
			if err != nil {
				return nil, nil, ord, err
			}
			ord.keys = append(ord.keys, OrderKey{Col: k, Desc: it.Desc})
		}
	}
	if limit != nil {
		if !top {
			return nil, nil, ord, cx.p.errAt(ErrUnsupported, cx.findWord("LIMIT", 0), "LIMIT is only supported on a top-level SELECT", "")
		}
		if limit.Offset != nil {
			return nil, nil, ord, cx.p.errAt(ErrUnsupported, off(limit.Offset), "LIMIT with an offset is not supported", "")
		}
		v, ok := limit.Count.(*driver.ValueExpr)
		if !ok || (v.Kind() != driver.KindInt64 && v.Kind() != driver.KindUint64) {
			return nil, nil, ord, cx.p.errAt(ErrInvalid, cx.findWord("LIMIT", 0), "LIMIT needs a constant row count", "")
		}
		ord.limit = int64(v.GetUint64())
		if v.Kind() == driver.KindInt64 {
			ord.limit = v.GetInt64()
		}
	}
	return node, cols, ord, nil
}

func (cx *compiler) orderKey(it *ast.ByItem, cols []column) (int, error) {
	switch v := it.Expr.(type) {
	case *ast.PositionExpr:
		if v.N < 1 || v.N > len(cols) {
			return 0, cx.p.errAt(ErrInvalid, cx.findWord("ORDER", 0), "ORDER BY position "+itoa(v.N)+" is out of range", "the query has "+itoa(len(cols))+" columns")
		}
		return v.N - 1, nil
	case *driver.ValueExpr:
		if v.Kind() == driver.KindInt64 || v.Kind() == driver.KindUint64 {
			k := int(v.GetInt64())
			if k < 1 || k > len(cols) {
				return 0, cx.p.errAt(ErrInvalid, off(v), "ORDER BY position "+itoa(k)+" is out of range", "the query has "+itoa(len(cols))+" columns")
			}
			return k - 1, nil
		}
	case *ast.ColumnNameExpr:
		for i, c := range cols {
			if strings.EqualFold(c.name, v.Name.Name.O) && (v.Name.Table.O == "" || strings.EqualFold(c.qual, v.Name.Table.O) || c.qual == "") {
				return i, nil
			}
		}
		var names []string
		for _, c := range cols {
			names = append(names, c.name)
		}
		return 0, cx.p.errAt(ErrUnknownColumn, off(v), "ORDER BY column '"+v.Name.Name.O+"' is not in the select list", columnHint(v.Name.Name.O, names))
	}
	// an expression: match a select item's text
	return 0, cx.p.errAt(ErrUnsupported, off(it.Expr), "ORDER BY must name an output column (by name, alias or position)", "select the expression with an alias and order by the alias")
}

// bindResultSet binds a SELECT or a set operation (without top-level ORDER BY / LIMIT handling).
func (cx *compiler) bindResultSet(n ast.Node) (plan.Node, []column, error) {
	switch v := n.(type) {
	case *ast.SelectStmt:
		if v.OrderBy != nil || v.Limit != nil {
			return cx.nestedSort(v)
		}
		return cx.bindSelect(v)
	case *ast.SetOprStmt:
		if v.OrderBy != nil || v.Limit != nil {
			return cx.nestedSort(v)
		}
		if v.With != nil {
			if err := cx.bindWith(v.With); err != nil {
				return nil, nil, err
			}
		}
		return cx.bindSetOpr(v.SelectList.Selects)
	case *ast.SetOprSelectList:
		if v.OrderBy != nil || v.Limit != nil {
			return cx.nestedOrder(v.OrderBy, v.Limit)
		}
		return cx.bindSetOpr(v.Selects)
	}
	return nil, nil, cx.p.errAt(ErrUnsupported, off(n), "unsupported query form", "")
}

// nestedSort binds a subquery or derived table with ORDER BY / LIMIT:
// ORDER BY ... LIMIT n keeps the first n rows in that order (a Top-N,
// plan.Sort with Nested; over a changelog or an unbounded input its
// result is a changelog); ORDER BY alone orders nothing a query above can
// see, and is ignored (as MySQL ignores it); LIMIT alone is refused (which
// rows it keeps is not defined).
func (cx *compiler) nestedSort(rs ast.Node) (plan.Node, []column, error) {
	rs, width, err := cx.sortByHidden(rs)
	if err != nil {
		return nil, nil, err
	}
	node, cols, ord, err := cx.bindTop(rs, true)
	if err != nil {
		return nil, nil, err
	}
	if width < 0 {
		width = len(cols)
	}
	if ord.limit >= 0 && len(ord.keys) == 0 {
		return nil, nil, cx.p.errAt(ErrUnsupported, cx.findWord("LIMIT", 0), "LIMIT without ORDER BY is only supported on a top-level SELECT",
			"add ORDER BY: which rows a subquery's LIMIT keeps must be defined")
	}
	sch := node.Schema()
	if ord.limit >= 0 {
		s := &plan.Sort{Input: node, Limit: ord.limit, Nested: true}
		for _, k := range ord.keys {
			c := sch[k.Col]
			s.Keys = append(s.Keys, plan.SortKey{Expr: &expr.Col{Index: k.Col, Name: c.Name, T: c.Type}, Desc: k.Desc})
		}
		for i := range cols {
			cols[i].proctime, cols[i].rowtime, cols[i].tvf, cols[i].tvfRole = false, false, nil, tvfNone
		}
		node = s
	}
	if width == len(cols) {
		return node, cols, nil
	}
	p := &plan.Project{Input: node}
	for i := 0; i < width; i++ {
		p.Exprs, p.Names = append(p.Exprs, &expr.Col{Index: i, Name: sch[i].Name, T: sch[i].Type}), append(p.Names, sch[i].Name)
	}
	return p, cols[:width], nil
}

// sortByHidden lets a subquery's ORDER BY name what its select list does
// not (`SELECT y FROM t ORDER BY x LIMIT 2`): each such key is selected
// too, after the select list, and ordered by position; width is the
// select list's own column count (the caller projects the extra columns
// away after sorting; -1 when nothing was added). A SELECT DISTINCT or a
// set operation is returned unchanged.
func (cx *compiler) sortByHidden(rs ast.Node) (ast.Node, int, error) {
	sel, ok := rs.(*ast.SelectStmt)
	if !ok || sel.Distinct || sel.OrderBy == nil {
		return rs, -1, nil
	}
	plain := *sel
	plain.OrderBy, plain.Limit = nil, nil
	_, cols, err := cx.bindSelect(&plain)
	if err != nil {
		return nil, 0, err
	}
	c := *sel
	c.Fields = &ast.FieldList{Fields: append([]*ast.SelectField{}, sel.Fields.Fields...)}
	c.OrderBy = &ast.OrderByClause{}
	for _, it := range sel.OrderBy.Items {
		if _, err := cx.orderKey(it, cols); err == nil {
			c.OrderBy.Items = append(c.OrderBy.Items, it)
			continue
		}
		n := len(c.Fields.Fields)
		c.Fields.Fields = append(c.Fields.Fields, &ast.SelectField{Expr: it.Expr, AsName: ast.NewCIStr("$order" + itoa(n))})
		k := *it
		k.Expr = &ast.PositionExpr{N: len(cols) + (n - len(sel.Fields.Fields)) + 1}
		c.OrderBy.Items = append(c.OrderBy.Items, &k)
	}
	if len(c.Fields.Fields) == len(sel.Fields.Fields) {
		return rs, -1, nil
	}
	return &c, len(cols), nil
}

func (cx *compiler) nestedOrder(o *ast.OrderByClause, l *ast.Limit) (plan.Node, []column, error) {
	if o != nil {
		return nil, nil, cx.p.errAt(ErrUnsupported, cx.findWord("ORDER", 0), "ORDER BY is only supported on a top-level SELECT", "")
	}
	return nil, nil, cx.p.errAt(ErrUnsupported, cx.findWord("LIMIT", 0), "LIMIT is only supported on a top-level SELECT", "")
}

// selectOffset returns the offset of the i-th SELECT keyword of the statement.
func (cx *compiler) selectOffset(i int) int {
	k := 0
	for _, t := range cx.toks {
		if t.is("SELECT") {
			if k == i {
				return t.start
			}
			k++
		}
	}
	return 0
}

// distinctOf removes duplicate rows: an Aggregate keyed by every column.
func distinctOf(n plan.Node) plan.Node {
	s := n.Schema()
	a := &plan.Aggregate{Input: n}
	for i, c := range s {
		a.GroupKeys = append(a.GroupKeys, &expr.Col{Index: i, Name: c.Name, T: c.Type})
		a.KeyNames = append(a.KeyNames, c.Name)
	}
	return a
}

// splitAnd flattens a conjunction.
func splitAnd(n ast.ExprNode) []ast.ExprNode {
	if n == nil {
		return nil
	}
	switch v := n.(type) {
	case *ast.BinaryOperationExpr:
		if v.Op.String() == "and" {
			return append(splitAnd(v.L), splitAnd(v.R)...)
		}
	case *ast.ParenthesesExpr:
		if b, ok := v.Expr.(*ast.BinaryOperationExpr); ok && b.Op.String() == "and" {
			return splitAnd(v.Expr)
		}
	}
	return []ast.ExprNode{n}
}

// aggFinder reports whether an AST contains an aggregate call.
type aggFinder struct{ found bool }

func (f *aggFinder) Enter(n ast.Node) (ast.Node, bool) {
	switch n.(type) {
	case *ast.AggregateFuncExpr:
		f.found = true
		return n, true
	case *ast.SubqueryExpr, *ast.SelectStmt:
		return n, true
	}
	return n, false
}
func (f *aggFinder) Leave(n ast.Node) (ast.Node, bool) { return n, true }

func hasAggregate(ns ...ast.Node) bool {
	f := &aggFinder{}
	for _, n := range ns {
		if n != nil {
			n.Accept(f)
		}
	}
	return f.found
}

// fieldName names an output column: the alias, the column name, or the expression text.
func (cx *compiler) fieldName(f *ast.SelectField) string {
	if f.AsName.O != "" {
		return f.AsName.O
	}
	if cn, ok := f.Expr.(*ast.ColumnNameExpr); ok {
		if _, isIv := cx.notes.intervals[strings.ToLower(cn.Name.Name.O)]; !isIv {
			return cn.Name.Name.O
		}
	}
	t := f.Text()
	st := off(f.Expr)
	if st > 0 && st+len(t) <= len(cx.p.Text) && len(t) > 0 && len(cx.text) == len(cx.p.Text) {
		// extend over the padding the pre-parse layer left in place of longer text
		end := st + len(t)
		for end < len(cx.text) && isBlank(cx.text[end]) {
			end++
		}
		for end > st+len(t) && isBlank(cx.p.Text[end-1]) {
			end--
		}
		return strings.TrimSpace(cx.p.Text[st:end])
	}
	return t
}

// bindSelect binds one SELECT block.
func (cx *compiler) bindSelect(sel *ast.SelectStmt) (plan.Node, []column, error) {
	if sel.With != nil {
		if err := cx.bindWith(sel.With); err != nil {
			return nil, nil, err
		}
	}
	if sel.Kind == ast.SelectStmtKindValues || sel.Kind == ast.SelectStmtKindTable {
		return nil, nil, cx.p.errAt(ErrUnsupported, 0, "this query form is not supported", "use SELECT")
	}
	if node, cols, ok, err := cx.bindGroupBySubqueries(sel); ok || err != nil { // bind_group_subquery.go
		return node, cols, err
	}
	if needsAggSplit(sel) {
		return cx.bindAggSplit(sel) // bind_agg_subquery.go
	}
	overAgg := hasOverAggregate(sel) // bind_over.go
	if sel.WindowSpecs != nil && !overAgg {
		return nil, nil, cx.p.errAt(ErrUnsupported, cx.findWord("WINDOW", 0), "named windows are only supported for OVER aggregates", "")
	}
	where := splitAnd(sel.Where)
	var in plan.Node
	var sc *scope
	var err error
	if sel.From == nil {
		in, sc = &plan.Values{Rows: [][]expr.Expr{{}}}, &scope{}
	} else {
		if in, sc, err = cx.bindFrom(sel.From.TableRefs, &where); err != nil {
			return nil, nil, err
		}
		if in, where, err = cx.bindSemiJoins(in, sc, where); err != nil { // bind_subquery.go
			return nil, nil, err
		}
	}
	var having ast.ExprNode
	if sel.Having != nil {
		having = sel.Having.Expr
	}
	fieldNodes := []ast.Node{}
	for _, f := range sel.Fields.Fields {
		if f.Expr != nil {
			fieldNodes = append(fieldNodes, f.Expr)
		}
	}
	// Subqueries in expressions are joined into the input after the
	// plain WHERE conditions, before their own (bind_expr_subquery.go).
	var plainWhere, subqWhere []ast.ExprNode
	for _, c := range where {
		if len(findSubqueries(c)) > 0 {
			subqWhere = append(subqWhere, c)
		} else {
			plainWhere = append(plainWhere, c)
		}
	}
	aggregating := overAgg || sel.GroupBy != nil || hasAggregate(append(fieldNodes, having)...)
	if len(plainWhere) > 0 {
		cond, err := cx.bindCond(plainWhere, &ectx{sc: sc, clause: "WHERE"})
		if err != nil {
			return nil, nil, err
		}
		in = &plan.Filter{Input: in, Cond: cond}
	}
	nodes := []ast.Node{}
	for _, c := range subqWhere {
		nodes = append(nodes, c)
	}
	if !aggregating {
		nodes = append(nodes, fieldNodes...)
	} else {
		// A subquery inside an aggregate's argument is a value per input
		// row (bind_agg_subquery.go).
		nodes = append(nodes, aggArgs(append(fieldNodes, having)...)...)
	}
	if in, sc, err = cx.bindExprSubqueries(in, sc, nodes); err != nil {
		return nil, nil, err
	}
	if len(subqWhere) > 0 {
		cond, err := cx.bindCond(subqWhere, &ectx{sc: sc, clause: "WHERE"})
		if err != nil {
			return nil, nil, err
		}
		in = &plan.Filter{Input: in, Cond: cond}
	}
	var node plan.Node
	var cols []column
	if overAgg {
		node, cols, err = cx.bindOverSelect(sel, in, sc)
	} else if aggregating {
		node, cols, err = cx.bindAggregate(sel, in, sc, having)
	} else {
		if having != nil {
			return nil, nil, cx.p.errAt(ErrUnsupported, off(having), "HAVING without GROUP BY or aggregates is not supported", "use WHERE")
		}
		node, cols, err = cx.bindProjection(sel, in, sc)
	}
	if err != nil {
		return nil, nil, err
	}
	if sel.Distinct {
		node = distinctOf(node)
		for i := range cols {
			cols[i].proctime, cols[i].rowtime, cols[i].tvf, cols[i].tvfRole = false, false, nil, tvfNone
		}
	}
	return node, cols, nil
}

// bindCond binds and ANDs boolean conditions.
func (cx *compiler) bindCond(conds []ast.ExprNode, x *ectx) (expr.Expr, error) {
	var out expr.Expr
	for _, c := range conds {
		e, err := cx.bindExpr(c, x)
		if err != nil {
			return nil, err
		}
		b, err := expr.AsBool(e)
		if err != nil {
			return nil, cx.p.errAt(ErrType, off(c), x.clause+" condition must be BOOLEAN, not "+e.Type().Nullable().String(), "")
		}
		if out == nil {
			out = b
		} else {
			out, _ = expr.NewAnd(out, b)
		}
	}
	return out, nil
}

// expandWildcard lists the scope columns a `*` or `t.*` stands for.
func (cx *compiler) expandWildcard(f *ast.SelectField, sc *scope) ([]int, error) {
	q := f.WildCard.Table.O
	var idx []int
	for i, c := range sc.cols {
		if !c.carried && (q == "" && c.unqualified() || q != "" && !c.hidden && !c.system && strings.EqualFold(c.qual, q)) {
			idx = append(idx, i)
		}
	}
	if q != "" && !sc.hasQual(q) {
		return nil, cx.p.errAt(ErrUnknownTable, cx.findWord(q, f.Offset), "unknown table '"+q+"' in "+q+".*", "tables in scope: "+strings.Join(sc.quals, ", "))
	}
	if len(idx) == 0 && q == "" {
		return nil, cx.p.errAt(ErrInvalid, f.Offset, "SELECT * needs a FROM clause", "")
	}
	return idx, nil
}

func (cx *compiler) bindProjection(sel *ast.SelectStmt, in plan.Node, sc *scope) (plan.Node, []column, error) {
	p := &plan.Project{Input: in}
	var cols []column
	var rank *plan.Rank
	for _, f := range sel.Fields.Fields {
		if wf, ok := f.Expr.(*ast.WindowFuncExpr); ok {
			if rank != nil {
				return nil, nil, cx.p.errAt(ErrUnsupported, off(wf), "only one ROW_NUMBER() per SELECT is supported", "")
			}
			r, err := cx.bindRowNumber(wf, in, sc, cx.fieldName(f))
			if err != nil {
				return nil, nil, err
			}
			rank = r
			p.Input = r
			e := &expr.Col{Index: len(sc.cols), Name: r.Name, T: r.Schema()[len(sc.cols)].Type}
			p.Exprs = append(p.Exprs, e)
			p.Names = append(p.Names, r.Name)
			cols = append(cols, column{name: r.Name, typ: e.T})
			continue
		}
		if f.WildCard != nil {
			idx, err := cx.expandWildcard(f, sc)
			if err != nil {
				return nil, nil, err
			}
			for _, i := range idx {
				c := sc.cols[i]
				p.Exprs = append(p.Exprs, &expr.Col{Index: i, Name: c.name, T: c.typ})
				p.Names = append(p.Names, c.name)
				cols = append(cols, column{name: c.name, typ: c.typ, proctime: c.proctime, rowtime: c.rowtime, tvf: c.tvf, tvfRole: c.tvfRole})
			}
			continue
		}
		e, err := cx.bindExpr(f.Expr, &ectx{sc: sc, clause: "the select list"})
		if err != nil {
			return nil, nil, err
		}
		name := cx.fieldName(f)
		col := column{name: name, typ: e.Type()}
		if c, ok := e.(*expr.Col); ok {
			col.proctime, col.rowtime = sc.cols[c.Index].proctime, sc.cols[c.Index].rowtime
			col.tvf, col.tvfRole = sc.cols[c.Index].tvf, sc.cols[c.Index].tvfRole
		}
		col.proctime = col.proctime || isProctimeCall(f.Expr) // SELECT ..., PROCTIME() AS pt
		p.Exprs = append(p.Exprs, e)
		p.Names = append(p.Names, name)
		cols = append(cols, col)
	}
	return p, cols, nil
}

// bindRowNumber binds ROW_NUMBER() OVER (PARTITION BY ... ORDER BY ...)
// over in (scope sc) as a Rank node named name.
func (cx *compiler) bindRowNumber(wf *ast.WindowFuncExpr, in plan.Node, sc *scope, name string) (*plan.Rank, error) {
	fn := strings.ToUpper(wf.Name)
	if fn != "ROW_NUMBER" {
		return nil, cx.p.errAt(ErrUnsupported, off(wf), fn+"() OVER is not supported",
			"OVER takes ROW_NUMBER() (filtered by an outer query: Top-N) and the aggregates COUNT, SUM, MIN, MAX, AVG, STDDEV_POP/SAMP, VAR_POP/SAMP, FIRST_VALUE and LAST_VALUE over a time-ordered window")
	}
	spec := wf.Spec
	if spec.Name.O != "" || spec.Ref.O != "" {
		return nil, cx.p.errAt(ErrUnsupported, off(wf), "named windows (OVER w) are not supported", "write the window inline: OVER (PARTITION BY ... ORDER BY ...)")
	}
	if spec.Frame != nil {
		return nil, cx.p.errAt(ErrUnsupported, off(wf), "ROW_NUMBER() takes no frame (ROWS/RANGE)", "remove the frame clause")
	}
	if spec.OrderBy == nil || len(spec.OrderBy.Items) == 0 {
		return nil, cx.p.errAt(ErrInvalid, off(wf), "ROW_NUMBER() OVER needs an ORDER BY", "e.g. ROW_NUMBER() OVER (PARTITION BY auction ORDER BY price DESC)")
	}
	r := &plan.Rank{Input: in, Name: name}
	x := &ectx{sc: sc, clause: "OVER"}
	if spec.PartitionBy != nil {
		for _, it := range spec.PartitionBy.Items {
			e, err := cx.bindExpr(it.Expr, x)
			if err != nil {
				return nil, err
			}
			r.Partition = append(r.Partition, e)
		}
	}
	for _, it := range spec.OrderBy.Items {
		e, err := cx.bindExpr(it.Expr, x)
		if err != nil {
			return nil, err
		}
		r.Order = append(r.Order, plan.SortKey{Expr: e, Desc: it.Desc})
	}
	return r, nil
}

func (cx *compiler) bindAggregate(sel *ast.SelectStmt, in plan.Node, sc *scope, having ast.ExprNode) (plan.Node, []column, error) {
	ab := &aggBinder{cx: cx, in: sc}
	var tvfIn plan.Node
	if tb, newIn, w, colMap, partition := windowGroup(sel, in, sc); tb != nil { // bind_tvf.go
		ab.tvf, ab.colMap, ab.partition, tvfIn = tb, colMap, partition, newIn
		ab.win, ab.winKind, ab.winText = &w, tb.kind, tb.text
	}
	fields := sel.Fields.Fields
	if sel.GroupBy != nil {
		for _, it := range sel.GroupBy.Items {
			n := it.Expr
			if ab.deferGrouping(n) { // GROUPING SETS, ROLLUP, CUBE: bind_grouping.go
				continue
			}
			if c, ok := tvfColumn(sc, n); ok && ab.tvf != nil && c.tvf == ab.tvf {
				continue // the window itself
			}
			alias := ""
			if fc, ok := n.(*ast.FuncCallExpr); ok && windowFuncs[strings.ToUpper(fc.FnName.O)] {
				kind := strings.ToUpper(fc.FnName.O)
				if kind == "SESSWIN" {
					kind = "SESSION"
				}
				if err := ab.setWindow(fc, kind); err != nil {
					return nil, nil, err
				}
				continue
			}
			// GROUP BY 1 and GROUP BY alias (MySQL) refer to select items.
			if v, ok := n.(*ast.PositionExpr); ok {
				k := v.N
				if k < 1 || k > len(fields) || fields[k-1].Expr == nil {
					return nil, nil, cx.p.errAt(ErrInvalid, cx.findWord("GROUP", 0), "GROUP BY position "+itoa(k)+" is out of range", "")
				}
				n = fields[k-1].Expr
			} else if cn, ok := n.(*ast.ColumnNameExpr); ok && cn.Name.Table.O == "" && len(sc.lookup("", cn.Name.Name.O)) == 0 {
				for _, f := range fields {
					if f.Expr != nil && strings.EqualFold(f.AsName.O, cn.Name.Name.O) {
						n = f.Expr
						alias = f.AsName.O
						break
					}
				}
			}
			if hasAggregate(n) {
				return nil, nil, cx.p.errAt(ErrInvalid, off(n), "GROUP BY cannot contain aggregate functions", "")
			}
			e, err := cx.bindExpr(n, &ectx{sc: sc, clause: "GROUP BY"})
			if err != nil {
				return nil, nil, err
			}
			id := exprID(e)
			dup := false
			for _, k := range ab.keyIDs {
				dup = dup || k == id
			}
			if dup {
				continue
			}
			name := "EXPR$" + itoa(len(ab.keys))
			if alias != "" {
				name = alias
			}
			proc := false
			if c, ok := e.(*expr.Col); ok {
				name = c.Name
				proc = sc.cols[c.Index].proctime
			}
			ab.keys = append(ab.keys, e)
			ab.keyIDs = append(ab.keyIDs, id)
			ab.keyNames = append(ab.keyNames, name)
			ab.keyProc = append(ab.keyProc, proc)
		}
	}
	if err := ab.bindGroupingSets(sel.GroupBy, fields); err != nil {
		return nil, nil, err
	}
	x := &ectx{sc: sc, agg: ab, clause: "the select list"}
	p := &plan.Project{}
	var cols []column
	for _, f := range fields {
		if f.WildCard != nil {
			idx, err := cx.expandWildcard(f, sc)
			if err != nil {
				return nil, nil, err
			}
			for _, i := range idx {
				c := sc.cols[i]
				id := exprID(&expr.Col{Index: i, Name: c.name, T: c.typ})
				k := -1
				for j, kid := range ab.keyIDs {
					if kid == id {
						k = j
					}
				}
				if k < 0 {
					return nil, nil, cx.p.errAt(ErrNotGrouped, f.Offset, "column '"+c.name+"' (from *) is neither in GROUP BY nor inside an aggregate function",
						"list the grouped columns instead of *")
				}
				p.Exprs = append(p.Exprs, &expr.Col{Index: k, Name: ab.keyNames[k], T: ab.keys[k].Type()})
				p.Names = append(p.Names, c.name)
				cols = append(cols, column{name: c.name, typ: ab.keys[k].Type()})
			}
			continue
		}
		e, err := cx.bindExpr(f.Expr, x)
		if err != nil {
			return nil, nil, err
		}
		name := cx.fieldName(f)
		p.Exprs = append(p.Exprs, e)
		p.Names = append(p.Names, name)
		col := column{name: name, typ: e.Type()}
		if fc, ok := f.Expr.(*ast.FuncCallExpr); ok {
			if _, prop, ok := windowProperty(fc.FnName.O); ok && prop == "ROWTIME" {
				col.rowtime = true
			}
		}
		if c, ok := tvfColumn(sc, f.Expr); ok && ab.tvf != nil && c.tvf == ab.tvf && c.tvfRole == tvfTime {
			col.rowtime, col.proctime = !ab.win.Proctime, ab.win.Proctime // window_time: the output's time attribute
		}
		cols = append(cols, col)
	}
	var cond expr.Expr
	if having != nil {
		var err error
		hx := &ectx{sc: sc, agg: ab, clause: "HAVING"}
		// HAVING may name select-list aliases (MySQL).
		having = cx.substituteAliases(having, fields, sc)
		if cond, err = cx.bindCond([]ast.ExprNode{having}, hx); err != nil {
			return nil, nil, err
		}
	}
	if ab.tvf != nil {
		if err := ab.detachWindow(); err != nil {
			return nil, nil, err
		}
		in = tvfIn
	}
	expanded, err := ab.expandGroupingSets(in) // bind_grouping.go
	if err != nil {
		return nil, nil, err
	}
	in = expanded
	agg := &plan.Aggregate{Input: in, GroupKeys: ab.keys, KeyNames: ab.keyNames, Window: ab.win, Aggs: ab.aggs}
	var node plan.Node = agg
	if cond != nil {
		node = &plan.Filter{Input: node, Cond: cond}
	}
	p.Input = node
	return p, cols, nil
}

// aliasSubst replaces bare column names that are select aliases (and not
// input columns) by the aliased expressions.
type aliasSubst struct {
	fields []*ast.SelectField
	sc     *scope
}

func (a *aliasSubst) Enter(n ast.Node) (ast.Node, bool) {
	if _, ok := n.(*ast.AggregateFuncExpr); ok {
		return n, true
	}
	return n, false
}

func (a *aliasSubst) Leave(n ast.Node) (ast.Node, bool) {
	cn, ok := n.(*ast.ColumnNameExpr)
	if !ok || cn.Name.Table.O != "" || len(a.sc.lookup("", cn.Name.Name.O)) > 0 {
		return n, true
	}
	for _, f := range a.fields {
		if f.Expr != nil && f.AsName.O != "" && strings.EqualFold(f.AsName.O, cn.Name.Name.O) {
			return f.Expr, true
		}
	}
	return n, true
}

func (cx *compiler) substituteAliases(n ast.ExprNode, fields []*ast.SelectField, sc *scope) ast.ExprNode {
	out, ok := n.Accept(&aliasSubst{fields: fields, sc: sc})
	if !ok {
		return n
	}
	if e, ok := out.(ast.ExprNode); ok {
		return e
	}
	return n
}
