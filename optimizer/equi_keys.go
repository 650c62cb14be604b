package optimizer

import (
	"github.com/streamsql/streamsql/expr"
	"github.com/streamsql/streamsql/plan"
)

// equiJoinKeys is the equi-join-keys rule. An inner join without keys (a
// nested-loop join: every row of both sides in one subtask's state) whose
// condition has equalities between an expression of its left side and
// one of its right side gets those equalities as its keys, in written
// order (both sides coerced to their common type), so that it runs as a
// hash join; its other terms stay its residual. Such joins come from
// decorrelation (the distinct outer values joined into a subquery) and
// from filters pushed into a cross join. A join that has keys is left as
// it is: its keys decide how its inputs are partitioned, and with them
// the ids a savepoint of the job records.
func equiJoinKeys(n plan.Node) plan.Node {
	kids := n.Children()
	var out []plan.Node
	for i, k := range kids {
		if m := equiJoinKeys(k); m != k {
			if out == nil {
				out = append([]plan.Node(nil), kids...)
			}
			out[i] = m
		}
	}
	if out != nil {
		n = plan.WithChildren(n, out)
	}
	j, ok := n.(*plan.Join)
	if !ok || j.Kind != plan.InnerJoin || len(j.LeftKeys) > 0 || j.Residual == nil {
		return n
	}
	width := len(j.Left.Schema())
	side := func(e expr.Expr) int { return expr.Sides(e, width) }
	var lk, rk, rest []expr.Expr
	for _, t := range expr.Conjuncts(j.Residual) {
		if l, r, ok := keyOf(t, side); ok {
			if l, r, ok := comparableKeys(l, shiftColumns(r, -width)); ok {
				lk, rk = append(lk, l), append(rk, r)
				continue
			}
		}
		rest = append(rest, t)
	}
	if len(lk) == 0 {
		return n
	}
	return &plan.Join{Kind: j.Kind, Left: j.Left, Right: j.Right, LeftKeys: lk, RightKeys: rk, Residual: expr.AndAll(rest)}
}
