package optimizer

import (
	"slices"

	"github.com/streamsql/streamsql/expr"
	"github.com/streamsql/streamsql/plan"
)

// pruneJoin narrows the inputs of a join to the columns its consumer needs
// (needed: columns of the join's output), its keys and its condition, by
// projecting each side first. Fewer columns mean smaller join state and
// less copying. Terms of the condition over one side move below the join
// first (splitJoinCondition). It returns the new join and, for each old output column,
// its index in the new output (-1 when dropped); ok is false when every
// column is needed.
func pruneJoin(j *plan.Join, needed []int) (*plan.Join, []int, bool) {
	j = splitJoinCondition(j) // one-sided terms read their columns below the join
	lw, rw := len(j.Left.Schema()), len(j.Right.Schema())
	use := make([]bool, lw+rw)
	for _, c := range needed {
		use[c] = true
	}
	for _, c := range expr.Columns(j.Residual) {
		use[c] = true
	}
	for _, k := range j.LeftKeys {
		for _, c := range expr.Columns(k) {
			use[c] = true
		}
	}
	for _, k := range j.RightKeys {
		for _, c := range expr.Columns(k) {
			use[lw+c] = true
		}
	}
	// A side of a join without keys may need no column (COUNT(*) of a
	// cross join): it keeps its first, as rows of no columns are not a
	// projection the operators know.
	if lw > 0 && !slices.Contains(use[:lw], true) {
		use[0] = true
	}
	if rw > 0 && !slices.Contains(use[lw:], true) {
		use[lw] = true
	}
	if !slices.Contains(use, false) {
		return nil, nil, false
	}
	mapping := make([]int, lw+rw)
	next := 0
	for i := range use {
		mapping[i] = -1
		if use[i] {
			mapping[i] = next
			next++
		}
	}
	keepLeft := 0
	for i := 0; i < lw; i++ {
		if use[i] {
			keepLeft++
		}
	}
	side := func(in plan.Node, from, width int) plan.Node {
		s := in.Schema()
		p := &plan.Project{Input: in}
		for i := 0; i < width; i++ {
			if use[from+i] {
				p.Exprs = append(p.Exprs, &expr.Col{Index: i, Name: s[i].Name, T: s[i].Type})
				p.Names = append(p.Names, s[i].Name)
			}
		}
		if len(p.Exprs) == width {
			return in
		}
		return p
	}
	out := &plan.Join{Kind: j.Kind, Left: side(j.Left, 0, lw), Right: side(j.Right, lw, rw)}
	for _, k := range j.LeftKeys {
		out.LeftKeys = append(out.LeftKeys, remapColumns(k, func(c int) int { return mapping[c] }))
	}
	for _, k := range j.RightKeys {
		out.RightKeys = append(out.RightKeys, remapColumns(k, func(c int) int { return mapping[lw+c] - keepLeft }))
	}
	if j.Residual != nil {
		out.Residual = remapColumns(j.Residual, func(c int) int { return mapping[c] })
	}
	return out, mapping, true
}

// remapColumns rebinds e's column references through to.
func remapColumns(e expr.Expr, to func(int) int) expr.Expr {
	if e == nil {
		return nil
	}
	return expr.MapColumns(e, func(c *expr.Col) expr.Expr {
		return &expr.Col{Index: to(c.Index), Name: c.Name, T: c.T}
	})
}

// columnsOf lists the columns the expressions read.
func columnsOf(es ...expr.Expr) []int {
	var out []int
	for _, e := range es {
		if e != nil {
			out = append(out, expr.Columns(e)...)
		}
	}
	return out
}

// pruneAggregateInput narrows a join under an aggregate (directly, or under
// a filter that moves into it) to the columns the aggregate reads.
func pruneAggregateInput(a *plan.Aggregate) (*plan.Aggregate, bool) {
	in := a.Input
	if f, ok := in.(*plan.Filter); ok {
		if pushed, ok := pushFilter(f); ok {
			in = pushed
		}
	}
	j, ok := in.(*plan.Join)
	if !ok {
		return nil, false
	}
	needed := columnsOf(a.GroupKeys...)
	for _, c := range a.Aggs {
		needed = append(needed, columnsOf(c.Exprs()...)...)
	}
	if a.Window != nil {
		needed = append(needed, a.Window.TimeCol)
	}
	nj, m, ok := pruneJoin(j, needed)
	if !ok {
		return nil, false
	}
	to := func(c int) int { return m[c] }
	out := *a
	out.Input = nj
	out.GroupKeys = nil
	for _, k := range a.GroupKeys {
		out.GroupKeys = append(out.GroupKeys, remapColumns(k, to))
	}
	out.Aggs = slices.Clone(a.Aggs)
	for i := range out.Aggs {
		out.Aggs[i], _ = out.Aggs[i].MapExprs(func(e expr.Expr) (expr.Expr, bool) { return remapColumns(e, to), true })
	}
	if a.Window != nil {
		w := *a.Window
		w.TimeCol = m[w.TimeCol]
		out.Window = &w
	}
	return &out, true
}

// pruneColumns is the column-pruning rule: a join directly under a
// projection or an aggregate (or under a filter under an aggregate) keeps
// only the columns read above it.
func pruneColumns(n plan.Node) plan.Node {
	return plan.TransformDown(n, func(n plan.Node) (plan.Node, bool) {
		switch n := n.(type) {
		case *plan.Project:
			j, ok := n.Input.(*plan.Join)
			if !ok {
				return n, false
			}
			nj, m, ok := pruneJoin(j, columnsOf(n.Exprs...))
			if !ok {
				return n, false
			}
			exprs := make([]expr.Expr, len(n.Exprs))
			for i, e := range n.Exprs {
				exprs[i] = remapColumns(e, func(c int) int { return m[c] })
			}
			return &plan.Project{Input: nj, Exprs: exprs, Names: n.Names}, true
		case *plan.Aggregate:
			if a, ok := pruneAggregateInput(n); ok {
				return a, true
			}
		}
		return n, false
	})
}
