package sql

import (
	"errors"
	"math"
	"strconv"
	"strings"

	"github.com/pingcap/tidb/pkg/parser/ast"
	"github.com/pingcap/tidb/pkg/parser/opcode"
	driver "github.com/pingcap/tidb/pkg/parser/test_driver"

	"github.com/streamsql/streamsql/expr"
	"github.com/streamsql/streamsql/types"
)

// ectx is the context of binding one expression.
type ectx struct {
	sc     *scope
	agg    *aggBinder // non-nil: over an Aggregate (select list, HAVING)
	clause string     // "WHERE", "ON", ... for messages
	quiet  bool       // trial binding: the caller discards errors
}

// off returns the position of an AST node in the statement text.
func off(n ast.Node) int { return n.OriginTextPosition() }

// bindExpr binds an AST expression and folds constants.
func (cx *compiler) bindExpr(n ast.ExprNode, x *ectx) (expr.Expr, error) {
	if x.agg != nil {
		if e, ok, err := x.agg.match(n, x); ok || err != nil {
			return e, err
		}
	}
	e, err := cx.bindExpr0(n, x)
	if err != nil {
		return nil, err
	}
	f, err := cx.fold.Fold(e)
	if err != nil {
		return nil, cx.p.errAt(ErrType, off(n), err.Error(), "")
	}
	return f, nil
}

// wrapTypeErr locates an error of an expr constructor at the operand it names.
func (cx *compiler) wrapTypeErr(err error, n ast.Node, args []ast.ExprNode) error {
	var te *expr.TypeError
	at := off(n)
	msg := err.Error()
	if errors.As(err, &te) {
		if te.Arg >= 0 && te.Arg < len(args) && args[te.Arg] != nil && off(args[te.Arg]) > 0 {
			at = off(args[te.Arg])
		}
		msg = te.Msg
	}
	var uf *expr.UnknownFunctionError
	if errors.As(err, &uf) {
		return cx.p.errAt(ErrUnknownFunction, at, msg, funcHint(uf.Name))
	}
	return cx.p.errAt(ErrType, at, msg, "")
}

func funcHint(name string) string {
	if s := closest(name, expr.FunctionNames()); s != "" {
		return "did you mean " + s + "?"
	}
	return "SHOW FUNCTIONS lists the functions"
}

func (cx *compiler) bindExprs(ns []ast.ExprNode, x *ectx) ([]expr.Expr, error) {
	out := make([]expr.Expr, len(ns))
	for i, n := range ns {
		e, err := cx.bindExpr(n, x)
		if err != nil {
			return nil, err
		}
		out[i] = e
	}
	return out, nil
}

