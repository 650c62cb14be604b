package sql

import (
	"strconv"
	"strings"

	"github.com/pingcap/tidb/pkg/parser"
	"github.com/pingcap/tidb/pkg/parser/ast"
	driver "github.com/pingcap/tidb/pkg/parser/test_driver"

	"github.com/streamsql/streamsql/expr"
	"github.com/streamsql/streamsql/plan"
	"github.com/streamsql/streamsql/types"
)

// Binding of the aggregates beyond COUNT/SUM/MIN/MAX/AVG (LISTAGG,
// GROUP_CONCAT, FIRST_VALUE, LAST_VALUE, STDDEV_POP/SAMP, VAR_POP/SAMP
// and their MySQL aliases, BOOL_AND, BOOL_OR), of COUNT(DISTINCT a, b,
// ...), and of FILTER (WHERE cond) on any aggregate. bindAgg hands a call
// here when bindAggExt reports it handled it.
//
// FILTER binds to plan.AggCall.Filter: the accumulator folds a row into
// (or, retracting, out of) the call only when the condition is TRUE; the
// group itself still exists (and COUNT(*) without FILTER still counts the
// row).

// moreAggFuncs maps the names of the parser's aggregate nodes (after
// liftAggregates) to functions.
var moreAggFuncs = map[string]plan.AggFunc{
	"listagg": plan.AggListAgg, "group_concat": plan.AggGroupConcat,
	"first_value": plan.AggFirstValue, "last_value": plan.AggLastValue,
	"stddev_pop": plan.AggStddevPop, "stddev_samp": plan.AggStddevSamp,
	"var_pop": plan.AggVarPop, "var_samp": plan.AggVarSamp,
	"bool_and": plan.AggBoolAnd, "bool_or": plan.AggBoolOr,
	singleValueAgg: plan.AggSingleValue,
}

// singleValueAgg names the aggregate the subquery binder wraps a scalar
// subquery's value in (bind_scalar_subquery.go); no SQL text reaches it.
const singleValueAgg = "$single_value"

// liftedAggs are the scalar-call names the parser produces for aggregates
// its grammar does not know (FIRST_VALUE / LAST_VALUE after the pre-parse
// rename): liftAggregates turns such calls into aggregate nodes.
var liftedAggs = map[string]string{"listagg": "listagg", "bool_and": "bool_and", "bool_or": "bool_or",
	"_firstvalue": "first_value", "_lastvalue": "last_value"}

type aggLifter struct{}

func (aggLifter) Enter(n ast.Node) (ast.Node, bool) { return n, false }
func (aggLifter) Leave(n ast.Node) (ast.Node, bool) {
	if f, ok := n.(*ast.FuncCallExpr); ok {
		if name, ok := liftedAggs[f.FnName.L]; ok {
			a := &ast.AggregateFuncExpr{F: name, Args: f.Args}
			a.SetOriginTextPosition(f.OriginTextPosition())
			a.SetText(nil, f.Text())
			return a, true
		}
	}
	return n, true
}

// liftAggregates replaces LISTAGG, BOOL_AND, BOOL_OR, FIRST_VALUE and
// LAST_VALUE calls, which the parser reads as scalar calls, by aggregate
// nodes at the same offsets. parseQuery calls it after parsing.
func liftAggregates(st ast.StmtNode) ast.StmtNode {
	out, _ := st.Accept(aggLifter{})
	return out.(ast.StmtNode)
}

