package optimizer

import (
	"github.com/streamsql/streamsql/expr"
	"github.com/streamsql/streamsql/plan"
)

// propagateWindows is the window-propagation rule. The window_start and
// window_end an event-time window aggregate outputs keep their role up
// the plan (carriedWindows), so that a GROUP BY on both further up —
// Nexmark q5's maximum count per window — is itself a window aggregate,
// emitted once when the window closes, instead of a changelog aggregate
// updated on every input row.
//
// The rewrite: Aggregate(keys ⊇ {start, end}) over x becomes
//
//	Project(keys, aggs)
//	  Aggregate(keys, window TUMBLE(1 ms) over the last column, WindowKeys = start, end)
//	    Project(x's columns, end - 1 ms AS window_rowtime)
//	      x
//
// Each row's window [end - 1 ms, end) fires when the watermark reaches
// end - 1 ms, as the window the row came from does; the outer projection
// drops the two window columns an Aggregate with a Window appends, so the
// output schema is the one the aggregate had.
func propagateWindows(n plan.Node) plan.Node {
	return plan.TransformDown(n, func(n plan.Node) (plan.Node, bool) {
		a, ok := n.(*plan.Aggregate)
		if !ok || a.Window != nil || a.WindowKeys != nil {
			return n, false
		}
		for _, w := range carriedWindows(a.Input) {
			if out, ok := attachWindow(a, w); ok {
				return out, true
			}
		}
		return n, false
	})
}

// attachWindow makes a a window aggregate over the carried window w when
// both of w's columns are group keys.
func attachWindow(a *plan.Aggregate, w [2]int) (plan.Node, bool) {
	keys := [2]int{-1, -1}
	for i, k := range a.GroupKeys {
		c, ok := k.(*expr.Col)
		if !ok {
			continue
		}
		for j := range w {
			if c.Index == w[j] && keys[j] < 0 {
				keys[j] = i
			}
		}
	}
	if keys[0] < 0 || keys[1] < 0 {
		return nil, false
	}
	in := a.Input.Schema()
	p := &plan.Project{Input: a.Input}
	for i, c := range in {
		p.Exprs = append(p.Exprs, &expr.Col{Index: i, Name: c.Name, T: c.Type})
		p.Names = append(p.Names, c.Name)
	}
	end := in[w[1]]
	rowtime, err := expr.NewArith(expr.OpSub, &expr.Col{Index: w[1], Name: end.Name, T: end.Type}, expr.IntervalLiteral(1))
	if err != nil {
		return nil, false
	}
	p.Exprs = append(p.Exprs, rowtime)
	p.Names = append(p.Names, "window_rowtime")
	wa := *a
	wa.Input = p
	wa.Window = &plan.Window{Kind: plan.Tumble, Size: 1, TimeCol: len(in)}
	wa.WindowKeys = &keys
	// The output without the window's columns (after the keys).
	s := wa.Schema()
	nk := len(a.GroupKeys)
	out := &plan.Project{Input: &wa}
	for i, c := range s {
		if i == nk || i == nk+1 {
			continue
		}
		out.Exprs = append(out.Exprs, &expr.Col{Index: i, Name: c.Name, T: c.Type})
		out.Names = append(out.Names, c.Name)
	}
	return out, true
}

// carriedWindows lists the event-time windows n's rows carry from a window
// aggregate below, as (window_start, window_end) column pairs of n's
// output. The roles pass through filters, projections of the plain
// columns, inner joins (both sides), the never-padded side of outer joins
// and semi/anti joins (their left side). Processing-time windows are not
// carried: their end does not follow the watermark.
func carriedWindows(n plan.Node) [][2]int {
	switch n := n.(type) {
	case *plan.Aggregate:
		switch {
		case n.Window == nil || n.Window.Proctime:
			return nil
		case n.WindowKeys != nil:
			return [][2]int{*n.WindowKeys}
		default:
			k := len(n.GroupKeys)
			return [][2]int{{k, k + 1}}
		}
	case *plan.Filter:
		return carriedWindows(n.Input)
	case *plan.Project:
		var out [][2]int
		for _, w := range carriedWindows(n.Input) {
			start, end := projectedAt(n, w[0]), projectedAt(n, w[1])
			if start >= 0 && end >= 0 {
				out = append(out, [2]int{start, end})
			}
		}
		return out
	case *plan.Join:
		var out [][2]int
		if n.Kind == plan.InnerJoin || n.Kind.Filters() || n.Kind == plan.LeftJoin {
			out = append(out, carriedWindows(n.Left)...)
		}
		if !n.Kind.Filters() && (n.Kind == plan.InnerJoin || n.Kind == plan.RightJoin) {
			lw := len(n.Left.Schema())
			for _, w := range carriedWindows(n.Right) {
				out = append(out, [2]int{w[0] + lw, w[1] + lw})
			}
		}
		return out
	}
	return nil
}

// projectedAt is the first output column of p that is input column c
// itself (-1: none).
func projectedAt(p *plan.Project, c int) int {
	for i, e := range p.Exprs {
		if col, ok := e.(*expr.Col); ok && col.Index == c {
			return i
		}
	}
	return -1
}