func (cx *compiler) bindExpr0(n ast.ExprNode, x *ectx) (expr.Expr, error) {
	switch v := n.(type) {
	case *ast.ParenthesesExpr:
		return cx.bindExpr(v.Expr, x)
	case *driver.ValueExpr:
		return cx.literal(v)
	case *ast.ColumnNameExpr:
		return cx.bindColumn(v, x)
	case *ast.BinaryOperationExpr:
		if isRowCompare(v) {
			return cx.bindRowCompare(v, x) // bind_row.go
		}
		return cx.bindBinary(v, x)
	case *ast.RowExpr:
		return nil, cx.operandError(off(v), 1) // a row outside a comparison or IN (MySQL's message)
	case *ast.UnaryOperationExpr:
		a, err := cx.bindExpr(v.V, x)
		if err != nil {
			return nil, err
		}
		var e expr.Expr
		switch v.Op {
		case opcode.Not, opcode.Not2:
			e, err = expr.NewNot(a)
		case opcode.Minus:
			if l, ok := a.(*expr.Literal); ok && l.V.Kind() == types.KindInt && l.V.Int() == math.MinInt64 {
				return a, nil
			}
			e, err = expr.NewNeg(a)
		case opcode.Plus:
			return a, nil
		default:
			return nil, cx.p.errAt(ErrUnsupported, off(v), "operator "+v.Op.String()+" is not supported", "")
		}
		if err != nil {
			return nil, cx.wrapTypeErr(err, v, []ast.ExprNode{v.V})
		}
		return e, nil
	case *ast.IsNullExpr:
		a, err := cx.bindExpr(v.Expr, x)
		if err != nil {
			return nil, err
		}
		return &expr.IsNull{X: a, Not: v.Not}, nil
	case *ast.IsTruthExpr:
		a, err := cx.bindExpr(v.Expr, x)
		if err != nil {
			return nil, err
		}
		e, err := expr.NewIsBool(a, v.True != 0, v.Not)
		if err != nil {
			return nil, cx.wrapTypeErr(err, v, []ast.ExprNode{v.Expr})
		}
		return e, nil
	case *ast.PatternInExpr:
		if v.Sel != nil {
			return cx.lookupSubquery(v, x) // bind_expr_subquery.go
		}
		if rowOf(v.Expr) != nil {
			return cx.bindRowInList(v, x) // bind_row.go
		}
		a, err := cx.bindExpr(v.Expr, x)
		if err != nil {
			return nil, err
		}
		list, err := cx.bindExprs(v.List, x)
		if err != nil {
			return nil, err
		}
		e, err := expr.NewIn(a, list, v.Not)
		if err != nil {
			return nil, cx.wrapTypeErr(err, v, append([]ast.ExprNode{v.Expr}, v.List...))
		}
		return e, nil
	case *ast.BetweenExpr:
		a, err := cx.bindExpr(v.Expr, x)
		if err != nil {
			return nil, err
		}
		lo, err := cx.bindExpr(v.Left, x)
		if err != nil {
			return nil, err
		}
		hi, err := cx.bindExpr(v.Right, x)
		if err != nil {
			return nil, err
		}
		e, err := expr.NewBetween(a, lo, hi, v.Not)
		if err != nil {
			return nil, cx.wrapTypeErr(err, v, []ast.ExprNode{v.Expr, v.Left, v.Right})
		}
		return e, nil
	case *ast.PatternLikeOrIlikeExpr:
		a, err := cx.bindExpr(v.Expr, x)
		if err != nil {
			return nil, err
		}
		pat, err := cx.bindExpr(v.Pattern, x)
		if err != nil {
			return nil, err
		}
		if !v.IsLike {
			lower := func(e expr.Expr) expr.Expr {
				c, cerr := expr.NewCall("LOWER", []expr.Expr{e})
				if cerr != nil {
					return e
				}
				return c
			}
			a, pat = lower(a), lower(pat)
		}
		esc := rune(v.Escape)
		if esc == 0 {
			esc = '\\'
		}
		e, err := expr.NewLike(a, pat, esc, v.Not)
		if err != nil {
			return nil, cx.wrapTypeErr(err, v, []ast.ExprNode{v.Expr, v.Pattern})
		}
		return e, nil
	case *ast.CaseExpr:
		return cx.bindCase(v, x)
	case *ast.FuncCallExpr:
		return cx.bindFunc(v, x)
	case *ast.AggregateFuncExpr:
		where := x.clause
		if where == "" {
			where = "this clause"
		}
		if x.clause == "an aggregate argument" {
			return nil, cx.p.errAt(ErrInvalid, off(v), "aggregate functions cannot be nested", "")
		}
		return nil, cx.p.errAt(ErrInvalid, off(v), "aggregate function "+strings.ToUpper(v.F)+" is not allowed in "+where,
			"aggregates belong in the select list or HAVING")
	case *ast.TimeUnitExpr:
		return &expr.Literal{V: types.StringValue(v.Unit.String()), T: types.Type{Kind: types.KindString, NotNull: true}}, nil
	case *ast.FuncCastExpr:
		return nil, cx.p.errAt(ErrUnsupported, off(v), "this conversion is not supported", "use CAST(x AS type)")
	case *ast.SubqueryExpr, *ast.ExistsSubqueryExpr, *ast.CompareSubqueryExpr:
		return cx.lookupSubquery(n, x) // bind_expr_subquery.go
	case *ast.WindowFuncExpr:
		return nil, cx.p.errAt(ErrUnsupported, off(n), "OVER windows are only supported as ROW_NUMBER() OVER (PARTITION BY ... ORDER BY ...) in a select list (Top-N), or as aggregates OVER a time-ordered window in the select list of a SELECT without GROUP BY",
			"filter the row number in an outer query: SELECT * FROM (SELECT *, ROW_NUMBER() OVER (...) AS rn FROM t) WHERE rn <= 10")
	case *ast.DefaultExpr:
		return nil, cx.p.errAt(ErrUnsupported, off(n), "DEFAULT is not supported", "")
	}
	return nil, cx.p.errAt(ErrUnsupported, off(n), "unsupported expression", "")
}

