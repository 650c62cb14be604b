package expr

import (
	"testing"

	"github.com/streamsql/streamsql/types"
)

// opaque hides an expression's type, so that a Compare over it takes the
// general path (both operands evaluated through Eval).
type opaque struct{ Expr }

// BenchmarkCompareColumnConstant compares price < 10000 over rows of
// prices: "column-constant" is the path for a column against a literal,
// "general" the same comparison through both operands' Eval; their ratio
// is what the direct path saves per row.
func BenchmarkCompareColumnConstant(b *testing.B) {
	col := &Col{Index: 2, Name: "price", T: types.BigInt}
	lit := &Literal{V: types.IntValue(10000), T: types.BigInt}
	rows := make([][]types.Value, 1024)
	for i := range rows {
		rows[i] = []types.Value{types.IntValue(int64(i)), types.NullValue(), types.IntValue(int64(i * 37 % 20000))}
	}
	for _, c := range []struct {
		name string
		cmp  *Compare
	}{
		{"column-constant", &Compare{Op: CmpLT, L: col, R: lit}},
		{"general", &Compare{Op: CmpLT, L: opaque{col}, R: opaque{lit}}},
	} {
		b.Run(c.name, func(b *testing.B) {
			n := 0
			for b.Loop() {
				for _, row := range rows {
					v, _ := c.cmp.Eval(row)
					if v.Bool() {
						n++
					}
				}
			}
			if n == 0 {
				b.Fatal("no row below 10000")
			}
		})
	}
}
