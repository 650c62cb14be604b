package exec

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/streamsql/streamsql/catalog"
	"github.com/streamsql/streamsql/connectors"
	"github.com/streamsql/streamsql/state"
	"github.com/streamsql/streamsql/types"
)

// fakeSource serves fixed rows (k BIGINT, ts TIMESTAMP) per split; an
// unbounded split returns no rows (and no EOF) after its rows.
type fakeSource struct {
	splits    [][][2]int64
	unbounded bool
	// readDelay[i], when set, is how long each read of split i takes.
	readDelay map[int]time.Duration
}

type fakeSplit int

func (s fakeSplit) ID() string { return fmt.Sprint(int(s)) }

func (f *fakeSource) Splits(int) ([]connectors.Split, error) {
	var out []connectors.Split
	for i := range f.splits {
		out = append(out, fakeSplit(i))
	}
	return out, nil
}
func (f *fakeSource) Bounded() bool { return !f.unbounded }
func (f *fakeSource) OpenSplit(_ context.Context, s connectors.Split, _ []byte) (connectors.SplitReader, error) {
	return &fakeReader{rows: f.splits[s.(fakeSplit)], unbounded: f.unbounded, delay: f.readDelay[int(s.(fakeSplit))]}, nil
}

type fakeReader struct {
	rows      [][2]int64
	next      int
	unbounded bool
	delay     time.Duration
}

func (r *fakeReader) Next(ctx context.Context, b *types.Batch) error {
	if r.delay > 0 {
		time.Sleep(r.delay)
	}
	if r.next >= len(r.rows) {
		if !r.unbounded {
			return io.EOF
		}
		select {
		case <-ctx.Done():
		case <-time.After(10 * time.Millisecond):
		}
		return nil
	}
	for r.next < len(r.rows) && b.Len() < cap(b.Ops) {
		row := r.rows[r.next]
		b.Append(types.Insert, []types.Value{types.IntValue(row[0]), types.TimestampValue(row[1])})
		r.next++
	}
	return nil
}
func (r *fakeReader) Position() []byte { return nil }
func (r *fakeReader) Close() error     { return nil }

var kvSchema = types.Schema{{Name: "k", Type: types.BigInt}, {Name: "ts", Type: types.Timestamp}}

func sourceVertex(name string, src *fakeSource, delay int64, idleMs int64) *Vertex {
	t := &catalog.Table{Name: name, Columns: kvSchema, ProctimeColumn: -1,
		Watermark: &catalog.Watermark{Column: 1, DelayMs: delay}}
	return &Vertex{Name: "Source " + name, Parallelism: 1, Schema: kvSchema,
		Source: &SourceSpec{Table: t, Source: src, Watermark: t.Watermark, ProctimeCol: -1, IdleTimeoutMs: idleMs}}
}

// recorder logs what an operator instance sees: "row k@ts" and "wm N".
type recorder struct {
	Base
	mu     *sync.Mutex
	log    *[]string
	inst   int
	kgs    state.KeyGroupRange
	maxPar int
	fail   error
	panic  bool
	delay  time.Duration
}

func (r *recorder) Open(ctx *Context) error {
	r.inst, r.kgs, r.maxPar = ctx.Instance, ctx.KeyGroups, ctx.MaxParallelism
	return nil
}

func (r *recorder) ProcessBatch(input int, b *types.Batch) error {
	if r.fail != nil {
		return r.fail
	}
	if r.panic {
		panic("boom")
	}
	time.Sleep(r.delay)
	r.mu.Lock()
	defer r.mu.Unlock()
	for i := 0; i < b.Len(); i++ {
		row := b.Row(i)
		kg := state.KeyGroupOf(HashKey(row, []int{0}), r.maxPar)
		*r.log = append(*r.log, fmt.Sprintf("i%d in%d row %d@%d kg-ok=%v", r.inst, input, row[0].Int(), row[1].Millis(), r.kgs.Contains(kg)))
	}
	return nil
}

func (r *recorder) ProcessWatermark(wm int64) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	*r.log = append(*r.log, fmt.Sprintf("i%d wm %d", r.inst, wm))
	return nil
}

