package exec

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/streamsql/streamsql/checkpoint"
	"github.com/streamsql/streamsql/types"
)

func TestChainLinks(t *testing.T) {
	op := func(par int, inputs ...Edge) *Vertex {
		return &Vertex{Name: "op", Parallelism: par, Schema: kvSchema, Inputs: inputs, NewOperator: func() Operator { return &passOp{} }}
	}
	src := func(par int) *Vertex {
		v := sourceVertex("s", &fakeSource{}, 0, 0)
		v.Parallelism = par
		return v
	}
	fwd := func(from int) Edge { return Edge{From: from, Partitioning: Forward} }
	hash := func(from int) Edge { return Edge{From: from, Partitioning: Hash, KeyCols: []int{0}} }
	for _, c := range []struct {
		name  string
		vs    []*Vertex
		links []int
		heads []int
	}{
		{"forward pipeline", []*Vertex{src(2), op(2, fwd(0)), op(2, fwd(1))}, []int{-1, 0, 1}, []int{0, 0, 0}},
		{"hash edge at parallelism 2 is cut", []*Vertex{src(2), op(2, fwd(0)), op(2, hash(1)), op(2, fwd(2))}, []int{-1, 0, -1, 2}, []int{0, 0, 2, 2}},
		{"any edge between two at parallelism 1", []*Vertex{src(1), op(1, hash(0)), op(1, Edge{From: 1, Partitioning: Global})}, []int{-1, 0, 1}, []int{0, 0, 0}},
		{"parallelism changes", []*Vertex{src(1), op(2, Edge{From: 0, Partitioning: Rebalance})}, []int{-1, -1}, []int{0, 1}},
		{"an operator feeding two runs both", []*Vertex{src(2), op(2, fwd(0)), op(2, fwd(1)), op(2, fwd(1)), op(2, hash(1))}, []int{-1, 0, 1, 1, -1}, []int{0, 0, 0, 0, 4}},
		{"two inputs are not chained", []*Vertex{src(1), src(1), op(1, fwd(0), fwd(1))}, []int{-1, -1, -1}, []int{0, 1, 2}},
	} {
		links := chainLinks(&JobGraph{Vertices: c.vs})
		if !slices.Equal(links, c.links) {
			t.Errorf("%s: links %v, want %v", c.name, links, c.links)
		}
		if heads := chainHeads(links); !slices.Equal(heads, c.heads) {
			t.Errorf("%s: heads %v, want %v", c.name, heads, c.heads)
		}
	}
}

