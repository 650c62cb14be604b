package optimizer

import (
	"strconv"

	"github.com/streamsql/streamsql/expr"
	"github.com/streamsql/streamsql/plan"
)

// pullCorrelation takes the correlated equalities inner = outer out of a
// subquery n, from wherever they are below its projections, filters,
// grouped aggregates and inner joins (a WHERE or a JOIN ... ON), so that
// the subquery no longer reads the outer row and the equalities can key a
// join with it. It returns
//
//   - out: the subquery without them, which reads no outer column; its
//     output is n's columns, in n's order, followed by extra columns
//     (the inner sides the nodes above the equalities would otherwise
//     drop: a projection or an aggregate keeps them as columns);
//   - outer, inner: the equalities' sides, outer over the outer row
//     (expr.OuterCol), inner over out's output; per outer row, n's rows
//     are out's rows whose inner values equal the outer ones.
//
// That holds through a grouped aggregate because it also groups by the
// inner sides (per outer row, the groups of the rows the correlation
// selects), not through an aggregate without GROUP BY (it has a row over
// no rows), a window aggregate, an outer join, a LIMIT or anything else:
// ok is false there, and for any other correlation (a non-equality, an
// outer column read in a projection or an aggregate).
func pullCorrelation(n plan.Node) (out plan.Node, outer, inner []expr.Expr, ok bool) {
	if !readsOuter(n) {
		return n, nil, nil, true
	}
	switch n := n.(type) {
	case *plan.Filter:
		in, outer, inner, ok := pullCorrelation(n.Input)
		if !ok {
			return nil, nil, nil, false
		}
		var local []expr.Expr
		for _, t := range expr.Conjuncts(n.Cond) {
			if !expr.ReadsOuter(t) {
				local = append(local, t)
				continue
			}
			o, i, isKey := keyOf(t, correlationSide)
			if !isKey {
				return nil, nil, nil, false
			}
			outer, inner = append(outer, o), append(inner, i)
		}
		if len(local) == 0 {
			return in, outer, inner, true
		}
		return &plan.Filter{Input: in, Cond: expr.AndAll(local)}, outer, inner, true
	case *plan.Project:
		for _, e := range n.Exprs {
			if expr.ReadsOuter(e) {
				return nil, nil, nil, false
			}
		}
		in, outer, inner, ok := pullCorrelation(n.Input)
		if !ok {
			return nil, nil, nil, false
		}
		p := &plan.Project{Input: in, Exprs: append([]expr.Expr(nil), n.Exprs...), Names: append([]string(nil), n.Names...)}
		return p, outer, keepColumns(p, inner), true
	case *plan.Aggregate:
		if len(n.GroupKeys) == 0 || n.Window != nil || n.WindowKeys != nil {
			return nil, nil, nil, false
		}
		for _, c := range n.Aggs {
			for _, e := range c.Exprs() {
				if expr.ReadsOuter(e) {
					return nil, nil, nil, false
				}
			}
		}
		in, outer, inner, ok := pullCorrelation(n.Input)
		if !ok {
			return nil, nil, nil, false
		}
		// Grouped by its keys and then the inner sides it does not group
		// by yet; the projection puts the aggregates back after the keys
		// and the added keys last.
		g := *n
		g.Input = in
		g.GroupKeys = append([]expr.Expr(nil), n.GroupKeys...)
		g.KeyNames = append([]string(nil), n.KeyNames...)
		at := make([]int, len(inner)) // inner side i is group key at[i]
		for i, e := range inner {
			if at[i] = indexOfExpr(g.GroupKeys, e); at[i] < 0 {
				at[i] = len(g.GroupKeys)
				g.GroupKeys = append(g.GroupKeys, e)
				g.KeyNames = append(g.KeyNames, "$corr"+strconv.Itoa(i))
			}
		}
		s := g.Schema()
		nk, added := len(n.GroupKeys), len(g.GroupKeys)-len(n.GroupKeys)
		if added == 0 { // grouped by the inner sides already: its columns are n's
			keys := make([]expr.Expr, len(inner))
			for i, c := range at {
				keys[i] = &expr.Col{Index: c, Name: s[c].Name, T: s[c].Type}
			}
			return &g, outer, keys, true
		}
		p := &plan.Project{Input: &g}
		pos := make([]int, len(s)) // g's column c is p's column pos[c]
		add := func(c int) {
			pos[c] = len(p.Exprs)
			p.Exprs = append(p.Exprs, &expr.Col{Index: c, Name: s[c].Name, T: s[c].Type})
			p.Names = append(p.Names, s[c].Name)
		}
		for c := 0; c < nk; c++ {
			add(c)
		}
		for c := nk + added; c < len(s); c++ {
			add(c)
		}
		for c := nk; c < nk+added; c++ {
			add(c)
		}
		keys := make([]expr.Expr, len(inner))
		for i, c := range at {
			keys[i] = &expr.Col{Index: pos[c], Name: s[c].Name, T: s[c].Type}
		}
		return p, outer, keys, true
	case *plan.Join:
		if n.Kind != plan.InnerJoin {
			return nil, nil, nil, false
		}
		for _, e := range append(append([]expr.Expr{}, n.LeftKeys...), n.RightKeys...) {
			if expr.ReadsOuter(e) {
				return nil, nil, nil, false
			}
		}
		l, lo, li, ok := pullCorrelation(n.Left)
		if !ok {
			return nil, nil, nil, false
		}
		r, ro, ri, ok := pullCorrelation(n.Right)
		if !ok {
			return nil, nil, nil, false
		}
		nl, nr := len(n.Left.Schema()), len(n.Right.Schema())
		wl := len(l.Schema())
		// over j's output, a column of n's right side moves by the left
		// side's extra columns.
		shiftRight := func(e expr.Expr) expr.Expr {
			return expr.MapColumns(e, func(c *expr.Col) expr.Expr {
				if c.Index < nl {
					return c
				}
				return &expr.Col{Index: c.Index - nl + wl, Name: c.Name, T: c.T}
			})
		}
		j := &plan.Join{Kind: n.Kind, Left: l, Right: r, LeftKeys: n.LeftKeys, RightKeys: n.RightKeys}
		outer, inner := lo, li
		for _, i := range ri {
			inner = append(inner, shiftColumns(i, wl))
		}
		outer = append(outer, ro...)
		var rest []expr.Expr
		for _, t := range expr.Conjuncts(n.Residual) {
			if !expr.ReadsOuter(t) {
				rest = append(rest, shiftRight(t))
				continue
			}
			o, i, isKey := keyOf(t, correlationSide)
			if !isKey {
				return nil, nil, nil, false
			}
			outer, inner = append(outer, o), append(inner, shiftRight(i))
		}
		if len(rest) > 0 {
			j.Residual = expr.AndAll(rest)
		}
		if wl == nl { // n's columns are j's first ones already
			return j, outer, inner, true
		}
		// n's columns first: the left side's, then the right side's.
		s := j.Schema()
		p := &plan.Project{Input: j}
		for i := 0; i < nl; i++ {
			p.Exprs, p.Names = append(p.Exprs, &expr.Col{Index: i, Name: s[i].Name, T: s[i].Type}), append(p.Names, s[i].Name)
		}
		for i := wl; i < wl+nr; i++ {
			p.Exprs, p.Names = append(p.Exprs, &expr.Col{Index: i, Name: s[i].Name, T: s[i].Type}), append(p.Names, s[i].Name)
		}
		return p, outer, keepColumns(p, inner), true
	}
	return nil, nil, nil, false
}

// keepColumns returns the inner sides (over p's input) as columns of p's
// output: p reads each one as a column it appends (or already has).
func keepColumns(p *plan.Project, inner []expr.Expr) []expr.Expr {
	out := make([]expr.Expr, len(inner))
	for k, e := range inner {
		at := indexOfExpr(p.Exprs, e)
		if at < 0 {
			at = len(p.Exprs)
			p.Exprs = append(p.Exprs, e)
			p.Names = append(p.Names, "$corr"+strconv.Itoa(k))
		}
		out[k] = &expr.Col{Index: at, Name: p.Names[at], T: e.Type()}
	}
	return out
}
