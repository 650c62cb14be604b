package sql

import (
	"strconv"
	"strings"

	"github.com/pingcap/tidb/pkg/parser/ast"

	"github.com/streamsql/streamsql/expr"
	"github.com/streamsql/streamsql/plan"
	"github.com/streamsql/streamsql/types"
)

// Binding window table-valued functions (see preparse_tvf.go for the
// syntax). A TVF binds to a plan.WindowTVF over its data; its columns in
// the scope carry a tvfRole and the binding, so that a GROUP BY on
// window_start and window_end further up (through WHERE, SELECT * or a
// view's projection) binds as a window aggregate over the TVF's input:
// the operator of the group-window form, not a changelog aggregate.

// tvfRole is a column's part in a window TVF's output.
type tvfRole uint8

const (
	tvfNone    tvfRole = iota
	tvfTimeCol         // the DESCRIPTOR column of the data
	tvfStart           // window_start
	tvfEnd             // window_end
	tvfTime            // window_time
)

// tvfBinding is one bound window TVF, or (node nil) the window of one
// window aggregate's output (see markWindowColumn).
type tvfBinding struct {
	node *plan.WindowTVF
	kind string // TUMBLE, HOP, CUMULATE, SESSION
	text string // the call as written, for messages
}

// tvfOf reports whether the derived table sel is a window TVF call that
// the pre-parse layer rewrote, and returns its note and data source.
func (cx *compiler) tvfOf(sel *ast.SelectStmt) (tvfNote, *ast.TableSource, bool) {
	if sel.From == nil || sel.From.TableRefs == nil || sel.Fields == nil ||
		len(sel.Fields.Fields) != 1 || sel.Fields.Fields[0].WildCard == nil || sel.Where != nil || sel.GroupBy != nil {
		return tvfNote{}, nil, false
	}
	var from ast.ResultSetNode = sel.From.TableRefs
	if sel.From.TableRefs.Right == nil {
		from = sel.From.TableRefs.Left
	}
	switch v := from.(type) {
	case *ast.TableSource: // (SELECT*FROM data _w00)
		note, ok := cx.notes.tvfs[strings.ToLower(v.AsName.O)]
		return note, v, ok
	case *ast.Join: // (SELECT*FROM _w00, data)
		left := v.Left
		if lj, ok := left.(*ast.Join); ok && lj.Right == nil {
			left = lj.Left
		}
		l, lok := left.(*ast.TableSource)
		r, rok := v.Right.(*ast.TableSource)
		if !lok || !rok || v.On != nil || r.AsName.O != "" || v.Tp != ast.CrossJoin {
			return tvfNote{}, nil, false
		}
		tn, ok := l.Source.(*ast.TableName)
		if !ok || l.AsName.O != "" || tn.Schema.O != "" {
			return tvfNote{}, nil, false
		}
		note, ok := cx.notes.tvfs[strings.ToLower(tn.Name.O)]
		return note, r, ok
	}
	return tvfNote{}, nil, false
}

