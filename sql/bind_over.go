package sql

import (
	"strconv"
	"strings"

	"github.com/pingcap/tidb/pkg/parser/ast"
	driver "github.com/pingcap/tidb/pkg/parser/test_driver"

	"github.com/streamsql/streamsql/expr"
	"github.com/streamsql/streamsql/plan"
	"github.com/streamsql/streamsql/types"
)

// OVER aggregation (Flink's over-agg): agg(x) OVER (PARTITION BY ... ORDER
// BY time_attr [frame]) and agg(x) OVER w with WINDOW w AS (...), in the
// select list of a SELECT without GROUP BY. bindSelect calls bindOverSelect
// when hasOverAggregate finds such a call; it binds every call into one
// plan.Over above the FROM clause, then binds the select list with each
// call replaced by a reference to its column of the Over node.

// overAggMsg is Flink's message for OVER calls over different windows.
const overAggMsg = "Over Agg: Unsupported use of OVER windows. All aggregates must be computed on the same window. please re-check the over window statement."

// overCallFinder collects the aggregate OVER calls of a select list, in
// text order (not descending into subqueries).
type overCallFinder struct{ calls []*ast.WindowFuncExpr }

func (f *overCallFinder) Enter(n ast.Node) (ast.Node, bool) {
	switch v := n.(type) {
	case *ast.WindowFuncExpr:
		if isOverAggName(v.Name) {
			f.calls = append(f.calls, v)
		}
		return n, true
	case *ast.SubqueryExpr, *ast.SelectStmt:
		return n, true
	}
	return n, false
}
func (f *overCallFinder) Leave(n ast.Node) (ast.Node, bool) { return n, true }

// overCalls returns the aggregate OVER calls of sel's select list.
func overCalls(sel *ast.SelectStmt) []*ast.WindowFuncExpr {
	f := &overCallFinder{}
	for _, fld := range sel.Fields.Fields {
		if fld.Expr != nil {
			fld.Expr.Accept(f)
		}
	}
	return f.calls
}

// hasOverAggregate reports whether sel's select list has an aggregate
// OVER call (SUM(x) OVER w; ROW_NUMBER() is a Top-N, not one).
func hasOverAggregate(sel *ast.SelectStmt) bool { return len(overCalls(sel)) > 0 }

// overRefs replaces each OVER call by a reference to its column.
type overRefs struct {
	cols map[*ast.WindowFuncExpr]string
}

func (r *overRefs) Enter(n ast.Node) (ast.Node, bool) {
	switch n.(type) {
	case *ast.WindowFuncExpr, *ast.SubqueryExpr, *ast.SelectStmt:
		return n, true
	}
	return n, false
}

func (r *overRefs) Leave(n ast.Node) (ast.Node, bool) {
	wf, ok := n.(*ast.WindowFuncExpr)
	if !ok {
		return n, true
	}
	name, ok := r.cols[wf]
	if !ok {
		return n, true
	}
	cn := &ast.ColumnNameExpr{Name: &ast.ColumnName{Name: ast.NewCIStr(name)}}
	cn.SetOriginTextPosition(off(wf))
	return cn, true
}

// overWindow is one bound OVER window: its partition, time attribute and
// frame.
type overWindow struct {
	partition   []expr.Expr
	partIDs     []string
	timeCol     int
	proctime    bool
	frame       plan.OverFrame
	partitionAt int // offsets for messages
}

