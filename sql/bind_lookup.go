package sql

import (
	"strings"

	"github.com/pingcap/tidb/pkg/parser/ast"
	"github.com/pingcap/tidb/pkg/parser/opcode"
	driver "github.com/pingcap/tidb/pkg/parser/test_driver"

	"github.com/streamsql/streamsql/connectors"
	"github.com/streamsql/streamsql/expr"
	"github.com/streamsql/streamsql/plan"
)

// Lookup joins (Flink's processing-time temporal joins):
//
//	FROM probe AS p [INNER | LEFT] JOIN t FOR SYSTEM_TIME AS OF p.proc_time [AS] s ON p.x = s.k [AND ...]
//
// The pre-parse layer (preparse_temporal.go) turns the clause into TiDB's
// `AS OF TIMESTAMP n`; the binder finds clause n again in the original
// tokens. The lookup side must be a catalog table whose connector can be
// looked up (connectors.CanLookup); the attribute must be a PROCTIME()
// attribute of the probe side; ON needs at least one equality between a
// plain column of t and an expression over the probe side only (the
// lookup keys, the probe side cast to the key column's type); its other
// terms filter the looked-up rows.

// hintProctime says how to get a processing-time attribute.
const hintProctime = "declare pt AS PROCTIME() on the probe table, or select PROCTIME() AS pt in a subquery of it, and write FOR SYSTEM_TIME AS OF pt"

// lookupRight returns the table name of a join's right side when it
// carries FOR SYSTEM_TIME AS OF (TiDB's AsOf after the pre-parse).
func lookupRight(v *ast.Join) *ast.TableName {
	ts, ok := v.Right.(*ast.TableSource)
	if !ok {
		return nil
	}
	tn, ok := ts.Source.(*ast.TableName)
	if !ok || tn.AsOf == nil {
		return nil
	}
	return tn
}

// temporalClauseOf returns the FOR SYSTEM_TIME AS OF clause behind the
// AsOf of tn (the clause's ordinal is the AsOf's value). A TiDB-style
// AS OF TIMESTAMP written by the user is an error.
func (cx *compiler) temporalClauseOf(tn *ast.TableName) (temporalClause, error) {
	clauses := temporalClauses(cx.toks)
	if v, ok := tn.AsOf.TsExpr.(*driver.ValueExpr); ok && (v.Kind() == driver.KindInt64 || v.Kind() == driver.KindUint64) {
		if n := int(v.GetInt64()); n >= 0 && n < len(clauses) {
			return clauses[n], nil
		}
	}
	return temporalClause{}, cx.p.errAt(ErrUnsupported, cx.tableRefOffset(tn.Name.O), "AS OF TIMESTAMP (a read of a table's past state) is not supported",
		"a lookup join reads a table as of the processing time: JOIN t FOR SYSTEM_TIME AS OF probe.proc_time ON ...")
}

// misplacedAsOf is the error for FOR SYSTEM_TIME AS OF on a table that is
// not the right side of a JOIN.
func (cx *compiler) misplacedAsOf(tn *ast.TableName) error {
	c, err := cx.temporalClauseOf(tn)
	if err != nil {
		return err
	}
	return cx.p.errAt(ErrUnsupported, cx.toks[c.forTok].start, "FOR SYSTEM_TIME AS OF is only supported on the table on the right of a JOIN (a lookup join)",
		"write probe [LEFT] JOIN "+tn.Name.O+" FOR SYSTEM_TIME AS OF probe.proc_time ON probe.x = "+tn.Name.O+".key")
}

// tableTokOffset is the offset of the table name of a clause's table
// reference: the token before FOR, or before the alias in front of FOR.
func (cx *compiler) tableTokOffset(c temporalClause, hasAlias bool) int {
	i := c.prevTok
	if hasAlias && c.aliasTok < 0 && i > 0 {
		i--
		if i > 0 && cx.toks[i].is("AS") {
			i--
		}
	}
	if i < 0 {
		return 0
	}
	return cx.toks[i].start
}

