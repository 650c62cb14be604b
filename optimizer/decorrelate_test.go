package optimizer_test

import (
	"strings"
	"testing"

	"github.com/streamsql/streamsql/expr"
	"github.com/streamsql/streamsql/optimizer"
	"github.com/streamsql/streamsql/plan"
	"github.com/streamsql/streamsql/planner"
	"github.com/streamsql/streamsql/types"
)

// bigints is a one-row input of NOT NULL BIGINT columns with the names.
func bigints(names ...string) *plan.Values {
	v := &plan.Values{Rows: [][]expr.Expr{{}}}
	for _, n := range names {
		t := types.Type{Kind: types.KindInt, Precision: 64, NotNull: true}
		v.Columns = append(v.Columns, types.Column{Name: n, Type: t})
		v.Rows[0] = append(v.Rows[0], &expr.Literal{V: types.IntValue(1), T: t})
	}
	return v
}

// TestDecorrelateRefuses: an Apply the rule cannot rewrite (the binder
// never makes one today; the rule does not trust that) is left as it is,
// and the planner refuses it with an error at the subquery's position
// that says what to write instead. A correlation that is not an equality,
// and a subquery with no key at all, are the two refusals.
func TestDecorrelateRefuses(t *testing.T) {
	intT := types.Type{Kind: types.KindInt, Precision: 64, NotNull: true}
	outerA := &expr.OuterCol{Index: 0, Name: "a", T: intT}
	innerX := &expr.Col{Index: 0, Name: "x", T: intT}
	lt, err := expr.NewCompare(expr.CmpLT, outerA, innerX)
	if err != nil {
		t.Fatal(err)
	}
	pos := plan.TextPos{Stmt: 2, Line: 3, Col: 17}
	for _, c := range []struct {
		name string
		sub  plan.Node
		want string
	}{
		{"non-equality", &plan.Filter{Input: bigints("x"), Cond: lt},
			"statement 2, line 3, column 17: a condition of the EXISTS subquery refers to the outer query in a form that is not supported (correlate with equalities only (inner.col = outer.col))"},
		{"no key", bigints("x"),
			"statement 2, line 3, column 17: an uncorrelated EXISTS subquery without keys is not supported (correlate the subquery with the outer query by equalities (inner.col = outer.col))"},
	} {
		t.Run(c.name, func(t *testing.T) {
			a := &plan.Apply{Kind: plan.SemiJoin, Input: bigints("a"), Subquery: c.sub, What: "EXISTS", Pos: pos}
			if got, _ := optimizer.Apply("decorrelate", a); got != plan.Node(a) {
				t.Fatalf("decorrelate rewrote it:\n%s", plan.Explain(got))
			}
			_, err := planner.PlanQuery(a, planner.Config{Parallelism: 1}, nil, nil, nil)
			if err == nil || err.Error() != c.want {
				t.Fatalf("planning error %v, want %q", err, c.want)
			}
		})
	}
	// The equality form of the same subquery is rewritten.
	eq := &expr.Compare{Op: expr.CmpEQ, L: innerX, R: outerA}
	a := &plan.Apply{Kind: plan.SemiJoin, Input: bigints("a"), Subquery: &plan.Filter{Input: bigints("x"), Cond: eq}, What: "EXISTS", Pos: pos}
	got, _ := optimizer.Apply("decorrelate", a)
	if s := plan.Explain(got); !strings.HasPrefix(s, "SemiJoin on a = x\n") {
		t.Fatalf("decorrelate made\n%s", s)
	}
}
