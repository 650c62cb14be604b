package exec

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/streamsql/streamsql/connectors"
	"github.com/streamsql/streamsql/types"
)

// backlogSource has one split that yields one row, then nothing while it
// reports records pending (a fetch that has not arrived yet), until the
// test releases it.
type backlogSource struct {
	row      [2]int64
	released atomic.Bool
}

func (s *backlogSource) Splits(int) ([]connectors.Split, error) {
	return []connectors.Split{fakeSplit(0)}, nil
}
func (s *backlogSource) Bounded() bool { return false }
func (s *backlogSource) OpenSplit(context.Context, connectors.Split, []byte) (connectors.SplitReader, error) {
	return &backlogReader{row: &s.row, released: &s.released, backlog: 5}, nil
}

// backlogReader yields row once (when set), then nothing, while it
// reports backlog records pending (-1: no fetch answered yet) until
// released.
type backlogReader struct {
	row      *[2]int64
	released *atomic.Bool
	backlog  int64
	sent     bool
}

func (r *backlogReader) Next(ctx context.Context, b *types.Batch) error {
	if r.row != nil && !r.sent {
		r.sent = true
		b.Append(types.Insert, []types.Value{types.IntValue(r.row[0]), types.TimestampValue(r.row[1])})
		return nil
	}
	select {
	case <-ctx.Done():
	case <-time.After(5 * time.Millisecond):
	}
	return nil
}

// PendingRecords reports the backlog until the source is released.
func (r *backlogReader) PendingRecords() int64 {
	if r.released.Load() {
		return 0
	}
	return r.backlog
}
func (r *backlogReader) Position() []byte { return nil }
func (r *backlogReader) Close() error     { return nil }

