package exec

import (
	"context"
	"testing"

	"github.com/streamsql/streamsql/types"
)

func TestBatchRowsGrowsToTheBatchSize(t *testing.T) {
	r := newBatchRows(1024)
	if r.next != firstBatchRows {
		t.Fatalf("first room %d, want %d", r.next, firstBatchRows)
	}
	r.filled(3) // a batch below its room: no change
	if r.next != firstBatchRows {
		t.Fatalf("room %d after a batch of 3 rows, want %d", r.next, firstBatchRows)
	}
	var seen []int
	for r.next < 1024 {
		r.filled(r.next)
		seen = append(seen, r.next)
	}
	want := []int{16, 32, 64, 128, 256, 512, 1024}
	if len(seen) != len(want) {
		t.Fatalf("rooms %v, want %v", seen, want)
	}
	for i := range want {
		if seen[i] != want[i] {
			t.Fatalf("rooms %v, want %v", seen, want)
		}
	}
	r.filled(5000)
	if r.next != 1024 {
		t.Fatalf("room %d after an oversized batch, want the batch size 1024", r.next)
	}

	small := newBatchRows(4) // a batch size below firstBatchRows
	if small.next != 4 {
		t.Fatalf("first room %d with batch size 4, want 4", small.next)
	}
	jump := newBatchRows(1024)
	jump.filled(300) // a batch that grew past its room by append
	if jump.next != 300 {
		t.Fatalf("room %d after a batch of 300 rows, want 300", jump.next)
	}
}

// A collector sends a batch when it holds batchSize rows, whatever the
// room of the batch it started with, and keeps every row.
func TestCollectorBatchesGrowToTheBatchSize(t *testing.T) {
	const batchSize = 100
	ch := make(chan Message, 64)
	c := newCollector(context.Background(), 2, batchSize, nil)
	c.addEdge(Forward, nil, []chan Message{ch}, 128)
	for i := 0; i < 250; i++ {
		c.Emit(types.Insert, []types.Value{types.IntValue(int64(i)), types.StringValue("x")})
	}
	c.flush()
	close(ch)
	var sizes []int
	next := int64(0)
	for m := range ch {
		b := m.Batch
		sizes = append(sizes, b.Len())
		for i := 0; i < b.Len(); i++ {
			if got := b.Row(i)[0].Int(); got != next {
				t.Fatalf("row %d holds %d", next, got)
			}
			next++
		}
	}
	if len(sizes) != 3 || sizes[0] != 100 || sizes[1] != 100 || sizes[2] != 50 {
		t.Fatalf("batch sizes %v, want [100 100 50]", sizes)
	}
	if c.rows.next != batchSize {
		t.Fatalf("room of the next batch %d, want the batch size %d", c.rows.next, batchSize)
	}
}