// literal converts a parser constant. TRUE/FALSE are recognised from the text.
func (cx *compiler) literal(v *driver.ValueExpr) (expr.Expr, error) {
	nn := func(t types.Type) types.Type { t.NotNull = true; return t }
	switch v.Kind() {
	case driver.KindNull:
		return &expr.Literal{V: types.NullValue(), T: types.Null}, nil
	case driver.KindInt64:
		o := off(v)
		if o > 0 && o < len(cx.p.Text) {
			w := strings.ToUpper(cx.p.Text[o:min(len(cx.p.Text), o+5)])
			if strings.HasPrefix(w, "TRUE") || strings.HasPrefix(w, "FALSE") {
				return &expr.Literal{V: types.BoolValue(v.GetInt64() != 0), T: nn(types.Bool)}, nil
			}
		}
		return &expr.Literal{V: types.IntValue(v.GetInt64()), T: nn(types.BigInt)}, nil
	case driver.KindUint64:
		u := v.GetUint64()
		if u <= math.MaxInt64 {
			return &expr.Literal{V: types.IntValue(int64(u)), T: nn(types.BigInt)}, nil
		}
		return &expr.Literal{V: types.DoubleValue(float64(u)), T: nn(types.Double)}, nil
	case driver.KindFloat32, driver.KindFloat64:
		return &expr.Literal{V: types.DoubleValue(v.GetFloat64()), T: nn(types.Double)}, nil
	case driver.KindString, driver.KindBytes:
		return &expr.Literal{V: types.StringValue(v.GetString()), T: nn(types.String)}, nil
	case driver.KindMysqlDecimal:
		s := v.GetMysqlDecimal().String()
		u, sc, ok := expr.ParseDecimal(s)
		if !ok {
			f, err := strconv.ParseFloat(s, 64)
			if err != nil {
				return nil, cx.p.errAt(ErrType, off(v), "invalid number '"+s+"'", "")
			}
			return &expr.Literal{V: types.DoubleValue(f), T: nn(types.Double)}, nil
		}
		digits := len(strings.TrimLeft(strings.NewReplacer("-", "", ".", "").Replace(s), "0"))
		p := max(digits, int(sc), 1)
		return &expr.Literal{V: types.DecimalValue(u, sc), T: nn(types.DecimalType(uint8(p), sc))}, nil
	case driver.KindBinaryLiteral:
		return &expr.Literal{V: types.StringValue(string(v.GetBinaryLiteral())), T: nn(types.String)}, nil
	}
	return nil, cx.p.errAt(ErrUnsupported, off(v), "unsupported constant", "")
}

func (cx *compiler) bindColumn(v *ast.ColumnNameExpr, x *ectx) (expr.Expr, error) {
	name := v.Name.Name.O
	qual := v.Name.Table.O
	if qual == "" {
		if iv, ok := cx.notes.intervals[strings.ToLower(name)]; ok {
			return expr.IntervalLiteral(iv.ms), nil
		}
	}
	if o := cx.outer; o != nil && x.sc != nil && len(x.sc.lookup(qual, name)) == 0 {
		if m := o.lookup(qual, name); len(m) == 1 { // a correlated subquery's outer column (bind_apply.go)
			c := o.cols[m[0]]
			return &expr.OuterCol{Index: m[0], Name: c.name, T: c.typ}, nil
		}
	}
	if x.agg != nil {
		// Not a group key (match failed): explain.
		if _, err := cx.resolve(x.agg.in, qual, name, off(v)); err != nil {
			return nil, err
		}
		full := name
		if qual != "" {
			full = qual + "." + name
		}
		return nil, cx.p.errAt(ErrNotGrouped, off(v), "column '"+full+"' is neither in GROUP BY nor inside an aggregate function",
			"add it to GROUP BY or wrap it in an aggregate such as MAX("+full+")")
	}
	i, err := cx.resolve(x.sc, qual, name, off(v))
	if err != nil {
		return nil, err
	}
	c := x.sc.cols[i]
	return &expr.Col{Index: i, Name: c.name, T: c.typ}, nil
}

