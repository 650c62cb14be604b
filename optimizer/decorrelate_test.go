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
// that says what to write instead. A correlation that is not an equality
// below an aggregate without GROUP BY (it has a row over no rows: neither
// the equality nor the distinct outer values can be pulled through it),
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
		{"aggregate over a non-equality", &plan.Aggregate{Input: &plan.Filter{Input: bigints("x"), Cond: lt},
			Aggs: []plan.AggCall{{Func: plan.AggCount, Type: intT, Name: "COUNT(*)"}}},
			"statement 2, line 3, column 17: a condition of the EXISTS subquery refers to the outer query in a form that is not supported (correlate with equalities only (inner.col = outer.col))"},
		{"no key", bigints("x"),
			"statement 2, line 3, column 17: an uncorrelated EXISTS subquery without keys is not supported (correlate the subquery with the outer query by equalities (inner.col = outer.col))"},
	} {
		t.Run(c.name, func(t *testing.T) {
			a := &plan.Apply{Kind: plan.SemiJoin, Input: bigints("a"), Subquery: c.sub, What: "EXISTS", Pos: pos}
			refused(t, a, c.want)
		})
	}
	// The same for a subquery read as a value: outer.a AS $k0 and
	// COUNT(*) over the rows of x that cond keeps, one row per outer row.
	// Without $k0 the join would have no key column to read: refused too.
	count := func(cond expr.Expr, withKey bool) plan.Node {
		agg := &plan.Aggregate{Input: &plan.Filter{Input: bigints("x"), Cond: cond}, Aggs: []plan.AggCall{{Func: plan.AggCount, Type: intT, Name: "COUNT(*)"}}}
		p := &plan.Project{Input: agg, Exprs: []expr.Expr{&expr.Col{Index: 0, Name: "COUNT(*)", T: intT}}, Names: []string{"$v0"}}
		if withKey {
			p.Exprs, p.Names = append([]expr.Expr{outerA}, p.Exprs...), append([]string{"$k0"}, p.Names...)
		}
		return p
	}
	eq := &expr.Compare{Op: expr.CmpEQ, L: innerX, R: outerA}
	const notSupported = "statement 2, line 3, column 17: a condition of the scalar subquery refers to the outer query in a form that is not supported (correlate with equalities only (inner.col = outer.col))"
	scalar := &plan.Apply{Kind: plan.LeftJoin, Input: bigints("a"), Subquery: count(lt, false), What: "scalar", Pos: pos}
	refused(t, scalar, notSupported)
	scalar.Subquery = count(eq, false)
	refused(t, scalar, notSupported)
	// A correlation other than an equality joins the distinct outer
	// values into the subquery.
	scalar.Subquery = count(lt, true)
	got, _ := optimizer.Apply("decorrelate", scalar)
	want := `LeftOuterJoin on a = $k0
  Values (1 rows)
  Project a AS $k0, COUNT(*) AS $v0
    Aggregate keys=[a] aggs=[COUNT(*)]
      Filter a < x
        InnerJoin (no equi keys)
          Values (1 rows)
          Aggregate keys=[a] aggs=[]
            Project a
              Values (1 rows)
`
	if s := plan.Explain(got); s != want {
		t.Fatalf("decorrelate made\n%s\nwant\n%s", s, want)
	}
	// The equality forms are rewritten.
	scalar.Subquery = count(eq, true)
	got, _ = optimizer.Apply("decorrelate", scalar)
	want = `LeftOuterJoin on a = $k0
  Values (1 rows)
  Project x AS $k0, COUNT(*) AS $v0
    Aggregate keys=[x] aggs=[COUNT(*)]
      Values (1 rows)
`
	if s := plan.Explain(got); s != want {
		t.Fatalf("decorrelate made\n%s\nwant\n%s", s, want)
	}
	if !sameColumns(got.Schema(), scalar.Schema()) {
		t.Fatalf("schema %v, want the Apply's %v", got.Schema(), scalar.Schema())
	}
	a := &plan.Apply{Kind: plan.SemiJoin, Input: bigints("a"), Subquery: &plan.Filter{Input: bigints("x"), Cond: eq}, What: "EXISTS", Pos: pos}
	got, _ = optimizer.Apply("decorrelate", a)
	if s := plan.Explain(got); !strings.HasPrefix(s, "SemiJoin on a = x\n") {
		t.Fatalf("decorrelate made\n%s", s)
	}
	// A semi Apply correlated by a non-equality joins the distinct outer
	// values into the subquery and matches them.
	a.Subquery = &plan.Filter{Input: bigints("x"), Cond: lt}
	got, _ = optimizer.Apply("decorrelate", a)
	want = `SemiJoin on a = a
  Values (1 rows)
  Filter a < x
    InnerJoin (no equi keys)
      Values (1 rows)
      Aggregate keys=[a] aggs=[]
        Project a
          Values (1 rows)
`
	if s := plan.Explain(got); s != want {
		t.Fatalf("decorrelate made\n%s\nwant\n%s", s, want)
	}
}

func sameColumns(a, b types.Schema) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// refused checks that the decorrelate rule leaves a and that the planner
// refuses it with the error want.
func refused(t *testing.T, a *plan.Apply, want string) {
	t.Helper()
	if got, _ := optimizer.Apply("decorrelate", a); got != plan.Node(a) {
		t.Fatalf("decorrelate rewrote it:\n%s", plan.Explain(got))
	}
	_, err := planner.PlanQuery(a, planner.Config{Parallelism: 1}, nil, nil, nil)
	if err == nil || err.Error() != want {
		t.Fatalf("planning error %v, want %q", err, want)
	}
}
