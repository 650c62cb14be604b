package sql

import (
	"strings"

	"github.com/pingcap/tidb/pkg/parser/ast"

	"github.com/streamsql/streamsql/expr"
	"github.com/streamsql/streamsql/plan"
)

// bindUsingJoin binds JOIN ... USING (c, ...) and NATURAL [LEFT | RIGHT]
// JOIN (USING the columns whose names both sides have) with MySQL's column
// rules: the join is an equi-join on the USING columns, and its columns are
// the USING columns once each (coalesced: the left side's value for an
// inner or LEFT join, the right side's for a RIGHT join), then the other
// columns of the left side, then those of the right side, in their order.
// A qualified reference to a USING column of either side reads the
// coalesced column, except the side an outer join pads (its value can be
// NULL where the coalesced one is not): that reference is an error.
func (cx *compiler) bindUsingJoin(v *ast.Join, where *[]ast.ExprNode) (plan.Node, *scope, error) {
	word, what := "USING", "JOIN ... USING"
	if v.NaturalJoin {
		word, what = "NATURAL", "NATURAL JOIN"
	}
	at := cx.findWord(word, 0)
	kind := plan.InnerJoin
	switch v.Tp {
	case ast.LeftJoin:
		kind = plan.LeftJoin
		if cx.anyFullJoin() {
			return nil, nil, cx.p.errAt(ErrUnsupported, at, "FULL JOIN with USING or NATURAL is not supported", "write FULL JOIN ... ON a.x = b.x")
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
			if len(rs.lookup("", c.name)) > 0 && !containsFold(names, c.name) {
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
	if len(j.LeftKeys) == 0 && kind != plan.InnerJoin {
		return nil, nil, cx.p.errAt(ErrUnsupported, at, "the two sides of this outer NATURAL JOIN have no column name in common", "write the join with ON")
	}
	// The join's columns (left ++ right, padded sides nullable), then the
	// projection: USING columns, the left's others, the right's others.
	js := concatScopes(ls, rs)
	sch := j.Schema()
	for i := range js.cols {
		js.cols[i].typ = sch[i].Type
	}
	written := kind.SQL() + " ... USING"
	if v.NaturalJoin {
		written = "NATURAL " + kind.SQL()
	}
	p := &plan.Project{Input: j}
	out := &scope{quals: js.quals}
	add := func(i int) {
		p.Exprs = append(p.Exprs, &expr.Col{Index: i, Name: sch[i].Name, T: sch[i].Type})
		p.Names = append(p.Names, sch[i].Name)
		out.cols = append(out.cols, js.cols[i])
	}
	used := map[int]bool{}
	for k := range names {
		keep, drop := li[k], nl+ri[k] // the coalesced column and the other side's
		if kind == plan.RightJoin {
			keep, drop = drop, keep
		}
		used[li[k]], used[nl+ri[k]] = true, true
		ref := mergedRef{qual: js.cols[drop].qual, name: js.cols[drop].name, col: len(out.cols), join: written}
		if kind != plan.InnerJoin {
			ref.col = -1
		}
		add(keep)
		out.merged = append(out.merged, ref)
	}
	// The references the sides had merged already follow their columns.
	pos := map[int]int{}
	for i := range js.cols {
		if !used[i] {
			pos[i] = len(out.cols)
			add(i)
		}
	}
	for k := range names {
		keep, drop := li[k], nl+ri[k]
		if kind == plan.RightJoin {
			keep, drop = drop, keep
		}
		pos[keep], pos[drop] = k, k
		if kind != plan.InnerJoin {
			pos[drop] = -1 // the padded side's value is gone
		}
	}
	for _, m := range js.merged {
		if m.col >= 0 {
			if m.col = pos[m.col]; m.col < 0 {
				m.join = written
			}
		}
		out.merged = append(out.merged, m)
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