// bindTVF binds a window TVF call over its data; alias is the name given
// to the call (TABLE(...) AS alias), "" when none.
func (cx *compiler) bindTVF(note tvfNote, data *ast.TableSource, alias string) (plan.Node, *scope, error) {
	kind := note.kind
	usage := "usage: " + tvfUsage[kind]
	var in plan.Node
	var sc *scope
	switch src := data.Source.(type) {
	case *ast.TableName:
		var err error
		if in, sc, err = cx.bindTableName(src, alias); err != nil {
			return nil, nil, err
		}
	case *ast.SelectStmt, *ast.SetOprStmt:
		node, cols, err := cx.bindResultSet(src)
		if err != nil {
			return nil, nil, err
		}
		in, sc = node, &scope{quals: []string{alias}}
		for _, c := range cols {
			c.qual = alias
			sc.cols = append(sc.cols, c)
		}
	default:
		return nil, nil, cx.p.errAt(ErrUnsupported, note.off, "unsupported data of "+kind, usage)
	}
	tc, err := cx.resolve(sc, "", note.timeCol, note.timeColOff)
	if err != nil {
		return nil, nil, err
	}
	col := sc.cols[tc]
	if col.typ.Kind != types.KindTimestamp {
		return nil, nil, cx.p.errAt(ErrWindow, note.timeColOff, "the time column '"+col.name+"' of "+kind+" must be a TIMESTAMP, not "+col.typ.Nullable().String(),
			"declare it TIMESTAMP(3) with a WATERMARK, or use a PROCTIME() column")
	}
	w := plan.Window{TimeCol: tc, Proctime: col.proctime}
	ms := func(name string) int64 { return note.durs[name] }
	at := func(name string) int { return note.durOffs[name] }
	switch kind {
	case "TUMBLE":
		w.Kind, w.Size = plan.Tumble, ms("SIZE")
	case "HOP":
		w.Kind, w.Slide, w.Size = plan.Hop, ms("SLIDE"), ms("SIZE")
		if w.Size%w.Slide != 0 {
			return nil, nil, cx.p.errAt(ErrWindow, at("SIZE"), "HOP window requires size to be an integral multiple of slide, but got size "+
				strconv.FormatInt(w.Size, 10)+"ms and slide "+strconv.FormatInt(w.Slide, 10)+"ms", usage)
		}
	case "CUMULATE":
		w.Kind, w.Step, w.Size = plan.Cumulate, ms("STEP"), ms("SIZE")
		if w.Size%w.Step != 0 {
			return nil, nil, cx.p.errAt(ErrWindow, at("SIZE"), "CUMULATE window requires max size to be an integral multiple of step, but got max size "+
				strconv.FormatInt(w.Size, 10)+"ms and step "+strconv.FormatInt(w.Step, 10)+"ms", usage)
		}
	case "SESSION":
		w.Kind, w.Gap = plan.Session, ms("GAP")
	}
	if n := w.WindowsPerRow(); n > plan.MaxWindowsPerRow {
		return nil, nil, cx.p.errAt(ErrWindow, note.off, kind+" puts every row into "+strconv.FormatInt(n, 10)+" windows; at most "+
			strconv.Itoa(plan.MaxWindowsPerRow)+" are allowed, because each row is emitted in every window that holds it", "")
	}
	offset := ms("OFFSET")
	if offset != 0 {
		if w.Kind == plan.Session {
			return nil, nil, cx.p.errAt(ErrWindow, at("OFFSET"), "SESSION windows take no offset", usage)
		}
		if abs(offset) >= w.Size {
			return nil, nil, cx.p.errAt(ErrWindow, at("OFFSET"), "the offset of "+kind+" must be smaller than its size", usage)
		}
	}
	w.Offset = offset
	node := &plan.WindowTVF{Input: in, Window: w}
	for k, p := range note.partition {
		i, err := cx.resolve(sc, "", p, note.partitionOff[k])
		if err != nil {
			return nil, nil, err
		}
		node.Partition = append(node.Partition, i)
	}
	b := &tvfBinding{node: node, kind: kind, text: kind + "(...)"}
	qual := alias
	if qual == "" && len(sc.quals) > 0 {
		qual = sc.quals[0]
	}
	out := &scope{quals: []string{qual}}
	for i, c := range sc.cols {
		c.qual = qual
		if i == tc {
			// The original time attribute becomes a regular TIMESTAMP;
			// window_time is the output's time attribute (as in Flink).
			c.rowtime, c.proctime, c.tvf, c.tvfRole = false, false, b, tvfTimeCol
		}
		out.cols = append(out.cols, c)
	}
	for i, wc := range plan.WindowTVFColumns {
		c := column{qual: qual, name: wc.Name, typ: wc.Type, tvf: b, tvfRole: tvfStart + tvfRole(i)}
		if c.tvfRole == tvfTime {
			c.rowtime, c.proctime = !w.Proctime, w.Proctime
		}
		out.cols = append(out.cols, c)
	}
	return node, out, nil
}

func abs(x int64) int64 {
	if x < 0 {
		return -x
	}
	return x
}

// tvfColumn returns the window TVF column that n names, if it names one.
func tvfColumn(sc *scope, n ast.ExprNode) (column, bool) {
	cn, ok := n.(*ast.ColumnNameExpr)
	if !ok {
		return column{}, false
	}
	m := sc.lookup(cn.Name.Table.O, cn.Name.Name.O)
	if len(m) != 1 || sc.cols[m[0]].tvfRole < tvfStart {
		return column{}, false
	}
	return sc.cols[m[0]], true
}

// windowGroup looks at the GROUP BY items for the window columns of one
// window TVF: when window_start and window_end of the same TVF are both
// grouped, and the TVF can be taken out of the aggregate's input, it
// returns the binding, the input without the TVF, the window (its time
// column an index of that input), the mapping of the input's columns
// (index in sc -> index in the new input, -1 for the window columns) and
// SESSION's partition columns as indexes of the new input.
// Otherwise the window columns stay ordinary group keys (a changelog
// aggregate over the TVF's rows: correct, only slower).
func windowGroup(sel *ast.SelectStmt, in plan.Node, sc *scope) (b *tvfBinding, newIn plan.Node, w plan.Window, colMap, partition []int) {
	if sel.GroupBy == nil {
		return nil, nil, w, nil, nil
	}
	var start, end bool
	for _, it := range sel.GroupBy.Items {
		c, ok := tvfColumn(sc, it.Expr)
		if !ok || c.tvf.node == nil {
			continue
		}
		if b != nil && c.tvf != b {
			return nil, nil, w, nil, nil // two TVFs' windows: ordinary keys
		}
		b = c.tvf
		start = start || c.tvfRole == tvfStart
		end = end || c.tvfRole == tvfEnd
	}
	if b == nil || !start || !end {
		return nil, nil, w, nil, nil
	}
	newIn, colMap, base, ok := detachTVF(in, b.node)
	if !ok || base[b.node.Window.TimeCol] < 0 {
		return nil, nil, w, nil, nil
	}
	for _, p := range b.node.Partition {
		partition = append(partition, base[p]) // -1 when not passed through
	}
	w = b.node.Window
	w.TimeCol = base[w.TimeCol]
	return b, newIn, w, colMap, partition
}