// bindAggExt binds v when it is one of the functions above, has a
// FILTER, or is COUNT(DISTINCT a, b, ...); handled is false otherwise.
func (ab *aggBinder) bindAggExt(v *ast.AggregateFuncExpr) (e expr.Expr, handled bool, err error) {
	lname := strings.ToLower(v.F)
	f, isMore := moreAggFuncs[lname]
	flt, hasFilter := ab.cx.notes.filters[off(v)]
	multiCount := lname == "count" && len(v.Args) > 1
	if !isMore && !hasFilter && !multiCount {
		return nil, false, nil
	}
	cx := ab.cx
	fname := strings.ToUpper(v.F)
	if !isMore {
		var ok bool
		if f, ok = aggFuncs[lname]; !ok {
			return nil, true, cx.p.errAt(ErrUnsupported, off(v), "aggregate function "+fname+" is not supported", supportedAggs)
		}
	}
	fname = f.String()
	call := plan.AggCall{Func: f, Distinct: v.Distinct}
	bindArg := func(n ast.ExprNode) (expr.Expr, error) {
		return cx.bindExpr(n, &ectx{sc: ab.in, clause: "an aggregate argument"})
	}
	args := v.Args
	switch f {
	case plan.AggGroupConcat:
		// The parser appends the separator (',' by default) as the last argument.
		if len(args) < 2 {
			return nil, true, cx.p.errAt(ErrInvalid, off(v), "GROUP_CONCAT needs an argument", "")
		}
		sep, err := ab.separator(args[len(args)-1], off(v))
		if err != nil {
			return nil, true, err
		}
		call.Sep, args = sep, args[:len(args)-1]
		var parts []expr.Expr
		for _, a := range args {
			x, err := bindArg(a)
			if err != nil {
				return nil, true, err
			}
			parts = append(parts, asString(x))
		}
		call.Arg = parts[0]
		if len(parts) > 1 { // MySQL: the arguments concatenated, NULL when one is NULL
			if call.Arg, err = expr.NewCall("CONCAT", parts); err != nil {
				return nil, true, cx.wrapTypeErr(err, v, args)
			}
		}
		if v.Order != nil {
			for _, it := range v.Order.Items {
				k, err := cx.bindExpr(it.Expr, &ectx{sc: ab.in, clause: "GROUP_CONCAT's ORDER BY"})
				if err != nil {
					return nil, true, err
				}
				call.OrderBy = append(call.OrderBy, k)
				call.Desc = append(call.Desc, it.Desc)
			}
		}
	case plan.AggListAgg:
		if len(args) < 1 || len(args) > 2 {
			return nil, true, cx.p.errAt(ErrInvalid, off(v), "LISTAGG takes one or two arguments", "usage: LISTAGG(expression [, separator])")
		}
		call.Sep = ","
		if len(args) == 2 {
			if call.Sep, err = ab.separator(args[1], off(args[1])); err != nil {
				return nil, true, err
			}
		}
		x, err := bindArg(args[0])
		if err != nil {
			return nil, true, err
		}
		call.Arg = asString(x)
	default:
		if len(args) == 0 {
			return nil, true, cx.p.errAt(ErrInvalid, off(v), fname+" needs an argument", "")
		}
		if len(args) > 1 && !(f == plan.AggCount && v.Distinct) {
			return nil, true, cx.p.errAt(ErrUnsupported, off(v), fname+" takes one argument", "several arguments are allowed in COUNT(DISTINCT a, b, ...)")
		}
		star := f == plan.AggCount && !v.Distinct
		if lit, ok := args[0].(*driver.ValueExpr); !ok || lit.Kind() == driver.KindNull {
			star = false
		}
		if !star {
			if call.Arg, err = bindArg(args[0]); err != nil {
				return nil, true, err
			}
			for _, a := range args[1:] {
				x, err := bindArg(a)
				if err != nil {
					return nil, true, err
				}
				call.More = append(call.More, x)
			}
		}
	}
	if f == plan.AggFirstValue || f == plan.AggLastValue {
		call.Distinct = false // the first / last value is the same
	}
	argT := types.BigInt
	if call.Arg != nil {
		argT = call.Arg.Type()
		numeric := f == plan.AggSum || f == plan.AggAvg || (f >= plan.AggStddevPop && f <= plan.AggVarSamp)
		if numeric && argT.Kind == types.KindString {
			c, _ := expr.NewCast(call.Arg, types.Double)
			call.Arg, argT = c, types.Double
		}
	}
	t, ok := aggTypeExt(f, argT)
	if !ok {
		return nil, true, cx.p.errAt(ErrType, off(args[0]), fname+" cannot be applied to "+argT.Nullable().String(), "")
	}
	call.Type = t
	if hasFilter {
		if call.Filter, err = ab.bindFilter(flt); err != nil {
			return nil, true, err
		}
	}
	call.Name = call.String()
	return ab.addCall(call, aggCallID(call)), true, nil
}

const supportedAggs = "supported: COUNT, SUM, MIN, MAX, AVG, LISTAGG, GROUP_CONCAT, FIRST_VALUE, LAST_VALUE, " +
	"STDDEV_POP, STDDEV_SAMP, VAR_POP, VAR_SAMP, STDDEV, VARIANCE, BOOL_AND, BOOL_OR"

// aggTypeExt is aggType for every function (see doc.go).
func aggTypeExt(f plan.AggFunc, t types.Type) (types.Type, bool) {
	switch f {
	case plan.AggListAgg, plan.AggGroupConcat:
		return types.String, true
	case plan.AggFirstValue, plan.AggLastValue:
		return t.Nullable(), t.Kind != types.KindNull
	case plan.AggStddevPop, plan.AggStddevSamp, plan.AggVarPop, plan.AggVarSamp:
		switch t.Kind {
		case types.KindInt, types.KindDecimal, types.KindDouble, types.KindNull:
			return types.Double, true
		}
		return types.Type{}, false
	case plan.AggBoolAnd, plan.AggBoolOr:
		return types.Bool, t.Kind == types.KindBool || t.Kind == types.KindNull
	case plan.AggSingleValue:
		return t.Nullable(), true
	}
	return aggType(f, t)
}

