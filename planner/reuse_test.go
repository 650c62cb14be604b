package planner

import (
	"testing"

	"github.com/streamsql/streamsql/catalog"
	"github.com/streamsql/streamsql/expr"
	"github.com/streamsql/streamsql/plan"
	"github.com/streamsql/streamsql/types"
)

func TestSamePlan(t *testing.T) {
	cols := types.Schema{{Name: "k", Type: types.BigInt}, {Name: "s", Type: types.String}}
	t1 := &catalog.Table{Name: "t", Columns: cols, ProctimeColumn: -1}
	t2 := &catalog.Table{Name: "t", Columns: cols, ProctimeColumn: -1} // another table of the same shape
	k := func() expr.Expr { return &expr.Col{Index: 0, Name: "k", T: types.BigInt} }
	call := func(name string, args ...expr.Expr) expr.Expr {
		e, err := expr.NewCall(name, args)
		if err != nil {
			t.Fatal(err)
		}
		return e
	}
	plus := func(n int64) expr.Expr {
		e, err := expr.NewArith(expr.OpAdd, k(), &expr.Literal{V: types.IntValue(n), T: types.BigInt})
		if err != nil {
			t.Fatal(err)
		}
		return e
	}
	proj := func(tb *catalog.Table, alias string, e expr.Expr) plan.Node {
		return &plan.Project{Input: &plan.Scan{Table: tb, Alias: alias}, Exprs: []expr.Expr{e}, Names: []string{"x"}}
	}
	cases := []struct {
		name string
		a, b plan.Node
		same bool
	}{
		{"aliases of one table", proj(t1, "a", plus(1)), proj(t1, "b", plus(1)), true},
		{"another table", proj(t1, "a", plus(1)), proj(t2, "a", plus(1)), false},
		{"another literal", proj(t1, "", plus(1)), proj(t1, "", plus(2)), false},
		{"another output name", proj(t1, "", plus(1)), &plan.Project{Input: &plan.Scan{Table: t1}, Exprs: []expr.Expr{plus(1)}, Names: []string{"y"}}, false},
		{"a function call", proj(t1, "", call("ABS", k())), proj(t1, "", call("ABS", k())), true},
		{"another function", proj(t1, "", call("ABS", k())), proj(t1, "", call("SIGN", k())), false},
		{"a volatile function", proj(t1, "", call("NOW")), proj(t1, "", call("NOW")), false},
		{"another node kind", proj(t1, "", k()), &plan.Filter{Input: &plan.Scan{Table: t1}, Cond: k()}, false},
	}
	for _, c := range cases {
		if got := samePlan(c.a, c.b); got != c.same {
			t.Errorf("%s: samePlan = %v, want %v", c.name, got, c.same)
		}
	}
}
