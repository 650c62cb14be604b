package memtopics

import (
	"context"
	"io"
	"math"
	"testing"

	"github.com/streamsql/streamsql/connectors"
	"github.com/streamsql/streamsql/exec"
	"github.com/streamsql/streamsql/stages"
	"github.com/streamsql/streamsql/state"
	"github.com/streamsql/streamsql/types"
)

func openWriter(t *testing.T, x *Exchange, e stages.Edge, producer int) connectors.SinkWriter {
	t.Helper()
	s, err := x.Sink(e, producer)
	if err != nil {
		t.Fatal(err)
	}
	w, err := s.Open(context.Background(), 0, 1)
	if err != nil {
		t.Fatal(err)
	}
	return w
}

// TestWatermarkIsMinimumOverProducers writes rows and watermarks from two
// producers and reads one partition: its watermark waits for both, is
// their minimum, and the batch ends where it advances; the split ends
// once both producers ended.
func TestWatermarkIsMinimumOverProducers(t *testing.T) {
	e := stages.Edge{ID: "e", Schema: types.Schema{{Name: "k", Type: types.BigInt}}, KeyCols: []int{0},
		Partitions: 4, Producers: 2, Bounded: true}
	x := New()
	w0, w1 := openWriter(t, x, e, 0), openWriter(t, x, e, 1)
	key := types.IntValue(7)
	part := state.KeyGroupOf(exec.HashKey([]types.Value{key}, []int{0}), 4)
	row := func(w connectors.SinkWriter) {
		b := types.NewBatch(1, 1)
		b.Append(types.Insert, []types.Value{key})
		if err := w.Write(b); err != nil {
			t.Fatal(err)
		}
	}
	wm := func(w connectors.SinkWriter, v int64) {
		if err := w.(connectors.WatermarkWriter).WriteWatermark(v); err != nil {
			t.Fatal(err)
		}
	}
	row(w0)
	wm(w0, 100)
	row(w0)
	wm(w1, 50)
	row(w1)
	wm(w0, math.MaxInt64)
	wm(w1, math.MaxInt64)

	src, _ := x.Source(e, []int{part})
	splits, _ := src.Splits(1)
	r, err := src.OpenSplit(context.Background(), splits[0], nil)
	if err != nil {
		t.Fatal(err)
	}
	wr := r.(connectors.WatermarkReader)
	type step struct {
		rows int
		wm   int64
	}
	var got []step
	for i := 0; i < 10; i++ {
		b := types.NewBatch(1, 64)
		err := r.Next(context.Background(), b)
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, step{b.Len(), wr.Watermark()})
	}
	// Rows 1 and 2 come before producer 1's first watermark (no
	// progress until both reported), then 50 = min(100, 50) ends a
	// batch; producer 0's end leaves the minimum at producer 1's 50,
	// and producer 1's end ends the last batch and then the split.
	want := []step{{2, 50}, {1, math.MaxInt64}}
	if len(got) != len(want) {
		t.Fatalf("batches %v, want %v", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("batches %v, want %v", got, want)
		}
	}
}

// TestIdleProducer: an idle producer does not hold the partition's
// watermark; active again behind it, it counts once it caught up; when
// every producer is idle the partition is, at the largest of their
// watermarks; a restored reader keeps the statuses.
func TestIdleProducer(t *testing.T) {
	e := stages.Edge{ID: "e", Schema: types.Schema{{Name: "k", Type: types.BigInt}}, KeyCols: []int{0},
		Partitions: 2, Producers: 2}
	x := New()
	w0, w1 := openWriter(t, x, e, 0), openWriter(t, x, e, 1)
	src, _ := x.Source(e, []int{1})
	splits, _ := src.Splits(1)
	open := func(pos []byte) connectors.SplitReader {
		r, err := src.OpenSplit(context.Background(), splits[0], pos)
		if err != nil {
			t.Fatal(err)
		}
		return r
	}
	r := open(nil)
	do := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	wm := func(w connectors.SinkWriter, v int64) { do(w.(connectors.WatermarkWriter).WriteWatermark(v)) }
	idle := func(w connectors.SinkWriter, v bool) { do(w.(connectors.IdleWriter).WriteIdle(v)) }
	check := func(r connectors.SplitReader, wantWm int64, wantIdle bool) {
		t.Helper()
		for i := 0; i < 20; i++ {
			do(r.Next(context.Background(), types.NewBatch(1, 64)))
		}
		if got := r.(connectors.WatermarkReader).Watermark(); got != wantWm {
			t.Fatalf("watermark %d, want %d", got, wantWm)
		}
		if got := r.(connectors.IdleReporter).Idle(); got != wantIdle {
			t.Fatalf("idle %v, want %v", got, wantIdle)
		}
	}
	wm(w0, 100)
	wm(w1, 50)
	check(r, 50, false)
	idle(w1, true)
	check(r, 100, false)
	idle(w1, false)
	wm(w1, 80) // behind 100: no move back, does not hold 0
	wm(w0, 200)
	check(r, 200, false)
	wm(w1, 300) // caught up: counts again
	wm(w0, 400)
	check(r, 300, false)
	idle(w1, true)
	check(r, 400, false)
	idle(w0, true)
	check(r, 400, true)
	r2 := open(r.Position())
	check(r2, 400, true)
	wm(w1, 500) // a watermark makes its producer active
	check(r2, 500, false)
	// Every producer idle with the one idle last lower: the largest.
	wm(w0, 900)
	check(r2, 500, false)
	idle(w0, true)
	check(r2, 500, false)
	idle(w1, true)
	check(r2, 900, true)
	// A position from before statuses (the next record only) restores.
	old := open(r.Position()[:8])
	check(old, 900, true)
}