// bindOverSelect binds a SELECT whose select list has OVER aggregates over
// in (scope sc).
func (cx *compiler) bindOverSelect(sel *ast.SelectStmt, in plan.Node, sc *scope) (plan.Node, []column, error) {
	if sel.GroupBy != nil || sel.Having != nil {
		at := cx.findWord("GROUP", 0)
		if sel.GroupBy == nil {
			at = off(sel.Having.Expr)
		}
		return nil, nil, cx.p.errAt(ErrUnsupported, at, "OVER aggregates with GROUP BY or HAVING are not supported",
			"aggregate in a subquery and apply the OVER aggregate in the outer query")
	}
	named := map[string]*ast.WindowSpec{}
	for i := range sel.WindowSpecs {
		ws := &sel.WindowSpecs[i]
		key := strings.ToLower(ws.Name.O)
		if _, dup := named[key]; dup {
			return nil, nil, cx.p.errAt(ErrInvalid, cx.findWord(ws.Name.O, 0), "window '"+ws.Name.O+"' is defined twice", "")
		}
		named[key] = ws
	}
	calls := overCalls(sel)
	for _, fld := range sel.Fields.Fields {
		if wf, ok := fld.Expr.(*ast.WindowFuncExpr); ok {
			if !isOverAggName(wf.Name) {
				return nil, nil, cx.p.errAt(ErrUnsupported, off(wf), strings.ToUpper(wf.Name)+"() OVER cannot be combined with OVER aggregates in one SELECT",
					"compute the aggregates in a subquery and the row number in an outer query")
			}
		}
	}
	node := &plan.Over{Input: in, TimeCol: -1}
	var first *overWindow
	cols := map[*ast.WindowFuncExpr]string{}
	ext := &scope{cols: append([]column{}, sc.cols...), quals: sc.quals}
	for i, wf := range calls {
		spec, err := cx.resolveWindowSpec(wf, named)
		if err != nil {
			return nil, nil, err
		}
		w, err := cx.bindOverWindow(wf, spec, sc)
		if err != nil {
			return nil, nil, err
		}
		if first == nil {
			first = w
			node.Partition, node.TimeCol, node.Proctime = w.partition, w.timeCol, w.proctime
		} else if !sameStrings(first.partIDs, w.partIDs) || first.timeCol != w.timeCol {
			return nil, nil, cx.p.errAt(ErrUnsupported, off(wf), overAggMsg,
				"every OVER aggregate of a SELECT needs the same PARTITION BY and ORDER BY (frames may differ)")
		}
		frame := -1
		for j, f := range node.Frames {
			if f == w.frame {
				frame = j
			}
		}
		if frame < 0 {
			frame = len(node.Frames)
			node.Frames = append(node.Frames, w.frame)
		}
		call, err := cx.bindOverCall(wf, sc)
		if err != nil {
			return nil, nil, err
		}
		node.Calls = append(node.Calls, plan.OverCall{AggCall: call, Frame: frame})
		name := "$over" + strconv.Itoa(i)
		cols[wf] = name
		ext.cols = append(ext.cols, column{qual: "$over", name: name, typ: call.Type})
	}
	// Name the columns before their calls become column references. The
	// select list is restored afterwards, so that the AST binds again the
	// same way.
	type saved struct {
		expr ast.ExprNode
		as   ast.CIStr
	}
	orig := make([]saved, len(sel.Fields.Fields))
	for i, fld := range sel.Fields.Fields {
		orig[i] = saved{fld.Expr, fld.AsName}
	}
	defer func() {
		for i, fld := range sel.Fields.Fields {
			fld.Expr, fld.AsName = orig[i].expr, orig[i].as
		}
	}()
	for _, fld := range sel.Fields.Fields {
		if fld.Expr != nil && fld.AsName.O == "" {
			if _, isCol := fld.Expr.(*ast.ColumnNameExpr); !isCol {
				fld.AsName = ast.NewCIStr(cx.fieldName(fld))
			}
		}
	}
	r := &overRefs{cols: cols}
	for _, fld := range sel.Fields.Fields {
		if fld.Expr != nil {
			if out, ok := fld.Expr.Accept(r); ok {
				fld.Expr = out.(ast.ExprNode)
			}
		}
	}
	return cx.bindOverProjection(sel, node, ext, len(sc.cols))
}

