package sql

import (
	"fmt"
	"strings"
	"testing"

	"github.com/streamsql/streamsql/types"
)

// longOr is "k = 0 OR k = 1 OR … OR k = n-1".
func longOr(n int) string {
	var b strings.Builder
	for i := range n {
		if i > 0 {
			b.WriteString(" OR ")
		}
		fmt.Fprintf(&b, "k = %d", i)
	}
	return b.String()
}

// TestLongChainsBind binds an 8000-term OR and a 16000-term sum (constant
// folding used to walk every operand's whole subtree again: quadratic)
// and checks what they compute.
func TestLongChainsBind(t *testing.T) {
	schema := types.Schema{{Name: "k", Type: types.BigInt}}
	or, err := ParseExpr(longOr(8000), schema)
	if err != nil {
		t.Fatal(err)
	}
	for k, want := range map[int64]string{0: "TRUE", 7999: "TRUE", 8000: "FALSE", -1: "FALSE"} {
		v, err := or.Eval([]types.Value{types.IntValue(k)})
		if err != nil || types.Render(v, or.Type()) != want {
			t.Errorf("k = %d: OR chain = %s (%v), want %s", k, types.Render(v, or.Type()), err, want)
		}
	}
	sum, err := ParseExpr(strings.TrimSuffix(strings.Repeat("k + ", 16000), " + ")+" + 2 * 3", schema)
	if err != nil {
		t.Fatal(err)
	}
	v, err := sum.Eval([]types.Value{types.IntValue(3)})
	if err != nil || types.Render(v, sum.Type()) != "48006" {
		t.Errorf("16000 × 3 + 6 = %s (%v)", types.Render(v, sum.Type()), err)
	}
}

func BenchmarkBindLongOr(b *testing.B) {
	schema := types.Schema{{Name: "k", Type: types.BigInt}}
	for _, n := range []int{1000, 4000, 8000} {
		text := longOr(n)
		b.Run(fmt.Sprint(n), func(b *testing.B) {
			for b.Loop() {
				if _, err := ParseExpr(text, schema); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*n), "ns/term")
		})
	}
}