// A job runs the same chained and unchained (a chain with two branches,
// and one cut by a hash edge): the rows each operator
// instance sees (the watermarks between them depend on how the source's
// reads interleave) and every vertex's row counts and final watermark.
func TestChainedJobRunsAsUnchained(t *testing.T) {
	var rows [][2]int64
	for i := int64(0); i < 5000; i++ {
		rows = append(rows, [2]int64{i % 97, i})
	}
	runJob := func(disable bool) ([]string, []VertexMetrics) {
		var log []string
		var mu sync.Mutex
		src := sourceVertex("s", &fakeSource{splits: [][][2]int64{rows[:2500], rows[2500:]}}, 0, 0)
		src.Parallelism = 2
		pass := func(par int, e Edge) *Vertex {
			return &Vertex{Name: "pass", Parallelism: par, Schema: kvSchema, Inputs: []Edge{e}, NewOperator: func() Operator { return &passOp{} }}
		}
		g := &JobGraph{BatchSize: 64, Vertices: []*Vertex{src,
			pass(2, Edge{From: 0, Partitioning: Forward}),
			pass(2, Edge{From: 1, Partitioning: Forward}),
			pass(2, Edge{From: 2, Partitioning: Hash, KeyCols: []int{0}}),
			newRecorderVertex(2, &log, &mu, Edge{From: 3, Partitioning: Forward}),
			// a second branch of the first pass: a chain that is a tree
			pass(2, Edge{From: 1, Partitioning: Forward}),
			newRecorderVertex(2, &log, &mu, Edge{From: 5, Partitioning: Forward})}}
		j, err := Start(context.Background(), g, Options{DisableChaining: disable})
		if err != nil {
			t.Fatal(err)
		}
		if err := j.Wait(); err != nil {
			t.Fatal(err)
		}
		var ms []VertexMetrics
		for vi := range g.Vertices {
			ms = append(ms, j.Metrics(vi))
		}
		var rowLines []string
		for _, l := range log {
			if strings.Contains(l, " row ") {
				rowLines = append(rowLines, l)
			}
		}
		slices.Sort(rowLines)
		return rowLines, ms
	}
	chainedLog, chainedMs := runJob(false)
	plainLog, plainMs := runJob(true)
	if !slices.Equal(chainedLog, plainLog) {
		t.Errorf("chained: %d log lines, unchained %d; they differ", len(chainedLog), len(plainLog))
	}
	if len(chainedLog) != 2*len(rows) {
		t.Errorf("the last operators saw %d rows, want %d", len(chainedLog), 2*len(rows))
	}
	for vi := range chainedMs {
		c, p := chainedMs[vi], plainMs[vi]
		if c.RowsIn != p.RowsIn || c.RowsOut != p.RowsOut || c.Watermark != p.Watermark {
			t.Errorf("vertex %d: chained in %d out %d wm %d, unchained in %d out %d wm %d", vi, c.RowsIn, c.RowsOut, c.Watermark, p.RowsIn, p.RowsOut, p.Watermark)
		}
	}
}

// committingSink commits a committable per checkpoint and records what it
// committed.
type committingSink struct {
	Base
	mu        *sync.Mutex
	committed *[]string
	name      string
}

func (s *committingSink) ProcessBatch(int, *types.Batch) error { return nil }

func (s *committingSink) PreCommit(id int64) ([][]byte, error) {
	return [][]byte{[]byte(fmt.Sprintf("%s-%d", s.name, id))}, nil
}

func (s *committingSink) Commit(c [][]byte) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, b := range c {
		*s.committed = append(*s.committed, string(b))
	}
	return nil
}

func (s *committingSink) Recover([][]byte) error { return nil }

// Two sinks chained to one operator each wait, at the end of input, for
// the final checkpoint's notice, which the checkpointer sends once to
// the chain: the first to read it hands it to both, and the job ends with
// both sinks' final transactions committed.
func TestChainedSinksBothCommitTheFinalCheckpoint(t *testing.T) {
	st, store := newLocalStore(t, "job-sinks")
	var mu sync.Mutex
	var committed []string
	sink := func(name string) *Vertex {
		return &Vertex{Name: name, Parallelism: 1, Schema: kvSchema, Sink: true, Inputs: []Edge{{From: 1, Partitioning: Forward}},
			NewOperator: func() Operator { return &committingSink{mu: &mu, committed: &committed, name: name} }}
	}
	src := &fakeSource{splits: [][][2]int64{{{1, 10}, {2, 20}}}}
	g := &JobGraph{Vertices: []*Vertex{sourceVertex("s", src, 0, 0),
		{Name: "pass", Parallelism: 1, Schema: kvSchema, Inputs: []Edge{{From: 0, Partitioning: Forward}}, NewOperator: func() Operator { return &passOp{} }},
		sink("a"), sink("b")}}
	var final int64
	cfg := &CheckpointConfig{Store: store, Storage: st, OnComplete: func(md *checkpoint.Metadata) { final = md.CheckpointID }}
	j, err := Start(context.Background(), g, Options{Checkpoint: cfg})
	if err != nil {
		t.Fatal(err)
	}
	if err := waitJob(t, j, 20*time.Second, "the job did not end: a sink waits for the final checkpoint's notice"); err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	defer mu.Unlock()
	for _, name := range []string{"a", "b"} {
		if want := fmt.Sprintf("%s-%d", name, final); !slices.Contains(committed, want) {
			t.Errorf("committed %v, want %s (the final checkpoint of sink %s)", committed, want, name)
		}
	}
}

