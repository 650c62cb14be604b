package memtopics

import (
	"context"
	"testing"

	"github.com/streamsql/streamsql/connectors"
	"github.com/streamsql/streamsql/exec"
	"github.com/streamsql/streamsql/stages"
	"github.com/streamsql/streamsql/state"
	"github.com/streamsql/streamsql/types"
)

// A producer that was idle when the reader's position was taken restarts
// (a restore: a fresh writer, whose task never went idle) and writes rows:
// the reader counts it active again before the rows.
func TestRestartedProducerIsActiveBeforeItsRows(t *testing.T) {
	e := stages.Edge{ID: "e", Schema: types.Schema{{Name: "k", Type: types.BigInt}}, KeyCols: []int{0},
		Partitions: 1, Producers: 1}
	x := New()
	w0 := openWriter(t, x, e, 0)
	_ = w0.(connectors.WatermarkWriter).WriteWatermark(100)
	_ = w0.(connectors.IdleWriter).WriteIdle(true)
	key := types.IntValue(7)
	part := state.KeyGroupOf(exec.HashKey([]types.Value{key}, []int{0}), 1)
	src, _ := x.Source(e, []int{part})
	sps, _ := src.Splits(1)
	r, _ := src.OpenSplit(context.Background(), sps[0], nil)
	b := types.NewBatch(1, 16)
	for i := 0; i < 3; i++ {
		_ = r.Next(context.Background(), b)
	}
	if !r.(connectors.IdleReporter).Idle() {
		t.Fatal("want idle")
	}
	pos := r.Position() // checkpoint: the producer is idle
	// restore: a fresh writer for producer 0 and a reader at pos
	w0b := openWriter(t, x, e, 0)
	bb := types.NewBatch(1, 1)
	bb.Append(types.Insert, []types.Value{key})
	_ = w0b.Write(bb)
	r2, _ := src.OpenSplit(context.Background(), sps[0], pos)
	b2 := types.NewBatch(1, 16)
	for i := 0; i < 3 && b2.Len() == 0; i++ {
		_ = r2.Next(context.Background(), b2)
	}
	if b2.Len() != 1 || r2.(connectors.IdleReporter).Idle() {
		t.Errorf("read %d rows (want 1), partition idle %v (want active)", b2.Len(), r2.(connectors.IdleReporter).Idle())
	}
}