// bindOverProjection binds the select list over the Over node (scope ext:
// the input's columns, then the calls'; `*` stands for the input's only).
func (cx *compiler) bindOverProjection(sel *ast.SelectStmt, node *plan.Over, ext *scope, width int) (plan.Node, []column, error) {
	p := &plan.Project{Input: node}
	var cols []column
	for _, f := range sel.Fields.Fields {
		if f.WildCard != nil {
			idx, err := cx.expandWildcard(f, &scope{cols: ext.cols[:width], quals: ext.quals})
			if err != nil {
				return nil, nil, err
			}
			for _, i := range idx {
				c := ext.cols[i]
				p.Exprs = append(p.Exprs, &expr.Col{Index: i, Name: c.name, T: c.typ})
				p.Names = append(p.Names, c.name)
				cols = append(cols, column{name: c.name, typ: c.typ, proctime: c.proctime, rowtime: c.rowtime})
			}
			continue
		}
		e, err := cx.bindExpr(f.Expr, &ectx{sc: ext, clause: "the select list"})
		if err != nil {
			return nil, nil, err
		}
		e = expr.MapColumns(e, func(c *expr.Col) expr.Expr {
			if c.Index < width {
				return c
			}
			return &expr.Col{Index: c.Index, Name: node.Calls[c.Index-width].Name, T: c.T}
		})
		name := cx.fieldName(f)
		col := column{name: name, typ: e.Type()}
		if c, ok := e.(*expr.Col); ok && c.Index < width {
			col.proctime, col.rowtime = ext.cols[c.Index].proctime, ext.cols[c.Index].rowtime
		}
		p.Exprs = append(p.Exprs, e)
		p.Names = append(p.Names, name)
		cols = append(cols, col)
	}
	return p, cols, nil
}

// resolveWindowSpec returns the window of an OVER call: its inline
// specification, or the named window it refers to (OVER w), or a named
// window refined inline (OVER (w ROWS 2 PRECEDING)).
func (cx *compiler) resolveWindowSpec(wf *ast.WindowFuncExpr, named map[string]*ast.WindowSpec) (ast.WindowSpec, error) {
	spec := wf.Spec
	ref := spec.Ref.O
	if spec.OnlyAlias || (ref == "" && spec.Name.O != "") {
		ref = spec.Name.O
	}
	if ref == "" {
		return spec, nil
	}
	base, ok := named[strings.ToLower(ref)]
	if !ok {
		var names []string
		for _, w := range named {
			names = append(names, w.Name.O)
		}
		hint := "define it with WINDOW " + ref + " AS (PARTITION BY ... ORDER BY ...) after FROM/WHERE"
		if len(names) > 0 {
			hint = "windows defined: " + strings.Join(names, ", ")
		}
		return spec, cx.p.errAt(ErrInvalid, off(wf), "window '"+ref+"' is not defined", hint)
	}
	if spec.OnlyAlias || spec.Ref.O == "" {
		return *base, nil
	}
	out := *base
	if spec.PartitionBy != nil || (spec.OrderBy != nil && base.OrderBy != nil) || (spec.Frame != nil && base.Frame != nil) {
		return spec, cx.p.errAt(ErrInvalid, off(wf), "OVER ("+ref+" ...) may only add what window '"+ref+"' leaves out (ORDER BY, a frame)", "")
	}
	if spec.OrderBy != nil {
		out.OrderBy = spec.OrderBy
	}
	if spec.Frame != nil {
		out.Frame = spec.Frame
	}
	return out, nil
}

