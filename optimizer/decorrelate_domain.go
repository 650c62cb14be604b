package optimizer

import (
	"github.com/streamsql/streamsql/expr"
	"github.com/streamsql/streamsql/plan"
)

// domainSemiJoinOf decorrelates a semi or anti Apply whose subquery reads
// the outer row in a form pullCorrelation cannot take out (x < t1.b,
// an outer column in a projection, a subquery two levels in): the
// distinct values D of the outer columns the subquery reads (the
// domain) are joined into it where it reads them (joinDomain), so that
// it has a row per outer value and subquery row, with D's columns last;
// the semi (anti) join matches an outer row with the rows of its values,
// NULL equal to NULL, besides the Apply's condition (IN's x = y).
func domainSemiJoinOf(a *plan.Apply, j *plan.Join) (*plan.Join, string) {
	cols := outerColumns(a.Subquery)
	if len(cols) == 0 {
		return nil, whyCorrelation
	}
	in := a.Input.Schema()
	vals := &plan.Project{Input: a.Input}
	pos := map[int]int{}
	for i, c := range cols {
		pos[c] = i
		vals.Exprs = append(vals.Exprs, &expr.Col{Index: c, Name: in[c].Name, T: in[c].Type})
		vals.Names = append(vals.Names, in[c].Name)
	}
	d := &plan.Aggregate{Input: vals}
	for i, c := range cols {
		d.GroupKeys = append(d.GroupKeys, &expr.Col{Index: i, Name: in[c].Name, T: in[c].Type})
		d.KeyNames = append(d.KeyNames, in[c].Name)
	}
	sub, ok := joinDomain(a.Subquery, d, pos)
	if !ok || readsOuter(sub) {
		return nil, whyCorrelation
	}
	out := &plan.Join{Kind: j.Kind, Left: j.Left, Right: sub, LeftKeys: j.LeftKeys, RightKeys: j.RightKeys}
	at := len(a.Subquery.Schema())
	s := sub.Schema()
	for i, c := range cols {
		l := expr.Expr(&expr.Col{Index: c, Name: in[c].Name, T: in[c].Type})
		r := expr.Expr(&expr.Col{Index: at + i, Name: s[at+i].Name, T: s[at+i].Type})
		if !l.Type().NotNull {
			ls, rs := expr.NullSafeKey(l), expr.NullSafeKey(r)
			if ls == nil || rs == nil {
				return nil, whyCorrelation
			}
			out.LeftKeys = append(out.LeftKeys, &expr.IsNull{X: l}, ls)
			out.RightKeys = append(out.RightKeys, &expr.IsNull{X: r}, rs)
			continue
		}
		out.LeftKeys, out.RightKeys = append(out.LeftKeys, l), append(out.RightKeys, r)
	}
	return out, ""
}

// outerColumns lists the outer columns a subquery reads, in first-use
// order (a subquery inside it reads its own input's, not these).
func outerColumns(n plan.Node) []int {
	var out []int
	seen := map[int]bool{}
	add := func(e expr.Expr) {
		expr.Walk(e, func(x expr.Expr) {
			if c, ok := x.(*expr.OuterCol); ok && !seen[c.Index] {
				seen[c.Index] = true
				out = append(out, c.Index)
			}
		})
	}
	var walk func(plan.Node)
	walk = func(n plan.Node) {
		if ap, ok := n.(*plan.Apply); ok {
			walk(ap.Input)
			return
		}
		for _, e := range nodeExprs(n) {
			if e != nil {
				add(e)
			}
		}
		for _, c := range n.Children() {
			walk(c)
		}
	}
	walk(n)
	return out
}

// nodeExprs are the expressions of the nodes the binder puts in a
// subquery (those readsOuter looks at).
func nodeExprs(n plan.Node) []expr.Expr {
	switch n := n.(type) {
	case *plan.Filter:
		return []expr.Expr{n.Cond}
	case *plan.Project:
		return n.Exprs
	case *plan.Join:
		return append(append(append([]expr.Expr{}, n.LeftKeys...), n.RightKeys...), n.Residual)
	case *plan.Aggregate:
		es := append([]expr.Expr{}, n.GroupKeys...)
		for _, c := range n.Aggs {
			es = append(es, c.Exprs()...)
		}
		return es
	}
	return nil
}

