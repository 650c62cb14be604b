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

// aggBinder binds expressions over an Aggregate: group keys, the window
// bounds and aggregate calls become references to the Aggregate's output
// columns; any other column reference is an error.
type aggBinder struct {
	cx       *compiler
	in       *scope // the Aggregate's input
	keys     []expr.Expr
	keyIDs   []string
	keyNames []string
	keyProc  []bool

	win     *plan.Window
	winKind string  // TUMBLE, HOP, SESSION, CUMULATE
	winArgs []int64 // durations as written, in argument order
	winText string
	// tvf is set when the window comes from a window TVF's window_start
	// and window_end in GROUP BY (bind_tvf.go); keys and aggregate
	// arguments are bound against in and mapped through colMap onto the
	// TVF's input.
	tvf       *tvfBinding
	colMap    []int
	partition []int // SESSION's PARTITION BY, as indexes of the TVF's input

	aggs   []plan.AggCall
	aggIDs []string

	grouping *groupingSpec // GROUPING SETS, ROLLUP, CUBE (bind_grouping.go)
}

// exprID is a structural identity of a bound expression (columns by index).
func exprID(e expr.Expr) string {
	return expr.MapColumns(e, func(c *expr.Col) expr.Expr {
		return &expr.Col{Index: c.Index, Name: "#" + itoa(c.Index), T: c.T}
	}).String()
}

func (ab *aggBinder) winCols() int {
	if ab.win != nil {
		return 2
	}
	return 0
}

// outType returns the type of output column i of the Aggregate.
func (ab *aggBinder) outCol(i int, name string, t types.Type) *expr.Col {
	return &expr.Col{Index: i, Name: name, T: t}
}

// match binds n if it is a group key, an aggregate or a window property.
func (ab *aggBinder) match(n ast.ExprNode, x *ectx) (expr.Expr, bool, error) {
	cx := ab.cx
	switch v := n.(type) {
	case *ast.AggregateFuncExpr:
		e, err := ab.bindAgg(v)
		return e, true, err
	case *ast.FuncCallExpr:
		if kind, prop, ok := windowProperty(v.FnName.O); ok {
			e, err := ab.bindProperty(v, kind, prop)
			return e, true, err
		}
		if groupingFuncs[strings.ToUpper(v.FnName.O)] {
			e, err := ab.bindGroupingCall(v) // bind_grouping.go
			return e, true, err
		}
	case *ast.ColumnNameExpr:
		if c, ok := tvfColumn(ab.in, v); ok && ab.tvf != nil && c.tvf == ab.tvf {
			nk := len(ab.keys)
			switch c.tvfRole {
			case tvfStart:
				return ab.outCol(nk, "window_start", types.Timestamp), true, nil
			case tvfEnd:
				return ab.outCol(nk+1, "window_end", types.Timestamp), true, nil
			default: // window_time
				e, _ := expr.NewArith(expr.OpSub, ab.outCol(nk+1, "window_end", types.Timestamp), expr.IntervalLiteral(1))
				return e, true, nil
			}
		}
		name := v.Name.Name.O
		if ab.win != nil && v.Name.Table.O == "" && len(ab.in.lookup("", name)) == 0 {
			nk := len(ab.keys)
			switch strings.ToLower(name) {
			case "window_start":
				return ab.outCol(nk, "window_start", types.Timestamp), true, nil
			case "window_end":
				return ab.outCol(nk+1, "window_end", types.Timestamp), true, nil
			}
		}
	case *driver.ValueExpr, *ast.ParenthesesExpr:
		return nil, false, nil
	}
	if len(ab.keys) == 0 {
		return nil, false, nil
	}
	trial := &ectx{sc: ab.in, clause: "GROUP BY", quiet: true}
	e, err := cx.bindExpr(n, trial)
	if err != nil {
		return nil, false, nil
	}
	id := exprID(e)
	for i, k := range ab.keyIDs {
		if k == id {
			return ab.outCol(i, ab.keyNames[i], ab.keys[i].Type()), true, nil
		}
	}
	return nil, false, nil
}

// aggType gives an aggregate's result type (see doc.go).
func aggType(f plan.AggFunc, t types.Type) (types.Type, bool) {
	switch f {
	case plan.AggCount:
		return types.Type{Kind: types.KindInt, Precision: 64, NotNull: true}, true
	case plan.AggMin, plan.AggMax:
		return t.Nullable(), t.Kind != types.KindInterval
	case plan.AggSum:
		switch t.Kind {
		case types.KindInt, types.KindNull, types.KindBool:
			return types.BigInt, true
		case types.KindDecimal:
			return types.DecimalType(expr.MaxDecimalDigits, t.Scale), true
		case types.KindDouble:
			return types.Double, true
		}
	case plan.AggAvg:
		switch t.Kind {
		case types.KindInt, types.KindNull, types.KindBool:
			return types.DecimalType(expr.MaxDecimalDigits, 4), true
		case types.KindDecimal:
			return types.DecimalType(expr.MaxDecimalDigits, min(t.Scale+4, expr.MaxDecimalDigits)), true
		case types.KindDouble:
			return types.Double, true
		}
	}
	return types.Type{}, false
}

