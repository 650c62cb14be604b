package operators

import (
	"fmt"
	"math/rand"
	"slices"
	"testing"

	"github.com/streamsql/streamsql/exec"
	"github.com/streamsql/streamsql/expr"
	"github.com/streamsql/streamsql/types"
)

// A join releases its input batches (exec.InputReleaser): the task then
// recycles them, and upstream tasks overwrite their rows. Every kind of
// regular join must give the same output when each input batch is
// overwritten right after ProcessBatch as when it is left alone.
func TestJoinKeepsNothingOfItsInputBatches(t *testing.T) {
	specs := map[string]JoinSpec{
		"inner":             {LeftKeyCols: []int{0}, RightKeyCols: []int{0}, LeftWidth: 2, RightWidth: 2},
		"inner append-only": {LeftKeyCols: []int{0}, RightKeyCols: []int{0}, LeftWidth: 2, RightWidth: 2, AppendOnly: [2]bool{true, true}},
		"left outer":        {LeftKeyCols: []int{0}, RightKeyCols: []int{0}, LeftWidth: 2, RightWidth: 2, Outer: [2]bool{true, false}},
		"full outer":        {LeftKeyCols: []int{0}, RightKeyCols: []int{0}, LeftWidth: 2, RightWidth: 2, Outer: [2]bool{true, true}},
		"semi":              {LeftKeyCols: []int{0}, RightKeyCols: []int{0}, LeftWidth: 2, RightWidth: 2, Semi: true},
		"anti":              {LeftKeyCols: []int{0}, RightKeyCols: []int{0}, LeftWidth: 2, RightWidth: 2, Anti: true},
		"no keys, residual": {LeftWidth: 2, RightWidth: 2, Residual: lessThan(1, 3)},
	}
	for name, spec := range specs {
		t.Run(name, func(t *testing.T) {
			if !NewJoin(spec).(exec.InputReleaser).ReleasesInput() {
				t.Fatal("the join does not release its input")
			}
			r := rand.New(rand.NewSource(3))
			var batches [][]emitted
			var inputs []int
			var live [2][][]types.Value
			for i := 0; i < 60; i++ {
				s := r.Intn(2)
				var b []emitted
				for n := 1 + r.Intn(4); n > 0; n-- {
					if len(live[s]) > 0 && !spec.AppendOnly[s] && r.Intn(4) == 0 {
						k := r.Intn(len(live[s]))
						b = append(b, emitted{op: types.Delete, vals: live[s][k]})
						live[s] = slices.Delete(live[s], k, k+1)
						continue
					}
					row := []types.Value{types.IntValue(int64(r.Intn(4))), types.StringValue(fmt.Sprintf("s%d-%d", s, r.Intn(10)))}
					live[s] = append(live[s], row)
					b = append(b, emitted{op: types.Insert, vals: row})
				}
				batches = append(batches, b)
				inputs = append(inputs, s)
			}
			run := func(clobber bool) []string {
				h := newHarness(t, func() exec.Operator { return NewJoin(spec) }, 2, 2)
				var out []string
				for i, rows := range batches {
					b := types.NewBatch(2, len(rows))
					for _, e := range rows {
						b.Append(e.op, e.vals)
					}
					if err := h.op.ProcessBatch(inputs[i], b); err != nil {
						t.Fatal(err)
					}
					if clobber {
						for j := range b.Vals {
							b.Vals[j] = types.StringValue("overwritten")
						}
					}
					out = append(out, formatAll(h.out.take())...)
				}
				return out
			}
			want, got := run(false), run(true)
			if len(want) == 0 {
				t.Fatal("the input joins nothing: the test proves nothing")
			}
			if !slices.Equal(got, want) {
				t.Fatalf("with input batches overwritten after use:\n%v\nwant\n%v", got, want)
			}
		})
	}
}

// lessThan is the residual "column a < column b" over string columns.
func lessThan(a, b int) expr.Expr {
	e, err := expr.NewCompare(expr.CmpLT, &expr.Col{Index: a, T: types.String}, &expr.Col{Index: b, T: types.String})
	if err != nil {
		panic(err)
	}
	return e
}