// bindOverWindow binds a window's PARTITION BY, ORDER BY (one ascending
// time attribute) and frame.
func (cx *compiler) bindOverWindow(wf *ast.WindowFuncExpr, spec ast.WindowSpec, sc *scope) (*overWindow, error) {
	w := &overWindow{timeCol: -1}
	x := &ectx{sc: sc, clause: "OVER"}
	if spec.PartitionBy != nil {
		for _, it := range spec.PartitionBy.Items {
			e, err := cx.bindExpr(it.Expr, x)
			if err != nil {
				return nil, err
			}
			w.partition = append(w.partition, e)
			w.partIDs = append(w.partIDs, exprID(e))
		}
	}
	if spec.OrderBy == nil || len(spec.OrderBy.Items) == 0 {
		return nil, cx.p.errAt(ErrInvalid, off(wf), "OVER windows' ordering in stream mode must be defined on a time attribute.",
			"add ORDER BY a time attribute (a column with a WATERMARK, or a PROCTIME() column)")
	}
	if len(spec.OrderBy.Items) != 1 {
		return nil, cx.p.errAt(ErrUnsupported, off(spec.OrderBy.Items[1].Expr), "The window can only be ordered by a single time column.", "")
	}
	it := spec.OrderBy.Items[0]
	e, err := cx.bindExpr(it.Expr, x)
	if err != nil {
		return nil, err
	}
	c, ok := e.(*expr.Col)
	if !ok || c.T.Kind != types.KindTimestamp {
		return nil, cx.p.errAt(ErrInvalid, off(it.Expr), "OVER windows' ordering in stream mode must be defined on a time attribute.",
			"order by a TIMESTAMP column with a WATERMARK, or a PROCTIME() column")
	}
	if it.Desc {
		return nil, cx.p.errAt(ErrUnsupported, off(it.Expr), "The window can only be ordered in ASCENDING mode.", "remove DESC")
	}
	w.timeCol, w.proctime = c.Index, sc.cols[c.Index].proctime
	f, err := cx.bindOverFrame(wf, spec.Frame)
	if err != nil {
		return nil, err
	}
	w.frame = f
	return w, nil
}

// bindOverFrame binds a frame; without one the frame is RANGE BETWEEN
// UNBOUNDED PRECEDING AND CURRENT ROW (the SQL default, as in Flink).
func (cx *compiler) bindOverFrame(wf *ast.WindowFuncExpr, fc *ast.FrameClause) (plan.OverFrame, error) {
	if fc == nil {
		return plan.OverFrame{Unbounded: true}, nil
	}
	f := plan.OverFrame{Rows: fc.Type == ast.Rows}
	if fc.Type == ast.Groups {
		return f, cx.p.errAt(ErrUnsupported, off(wf), "GROUPS frames are not supported", "use ROWS or RANGE")
	}
	start, end := fc.Extent.Start, fc.Extent.End
	if start.Type == ast.Following || end.Type != ast.CurrentRow {
		return f, cx.p.errAt(ErrUnsupported, off(wf), "OVER RANGE FOLLOWING windows are not supported yet.",
			"frames end at CURRENT ROW: ROWS BETWEEN 10 PRECEDING AND CURRENT ROW")
	}
	switch {
	case start.Type == ast.CurrentRow:
		return f, nil // zero rows / zero ms before the current row
	case start.UnBounded:
		f.Unbounded = true
		return f, nil
	}
	v, ok := start.Expr.(*driver.ValueExpr)
	if !ok || start.Unit != ast.TimeUnitInvalid {
		return f, cx.p.errAt(ErrUnsupported, off(wf), "frame bounds must be a constant row count or a fixed-length interval",
			"e.g. ROWS BETWEEN 10 PRECEDING AND CURRENT ROW, RANGE BETWEEN INTERVAL '1' HOUR PRECEDING AND CURRENT ROW")
	}
	if ms, isIv := cx.frameInterval(v); isIv {
		if f.Rows {
			return f, cx.p.errAt(ErrInvalid, off(wf), "a ROWS frame counts rows: its bound must be a row count, not an interval",
				"use RANGE BETWEEN INTERVAL ... PRECEDING AND CURRENT ROW, or ROWS BETWEEN n PRECEDING AND CURRENT ROW")
		}
		if ms < 0 {
			return f, cx.p.errAt(ErrInvalid, off(wf), "a frame's interval must not be negative", "")
		}
		f.Preceding = ms
		return f, nil
	}
	if !f.Rows {
		return f, cx.p.errAt(ErrInvalid, off(wf), "a RANGE frame over a time attribute needs an interval bound",
			"e.g. RANGE BETWEEN INTERVAL '1' HOUR PRECEDING AND CURRENT ROW, or count rows with ROWS BETWEEN n PRECEDING AND CURRENT ROW")
	}
	if v.Kind() != driver.KindInt64 && v.Kind() != driver.KindUint64 {
		return f, cx.p.errAt(ErrInvalid, off(wf), "a ROWS frame's bound must be a whole number of rows", "")
	}
	n := v.GetInt64()
	if v.Kind() == driver.KindUint64 && v.GetUint64() > 1<<62 {
		n = 1 << 62
	}
	if n < 0 {
		return f, cx.p.errAt(ErrInvalid, off(wf), "a ROWS frame's bound must not be negative", "")
	}
	f.Preceding = n
	return f, nil
}