var aggFuncs = map[string]plan.AggFunc{"count": plan.AggCount, "sum": plan.AggSum, "min": plan.AggMin, "max": plan.AggMax, "avg": plan.AggAvg}

func (ab *aggBinder) bindAgg(v *ast.AggregateFuncExpr) (expr.Expr, error) {
	if e, handled, err := ab.bindAggExt(v); handled { // bind_agg_more.go
		return e, err
	}
	cx := ab.cx
	fname := strings.ToUpper(v.F)
	f, ok := aggFuncs[strings.ToLower(v.F)]
	if !ok {
		return nil, cx.p.errAt(ErrUnsupported, off(v), "aggregate function "+fname+" is not supported", supportedAggs)
	}
	if len(v.Args) != 1 {
		return nil, cx.p.errAt(ErrUnsupported, off(v), fname+" takes one argument", "")
	}
	call, err := cx.basicAggCall(f, fname, v.Args[0], v.Distinct, ab.in)
	if err != nil {
		return nil, err
	}
	id := call.Name
	if call.Arg != nil {
		id = fname + "|" + map[bool]string{true: "D", false: ""}[call.Distinct] + "|" + exprID(call.Arg)
	}
	for i, a := range ab.aggIDs {
		if a == id {
			return ab.outCol(len(ab.keys)+ab.winCols()+i, ab.aggs[i].Name, ab.aggs[i].Type), nil
		}
	}
	ab.aggs = append(ab.aggs, call)
	ab.aggIDs = append(ab.aggIDs, id)
	return ab.outCol(len(ab.keys)+ab.winCols()+len(ab.aggs)-1, call.Name, call.Type), nil
}

// basicAggCall binds COUNT, SUM, MIN, MAX or AVG (f, named fname) of one
// argument against sc: COUNT of a non-NULL constant without DISTINCT is
// COUNT(*), SUM and AVG of a string cast it to DOUBLE. GROUP BY
// aggregates (bindAgg) and OVER aggregates (bindOverCall) share it.
func (cx *compiler) basicAggCall(f plan.AggFunc, fname string, arg ast.ExprNode, distinct bool, sc *scope) (plan.AggCall, error) {
	call := plan.AggCall{Func: f, Distinct: distinct}
	isStar := false
	if f == plan.AggCount && !distinct {
		if lit, ok := arg.(*driver.ValueExpr); ok && lit.Kind() != driver.KindNull {
			isStar = true
		}
	}
	if !isStar {
		a, err := cx.bindExpr(arg, &ectx{sc: sc, clause: "an aggregate argument"})
		if err != nil {
			return call, err
		}
		call.Arg = a
	}
	argT := types.BigInt
	if call.Arg != nil {
		argT = call.Arg.Type()
		if (f == plan.AggSum || f == plan.AggAvg) && argT.Kind == types.KindString {
			c, _ := expr.NewCast(call.Arg, types.Double)
			call.Arg, argT = c, types.Double
		}
	}
	t, ok := aggType(f, argT)
	if !ok {
		return call, cx.p.errAt(ErrType, off(arg), fname+" cannot be applied to "+argT.Nullable().String(), "")
	}
	call.Type = t
	call.Name = call.String()
	return call, nil
}

// windowArgs binds a group window's arguments: the time column and constant intervals.
func (cx *compiler) windowArgs(v *ast.FuncCallExpr, sc *scope, kind string) (col int, durs []int64, err error) {
	want := map[string]int{"TUMBLE": 2, "HOP": 3, "SESSION": 2, "CUMULATE": 3}[kind]
	usage := map[string]string{"TUMBLE": "TUMBLE(ts, INTERVAL '10' SECOND)", "HOP": "HOP(ts, INTERVAL '1' SECOND, INTERVAL '4' SECOND) (slide, then size)",
		"SESSION": "SESSION(ts, INTERVAL '30' SECOND)", "CUMULATE": "CUMULATE(ts, INTERVAL '1' MINUTE, INTERVAL '1' HOUR) (step, then size)"}[kind]
	if len(v.Args) != want {
		return 0, nil, cx.p.errAt(ErrWindow, off(v), kind+" takes "+itoa(want)+" arguments, got "+itoa(len(v.Args)), "usage: "+usage)
	}
	cn, ok := v.Args[0].(*ast.ColumnNameExpr)
	if !ok {
		return 0, nil, cx.p.errAt(ErrWindow, off(v.Args[0]), "the first argument of "+kind+" must be a time attribute column", "usage: "+usage)
	}
	col, err = cx.resolve(sc, cn.Name.Table.O, cn.Name.Name.O, off(cn))
	if err != nil {
		return 0, nil, err
	}
	if t := sc.cols[col].typ; t.Kind != types.KindTimestamp {
		return 0, nil, cx.p.errAt(ErrWindow, off(cn), "window time column '"+cn.Name.Name.O+"' must be a TIMESTAMP, not "+t.Nullable().String(),
			"declare it TIMESTAMP(3) (or use a PROCTIME() column)")
	}
	for _, a := range v.Args[1:] {
		e, err := cx.bindExpr(a, &ectx{sc: sc, clause: "a window"})
		if err != nil {
			return 0, nil, err
		}
		l, ok := e.(*expr.Literal)
		if !ok || l.V.Kind() != types.KindInterval {
			return 0, nil, cx.p.errAt(ErrWindow, off(a), "window sizes must be constant intervals", "usage: "+usage)
		}
		if l.V.Millis() <= 0 {
			return 0, nil, cx.p.errAt(ErrWindow, off(a), "window sizes must be positive", "")
		}
		durs = append(durs, l.V.Millis())
	}
	return col, durs, nil
}

