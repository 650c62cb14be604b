package sql

import (
	"sort"
	"strings"

	"github.com/pingcap/tidb/pkg/parser/ast"

	"github.com/streamsql/streamsql/expr"
	"github.com/streamsql/streamsql/plan"
)

// bindUsingJoin binds JOIN ... USING (c, ...) and NATURAL [LEFT | RIGHT |
// FULL] JOIN (USING the columns whose names both sides show) with MySQL's
// column rules: the join is an equi-join on the USING columns (a NATURAL
// join of sides with no name in common is a join without condition), and
// its columns are the USING columns once each (coalesced: the left side's
// value for an inner or LEFT join, the right side's for a RIGHT join,
// COALESCE(left, right) for a FULL join, as standard SQL), then the other
// columns of the left side, then those of the right side (of the right
// side, then the left side, for a RIGHT join). Each side's own USING
// columns stay reachable by qualified name (t.c: that side's value, NULL
// where an outer join pads it) and in t.*, which lists t's columns in
// their order; * and an unqualified c show the coalesced column.
func (cx *compiler) bindUsingJoin(v *ast.Join, where *[]ast.ExprNode) (plan.Node, *scope, error) {
	word, what := "USING", "JOIN ... USING"
	if v.NaturalJoin {
		word, what = "NATURAL", "NATURAL JOIN"
	}
	at := cx.findWord(word, 0)
	w, known := cx.usingWords[v]
	if known {
		at = w.at
	}
	kind := plan.InnerJoin
	switch v.Tp {
	case ast.LeftJoin:
		kind = plan.LeftJoin
		switch {
		case known && w.full:
			kind = plan.FullJoin
		case !known && cx.anyFullJoin():
			return nil, nil, cx.p.errAt(ErrUnsupported, at, "cannot tell which join of this statement is written FULL JOIN with USING or NATURAL", "write FULL JOIN ... ON a.x = b.x")
		}
	case ast.RightJoin:
		kind = plan.RightJoin
	}
	l, ls, err := cx.bindFrom(v.Left, where)
	if err != nil {
		return nil, nil, err
	}
	r, rs, err := cx.bindFrom(v.Right, where)
	if err != nil {
		return nil, nil, err
	}
	for _, q := range rs.quals {
		if q != "" && ls.hasQual(q) {
			return nil, nil, cx.p.errAt(ErrDuplicate, cx.tableRefOffset(q), "table name '"+q+"' is used twice in FROM", "give one of them an alias")
		}
	}
	var names []string
	if v.NaturalJoin {
		for _, c := range ls.cols {
			if c.unqualified() && len(rs.lookup("", c.name)) > 0 && !containsFold(names, c.name) {
				names = append(names, c.name)
			}
		}
	} else {
		for _, c := range v.Using {
			if containsFold(names, c.Name.O) {
				return nil, nil, cx.p.errAt(ErrDuplicate, cx.findWord(c.Name.O, at), "column '"+c.Name.O+"' is named twice in USING", "")
			}
			names = append(names, c.Name.O)
		}
	}
	// The key columns of each side.
	nl := len(ls.cols)
	j := &plan.Join{Kind: kind, Left: l, Right: r}
	li, ri := make([]int, len(names)), make([]int, len(names))
	for k, name := range names {
		for s, sc := range [2]*scope{ls, rs} {
			m := sc.lookup("", name)
			side := [2]string{"left", "right"}[s]
			switch {
			case len(m) == 0:
				return nil, nil, cx.p.errAt(ErrUnknownColumn, cx.findWord(name, at), "column '"+name+"' of "+what+" is not a column of its "+side+" side", "")
			case len(m) > 1:
				return nil, nil, cx.p.errAt(ErrAmbiguousColumn, cx.findWord(name, at), "column '"+name+"' of "+what+" is ambiguous in its "+side+" side", "write the join with ON")
			}
			if s == 0 {
				li[k] = m[0]
			} else {
				ri[k] = m[0]
			}
		}
		le := expr.Expr(&expr.Col{Index: li[k], Name: name, T: ls.cols[li[k]].typ})
		re := expr.Expr(&expr.Col{Index: ri[k], Name: name, T: rs.cols[ri[k]].typ})
		if le.Type().Nullable() != re.Type().Nullable() {
			t, ok := expr.CommonType(le.Type(), re.Type())
			if !ok {
				return nil, nil, cx.p.errAt(ErrType, at, "cannot join "+le.Type().Nullable().String()+" with "+re.Type().Nullable().String()+" on '"+name+"'", "write the join with ON and CAST one side")
			}
			if le, err = expr.Coerce(le, t.Nullable()); err != nil {
				return nil, nil, cx.p.errAt(ErrType, at, err.Error(), "")
			}
			if re, err = expr.Coerce(re, t.Nullable()); err != nil {
				return nil, nil, cx.p.errAt(ErrType, at, err.Error(), "")
			}
		}
		j.LeftKeys = append(j.LeftKeys, le)
		j.RightKeys = append(j.RightKeys, re)
	}
	// The join's columns (left ++ right, padded sides nullable), then the
	// projection: the coalesced USING columns, then each side's columns.
	js := concatScopes(ls, rs)
	sch := j.Schema()
	for i := range js.cols {
		js.cols[i].typ = sch[i].Type
	}
	col := func(i int) expr.Expr { return &expr.Col{Index: i, Name: sch[i].Name, T: sch[i].Type} }
	p := &plan.Project{Input: j}
	out := &scope{quals: js.quals}
	add := func(e expr.Expr, c column) {
		p.Exprs = append(p.Exprs, e)
		p.Names = append(p.Names, c.name)
		out.cols = append(out.cols, c)
	}
	// The coalesced columns come in the order of the first side's columns
	// (the right side's for a RIGHT join), whatever the USING list's order.
	first := li
	if kind == plan.RightJoin {
		first = ri
	}
	order := make([]int, len(names))
	for k := range order {
		order[k] = k
	}
	sort.Slice(order, func(a, b int) bool { return first[order[a]] < first[order[b]] })
	key := map[int]bool{}
	for _, k := range order {
		lc, rc := li[k], nl+ri[k]
		key[lc], key[rc] = true, true
		c := js.cols[lc]
		e := col(lc)
		switch kind {
		case plan.RightJoin:
			c, e = js.cols[rc], col(rc)
		case plan.FullJoin:
			var err error
			if e, err = expr.NewCoalesce("COALESCE", []expr.Expr{col(lc), col(rc)}); err != nil {
				return nil, nil, cx.p.errAt(ErrType, at, "cannot coalesce the two sides' '"+names[k]+"': "+err.Error(), "write the join with ON and CAST one side")
			}
			c = column{name: c.name, typ: e.Type()}
		}
		c.qual, c.usingSide = "", false
		add(e, c)
	}
	sides := [][2]int{{0, nl}, {nl, len(js.cols)}}
	if kind == plan.RightJoin {
		sides[0], sides[1] = sides[1], sides[0]
	}
	for _, sd := range sides {
		for i := sd[0]; i < sd[1]; i++ {
			c := js.cols[i]
			if key[i] {
				if c.qual == "" {
					continue // a nested USING join's coalesced column: merged again
				}
				c.usingSide = true
			}
			add(col(i), c)
		}
	}
	return p, out, nil
}

// anyFullJoin reports whether the statement writes FULL [OUTER] JOIN (the
// pre-parse layer turns it into LEFT JOIN; writtenFull finds it from an ON
// condition, which USING and NATURAL joins do not have).
func (cx *compiler) anyFullJoin() bool {
	for i, t := range cx.toks {
		if t.is("FULL") && i+1 < len(cx.toks) && (cx.toks[i+1].is("JOIN") || cx.toks[i+1].is("OUTER")) {
			return true
		}
	}
	return false
}

func containsFold(list []string, s string) bool {
	for _, x := range list {
		if strings.EqualFold(x, s) {
			return true
		}
	}
	return false
}