func newRecorderVertex(par int, log *[]string, mu *sync.Mutex, inputs ...Edge) *Vertex {
	return &Vertex{Name: "Recorder", Parallelism: par, Schema: kvSchema, Inputs: inputs,
		NewOperator: func() Operator { return &recorder{mu: mu, log: log} }}
}

func TestWatermarkPrecedesRowThatWouldBeLate(t *testing.T) {
	var log []string
	var mu sync.Mutex
	src := &fakeSource{splits: [][][2]int64{{{1, 10}, {1, 20}, {2, 5}, {1, 30}}}}
	g := &JobGraph{Vertices: []*Vertex{sourceVertex("s", src, 0, 0),
		newRecorderVertex(1, &log, &mu, Edge{From: 0, Partitioning: Forward})}}
	j, err := Start(context.Background(), g, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if err := j.Wait(); err != nil {
		t.Fatal(err)
	}
	got := strings.Join(log, "\n")
	// Row 2@5 is behind the watermark 20 set by the rows before it: the
	// watermark must arrive first. Rows 10 and 20 travel in one batch.
	want := strings.Join([]string{
		"i0 in0 row 1@10 kg-ok=true", "i0 in0 row 1@20 kg-ok=true", "i0 wm 20",
		"i0 in0 row 2@5 kg-ok=true", "i0 in0 row 1@30 kg-ok=true", "i0 wm 30", fmt.Sprintf("i0 wm %d", MaxWatermark)}, "\n")
	if got != want {
		t.Errorf("got\n%s\nwant\n%s", got, want)
	}
}

func TestMinWatermarkAndIdleSource(t *testing.T) {
	for _, idle := range []int64{0, 100} {
		t.Run(fmt.Sprintf("idle=%d", idle), func(t *testing.T) {
			var log []string
			var mu sync.Mutex
			fast := &fakeSource{splits: [][][2]int64{{{1, 100}, {1, 1000}}}, unbounded: true}
			slow := &fakeSource{splits: [][][2]int64{{{2, 10}}}, unbounded: true}
			g := &JobGraph{Vertices: []*Vertex{sourceVertex("fast", fast, 0, 0), sourceVertex("slow", slow, 0, idle),
				newRecorderVertex(1, &log, &mu, Edge{From: 0, Partitioning: Forward}, Edge{From: 1, Partitioning: Global})}}
			j, err := Start(context.Background(), g, Options{})
			if err != nil {
				t.Fatal(err)
			}
			deadline := time.Now().Add(5 * time.Second)
			sawAdvance := false
			for time.Now().Before(deadline) && !sawAdvance {
				time.Sleep(20 * time.Millisecond)
				mu.Lock()
				for _, l := range log {
					if l == "i0 wm 1000" {
						sawAdvance = true
					}
				}
				mu.Unlock()
				if idle == 0 && time.Since(deadline.Add(-5*time.Second)) > 600*time.Millisecond {
					break
				}
			}
			j.Cancel()
			if err := j.Wait(); !errors.Is(err, ErrCancelled) {
				t.Fatalf("want cancelled, got %v", err)
			}
			mu.Lock()
			defer mu.Unlock()
			if idle == 0 {
				for _, l := range log {
					if strings.HasPrefix(l, "i0 wm ") && l != "i0 wm 10" {
						t.Errorf("watermark passed the slow input's 10 without an idle timeout: %s", l)
					}
				}
			} else if !sawAdvance {
				t.Errorf("idle input kept holding the watermark: %v", log)
			}
		})
	}
}

func TestHashRoutesKeysToOwningInstance(t *testing.T) {
	var log []string
	var mu sync.Mutex
	var rows [][2]int64
	for i := int64(0); i < 2000; i++ {
		rows = append(rows, [2]int64{i % 37, i})
	}
	src := &fakeSource{splits: [][][2]int64{rows}}
	g := &JobGraph{BatchSize: 64, Vertices: []*Vertex{sourceVertex("s", src, 0, 0),
		newRecorderVertex(3, &log, &mu, Edge{From: 0, Partitioning: Hash, KeyCols: []int{0}})}}
	j, err := Start(context.Background(), g, Options{ChannelCapacity: 1})
	if err != nil {
		t.Fatal(err)
	}
	if err := j.Wait(); err != nil {
		t.Fatal(err)
	}
	owner := map[string]string{}
	n := 0
	for _, l := range log {
		if !strings.Contains(l, " row ") {
			continue
		}
		n++
		if !strings.HasSuffix(l, "kg-ok=true") {
			t.Fatalf("row outside the instance's key groups: %s", l)
		}
		f := strings.Fields(l)
		key := strings.Split(f[3], "@")[0]
		if o, ok := owner[key]; ok && o != f[0] {
			t.Fatalf("key %s seen by %s and %s", key, o, f[0])
		}
		owner[key] = f[0]
	}
	if n != len(rows) {
		t.Errorf("got %d rows, want %d (nothing may be lost)", n, len(rows))
	}
}

func TestBackpressureLosesNothing(t *testing.T) {
	var log []string
	var mu sync.Mutex
	var rows [][2]int64
	for i := int64(0); i < 5000; i++ {
		rows = append(rows, [2]int64{i, i})
	}
	src := &fakeSource{splits: [][][2]int64{rows}}
	rec := newRecorderVertex(1, &log, &mu, Edge{From: 0, Partitioning: Forward})
	rec.NewOperator = func() Operator { return &recorder{mu: &mu, log: &log, delay: time.Millisecond} }
	g := &JobGraph{BatchSize: 16, Vertices: []*Vertex{sourceVertex("s", src, 0, 0), rec}}
	j, err := Start(context.Background(), g, Options{ChannelCapacity: 1})
	if err != nil {
		t.Fatal(err)
	}
	if err := j.Wait(); err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, l := range log {
		if strings.Contains(l, " row ") {
			n++
		}
	}
	if n != len(rows) {
		t.Errorf("got %d rows, want %d", n, len(rows))
	}
}

func TestOperatorErrorAndPanicFailTheJob(t *testing.T) {
	for _, tc := range []struct {
		name string
		op   *recorder
		want string
	}{
		{"error", &recorder{fail: errors.New("division exploded")}, "division exploded"},
		{"panic", &recorder{panic: true}, "internal error in operator Recorder"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			src := &fakeSource{splits: [][][2]int64{{{1, 1}}}, unbounded: true}
			var log []string
			var mu sync.Mutex
			rec := newRecorderVertex(1, &log, &mu, Edge{From: 0, Partitioning: Forward})
			op := tc.op
			op.mu, op.log = &mu, &log
			rec.NewOperator = func() Operator { return op }
			g := &JobGraph{Vertices: []*Vertex{sourceVertex("s", src, 0, 0), rec}}
			j, err := Start(context.Background(), g, Options{})
			if err != nil {
				t.Fatal(err)
			}
			err = waitJob(t, j, 5*time.Second, "the job did not stop after the operator failed")
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("want error containing %q, got %v", tc.want, err)
			}
		})
	}
}