// detachTVF rebuilds n (a chain of Filters and Projects over the window
// TVF t) without t. It returns the new node, the mapping of n's output
// columns to the new node's (-1: a column computed from the window
// columns, dropped) and the position of each of t's input columns in the
// new node's output (-1 when not passed through). ok is false when the
// chain holds anything else, or a filter on the window columns.
func detachTVF(n plan.Node, t *plan.WindowTVF) (out plan.Node, colMap, base []int, ok bool) {
	switch v := n.(type) {
	case *plan.WindowTVF:
		if v != t {
			return nil, nil, nil, false
		}
		k := len(v.Input.Schema())
		colMap = make([]int, k+len(plan.WindowTVFColumns))
		base = make([]int, k)
		for i := range colMap {
			colMap[i] = -1
			if i < k {
				colMap[i], base[i] = i, i
			}
		}
		return v.Input, colMap, base, true
	case *plan.Filter:
		in, m, base, ok := detachTVF(v.Input, t)
		if !ok {
			return nil, nil, nil, false
		}
		cond, ok := remapCols(v.Cond, m)
		if !ok {
			return nil, nil, nil, false
		}
		return &plan.Filter{Input: in, Cond: cond}, m, base, true
	case *plan.Project:
		in, m, inBase, ok := detachTVF(v.Input, t)
		if !ok {
			return nil, nil, nil, false
		}
		p := &plan.Project{Input: in}
		colMap = make([]int, len(v.Exprs))
		for i, e := range v.Exprs {
			colMap[i] = -1
			if ne, ok := remapCols(e, m); ok {
				colMap[i] = len(p.Exprs)
				p.Exprs = append(p.Exprs, ne)
				p.Names = append(p.Names, v.Names[i])
			}
		}
		base = make([]int, len(inBase))
		for b, at := range inBase {
			base[b] = -1
			for i, e := range p.Exprs {
				if c, ok := e.(*expr.Col); ok && at >= 0 && c.Index == at {
					base[b] = i
					break
				}
			}
		}
		return p, colMap, base, true
	}
	return nil, nil, nil, false
}

// remapCols rewrites e's column references through m; ok is false when e
// uses a column that m drops.
func remapCols(e expr.Expr, m []int) (expr.Expr, bool) {
	ok := true
	out := expr.MapColumns(e, func(c *expr.Col) expr.Expr {
		if c.Index >= len(m) || m[c.Index] < 0 {
			ok = false
			return c
		}
		return &expr.Col{Index: m[c.Index], Name: c.Name, T: c.T}
	})
	return out, ok
}

// detachWindow maps the keys and aggregate arguments of a window
// aggregate over a window TVF onto the TVF's input, and checks what the
// aggregate may group by.
func (ab *aggBinder) detachWindow() error {
	cx, b := ab.cx, ab.tvf
	at := cx.findWord("GROUP", 0)
	for i, k := range ab.keys {
		nk, ok := remapCols(k, ab.colMap)
		if !ok {
			return cx.p.errAt(ErrWindow, at, "the group key "+ab.keyNames[i]+" is computed from the window columns of "+b.kind+"; group by window_start and window_end themselves", "")
		}
		ab.keys[i] = nk
	}
	for i := range ab.aggs {
		na, ok := ab.aggs[i].MapExprs(func(e expr.Expr) (expr.Expr, bool) { return remapCols(e, ab.colMap) })
		if !ok {
			return cx.p.errAt(ErrWindow, at, "the argument of "+ab.aggs[i].Name+" uses the window columns of the "+b.kind+" window it aggregates", "")
		}
		ab.aggs[i] = na
	}
	if b.kind == "SESSION" {
		// The window operator keeps a session per group key: that is
		// SESSION(... PARTITION BY keys) only when the keys are the
		// partition columns.
		want := map[int]bool{}
		for _, p := range ab.partition {
			want[p] = true
		}
		same := len(ab.keys) == len(want)
		for _, k := range ab.keys {
			c, ok := k.(*expr.Col)
			same = same && ok && want[c.Index]
		}
		if !same {
			return cx.p.errAt(ErrUnsupported, at, "a SESSION window aggregate must group by exactly the columns of its PARTITION BY (plus window_start and window_end)",
				"write TABLE(SESSION(TABLE t PARTITION BY k, DESCRIPTOR(ts), gap)) ... GROUP BY k, window_start, window_end")
		}
	}
	return nil
}

// Window property propagation (a GROUP BY on window_start and window_end
// of a window aggregate's output is itself a window aggregate) is the
// optimizer's window-propagation rule: it works on plan nodes.
