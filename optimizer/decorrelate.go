package optimizer

import (
	"strconv"

	"github.com/streamsql/streamsql/expr"
	"github.com/streamsql/streamsql/plan"
)

// decorrelate is the decorrelate rule: every plan.Apply (a subquery as
// the binder leaves it, reading the outer row through expr.OuterCol)
// becomes a Join, outermost first (the Applies inside a subquery after
// it):
//
//   - a semi or anti Apply (IN, EXISTS, NOT IN, NOT EXISTS in WHERE): the
//     semi or anti Join of its input with the subquery, keyed by its
//     correlated equalities (semiJoinOf) or by the distinct outer values
//     joined into it (domainSemiJoinOf);
//   - a LeftJoin Apply (a subquery read as a value, an aggregate): the
//     LEFT Join of its input with the aggregate, without keys when it is
//     uncorrelated, else grouped by its correlation (groupedJoinOf).
//
// The join's keys are the sides of equalities as the binder typed them
// (it made a nullable side and a NOT NULL side comparable). An Apply in
// any other form is left as it is (see joinOf's reasons); the planner
// then refuses it with the message of Refusal.
func decorrelate(n plan.Node) plan.Node {
	return plan.TransformDown(n, func(n plan.Node) (plan.Node, bool) {
		a, ok := n.(*plan.Apply)
		if !ok {
			return n, false
		}
		j, why := joinOf(a)
		if why != "" {
			return n, false
		}
		return j, true
	})
}

// Why an Apply is not decorrelated (the reasons of joinOf).
const (
	whyCorrelation = "a condition refers to the outer query in a form that is not supported"
	whyNoKeys      = "it has no equality between the outer query and the subquery"
)

// joinOf is the join an Apply decorrelates into, or nil and the reason
// it does not.
func joinOf(a *plan.Apply) (*plan.Join, string) {
	switch {
	case a.Kind.Filters():
		return semiJoinOf(a)
	case a.Kind == plan.LeftJoin && a.Cond == nil && !readsOuter(a.Subquery):
		// Uncorrelated: the same row for every outer row.
		return &plan.Join{Kind: plan.LeftJoin, Left: a.Input, Right: a.Subquery}, ""
	case a.Kind == plan.LeftJoin && a.Cond == nil:
		return groupedJoinOf(a)
	}
	return nil, whyCorrelation
}

// semiJoinOf decorrelates a semi or anti Apply, keyed by
//
//   - the equalities of the Apply's condition between an outer expression
//     and a subquery expression (x = y of x IN (SELECT y ...)), first;
//   - then the correlated equalities of the subquery (inner = outer, where
//     the inner side reads only the subquery's columns and the outer side
//     only outer columns), bottom first, in written order: they leave its
//     filters and join conditions, and grouped aggregates above them also
//     group by their inner sides (pullCorrelation).
//
// Correlated terms of a filter on top of the subquery that read both sides
// and are not equalities (s.ts BETWEEN r.ts AND r.ts + INTERVAL ...)
// become the join's residual when the rest has a key, so that the planner
// can run the join as an interval semi / anti join. Any other correlation
// (a non-equality deeper in, an outer column read in a projection or an
// aggregate, a subquery two levels in, a non-equality with no key) joins
// the distinct outer values into the subquery instead (domainSemiJoinOf).
// No key at all (a semi join without keys would compare every pair), or a
// subquery neither can take apart, leaves the Apply as it is.
func semiJoinOf(a *plan.Apply) (*plan.Join, string) {
	j := &plan.Join{Kind: a.Kind, Left: a.Input, Right: a.Subquery}
	width := len(a.Input.Schema())
	for _, t := range expr.Conjuncts(a.Cond) {
		outer, inner, ok := keyOf(t, func(e expr.Expr) int { return expr.Sides(e, width) })
		if !ok || expr.ReadsOuter(t) {
			return nil, whyCorrelation
		}
		j.LeftKeys = append(j.LeftKeys, outer)
		j.RightKeys = append(j.RightKeys, shiftColumns(inner, -width))
	}
	sub, residual := peelResidual(a.Subquery, width)
	r, outer, inner, ok := pullCorrelation(sub)
	if !ok {
		return domainSemiJoinOf(a, j) // decorrelate_domain.go
	}
	for k := range outer {
		l, ri, ok := comparableKeys(expr.FromOuter(outer[k]), inner[k])
		if !ok {
			return nil, whyCorrelation
		}
		j.LeftKeys, j.RightKeys = append(j.LeftKeys, l), append(j.RightKeys, ri)
	}
	j.Right = r
	if len(j.LeftKeys) == 0 && len(residual) > 0 {
		return domainSemiJoinOf(a, j) // correlated, but not by an equality
	}
	if len(j.LeftKeys) == 0 {
		return nil, whyNoKeys
	}
	j.Residual = expr.AndAll(residual)
	return j, ""
}