var arithOps = map[opcode.Op]expr.ArithOp{opcode.Plus: expr.OpAdd, opcode.Minus: expr.OpSub, opcode.Mul: expr.OpMul,
	opcode.Div: expr.OpDiv, opcode.IntDiv: expr.OpIntDiv, opcode.Mod: expr.OpMod}
var cmpOps = map[opcode.Op]expr.CmpOp{opcode.EQ: expr.CmpEQ, opcode.NE: expr.CmpNE, opcode.LT: expr.CmpLT,
	opcode.LE: expr.CmpLE, opcode.GT: expr.CmpGT, opcode.GE: expr.CmpGE, opcode.NullEQ: expr.CmpNullEQ}

func (cx *compiler) bindBinary(v *ast.BinaryOperationExpr, x *ectx) (expr.Expr, error) {
	l, err := cx.bindExpr(v.L, x)
	if err != nil {
		return nil, err
	}
	r, err := cx.bindExpr(v.R, x)
	if err != nil {
		return nil, err
	}
	var e expr.Expr
	switch {
	case v.Op == opcode.LogicAnd:
		e, err = expr.NewAnd(l, r)
	case v.Op == opcode.LogicOr:
		e, err = expr.NewOr(l, r)
	case v.Op == opcode.LogicXor:
		var a, b expr.Expr
		if a, err = expr.NewCompare(expr.CmpNE, l, r); err == nil {
			_ = b
			e = a
		}
	default:
		if op, ok := arithOps[v.Op]; ok {
			e, err = expr.NewArith(op, l, r)
		} else if op, ok := cmpOps[v.Op]; ok {
			e, err = expr.NewCompare(op, l, r)
		} else {
			return nil, cx.p.errAt(ErrUnsupported, off(v), "operator "+v.Op.String()+" is not supported", "")
		}
	}
	if err != nil {
		return nil, cx.wrapTypeErr(err, v, []ast.ExprNode{v.L, v.R})
	}
	return e, nil
}

func (cx *compiler) bindCase(v *ast.CaseExpr, x *ectx) (expr.Expr, error) {
	var operand expr.Expr
	var err error
	if v.Value != nil {
		if operand, err = cx.bindExpr(v.Value, x); err != nil {
			return nil, err
		}
	}
	var whens, thens []expr.Expr
	for _, w := range v.WhenClauses {
		c, err := cx.bindExpr(w.Expr, x)
		if err != nil {
			return nil, err
		}
		if operand != nil {
			if c, err = expr.NewCompare(expr.CmpEQ, operand, c); err != nil {
				return nil, cx.wrapTypeErr(err, w.Expr, nil)
			}
		}
		t, err := cx.bindExpr(w.Result, x)
		if err != nil {
			return nil, err
		}
		whens, thens = append(whens, c), append(thens, t)
	}
	var els expr.Expr
	if v.ElseClause != nil {
		if els, err = cx.bindExpr(v.ElseClause, x); err != nil {
			return nil, err
		}
	}
	c, err := expr.NewCase(whens, thens, els)
	if err != nil {
		return nil, cx.wrapTypeErr(err, v, nil)
	}
	return c, nil
}

var windowFuncs = map[string]bool{"TUMBLE": true, "HOP": true, "SESSWIN": true, "SESSION": true, "CUMULATE": true}

// windowProperty splits TUMBLE_START etc. into (TUMBLE, START).
func windowProperty(name string) (kind, prop string, ok bool) {
	up := strings.ToUpper(name)
	for _, k := range []string{"TUMBLE", "HOP", "SESSION", "CUMULATE"} {
		for _, p := range []string{"START", "END", "ROWTIME", "PROCTIME"} {
			if up == k+"_"+p {
				return k, p, true
			}
		}
	}
	return "", "", false
}