// frameInterval recognises an interval frame bound, which the pre-parse
// layer wrote as its length in ms with three decimals.
func (cx *compiler) frameInterval(v *driver.ValueExpr) (int64, bool) {
	if v.Kind() != driver.KindMysqlDecimal {
		return 0, false
	}
	s := v.GetMysqlDecimal().String()
	if !strings.HasSuffix(s, ".000") {
		return 0, false
	}
	ms, err := strconv.ParseInt(strings.TrimSuffix(s, ".000"), 10, 64)
	if err != nil {
		return 0, false
	}
	for _, n := range cx.notes.frameIntervals {
		if max(n.ms, 0) == ms {
			return n.ms, true
		}
	}
	return 0, false
}

// isOverAggName reports whether an OVER call names an aggregate (the
// others, ROW_NUMBER, are Top-N). The grammar parses OVER after COUNT,
// SUM, MIN, MAX, AVG, the STDDEV and VAR functions and FIRST_VALUE /
// LAST_VALUE; LISTAGG, BOOL_AND / BOOL_OR, GROUP_CONCAT and DISTINCT
// calls reach the parser as COUNT(*) OVER, their text recorded by the
// pre-parse (preparse_over.go).
func isOverAggName(name string) bool {
	n := strings.ToLower(name)
	_, basic := aggFuncs[n]
	_, more := moreAggFuncs[n]
	return basic || more
}

// bindOverCall binds the aggregate of an OVER call against the input
// scope, through the aggregate binder as in GROUP BY: every aggregate,
// DISTINCT, and FILTER (WHERE ...) (whose note the pre-parse left under
// the offset of the call's name). A call the pre-parse recorded is parsed
// from its recorded text.
func (cx *compiler) bindOverCall(wf *ast.WindowFuncExpr, sc *scope) (plan.AggCall, error) {
	var av *ast.AggregateFuncExpr
	if note, ok := cx.notes.overCalls[off(wf)]; ok {
		n, err := cx.parseExprAt(note.off, note.text)
		if err != nil {
			return plan.AggCall{}, err
		}
		if av, ok = n.(*ast.AggregateFuncExpr); !ok {
			return plan.AggCall{}, cx.p.errAt(ErrSyntax, note.off, "OVER must follow an aggregate call", "e.g. LISTAGG(name) OVER w")
		}
	} else {
		av = &ast.AggregateFuncExpr{F: wf.Name, Args: wf.Args, Distinct: wf.Distinct}
		av.SetOriginTextPosition(off(wf))
	}
	ab := &aggBinder{cx: cx, in: sc}
	if _, err := ab.bindAgg(av); err != nil {
		return plan.AggCall{}, err
	}
	if len(ab.aggs) != 1 {
		return plan.AggCall{}, cx.p.errAt(ErrUnsupported, off(wf), strings.ToUpper(av.F)+"() OVER is not supported", "")
	}
	return ab.aggs[0], nil
}

func sameStrings(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}