// peelResidual takes the correlated terms that are not equalities off a
// filter on top of subquery sub: they come back over the join's row (the
// outer columns, then the subquery's), and sub without them. Without such
// a filter, or such terms, sub comes back as it is.
func peelResidual(sub plan.Node, width int) (plan.Node, []expr.Expr) {
	f, ok := sub.(*plan.Filter)
	if !ok || !expr.ReadsOuter(f.Cond) {
		return sub, nil
	}
	var keep, residual []expr.Expr
	for _, t := range expr.Conjuncts(f.Cond) {
		if expr.ReadsOuter(t) {
			if _, _, ok := keyOf(t, correlationSide); !ok {
				residual = append(residual, expr.FromOuter(shiftColumns(t, width)))
				continue
			}
		}
		keep = append(keep, t)
	}
	if len(residual) == 0 {
		return sub, nil
	}
	if len(keep) == 0 {
		return f.Input, residual
	}
	return &plan.Filter{Input: f.Input, Cond: expr.AndAll(keep)}, residual
}

// keyOf splits an equality into its outer side (side 1) and inner side
// (side 2), as side classifies them; ok is false for any other term.
func keyOf(t expr.Expr, side func(expr.Expr) int) (outer, inner expr.Expr, ok bool) {
	c, isCmp := t.(*expr.Compare)
	if !isCmp || c.Op != expr.CmpEQ {
		return nil, nil, false
	}
	switch {
	case side(c.L) == 1 && side(c.R) == 2:
		return c.L, c.R, true
	case side(c.L) == 2 && side(c.R) == 1:
		return c.R, c.L, true
	}
	return nil, nil, false
}

// correlationSide classifies an expression of a subquery: 1 when it reads
// outer columns only, 2 when it reads the subquery's columns only, 0 or 3
// otherwise (neither, or both).
func correlationSide(e expr.Expr) int {
	s := 0
	if expr.ReadsOuter(e) {
		s |= 1
	}
	if len(expr.Columns(e)) > 0 {
		s |= 2
	}
	return s
}

// shiftColumns adds d to every column index of e.
func shiftColumns(e expr.Expr, d int) expr.Expr {
	return expr.MapColumns(e, func(c *expr.Col) expr.Expr {
		return &expr.Col{Index: c.Index + d, Name: c.Name, T: c.T}
	})
}

// readsOuter reports whether an expression of the tree reads an outer
// column. It looks at the expressions of the nodes the binder puts in a
// subquery; a subquery inside it (an Apply) reads its own input's columns
// as outer ones, so only that Apply's input is searched.
func readsOuter(n plan.Node) bool {
	var es []expr.Expr
	switch n := n.(type) {
	case *plan.Filter:
		es = []expr.Expr{n.Cond}
	case *plan.Project:
		es = n.Exprs
	case *plan.Join:
		es = append(append(append([]expr.Expr{}, n.LeftKeys...), n.RightKeys...), n.Residual)
	case *plan.Aggregate:
		es = n.GroupKeys
		for _, c := range n.Aggs {
			es = append(es, c.Exprs()...)
		}
	case *plan.Apply:
		// A subquery inside the subquery: its outer columns are its own
		// input's.
		return readsOuter(n.Input)
	}
	for _, e := range es {
		if e != nil && expr.ReadsOuter(e) {
			return true
		}
	}
	for _, c := range n.Children() {
		if readsOuter(c) {
			return true
		}
	}
	return false
}

// Refusal is the error message and hint for an Apply the decorrelate rule
// left (the planner's error; the same words the binder used for these
// forms before decorrelation moved here).
func Refusal(a *plan.Apply) (msg, hint string) {
	_, why := joinOf(a)
	if why == whyNoKeys {
		return "an uncorrelated " + a.What + " subquery without keys is not supported",
			"correlate the subquery with the outer query by equalities (inner.col = outer.col)"
	}
	return "a condition of the " + a.What + " subquery refers to the outer query in a form that is not supported",
		"correlate with equalities only (inner.col = outer.col)"
}