func (cx *compiler) bindFunc(v *ast.FuncCallExpr, x *ectx) (expr.Expr, error) {
	name := strings.ToUpper(v.FnName.O)
	lname := strings.ToLower(name)
	if cn, ok := cx.notes.casts[lname]; ok {
		return cx.bindCast(v, cn, x)
	}
	if windowFuncs[name] {
		disp := name
		if disp == "SESSWIN" {
			disp = "SESSION"
		}
		return nil, cx.p.errAt(ErrWindow, off(v), disp+"(...) can only be used in GROUP BY",
			"group by the window and select "+disp+"_START(...) / "+disp+"_END(...) or window_start / window_end")
	}
	if kind, _, ok := windowProperty(name); ok {
		return nil, cx.p.errAt(ErrWindow, off(v), name+" needs a GROUP BY "+kind+"(...) window in the same query", "")
	}
	if groupingFuncs[name] {
		return nil, cx.p.errAt(ErrInvalid, off(v), name+" can only be used in the select list or HAVING of a query with GROUP BY", "")
	}
	args := v.Args
	if strings.Contains(lname, "timestampliteral") || strings.Contains(lname, "dateliteral") {
		// TIMESTAMP '...' and DATE '...' literals
		t := types.Timestamp
		if strings.Contains(lname, "dateliteral") {
			t = types.Date
		}
		if len(args) != 1 {
			return nil, cx.p.errAt(ErrSyntax, off(v), "malformed literal", "")
		}
		a, err := cx.bindExpr(args[0], x)
		if err != nil {
			return nil, err
		}
		e, err := expr.NewCast(a, t)
		if err != nil {
			return nil, cx.wrapTypeErr(err, v, args)
		}
		return e, nil
	}
	switch lname {
	case "proctime":
		return cx.bindProctime(v) // bind_lookup.go
	case "extract":
		name = "_EXTRACT"
	case "trim":
		if len(args) == 3 {
			// TRIM([dir] [rem] FROM s): args are s, rem, direction
			dir, _ := args[2].(*ast.TrimDirectionExpr)
			fn := "TRIM"
			if dir != nil {
				switch dir.Direction {
				case ast.TrimLeading:
					fn = "LTRIM"
				case ast.TrimTrailing:
					fn = "RTRIM"
				}
			}
			a := args[:2]
			if vx, ok := args[1].(*driver.ValueExpr); ok && vx.Kind() == driver.KindNull && off(vx) == 0 {
				a = args[:1]
			}
			return cx.callNamed(fn, v, a, x)
		}
	case "date_add", "date_sub", "adddate", "subdate":
		return cx.bindDateAdd(v, lname == "date_sub" || lname == "subdate", x)
	case "current_timestamp", "now", "localtimestamp", "current_date", "curdate", "utc_timestamp":
		if len(args) == 1 {
			args = nil
		}
		if lname == "utc_timestamp" {
			name = "NOW"
		}
	case "timestampadd", "timestampdiff":
		// unit is a TimeUnitExpr: bound as a string literal.
	}
	return cx.callNamed(name, v, args, x)
}

func (cx *compiler) callNamed(name string, v ast.ExprNode, args []ast.ExprNode, x *ectx) (expr.Expr, error) {
	if expr.Lookup(name) == nil {
		shown := name
		if fc, ok := v.(*ast.FuncCallExpr); ok {
			shown = fc.FnName.O
		}
		return nil, cx.p.errAt(ErrUnknownFunction, off(v), "unknown function '"+shown+"'", funcHint(name))
	}
	bound, err := cx.bindExprs(args, x)
	if err != nil {
		return nil, err
	}
	e, err := expr.NewCall(name, bound)
	if err != nil {
		return nil, cx.wrapTypeErr(err, v, args)
	}
	return e, nil
}

