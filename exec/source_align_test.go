package exec

import (
	"context"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/streamsql/streamsql/checkpoint"
)

func TestSourceAlignSlowestIgnoresFreeSiblings(t *testing.T) {
	a := newSourceAlign(3)
	if got := a.slowest(0); got != MinWatermark {
		t.Fatalf("slowest of siblings that have not read yet = %d, want MinWatermark", got)
	}
	for i := range 3 {
		a.publish(i, alignFree)
	}
	if got := a.slowest(0); got != alignFree {
		t.Fatalf("slowest of free siblings = %d, want free", got)
	}
	a.publish(1, 500)
	a.publish(2, 300)
	if got := a.slowest(0); got != 300 {
		t.Errorf("slowest = %d, want 300", got)
	}
	if got := a.slowest(2); got != 500 {
		t.Errorf("slowest seen by instance 2 = %d, want 500 (its own is not counted)", got)
	}
	a.publish(2, alignFree)
	if got := a.slowest(0); got != 500 {
		t.Errorf("slowest after a release = %d, want 500", got)
	}
}

// A task ahead of a reading sibling by more than the slack waits until
// the sibling catches up, and no longer.
func TestSourceAlignWaitsForSlowSibling(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	const step = 200
	slack := int64(alignSlack * step)
	a := newSourceAlign(2)
	task := &sourceTask{job: &Job{ctx: ctx}, instance: 0, aligner: a, emitted: 1000 + slack}
	a.publish(1, 100)
	go func() {
		time.Sleep(20 * time.Millisecond)
		a.publish(1, 1000) // emitted - slack <= 1000: close enough
	}()
	start := time.Now()
	if done, err := task.align(true, step); done || err != nil {
		t.Fatalf("align: done=%v err=%v", done, err)
	}
	if d := time.Since(start); d < 15*time.Millisecond || d >= alignMaxWait {
		t.Errorf("waited %v, want about 20ms (until the sibling caught up)", d)
	}
	// Within the slack: no wait at all.
	start = time.Now()
	task.emitted = 900 + slack
	if _, err := task.align(true, step); err != nil {
		t.Fatal(err)
	}
	if d := time.Since(start); d > 10*time.Millisecond {
		t.Errorf("waited %v within the slack", d)
	}
	// A round without rows holds nobody back.
	task.align(false, 0)
	if got := a.slowest(1); got != alignFree {
		t.Errorf("a task that read nothing published %d, want free", got)
	}
}

