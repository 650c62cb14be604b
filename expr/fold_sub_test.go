package expr_test

import (
	"testing"

	"github.com/streamsql/streamsql/expr"
	"github.com/streamsql/streamsql/types"
)

// TestFoldSubexpressions: the largest constant sub-expressions become
// literals of their own type; column reads stay; a failing one stays as
// written; an expression without constants is returned itself.
func TestFoldSubexpressions(t *testing.T) {
	bigint := types.Type{Kind: types.KindInt, Precision: 64}
	lit := func(i int64) expr.Expr {
		return &expr.Literal{V: types.IntValue(i), T: types.Type{Kind: types.KindInt, Precision: 64, NotNull: true}}
	}
	col := &expr.Col{Index: 0, Name: "a", T: bigint}
	must := func(e expr.Expr, err error) expr.Expr {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		return e
	}
	// a + 2 * 10
	e := must(expr.NewArith(expr.OpAdd, col, must(expr.NewArith(expr.OpMul, lit(2), lit(10)))))
	got, changed := expr.FoldSubexpressions(e)
	if !changed || got.String() != "a + 20" || got.Type() != e.Type() {
		t.Fatalf("got %s (%v, %v), want a + 20 of type %v", got, changed, got.Type(), e.Type())
	}
	if same, changed := expr.FoldSubexpressions(got); changed || same != got {
		t.Fatalf("folding a folded expression changed it: %s", same)
	}
	// a + CAST('x' AS BIGINT): the cast fails, so it stays.
	bad := must(expr.NewArith(expr.OpAdd, col, must(expr.NewCast(&expr.Literal{V: types.StringValue("x"), T: types.Type{Kind: types.KindString, NotNull: true}}, bigint))))
	if got, changed := expr.FoldSubexpressions(bad); changed || got != bad {
		t.Fatalf("a failing constant was folded: %s", got)
	}
}