// asString casts a non-string argument of LISTAGG / GROUP_CONCAT to STRING.
func asString(x expr.Expr) expr.Expr {
	if x.Type().Kind == types.KindString {
		return x
	}
	c, err := expr.NewCast(x, types.String)
	if err != nil {
		return x
	}
	return c
}

// separator binds a LISTAGG / GROUP_CONCAT separator: a string constant.
func (ab *aggBinder) separator(n ast.ExprNode, at int) (string, error) {
	cx := ab.cx
	e, err := cx.bindExpr(n, &ectx{sc: ab.in, clause: "a separator"})
	if err != nil {
		return "", err
	}
	l, ok := e.(*expr.Literal)
	if !ok || l.V.Kind() != types.KindString {
		if p := off(n); p > 0 {
			at = p
		}
		return "", cx.p.errAt(ErrInvalid, at, "the separator must be a string literal", "e.g. LISTAGG(name, '; ')")
	}
	return l.V.Str(), nil
}

// bindFilter parses a FILTER condition recorded by the pre-parse at its
// original offsets and binds it over the aggregate's input; it must be
// BOOLEAN.
func (ab *aggBinder) bindFilter(fn filterNote) (expr.Expr, error) {
	cx := ab.cx
	n, err := cx.parseExprAt(fn.off, fn.text)
	if err != nil {
		return nil, err
	}
	if n == nil {
		return nil, cx.p.errAt(ErrSyntax, fn.off, "FILTER needs one condition", "FILTER (WHERE condition)")
	}
	e, err := cx.bindExpr(n, &ectx{sc: ab.in, clause: "FILTER"})
	if err != nil {
		return nil, err
	}
	if k := e.Type().Kind; k != types.KindBool && k != types.KindNull {
		return nil, cx.p.errAt(ErrType, fn.off, "the FILTER condition must be BOOLEAN, not "+e.Type().Nullable().String(), "")
	}
	return e, nil
}

// parseExprAt parses text, a piece of the pre-parsed statement that was
// recorded and blanked (a FILTER condition, an OVER call), as one
// expression at its original offset at, so that its nodes and errors
// carry the statement's offsets (the text before it is blanked). The
// result is nil when text is not exactly one expression.
func (cx *compiler) parseExprAt(at int, text string) (ast.ExprNode, error) {
	buf := []byte(cx.p.Text[:at])
	blank(buf, 0, len(buf))
	copy(buf, "SELECT")
	full := string(buf) + text
	ps := parsers.Get().(*parser.Parser)
	stmts, _, err := ps.Parse(full, "", "")
	parsers.Put(ps)
	if err != nil {
		return nil, cx.syntaxError(full, err)
	}
	sel, ok := stmts[0].(*ast.SelectStmt)
	if len(stmts) != 1 || !ok || sel.Fields == nil || len(sel.Fields.Fields) != 1 || sel.From != nil {
		return nil, nil
	}
	return liftAggregates(sel).(*ast.SelectStmt).Fields.Fields[0].Expr, nil
}

// aggCallID identifies a call structurally (columns by index), so that
// the same call written twice is computed once.
func aggCallID(c plan.AggCall) string {
	var b strings.Builder
	b.WriteString(c.Func.String())
	if c.Distinct {
		b.WriteString("|D")
	}
	if c.Arg == nil {
		b.WriteString("|*")
	}
	b.WriteString("|" + strconv.Itoa(len(c.More)) + "|" + strconv.Itoa(len(c.OrderBy)) + "|" + strconv.Quote(c.Sep))
	for _, d := range c.Desc {
		b.WriteString(strconv.FormatBool(d))
	}
	if c.Filter != nil {
		b.WriteString("|F")
	}
	for _, e := range c.Exprs() {
		b.WriteString("|" + exprID(e))
	}
	return b.String()
}

// addCall returns the output column of call, adding it unless a call
// with the same id exists.
func (ab *aggBinder) addCall(call plan.AggCall, id string) expr.Expr {
	for i, a := range ab.aggIDs {
		if a == id {
			return ab.outCol(len(ab.keys)+ab.winCols()+i, ab.aggs[i].Name, ab.aggs[i].Type)
		}
	}
	ab.aggs = append(ab.aggs, call)
	ab.aggIDs = append(ab.aggIDs, id)
	return ab.outCol(len(ab.keys)+ab.winCols()+len(ab.aggs)-1, call.Name, call.Type)
}