// A task with two inputs reads both to their end, whichever ends first,
// and then finishes (the job ends on its own).
func TestTwoInputsReadToTheirEnds(t *testing.T) {
	var log []string
	var mu sync.Mutex
	var long [][2]int64
	for i := int64(0); i < 3000; i++ {
		long = append(long, [2]int64{i, i})
	}
	short := &fakeSource{splits: [][][2]int64{{{-1, 5}}}}
	g := &JobGraph{Vertices: []*Vertex{sourceVertex("short", short, 0, 0), sourceVertex("long", &fakeSource{splits: [][][2]int64{long}}, 0, 0),
		newRecorderVertex(1, &log, &mu, Edge{From: 0, Partitioning: Forward}, Edge{From: 1, Partitioning: Forward})}}
	j, err := Start(context.Background(), g, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if err := j.Wait(); err != nil {
		t.Fatal(err)
	}
	rows := map[int]int{}
	for _, l := range log {
		var inst, in, k, ts int
		if _, err := fmt.Sscanf(l, "i%d in%d row %d@%d", &inst, &in, &k, &ts); err == nil {
			rows[in]++
		}
	}
	if rows[0] != 1 || rows[1] != len(long) {
		t.Fatalf("rows read per input: %v, want 1 on input 0 and %d on input 1", rows, len(long))
	}
	if last := log[len(log)-1]; last != fmt.Sprintf("i0 wm %d", MaxWatermark) {
		t.Fatalf("last entry %q, want the final watermark", last)
	}
}