// setWindow records the GROUP BY window.
func (ab *aggBinder) setWindow(v *ast.FuncCallExpr, kind string) error {
	cx := ab.cx
	if ab.win != nil {
		return cx.p.errAt(ErrWindow, off(v), "only one window is allowed per GROUP BY", "")
	}
	col, durs, err := cx.windowArgs(v, ab.in, kind)
	if err != nil {
		return err
	}
	w := &plan.Window{TimeCol: col, Proctime: ab.in.cols[col].proctime}
	switch kind {
	case "TUMBLE":
		w.Kind, w.Size = plan.Tumble, durs[0]
	case "HOP":
		// Any slide and size, as Flink's group-window HOP: windows start
		// at multiples of the slide; panes are gcd(slide, size) long.
		w.Kind, w.Slide, w.Size = plan.Hop, durs[0], durs[1]
	case "SESSION":
		w.Kind, w.Gap = plan.Session, durs[0]
	case "CUMULATE":
		w.Kind, w.Step, w.Size = plan.Cumulate, durs[0], durs[1]
		if w.Size%w.Step != 0 {
			return cx.p.errAt(ErrWindow, off(v.Args[2]), "CUMULATE size must be a multiple of its step", "")
		}
	}
	if n := w.WindowsPerRow(); n > plan.MaxWindowsPerRow {
		unit := map[string]string{"HOP": "slide", "CUMULATE": "step"}[kind]
		return cx.p.errAt(ErrWindow, off(v), kind+" puts every row into "+strconv.FormatInt(n, 10)+" windows (size / "+unit+
			"); at most "+strconv.Itoa(plan.MaxWindowsPerRow)+" are allowed, because each row is emitted in every window that holds it",
			"use a "+unit+" of at least "+strconv.FormatInt((w.Size+plan.MaxWindowsPerRow-1)/plan.MaxWindowsPerRow, 10)+" ms, or a TUMBLE window")
	}
	ab.win, ab.winKind, ab.winArgs = w, kind, durs
	ab.winText = cx.p.Text[off(v):min(len(cx.p.Text), cx.exprEnd(v))]
	return nil
}

// exprEnd finds the end offset of a function call by matching its parenthesis.
func (cx *compiler) exprEnd(v ast.Node) int {
	o := off(v)
	for i, t := range cx.toks {
		if t.start >= o && t.is("(") {
			if j := matchParen(cx.toks, i); j >= 0 {
				return cx.toks[j].end
			}
			break
		}
	}
	return len(cx.p.Text)
}

// bindProperty binds TUMBLE_START(ts, size) etc. against the GROUP BY window.
func (ab *aggBinder) bindProperty(v *ast.FuncCallExpr, kind, prop string) (expr.Expr, error) {
	cx := ab.cx
	name := strings.ToUpper(v.FnName.O)
	if ab.win == nil {
		return nil, cx.p.errAt(ErrWindow, off(v), name+" needs GROUP BY "+kind+"(...)", "")
	}
	if ab.tvf != nil {
		return nil, cx.p.errAt(ErrWindow, off(v), name+" belongs to the group-window form; over a window table function select window_start, window_end or window_time", "")
	}
	if kind != ab.winKind {
		return nil, cx.p.errAt(ErrWindow, off(v), name+" does not match the GROUP BY window "+ab.winText,
			"use "+ab.winKind+"_START / "+ab.winKind+"_END, or window_start / window_end")
	}
	col, durs, err := cx.windowArgs(v, ab.in, kind)
	if err != nil {
		return nil, err
	}
	same := col == ab.win.TimeCol && len(durs) == len(ab.winArgs)
	for i := range durs {
		same = same && durs[i] == ab.winArgs[i]
	}
	if !same {
		return nil, cx.p.errAt(ErrWindow, off(v), "the arguments of "+name+" do not match the GROUP BY window "+ab.winText,
			"repeat the window's arguments exactly")
	}
	nk := len(ab.keys)
	switch prop {
	case "START":
		return ab.outCol(nk, "window_start", types.Timestamp), nil
	case "END":
		return ab.outCol(nk+1, "window_end", types.Timestamp), nil
	case "ROWTIME":
		e, _ := expr.NewArith(expr.OpSub, ab.outCol(nk+1, "window_end", types.Timestamp), expr.IntervalLiteral(1))
		return e, nil
	}
	return nil, cx.p.errAt(ErrUnsupported, off(v), name+" is not supported", "use "+kind+"_END")
}