// joinDomain returns n with the domain d (one column per outer column;
// pos maps an outer column to its column of d) joined in: its output is
// n's columns followed by d's, one row per row of n and domain value,
// where each outer column n reads is read from d's columns. d is joined
// in as low as the reads allow: a subtree that reads no outer column is
// cross-joined with d (an equality between its columns and outer ones
// keys that join, as a FROM list's would). ok is false for a node it
// cannot carry d's columns through (an aggregate without GROUP BY, which
// has a row over no rows; a window aggregate; an outer join other than a
// LEFT join whose right side reads no outer column; a LIMIT).
func joinDomain(n plan.Node, d *plan.Aggregate, pos map[int]int) (plan.Node, bool) {
	nd := len(d.GroupKeys)
	width := len(n.Schema())
	toD := func(e expr.Expr, base int) expr.Expr {
		return expr.MapOuterColumns(e, func(c *expr.OuterCol) expr.Expr {
			return &expr.Col{Index: base + pos[c.Index], Name: c.Name, T: c.T}
		})
	}
	if !readsOuter(n) {
		return &plan.Join{Kind: plan.InnerJoin, Left: n, Right: d}, true
	}
	switch n := n.(type) {
	case *plan.Filter:
		if !readsOuter(n.Input) {
			// The join with d, keyed by the equalities between the
			// input's columns and outer ones; the other terms filter it.
			j := &plan.Join{Kind: plan.InnerJoin, Left: n.Input, Right: d}
			var rest []expr.Expr
			for _, t := range expr.Conjuncts(n.Cond) {
				if o, i, ok := keyOf(t, correlationSide); ok {
					if l, r, ok := comparableKeys(i, toD(o, 0)); ok {
						j.LeftKeys, j.RightKeys = append(j.LeftKeys, l), append(j.RightKeys, r)
						continue
					}
				}
				rest = append(rest, toD(t, width))
			}
			if len(rest) == 0 {
				return j, true
			}
			return &plan.Filter{Input: j, Cond: expr.AndAll(rest)}, true
		}
		in, ok := joinDomain(n.Input, d, pos)
		if !ok {
			return nil, false
		}
		return &plan.Filter{Input: in, Cond: toD(n.Cond, width)}, true
	case *plan.Project:
		in, ok := joinDomain(n.Input, d, pos)
		if !ok {
			return nil, false
		}
		w := len(n.Input.Schema())
		p := &plan.Project{Input: in}
		for i, e := range n.Exprs {
			p.Exprs, p.Names = append(p.Exprs, toD(e, w)), append(p.Names, n.Names[i])
		}
		s := in.Schema()
		for k := 0; k < nd; k++ {
			p.Exprs = append(p.Exprs, &expr.Col{Index: w + k, Name: s[w+k].Name, T: s[w+k].Type})
			p.Names = append(p.Names, s[w+k].Name)
		}
		return p, true
	case *plan.Aggregate:
		if len(n.GroupKeys) == 0 || n.Window != nil || n.WindowKeys != nil {
			return nil, false
		}
		in, ok := joinDomain(n.Input, d, pos)
		if !ok {
			return nil, false
		}
		w := len(n.Input.Schema())
		s := in.Schema()
		g := *n
		g.Input = in
		g.GroupKeys = nil
		for _, k := range n.GroupKeys {
			g.GroupKeys = append(g.GroupKeys, toD(k, w))
		}
		g.KeyNames = append([]string(nil), n.KeyNames...)
		for k := 0; k < nd; k++ {
			g.GroupKeys = append(g.GroupKeys, &expr.Col{Index: w + k, Name: s[w+k].Name, T: s[w+k].Type})
			g.KeyNames = append(g.KeyNames, s[w+k].Name)
		}
		g.Aggs = append([]plan.AggCall(nil), n.Aggs...)
		for i, c := range g.Aggs {
			g.Aggs[i], _ = c.MapExprs(func(e expr.Expr) (expr.Expr, bool) { return toD(e, w), true })
			g.Aggs[i].Name = c.Name
		}
		// The aggregates back after the keys, d's columns last.
		return moveColumnsLast(&g, len(n.GroupKeys), nd), true
	case *plan.Join:
		// d joins the left side: an inner join's or a LEFT join's (its
		// preserved side: the ON condition reads the values there, and
		// every left row keeps its value, matched or not).
		if (n.Kind != plan.InnerJoin && n.Kind != plan.LeftJoin) || readsOuter(n.Right) {
			return nil, false
		}
		l, ok := joinDomain(n.Left, d, pos)
		if !ok {
			return nil, false
		}
		for _, e := range append(append([]expr.Expr{}, n.LeftKeys...), n.RightKeys...) {
			if expr.ReadsOuter(e) {
				return nil, false
			}
		}
		nl := len(n.Left.Schema())
		// Over j's output the right side's columns move past d's.
		shift := func(e expr.Expr) expr.Expr {
			e = expr.MapColumns(e, func(c *expr.Col) expr.Expr {
				if c.Index < nl {
					return c
				}
				return &expr.Col{Index: c.Index + nd, Name: c.Name, T: c.T}
			})
			return toD(e, nl)
		}
		j := &plan.Join{Kind: n.Kind, Left: l, Right: n.Right, LeftKeys: n.LeftKeys, RightKeys: n.RightKeys}
		if n.Residual != nil {
			j.Residual = shift(n.Residual)
		}
		return moveColumnsLast(j, nl, nd), true
	case *plan.Apply:
		in, ok := joinDomain(n.Input, d, pos)
		if !ok {
			return nil, false
		}
		w := len(n.Input.Schema())
		ap := *n
		ap.Input = in
		if n.Cond != nil { // over the input's columns, then the subquery's
			ap.Cond = expr.MapColumns(n.Cond, func(c *expr.Col) expr.Expr {
				if c.Index < w {
					return c
				}
				return &expr.Col{Index: c.Index + nd, Name: c.Name, T: c.T}
			})
		}
		if n.Kind.Filters() {
			return &ap, true
		}
		return moveColumnsLast(&ap, w, nd), true
	}
	return nil, false
}

// moveColumnsLast projects n's columns with the nd columns at position at
// moved to the end: columns [0, at), then those after them, then them.
func moveColumnsLast(n plan.Node, at, nd int) *plan.Project {
	s := n.Schema()
	p := &plan.Project{Input: n}
	add := func(c int) {
		p.Exprs, p.Names = append(p.Exprs, &expr.Col{Index: c, Name: s[c].Name, T: s[c].Type}), append(p.Names, s[c].Name)
	}
	for c := 0; c < at; c++ {
		add(c)
	}
	for c := at + nd; c < len(s); c++ {
		add(c)
	}
	for c := at; c < at+nd; c++ {
		add(c)
	}
	return p
}