func (cx *compiler) bindCast(v *ast.FuncCallExpr, cn castNote, x *ectx) (expr.Expr, error) {
	if len(v.Args) != 1 {
		return nil, cx.p.errAt(ErrSyntax, cn.off, "CAST takes one value: CAST(x AS type)", "")
	}
	t, perr := parseType(cn.typeText, cn.typeOff)
	if perr != nil {
		return nil, cx.preErr(perr)
	}
	a, err := cx.bindExpr(v.Args[0], x)
	if err != nil {
		return nil, err
	}
	if a.Type().Kind == types.KindNull {
		return expr.NullLiteral(t), nil
	}
	e, err := expr.NewCast(a, t)
	if err != nil {
		return nil, cx.p.errAt(ErrType, cn.off, err.Error(), "")
	}
	if e == a {
		// an explicit CAST to the same type still shows in EXPLAIN
		return &expr.Cast{X: a, T: t}, nil
	}
	return e, nil
}

// bindDateAdd handles DATE_ADD(ts, INTERVAL n unit) / DATE_SUB, which TiDB
// parses as (ts, n, unit); fixed units become ts ± INTERVAL, calendar units
// TIMESTAMPADD.
func (cx *compiler) bindDateAdd(v *ast.FuncCallExpr, sub bool, x *ectx) (expr.Expr, error) {
	if len(v.Args) == 2 {
		// DATE_ADD(ts, _iXX) or ADDDATE(ts, days)
		ts, err := cx.bindExpr(v.Args[0], x)
		if err != nil {
			return nil, err
		}
		d, err := cx.bindExpr(v.Args[1], x)
		if err != nil {
			return nil, err
		}
		if d.Type().Kind != types.KindInterval {
			unit := &expr.Literal{V: types.StringValue("DAY"), T: types.String}
			if sub {
				if d, err = expr.NewNeg(d); err != nil {
					return nil, cx.wrapTypeErr(err, v, v.Args[1:])
				}
			}
			e, err := expr.NewCall("TIMESTAMPADD", []expr.Expr{unit, d, ts})
			if err != nil {
				return nil, cx.wrapTypeErr(err, v, nil)
			}
			return e, nil
		}
		op := expr.OpAdd
		if sub {
			op = expr.OpSub
		}
		e, err := expr.NewArith(op, ts, d)
		if err != nil {
			return nil, cx.wrapTypeErr(err, v, v.Args)
		}
		return e, nil
	}
	if len(v.Args) != 3 {
		return nil, cx.p.errAt(ErrSyntax, off(v), "DATE_ADD takes a timestamp and an INTERVAL", "usage: DATE_ADD(ts, INTERVAL 1 DAY)")
	}
	ts, err := cx.bindExpr(v.Args[0], x)
	if err != nil {
		return nil, err
	}
	n, err := cx.bindExpr(v.Args[1], x)
	if err != nil {
		return nil, err
	}
	unitE, err := cx.bindExpr(v.Args[2], x)
	if err != nil {
		return nil, err
	}
	unit := unitE.(*expr.Literal).V.Str()
	if l, ok := n.(*expr.Literal); ok && !l.V.IsNull() {
		if ms, fixed := expr.UnitMillis(unit); fixed {
			num, cerr := expr.CastValue(l.V, l.T, types.DecimalType(18, 3))
			if cerr != nil {
				return nil, cx.p.errAt(ErrType, off(v.Args[1]), "invalid interval value "+l.String(), "")
			}
			ivMs, inRange := expr.IntervalMillis(num.Unscaled(), 3, ms)
			if !inRange {
				return nil, cx.p.errAt(ErrInvalid, off(v.Args[1]), expr.IntervalRangeError(l.String()+" "+strings.ToUpper(unit)), "")
			}
			iv := expr.IntervalLiteral(ivMs)
			op := expr.OpAdd
			if sub {
				op = expr.OpSub
			}
			e, err := expr.NewArith(op, ts, iv)
			if err != nil {
				return nil, cx.wrapTypeErr(err, v, v.Args)
			}
			return e, nil
		}
	}
	if sub {
		if n, err = expr.NewNeg(n); err != nil {
			return nil, cx.wrapTypeErr(err, v, v.Args[1:])
		}
	}
	e, err := expr.NewCall("TIMESTAMPADD", []expr.Expr{unitE, n, ts})
	if err != nil {
		return nil, cx.wrapTypeErr(err, v, nil)
	}
	return e, nil
}
