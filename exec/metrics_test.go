package exec

import (
	"context"
	"sync"
	"testing"
	"time"
)

// A slow operator behind a fast source: the operator's time inside its
// calls is busy time, and the source's time waiting on the full channel
// between them is backpressured time (each in its own goroutine); chained
// into the source's task, the operator's calls are neither the source's
// busy time nor its backpressure.
func TestBusyAndBackpressuredTime(t *testing.T) {
	for _, chained := range []bool{false, true} {
		t.Run(map[bool]string{false: "tasks", true: "chained"}[chained], func(t *testing.T) {
			testBusyAndBackpressuredTime(t, chained)
		})
	}
}

func testBusyAndBackpressuredTime(t *testing.T, chained bool) {
	var log []string
	var mu sync.Mutex
	var rows [][2]int64
	for i := int64(0); i < 4000; i++ {
		rows = append(rows, [2]int64{i, i})
	}
	const delay = 2 * time.Millisecond
	src := &fakeSource{splits: [][][2]int64{rows}}
	rec := newRecorderVertex(1, &log, &mu, Edge{From: 0, Partitioning: Forward})
	rec.NewOperator = func() Operator { return &recorder{mu: &mu, log: &log, delay: delay} }
	g := &JobGraph{BatchSize: 16, Vertices: []*Vertex{sourceVertex("s", src, 0, 0), rec}}
	j, err := Start(context.Background(), g, Options{ChannelCapacity: 1, DisableChaining: !chained})
	if err != nil {
		t.Fatal(err)
	}
	if err := j.Wait(); err != nil {
		t.Fatal(err)
	}
	source, slow := j.SubtaskMetrics(0)[0], j.SubtaskMetrics(1)[0]
	batches := int64(len(rows) / 16)
	if busy := slow.BusyNs.Load(); busy < batches*int64(delay) {
		t.Errorf("the slow operator was busy %v, want at least %v (%d batches of %v)", time.Duration(busy), time.Duration(batches*int64(delay)), batches, delay)
	}
	if bp := slow.BackpressuredNs.Load(); bp != 0 {
		t.Errorf("the operator has no output but was backpressured %v", time.Duration(bp))
	}
	bp, busy := source.BackpressuredNs.Load(), source.BusyNs.Load()
	if chained {
		if bp != 0 || busy > slow.BusyNs.Load()/4 {
			t.Errorf("chained: the source was backpressured %v and busy %v; the operator it calls was busy %v", time.Duration(bp), time.Duration(busy), time.Duration(slow.BusyNs.Load()))
		}
	} else if bp < slow.BusyNs.Load()/2 || bp <= busy {
		t.Errorf("the source waited on the slow operator %v and was busy %v; the operator was busy %v", time.Duration(bp), time.Duration(busy), time.Duration(slow.BusyNs.Load()))
	}
	if got := j.Metrics(1).RowsIn; got != int64(len(rows)) {
		t.Errorf("rows in %d, want %d", got, len(rows))
	}
}

// Every instance has its own counters; a vertex's are their sum, its
// watermark their minimum.
func TestSubtaskMetricsAddUp(t *testing.T) {
	var log []string
	var mu sync.Mutex
	var rows [][2]int64
	for i := int64(0); i < 1000; i++ {
		rows = append(rows, [2]int64{i, i})
	}
	src := &fakeSource{splits: [][][2]int64{rows}}
	rec := newRecorderVertex(2, &log, &mu, Edge{From: 0, Partitioning: Hash, KeyCols: []int{0}})
	g := &JobGraph{BatchSize: 64, Vertices: []*Vertex{sourceVertex("s", src, 0, 0), rec}}
	j, err := Start(context.Background(), g, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if err := j.Wait(); err != nil {
		t.Fatal(err)
	}
	subs := j.SubtaskMetrics(1)
	if len(subs) != 2 {
		t.Fatalf("%d subtask counters for parallelism 2", len(subs))
	}
	a, b := subs[0].RowsIn.Load(), subs[1].RowsIn.Load()
	if a == 0 || b == 0 || a+b != int64(len(rows)) {
		t.Errorf("subtasks read %d and %d rows, want both > 0 and %d in all", a, b, len(rows))
	}
	if v := j.Metrics(1); v.RowsIn != a+b || v.Watermark != MaxWatermark {
		t.Errorf("vertex sums %+v, want rows in %d and the end-of-input watermark", v, a+b)
	}
	if p := j.SubtaskMetrics(0)[0].PendingRecords.Load(); p != -1 {
		t.Errorf("a source that cannot tell reports %d pending records, want -1", p)
	}
}
