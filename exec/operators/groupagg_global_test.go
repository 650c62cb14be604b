package operators

import (
	"testing"

	"github.com/streamsql/streamsql/exec"
	"github.com/streamsql/streamsql/plan"
	"github.com/streamsql/streamsql/state"
	"github.com/streamsql/streamsql/types"
)

// TestGlobalAggInitialRowOnOneInstance opens a global aggregate at
// parallelism 2 and 4: only the instance owning the empty key's key group
// emits the result over zero rows.
func TestGlobalAggInitialRowOnOneInstance(t *testing.T) {
	for _, par := range []int{2, 4} {
		emitted := 0
		for i := range par {
			out := &sink{}
			kgs := state.RangeFor(128, par, i)
			ctx := newTestContext(state.NewHashMapBackend(kgs), out)
			ctx.Parallelism, ctx.Instance, ctx.KeyGroups = par, i, kgs
			op := NewGroupAgg(GroupAggSpec{Aggs: []plan.AggCall{{Func: plan.AggCount, Type: types.BigInt, Name: "c"}}})
			if err := op.Open(ctx); err != nil {
				t.Fatal(err)
			}
			rows := out.take()
			owns := kgs.Contains(ctx.KeyGroupOfHash(exec.HashKey(nil, nil)))
			if owns != (len(rows) == 1) || len(rows) > 1 {
				t.Fatalf("parallelism %d instance %d (owns the empty key: %v) emitted %d rows at open", par, i, owns, len(rows))
			}
			emitted += len(rows)
		}
		if emitted != 1 {
			t.Fatalf("parallelism %d: %d initial rows, want 1", par, emitted)
		}
	}
}