// bindLookupJoin binds a JOIN whose right side is a table FOR SYSTEM_TIME
// AS OF an attribute of the left side.
func (cx *compiler) bindLookupJoin(v *ast.Join, tn *ast.TableName, where *[]ast.ExprNode) (plan.Node, *scope, error) {
	c, err := cx.temporalClauseOf(tn)
	if err != nil {
		return nil, nil, err
	}
	alias := v.Right.(*ast.TableSource).AsName.O
	name := tn.Name.O
	qual := alias
	if qual == "" {
		qual = name
	}
	at := cx.tableTokOffset(c, alias != "")
	if c.bad != "" {
		return nil, nil, cx.p.errAt(c.badKind, c.badOff, c.bad, hintProctime)
	}
	switch {
	case v.Tp == ast.RightJoin:
		return nil, nil, cx.p.errAt(ErrUnsupported, cx.findWord("RIGHT", 0), "a lookup join is an inner JOIN or a LEFT JOIN, with the lookup table on the right",
			"write probe LEFT JOIN "+name+" FOR SYSTEM_TIME AS OF ...")
	case v.NaturalJoin:
		return nil, nil, cx.p.errAt(ErrUnsupported, cx.findWord("NATURAL", 0), "NATURAL JOIN is not supported", "write JOIN ... ON a.x = b.x")
	case len(v.Using) > 0:
		return nil, nil, cx.p.errAt(ErrUnsupported, cx.findWord("USING", 0), "JOIN ... USING is not supported", "write JOIN ... ON a.x = b.x")
	case v.On == nil:
		return nil, nil, cx.p.errAt(ErrUnsupported, at, "a lookup join needs JOIN ... ON with an equality between the probe side and a column of '"+qual+"'",
			"write probe JOIN "+name+" FOR SYSTEM_TIME AS OF probe.proc_time AS "+qual+" ON probe.x = "+qual+".key")
	}
	l, ls, err := cx.bindFrom(v.Left, where)
	if err != nil {
		return nil, nil, err
	}
	// The lookup table.
	if _, ok := cx.ctes[strings.ToLower(name)]; ok && tn.Schema.O == "" {
		return nil, nil, cx.p.errAt(ErrUnsupported, at, "'"+name+"' is a WITH query: the lookup side of FOR SYSTEM_TIME AS OF must be a table",
			"look up a table (a bounded table, or a jdbc table)")
	}
	t := cx.cat.Table(name)
	if t == nil {
		if cx.cat.View(name) != nil {
			return nil, nil, cx.p.errAt(ErrUnsupported, at, "'"+name+"' is a view: the lookup side of FOR SYSTEM_TIME AS OF must be a table (event-time temporal joins against versioned views are not supported)",
				"look up a table (a bounded table, or a jdbc table)")
		}
		return nil, nil, cx.p.errAt(ErrUnknownTable, at, "unknown table '"+name+"'", cx.tableHint(name))
	}
	if err := connectors.CanLookup(t); err != nil {
		return nil, nil, cx.p.errAt(ErrUnsupported, at, "table '"+name+"' cannot be the lookup side of FOR SYSTEM_TIME AS OF: "+err.Error(),
			"event-time temporal joins (against a versioned table) are not supported; join it with a regular JOIN, or look up a bounded or jdbc table")
	}
	if ls.hasQual(qual) {
		return nil, nil, cx.p.errAt(ErrDuplicate, at, "table name '"+qual+"' is used twice in FROM", "give one of them an alias")
	}
	// The time attribute, of the probe side.
	if c.qual != "" && strings.EqualFold(c.qual, qual) {
		return nil, nil, cx.p.errAt(ErrInvalid, c.attrOff, "FOR SYSTEM_TIME AS OF must name the processing-time attribute of the probe side (the left of the JOIN), not a column of '"+qual+"'", hintProctime)
	}
	ti, err := cx.resolve(ls, c.qual, c.name, c.attrOff)
	if err != nil {
		return nil, nil, err
	}
	attr := ls.cols[ti]
	switch {
	case attr.rowtime:
		return nil, nil, cx.p.errAt(ErrUnsupported, c.attrOff, "'"+attr.name+"' is an event-time attribute: event-time temporal joins (FOR SYSTEM_TIME AS OF a rowtime, against a versioned table) are not supported; lookup joins on a processing-time attribute are", hintProctime)
	case !attr.proctime:
		return nil, nil, cx.p.errAt(ErrInvalid, c.attrOff, "'"+attr.name+"' is not a time attribute: FOR SYSTEM_TIME AS OF needs the probe side's processing-time attribute (a PROCTIME() column)", hintProctime)
	}
	// The scope: probe columns, then the lookup table's physical columns.
	nl := len(ls.cols)
	j := &plan.LookupJoin{Input: l, Table: t, Alias: alias, Left: v.Tp == ast.LeftJoin, TimeAttr: attr.name}
	phys := t.PhysicalColumns()
	sc := &scope{cols: append([]column{}, ls.cols...), quals: append(append([]string{}, ls.quals...), qual)}
	for _, col := range j.LookupColumns() {
		sc.cols = append(sc.cols, column{qual: qual, name: col.Name, typ: col.Type})
	}
	// ON: lookup keys (probe expression = lookup column), and the rest.
	var residual []ast.ExprNode
	for _, n := range splitAnd(v.On.Expr) {
		b, ok := n.(*ast.BinaryOperationExpr)
		if !ok || b.Op != opcode.EQ {
			residual = append(residual, n)
			continue
		}
		x := &ectx{sc: sc, clause: "ON"}
		le, err := cx.bindExpr(b.L, x)
		if err != nil {
			return nil, nil, err
		}
		re, err := cx.bindExpr(b.R, x)
		if err != nil {
			return nil, nil, err
		}
		probe, k := le, lookupColumn(re, nl)
		if k < 0 || expr.Sides(probe, nl) != 1 {
			probe, k = re, lookupColumn(le, nl)
		}
		if k < 0 || expr.Sides(probe, nl) != 1 {
			residual = append(residual, n)
			continue
		}
		le = probe
		kt := phys[k].Type
		if le.Type().Kind != kt.Kind {
			ct, ok := expr.CommonType(le.Type(), kt)
			if !ok || ct.Kind != kt.Kind {
				return nil, nil, cx.p.errAt(ErrType, off(b), "lookup key "+qual+"."+phys[k].Name+" is "+kt.Nullable().String()+" but the probe side gives "+le.Type().Nullable().String(),
					"CAST the probe side to "+kt.Nullable().String())
			}
			if le, err = expr.Coerce(le, kt); err != nil {
				return nil, nil, cx.p.errAt(ErrType, off(b), err.Error(), "")
			}
		}
		j.ProbeKeys = append(j.ProbeKeys, le)
		j.TableKeys = append(j.TableKeys, k)
	}
	if len(j.ProbeKeys) == 0 {
		return nil, nil, cx.p.errAt(ErrUnsupported, at, "a lookup join needs an equality between a column of '"+qual+"' and the probe side in ON (the lookup key)",
			"add ON probe.x = "+qual+".key: rows of '"+name+"' are looked up by their own columns")
	}
	if len(residual) > 0 {
		cond, err := cx.bindCond(residual, &ectx{sc: sc, clause: "ON"})
		if err != nil {
			return nil, nil, err
		}
		j.Residual = cond
	}
	return j, sc, nil
}