// groupedJoinOf decorrelates a correlated LeftJoin Apply: projections
// over an aggregate over a filter with the correlated terms (or over
// anything that reads the outer row deeper down).
//
// When those terms are equalities inner_i = outer_i (and nothing below
// reads the outer row), they leave the filter and the aggregate groups by
// the inner sides, so that it has one row per correlation value.
// Otherwise the distinct values of the outer columns are joined into the
// subquery where it reads them and the aggregate groups by them
// (distinctValuesOf). A GROUP BY of the subquery's own stays, after those
// keys: per outer row, the groups of the rows its correlation selects.
//
// The projection right above the aggregate reads each key column where it
// read outer_i (the outer value the key equals), and the aggregate's other
// columns where they moved to; the projections above it read the same
// columns; each key must be read by the top projection (the join's key).
// The result is the LEFT join of the input with the projections on outer_i
// = the key column (brought to a common type when one side is nullable
// and the other is not; NULL-safe for the distinct values, whose NULL is a
// value too). An outer row whose values select no group gets NULLs where
// the Apply gave the aggregate over no rows: the binder reads the values
// through a column that is TRUE on every row of the subquery ($present)
// and so tells the two apart.
func groupedJoinOf(a *plan.Apply) (*plan.Join, string) {
	var projects []*plan.Project
	n := a.Subquery
	for {
		p, ok := n.(*plan.Project)
		if !ok {
			break
		}
		projects = append(projects, p)
		n = p.Input
	}
	agg, ok := n.(*plan.Aggregate)
	if !ok || agg.Window != nil || agg.WindowKeys != nil || len(projects) == 0 {
		return nil, whyCorrelation
	}
	// f is the filter of the correlated terms; without one (only the
	// select list reads the outer row), a filter without terms.
	f, ok := agg.Input.(*plan.Filter)
	if !ok || !expr.ReadsOuter(f.Cond) {
		f = &plan.Filter{Input: agg.Input}
	}
	var local, outer, inner []expr.Expr
	byEq := !readsOuter(f.Input) // else read deeper: the distinct values form
	for _, t := range expr.Conjuncts(f.Cond) {
		if !expr.ReadsOuter(t) {
			local = append(local, t)
			continue
		}
		o, i, ok := keyOf(t, correlationSide)
		if !ok {
			byEq = false
			continue
		}
		outer, inner = append(outer, o), append(inner, i)
	}
	// Keyed by the equalities only when nothing else reads the outer row:
	// the bottom projection's outer expressions are the equalities' outer
	// sides, and no aggregate reads one (SELECT MAX(y) + t1.b reads the
	// outer column itself: the distinct values form keeps it).
	bottom := projects[len(projects)-1]
	for _, e := range bottom.Exprs {
		if expr.ReadsOuter(e) && indexOfExpr(outer, e) < 0 {
			byEq = false
		}
	}
	for _, c := range agg.Aggs {
		for _, e := range c.Exprs() {
			if expr.ReadsOuter(e) {
				byEq = false
			}
		}
	}
	g := *agg
	nullSafe := false
	if byEq && len(inner) == 0 {
		return nil, whyNoKeys
	}
	if byEq {
		g.Input = f.Input
		if len(local) > 0 {
			g.Input = &plan.Filter{Input: f.Input, Cond: expr.AndAll(local)}
		}
		g.KeyNames = make([]string, len(inner))
		for i, k := range inner {
			g.KeyNames[i] = "EXPR$" + strconv.Itoa(i)
			if c, ok := k.(*expr.Col); ok {
				g.KeyNames[i] = c.Name
			}
		}
	} else {
		// Any other correlation: the distinct values of the outer columns
		// the bottom projection lists, joined into the subquery.
		var why string
		g.KeyNames = nil
		if outer, inner, why = distinctValuesOf(a.Input, bottom, &g); why != "" {
			return nil, why
		}
		nullSafe = true
	}
	// The aggregate groups by the keys, then by its own GROUP BY keys that
	// are not keys (extra): per outer row, the groups of the rows its
	// correlation selects. moved[c] is where the aggregate's output
	// column c goes: a GROUP BY key to its key or its extra column, an
	// aggregate after them.
	nk := len(inner)
	var extra []expr.Expr
	var moved []int
	for i, k := range agg.GroupKeys {
		// (a key over the subquery's columns: they come first over the
		// distinct values' join too)
		if j := indexOfExpr(inner, k); j >= 0 {
			moved = append(moved, j)
			continue
		}
		moved = append(moved, nk+len(extra))
		extra = append(extra, k)
		g.KeyNames = append(g.KeyNames, agg.KeyNames[i])
	}
	// key[c] is the key of outer column c (the distinct values form).
	key := map[int]int{}
	for k, o := range outer {
		if oc, ok := o.(*expr.OuterCol); ok && !byEq {
			key[oc.Index] = k
		}
	}
	if readsOuter(g.Input) {
		return nil, whyCorrelation
	}
	g.GroupKeys = append(append([]expr.Expr(nil), inner...), extra...)
	for a := range agg.Aggs {
		moved = append(moved, nk+len(extra)+a)
	}
	// keyAt[i] is the column of cur's output that holds key i (-1: none).
	var cur plan.Node = &g
	keyAt := make([]int, nk)
	for i := range keyAt {
		keyAt[i] = i
	}
	for pi := len(projects) - 1; pi >= 0; pi-- {
		p := projects[pi]
		in := cur.Schema()
		np := &plan.Project{Input: cur, Names: p.Names}
		at := make([]int, nk)
		for i := range at {
			at[i] = -1
		}
		for j, e := range p.Exprs {
			if pi == len(projects)-1 {
				if k := indexOfExpr(outer, e); k >= 0 {
					e = &expr.Col{Index: k, Name: g.KeyNames[k], T: inner[k].Type()}
				} else {
					e = expr.MapColumns(e, func(c *expr.Col) expr.Expr {
						return &expr.Col{Index: moved[c.Index], Name: in[moved[c.Index]].Name, T: c.T}
					})
					e = expr.MapOuterColumns(e, func(c *expr.OuterCol) expr.Expr { // a key, after grouping
						return &expr.Col{Index: key[c.Index], Name: g.KeyNames[key[c.Index]], T: c.T}
					})
				}
			} else if expr.ReadsOuter(e) {
				return nil, whyCorrelation
			} else if c, ok := e.(*expr.Col); ok {
				e = &expr.Col{Index: c.Index, Name: c.Name, T: in[c.Index].Type}
			} else {
				for _, c := range expr.Columns(e) {
					if indexOfInt(keyAt, c) >= 0 {
						return nil, whyCorrelation // a computation over a key, typed for the outer side
					}
				}
			}
			if c, ok := e.(*expr.Col); ok {
				if k := indexOfInt(keyAt, c.Index); k >= 0 && at[k] < 0 {
					at[k] = j
				}
			}
			np.Exprs = append(np.Exprs, e)
		}
		cur, keyAt = np, at
	}
	j := &plan.Join{Kind: plan.LeftJoin, Left: a.Input, Right: cur}
	s := cur.Schema()
	for k, at := range keyAt {
		if at < 0 {
			return nil, whyCorrelation // the key is not read above the aggregate
		}
		l, r := expr.FromOuter(outer[k]), expr.Expr(&expr.Col{Index: at, Name: s[at].Name, T: s[at].Type})
		if l.Type().Nullable() != r.Type().Nullable() {
			t, ok := expr.CommonType(l.Type(), r.Type())
			if !ok {
				return nil, whyCorrelation
			}
			var err1, err2 error
			l, err1 = expr.Coerce(l, t.Nullable())
			r, err2 = expr.Coerce(r, t.Nullable())
			if err1 != nil || err2 != nil {
				return nil, whyCorrelation
			}
		}
		if nullSafe && (!l.Type().NotNull || !r.Type().NotNull) {
			ls, rs := expr.NullSafeKey(l), expr.NullSafeKey(r)
			if ls != nil && rs != nil {
				j.LeftKeys = append(j.LeftKeys, &expr.IsNull{X: l}, ls)
				j.RightKeys = append(j.RightKeys, &expr.IsNull{X: r}, rs)
				continue
			}
		}
		j.LeftKeys, j.RightKeys = append(j.LeftKeys, l), append(j.RightKeys, r)
	}
	return j, ""
}