// TestBackloggedSplitIsNotIdle: a split whose reader reports records
// waiting is not idle, however long its rows take to arrive (a slow fetch
// after a restore on a loaded machine): were it idle, the operators
// downstream would move their watermark past its rows, and those would be
// late. Once it reports no backlog, the idle timeout applies.
func TestBackloggedSplitIsNotIdle(t *testing.T) {
	var log []string
	var mu sync.Mutex
	fast := &fakeSource{splits: [][][2]int64{{{1, 100}, {1, 1000}}}, unbounded: true}
	slow := &backlogSource{row: [2]int64{2, 10}}
	slowVertex := sourceVertex("slow", nil, 0, 50)
	slowVertex.Source.Source = slow
	g := &JobGraph{Vertices: []*Vertex{sourceVertex("fast", fast, 0, 0), slowVertex,
		newRecorderVertex(1, &log, &mu, Edge{From: 0, Partitioning: Forward}, Edge{From: 1, Partitioning: Global})}}
	defer cancelJob(t, startJob(t, g, Options{}))
	watermarks := func() []string {
		mu.Lock()
		defer mu.Unlock()
		var out []string
		for _, l := range log {
			if strings.HasPrefix(l, "i0 wm ") {
				out = append(out, l)
			}
		}
		return out
	}
	// Ten idle timeouts with a backlog: the watermark stays at the slow
	// split's 10.
	time.Sleep(500 * time.Millisecond)
	for _, l := range watermarks() {
		if l != "i0 wm 10" {
			t.Fatalf("the watermark passed a split with records waiting (%s); watermarks: %v", l, watermarks())
		}
	}
	slow.released.Store(true)
	deadline := time.Now().Add(5 * time.Second)
	for time.Now().Before(deadline) {
		for _, l := range watermarks() {
			if l == fmt.Sprintf("i0 wm %d", 1000) {
				return
			}
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Fatalf("the split without backlog did not go idle: watermarks %v", watermarks())
}

// idleBacklogReader: records wait in its log (PendingRecords 5) while its
// reader reports the partition idle (as an exchange reader restored at a
// position where its producers were idle, before it fetched the active
// status that follows).
type idleBacklogReader struct{ backlogReader }

func (r *idleBacklogReader) Idle() bool { return true }

type idleBacklogSource struct{ backlogSource }

func (s *idleBacklogSource) OpenSplit(context.Context, connectors.Split, []byte) (connectors.SplitReader, error) {
	return &idleBacklogReader{backlogReader{row: &s.row, released: &s.released, backlog: 5}}, nil
}

// TestBackloggedSplitIsNotIdleWhenItsReaderSaysSo: an exchange split
// restored where its producers were idle, with the active status and rows
// still to fetch, is not idle while records wait.
func TestBackloggedSplitIsNotIdleWhenItsReaderSaysSo(t *testing.T) {
	var log []string
	var mu sync.Mutex
	fast := &fakeSource{splits: [][][2]int64{{{1, 100}, {1, 1000}}}, unbounded: true}
	slow := &idleBacklogSource{backlogSource{row: [2]int64{2, 10}}}
	slowVertex := sourceVertex("slow", nil, 0, 50)
	slowVertex.Source.Source = slow
	g := &JobGraph{Vertices: []*Vertex{sourceVertex("fast", fast, 0, 0), slowVertex,
		newRecorderVertex(1, &log, &mu, Edge{From: 0, Partitioning: Forward}, Edge{From: 1, Partitioning: Global})}}
	runFor(t, g, Options{}, 500*time.Millisecond)
	mu.Lock()
	defer mu.Unlock()
	for _, l := range log {
		if strings.HasPrefix(l, "i0 wm ") && l != "i0 wm 10" {
			t.Errorf("the watermark passed a split with records waiting: %s (log %v)", l, log)
			return
		}
	}
}

// pairSource has split 0 with rows and split 1 empty whose reader
// reports an unknown backlog (no fetch answered) until released.
type pairSource struct {
	rows     [][2]int64
	released atomic.Bool
}

func (s *pairSource) Splits(int) ([]connectors.Split, error) {
	return []connectors.Split{fakeSplit(0), fakeSplit(1)}, nil
}
func (s *pairSource) Bounded() bool { return false }
func (s *pairSource) OpenSplit(_ context.Context, sp connectors.Split, _ []byte) (connectors.SplitReader, error) {
	if sp.(fakeSplit) == 0 {
		return &fakeReader{rows: s.rows, unbounded: true}, nil
	}
	return &backlogReader{released: &s.released, backlog: -1}, nil
}

// TestSplitsIdleTogetherSendTheirWatermark: an empty split, held active
// until its first fetch answered, goes idle in the same round as the
// split that had rows: the task sends the watermark those rows
// established before it goes idle, else it would never be sent.
func TestSplitsIdleTogetherSendTheirWatermark(t *testing.T) {
	var log []string
	var mu sync.Mutex
	src := &pairSource{rows: [][2]int64{{1, 100}, {1, 1000}}}
	v := sourceVertex("s", nil, 0, 100)
	v.Source.Source = src
	g := &JobGraph{Vertices: []*Vertex{v, newRecorderVertex(1, &log, &mu, Edge{From: 0, Partitioning: Forward})}}
	defer cancelJob(t, startJob(t, g, Options{}))
	// Both splits past the idle timeout, the empty one held by its
	// unknown backlog: nothing is sent while it holds.
	time.Sleep(400 * time.Millisecond)
	mu.Lock()
	for _, l := range log {
		if strings.HasPrefix(l, "i0 wm ") {
			t.Errorf("a watermark while the empty split was not idle: %s", l)
		}
	}
	mu.Unlock()
	src.released.Store(true)
	deadline := time.Now().Add(5 * time.Second)
	for time.Now().Before(deadline) {
		mu.Lock()
		got := strings.Join(log, "\n")
		mu.Unlock()
		if strings.Contains(got, "i0 wm 1000") {
			return
		}
		time.Sleep(10 * time.Millisecond)
	}
	mu.Lock()
	defer mu.Unlock()
	t.Fatalf("the rows' watermark was never sent: %v", log)
}