// lookupColumn returns the lookup table column (an index into its
// physical columns) that e is, or -1 when e is not a plain column of the
// lookup table (scope columns from nl on).
func lookupColumn(e expr.Expr, nl int) int {
	if c, ok := e.(*expr.Col); ok && c.Index >= nl {
		return c.Index - nl
	}
	return -1
}

// bindProctime binds PROCTIME() outside CREATE TABLE: the wall-clock time
// at which the row is processed, TIMESTAMP(3) NOT NULL. A select item that
// is PROCTIME() is a processing-time attribute (isProctimeCall).
func (cx *compiler) bindProctime(v *ast.FuncCallExpr) (expr.Expr, error) {
	if len(v.Args) > 0 {
		return nil, cx.p.errAt(ErrType, off(v), "PROCTIME() takes no arguments", "")
	}
	now, err := expr.NewCall("NOW", nil)
	if err != nil {
		return nil, cx.p.errAt(ErrUnknownFunction, off(v), err.Error(), "")
	}
	c, ok := now.(*expr.Call)
	if !ok {
		return nil, cx.p.errAt(ErrUnknownFunction, off(v), "PROCTIME() is not available", "")
	}
	return &expr.Call{Name: "PROCTIME", Impl: c.Impl, Volatile: true}, nil
}

// isProctimeCall reports whether n is a call of PROCTIME().
func isProctimeCall(n ast.ExprNode) bool {
	for {
		p, ok := n.(*ast.ParenthesesExpr)
		if !ok {
			break
		}
		n = p.Expr
	}
	f, ok := n.(*ast.FuncCallExpr)
	return ok && f.FnName.L == "proctime" && len(f.Args) == 0
}