// distinctValuesOf decorrelates the input of g (the subquery's
// aggregate) when it is correlated by any condition, anywhere below g:
// the outer columns the bottom projection lists as plain OuterCol
// expressions (its keys, first first) are taken from the distinct rows of
// the input (an Aggregate of them without aggregates) and joined into g's
// input where it reads them (joinDomain: after its columns), and g groups
// by them. It returns, for each key, its OuterCol and its column over the
// join; or the reason it cannot (an outer column read below g that the
// projection does not list, or a node joinDomain cannot carry the values
// through). Outer columns the bottom projection's other expressions or
// the aggregates read must be listed too: the aggregates read them from
// the join, the projection from the keys.
func distinctValuesOf(input plan.Node, bottom *plan.Project, g *plan.Aggregate) (outer, inner []expr.Expr, why string) {
	pos := map[int]int{} // outer column -> its key
	var keys []*expr.OuterCol
	for _, e := range bottom.Exprs {
		if oc, ok := e.(*expr.OuterCol); ok {
			if _, dup := pos[oc.Index]; !dup {
				pos[oc.Index] = len(keys)
				keys = append(keys, oc)
			}
		}
	}
	listed := true
	check := func(e expr.Expr) {
		expr.Walk(e, func(x expr.Expr) {
			if oc, ok := x.(*expr.OuterCol); ok {
				if _, in := pos[oc.Index]; !in {
					listed = false
				}
			}
		})
	}
	for _, c := range outerColumns(g.Input) { // anywhere below the aggregate
		if _, in := pos[c]; !in {
			listed = false
		}
	}
	for _, e := range bottom.Exprs {
		check(e)
	}
	for _, c := range g.Aggs {
		for _, e := range c.Exprs() {
			check(e)
		}
	}
	if len(keys) == 0 || !listed {
		return nil, nil, whyCorrelation
	}
	width := len(g.Input.Schema())
	vals := &plan.Project{Input: input}
	for _, k := range keys {
		vals.Exprs, vals.Names = append(vals.Exprs, &expr.Col{Index: k.Index, Name: k.Name, T: k.T}), append(vals.Names, k.Name)
	}
	distinct := &plan.Aggregate{Input: vals}
	for i, k := range keys {
		distinct.GroupKeys = append(distinct.GroupKeys, &expr.Col{Index: i, Name: k.Name, T: k.T})
		distinct.KeyNames = append(distinct.KeyNames, k.Name)
	}
	// The values are joined in where the subquery reads them: an equality
	// between its columns and outer ones keys that join (as in a FROM
	// list), the other terms filter its rows (joinDomain).
	joined, ok := joinDomain(g.Input, distinct, pos)
	if !ok {
		return nil, nil, whyCorrelation
	}
	g.Input = joined
	// Aggregates over outer columns (SUM(x.b * t1.c)) read them from the
	// joined values.
	g.Aggs = append([]plan.AggCall(nil), g.Aggs...)
	for i, c := range g.Aggs {
		reads := false
		for _, e := range c.Exprs() {
			reads = reads || expr.ReadsOuter(e)
		}
		if !reads {
			continue
		}
		g.Aggs[i], _ = c.MapExprs(func(e expr.Expr) (expr.Expr, bool) {
			return expr.MapOuterColumns(e, func(oc *expr.OuterCol) expr.Expr {
				return &expr.Col{Index: width + pos[oc.Index], Name: oc.Name, T: oc.T}
			}), true
		})
		g.Aggs[i].Name = g.Aggs[i].String() // its column's name, as the binder names it
	}
	for i, k := range keys {
		outer = append(outer, k)
		inner = append(inner, &expr.Col{Index: width + i, Name: k.Name, T: k.T})
		g.KeyNames = append(g.KeyNames, k.Name)
	}
	return outer, inner, ""
}