// failingOpen fails in Open.
type failingOpen struct{ Base }

func (failingOpen) Open(*Context) error                  { return fmt.Errorf("cannot open") }
func (failingOpen) ProcessBatch(int, *types.Batch) error { return nil }

// An operator of a chain that fails to open fails the job with its own
// error, whichever task of the chain it is (the tasks after it, never
// opened, are closed without ado).
func TestChainedOpenFailureIsTheJobsError(t *testing.T) {
	for _, failing := range []int{1, 2} {
		vs := []*Vertex{sourceVertex("s", &fakeSource{splits: [][][2]int64{{{1, 10}}}}, 0, 0)}
		for vi := 1; vi <= 3; vi++ {
			newOp := func() Operator { return &passOp{} }
			if vi == failing {
				newOp = func() Operator { return failingOpen{} }
			}
			vs = append(vs, &Vertex{Name: fmt.Sprintf("op%d", vi), Parallelism: 1, Schema: kvSchema,
				Inputs: []Edge{{From: vi - 1, Partitioning: Forward}}, NewOperator: newOp})
		}
		j := startJob(t, &JobGraph{Vertices: vs}, Options{})
		err := waitJob(t, j, 10*time.Second, "the job did not end")
		if want := fmt.Sprintf("op%d: cannot open", failing); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("operator %d failing to open: job error %v, want %q", failing, err, want)
		}
	}
}

// batchWatcher sums the values of the batches it is given and records
// each batch pointer; with scribble set it owns its input and overwrites
// it after reading (which it may: it does not borrow).
type batchWatcher struct {
	Base
	borrow, scribble bool
	sum              int64
	seen             []*types.Batch
}

func (w *batchWatcher) BorrowsInput() bool { return w.borrow }
func (w *batchWatcher) ProcessBatch(_ int, b *types.Batch) error {
	w.seen = append(w.seen, b)
	for i := range b.Vals {
		w.sum += b.Vals[i].Int()
		if w.scribble {
			b.Vals[i] = types.IntValue(-1)
		}
	}
	return nil
}

// An operator feeding several chained operators lends its batch to those
// that only read their input (InputBorrower) and copies it for the
// others; the last one owns it. Each sees the rows as they were emitted,
// whatever the one before it did to its own batch.
func TestChainedReadersBorrowTheBatch(t *testing.T) {
	var rows [][2]int64
	var want int64
	for i := int64(0); i < 3000; i++ {
		rows = append(rows, [2]int64{i % 13, i})
		want += i%13 + i
	}
	watchers := []*batchWatcher{{borrow: true}, {scribble: true}, {borrow: true}}
	vs := []*Vertex{sourceVertex("s", &fakeSource{splits: [][][2]int64{rows}}, 0, 0)}
	for _, w := range watchers {
		vs = append(vs, &Vertex{Name: "watch", Parallelism: 1, Schema: kvSchema,
			Inputs: []Edge{{From: 0, Partitioning: Forward}}, NewOperator: func() Operator { return w }})
	}
	j := startJob(t, &JobGraph{BatchSize: 64, Vertices: vs}, Options{})
	if err := waitJob(t, j, 10*time.Second, "the job did not end"); err != nil {
		t.Fatal(err)
	}
	for i, w := range watchers {
		if w.sum != want {
			t.Errorf("operator %d summed %d, want %d", i, w.sum, want)
		}
	}
	lent, copied := 0, 0
	for k, b := range watchers[0].seen {
		if k < len(watchers[2].seen) && b == watchers[2].seen[k] {
			lent++
		}
		if k < len(watchers[1].seen) && b == watchers[1].seen[k] {
			copied++
		}
	}
	if n := len(watchers[0].seen); n == 0 || lent != n {
		t.Errorf("%d of %d batches of the first reader were the last one's (lent, not copied)", lent, n)
	}
	if copied != 0 {
		t.Errorf("%d batches of the operator that changes its input were lent, want copies", copied)
	}
}