// A sibling whose split has no more rows (an unbounded split waiting for
// data) does not hold the others back, even with its watermark far
// behind: the job delivers every row of the busy split promptly.
func TestSourceAlignNotHeldBySiblingWithoutRows(t *testing.T) {
	var log []string
	var mu sync.Mutex
	var busy [][2]int64
	for i := int64(0); i < 20000; i++ {
		busy = append(busy, [2]int64{i, 1000 + i})
	}
	src := &fakeSource{splits: [][][2]int64{busy, {{7, 1}}}, unbounded: true}
	sv := sourceVertex("s", src, 0, 0)
	sv.Parallelism = 2
	rec := newRecorderVertex(2, &log, &mu, Edge{From: 0, Partitioning: Forward})
	rec.StateDesc = "rows" // a stateful reader: the source is aligned
	g := &JobGraph{BatchSize: 16, Vertices: []*Vertex{sv, rec}}
	j, err := Start(context.Background(), g, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer func() {
		j.Cancel()
		j.Wait()
	}()
	// Held back for alignMaxWait per 16-row round, the 1,250 rounds
	// would take a minute.
	deadline := time.Now().Add(20 * time.Second)
	for {
		mu.Lock()
		n := 0
		for _, l := range log {
			if strings.Contains(l, " row ") {
				n++
			}
		}
		mu.Unlock()
		if n == len(busy)+1 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("got %d of %d rows: the busy source was held back", n, len(busy)+1)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// Checkpoints complete while a source instance waits for a slow sibling
// (the wait handles the checkpointer's triggers), and every row arrives.
func TestSourceAlignWaitKeepsCheckpointing(t *testing.T) {
	testSourceAlign(t, true)
}

// Without a stateful operator downstream, the instances of a source are
// not aligned: the fast split is read without waiting for the slow one.
func TestSourceNotAlignedWithoutStateDownstream(t *testing.T) {
	testSourceAlign(t, false)
}

// testSourceAlign runs a fast split (far ahead in event time) and a slow
// one into a recorder that keeps state (stateful) or not, with
// checkpoints, and checks every row and whether the fast split was held
// back.
func testSourceAlign(t *testing.T, stateful bool) {
	st, store := newLocalStore(t, "job-align")
	var fast, slow [][2]int64
	for i := int64(0); i < 4000; i++ {
		fast = append(fast, [2]int64{i, 1_000_000 + 10*i}) // far ahead in event time
		slow = append(slow, [2]int64{i, 10 * i})
	}
	src := &fakeSource{splits: [][][2]int64{fast, slow}, readDelay: map[int]time.Duration{1: 2 * time.Millisecond}}
	sv := sourceVertex("s", src, 0, 0)
	sv.Parallelism = 2
	var log []string
	var mu sync.Mutex
	var cmu sync.Mutex
	completed := 0
	rec := newRecorderVertex(2, &log, &mu, Edge{From: 0, Partitioning: Hash, KeyCols: []int{0}})
	if stateful {
		rec.StateDesc = "rows"
	}
	g := &JobGraph{BatchSize: 64, Vertices: []*Vertex{sv, rec}}
	cfg := &CheckpointConfig{Store: store, Storage: st, Coordinator: checkpoint.Config{Interval: 20 * time.Millisecond},
		OnComplete: func(*checkpoint.Metadata) { cmu.Lock(); completed++; cmu.Unlock() }}
	j, err := Start(context.Background(), g, Options{Checkpoint: cfg})
	if err != nil {
		t.Fatal(err)
	}
	if err := j.Wait(); err != nil {
		t.Fatal(err)
	}
	// n counts the rows; fastBefore the fast split's rows that arrived
	// before the slow split's last row.
	n, fastSeen, fastBefore := 0, 0, 0
	for _, l := range log {
		if !strings.Contains(l, " row ") {
			continue
		}
		n++
		ts, _ := strconv.Atoi(l[strings.Index(l, "@")+1 : strings.Index(l, " kg-ok")])
		if ts >= 1_000_000 {
			fastSeen++
		} else {
			fastBefore = fastSeen
		}
	}
	if n != len(fast)+len(slow) {
		t.Errorf("got %d rows, want %d", n, len(fast)+len(slow))
	}
	// Unaligned, the fast split is read to its end in a few milliseconds
	// (the slow one takes over 100); aligned, it reads a round per wait.
	if stateful && fastBefore > len(fast)/2 {
		t.Errorf("%d of the fast split's %d rows arrived before the slow split's end: it was not held back", fastBefore, len(fast))
	}
	if !stateful && fastBefore < len(fast)/2 {
		t.Errorf("only %d of the fast split's %d rows arrived before the slow split's end: a stateless job was held back", fastBefore, len(fast))
	}
	cmu.Lock()
	defer cmu.Unlock()
	if completed < 2 {
		t.Errorf("%d checkpoints completed, want periodic ones besides the final", completed)
	}
}

// statefulDownstream follows edges from a source to the vertices that read
// it, directly or not, and finds those that keep state.
func TestStatefulDownstream(t *testing.T) {
	v := func(state string, from ...int) *Vertex {
		x := &Vertex{StateDesc: state}
		for _, f := range from {
			x.Inputs = append(x.Inputs, Edge{From: f})
		}
		return x
	}
	// 0, 1: sources; 2: calc of 0; 3: stateful join of 1 and 2; 4: sink of 3
	g := &JobGraph{Vertices: []*Vertex{v(""), v(""), v("", 0), v("bags", 1, 2), v("", 3)}}
	for src, want := range map[int]bool{0: true, 1: true} {
		if got := statefulDownstream(g, src); got != want {
			t.Errorf("source %d: %v, want %v", src, got, want)
		}
	}
	g = &JobGraph{Vertices: []*Vertex{v(""), v(""), v("", 0), v("", 2), v("rows", 1)}}
	if statefulDownstream(g, 0) {
		t.Error("source 0 feeds only stateless vertices, but counts as stateful")
	}
	if !statefulDownstream(g, 1) {
		t.Error("source 1 feeds a stateful vertex directly")
	}
}