// indexOfExpr is the index of the expression of list that is e (the same
// tree over the same columns), or -1.
func indexOfExpr(list []expr.Expr, e expr.Expr) int {
	for i, x := range list {
		if sameExpr(x, e) {
			return i
		}
	}
	return -1
}

// sameExpr reports whether two expressions are the same tree over the
// same columns: their text, type and the indexes of the columns they read
// (outer and inner) agree.
func sameExpr(a, b expr.Expr) bool {
	if a.String() != b.String() || a.Type() != b.Type() {
		return false
	}
	refs := func(e expr.Expr) []int {
		var out []int
		expr.Walk(e, func(x expr.Expr) {
			switch c := x.(type) {
			case *expr.Col:
				out = append(out, c.Index)
			case *expr.OuterCol:
				out = append(out, -1-c.Index)
			}
		})
		return out
	}
	ra, rb := refs(a), refs(b)
	if len(ra) != len(rb) {
		return false
	}
	for i := range ra {
		if ra[i] != rb[i] {
			return false
		}
	}
	return true
}

func indexOfInt(list []int, x int) int {
	for i, v := range list {
		if v == x {
			return i
		}
	}
	return -1
}

// comparableKeys brings the two sides of a join key to their common type
// when their types differ other than in nullability.
func comparableKeys(l, r expr.Expr) (expr.Expr, expr.Expr, bool) {
	if l.Type().Nullable() == r.Type().Nullable() {
		return l, r, true
	}
	t, ok := expr.CommonType(l.Type(), r.Type())
	if !ok {
		return nil, nil, false
	}
	l, err1 := expr.Coerce(l, t.Nullable())
	r, err2 := expr.Coerce(r, t.Nullable())
	if err1 != nil || err2 != nil {
		return nil, nil, false
	}
	return l, r, true
}
