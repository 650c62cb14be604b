package exec

import (
	"context"
	"testing"

	"github.com/streamsql/streamsql/types"
)

// A batch emitted whole onto a hash edge over several targets reaches
// each target with the rows Emit would have sent it, in order, cut at the
// batch size.
func TestEmitBatchHashedMatchesEmit(t *testing.T) {
	const rows, batch, targets = 1000, 64, 3
	run := func(whole bool) [][]int64 {
		chans := make([]chan Message, targets)
		for i := range chans {
			chans[i] = make(chan Message, rows)
		}
		c := newCollector(context.Background(), 2, batch, nil)
		c.addEdge(Hash, []int{0}, chans, 128)
		b := types.NewBatch(2, rows)
		for i := int64(0); i < rows; i++ {
			b.Append(types.Insert, []types.Value{types.IntValue(i * 7919 % 1013), types.IntValue(i)})
		}
		if whole {
			c.EmitBatch(b)
		} else {
			for i := 0; i < b.Len(); i++ {
				c.Emit(b.Ops[i], b.Row(i))
			}
		}
		c.flush()
		out := make([][]int64, targets)
		for ti, ch := range chans {
			close(ch)
			for m := range ch {
				if m.Batch.Len() > batch {
					t.Fatalf("a batch of %d rows, more than the batch size %d", m.Batch.Len(), batch)
				}
				for i := 0; i < m.Batch.Len(); i++ {
					out[ti] = append(out[ti], m.Batch.Row(i)[1].Int())
				}
			}
		}
		return out
	}
	want, got := run(false), run(true)
	n := 0
	for ti := range want {
		n += len(got[ti])
		if len(got[ti]) != len(want[ti]) {
			t.Fatalf("target %d: %d rows, want %d", ti, len(got[ti]), len(want[ti]))
		}
		for i := range want[ti] {
			if got[ti][i] != want[ti][i] {
				t.Fatalf("target %d row %d: %d, want %d", ti, i, got[ti][i], want[ti][i])
			}
		}
	}
	if n != rows {
		t.Errorf("%d rows arrived, want %d", n, rows)
	}
}
