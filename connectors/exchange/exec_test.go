package exchange

import (
	"context"
	"fmt"
	"io"
	"math"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/streamsql/streamsql/catalog"
	"github.com/streamsql/streamsql/checkpoint"
	"github.com/streamsql/streamsql/checkpoint/storage"
	"github.com/streamsql/streamsql/connectors"
	"github.com/streamsql/streamsql/exec"
	"github.com/streamsql/streamsql/types"
)

// rowsSource serves fixed rows per split, a few per Next; an unbounded
// split then returns no rows (after a short wait) and never ends.
type rowsSource struct {
	splits    [][][]types.Value
	unbounded bool
	// delay[i], when set, is how long split i has no rows after it opened.
	delay map[int]time.Duration
}

type rowsSplit int

func (s rowsSplit) ID() string { return fmt.Sprint(int(s)) }

func (f *rowsSource) Splits(int) ([]connectors.Split, error) {
	var out []connectors.Split
	for i := range f.splits {
		out = append(out, rowsSplit(i))
	}
	return out, nil
}
func (f *rowsSource) Bounded() bool { return !f.unbounded }
func (f *rowsSource) OpenSplit(_ context.Context, s connectors.Split, _ []byte) (connectors.SplitReader, error) {
	return &rowsReader{rows: f.splits[s.(rowsSplit)], unbounded: f.unbounded, from: time.Now().Add(f.delay[int(s.(rowsSplit))])}, nil
}

type rowsReader struct {
	rows      [][]types.Value
	next      int
	unbounded bool
	from      time.Time // no rows before
}

func (r *rowsReader) Next(ctx context.Context, b *types.Batch) error {
	if r.next >= len(r.rows) || time.Now().Before(r.from) {
		if r.unbounded {
			select {
			case <-ctx.Done():
			case <-time.After(10 * time.Millisecond):
			}
			return nil
		}
		return io.EOF
	}
	for n := 0; n < 8 && r.next < len(r.rows); n++ {
		b.Append(types.Insert, r.rows[r.next])
		r.next++
	}
	return nil
}
func (r *rowsReader) Position() []byte { return nil }
func (r *rowsReader) Close() error     { return nil }

var countSchema = types.Schema{{Name: "k", Type: types.BigInt}, {Name: "w", Type: types.Timestamp}, {Name: "c", Type: types.BigInt}}

// windowStats counts what the tumbling windows saw.
type windowStats struct {
	mu          sync.Mutex
	late        int // rows at or behind the watermark
	firedBefore int // windows fired by a watermark before the end
}

// tumbleCount counts rows per key (column 0) and tumbling window of
// event time (column 2), emitting (k, window start, count) when the
// watermark passes the window's end.
type tumbleCount struct {
	exec.Base
	size   int64
	out    exec.Output
	wm     int64
	counts map[[2]int64]int64
	stats  *windowStats
}

func (o *tumbleCount) Open(ctx *exec.Context) error {
	o.out, o.wm, o.counts = ctx.Out, math.MinInt64, map[[2]int64]int64{}
	return nil
}

func (o *tumbleCount) ProcessBatch(_ int, b *types.Batch) error {
	for i := 0; i < b.Len(); i++ {
		row := b.Row(i)
		ts := row[2].Millis()
		if ts <= o.wm {
			o.stats.mu.Lock()
			o.stats.late++
			o.stats.mu.Unlock()
			continue
		}
		o.counts[[2]int64{row[0].Int(), ts - ts%o.size}]++
	}
	return nil
}

func (o *tumbleCount) ProcessWatermark(wm int64) error {
	o.wm = wm
	var fire [][2]int64
	for kw := range o.counts {
		if kw[1]+o.size-1 <= wm {
			fire = append(fire, kw)
		}
	}
	sort.Slice(fire, func(i, j int) bool {
		return fire[i][1] < fire[j][1] || fire[i][1] == fire[j][1] && fire[i][0] < fire[j][0]
	})
	for _, kw := range fire {
		o.out.Emit(types.Insert, []types.Value{types.IntValue(kw[0]), types.TimestampValue(kw[1]), types.IntValue(o.counts[kw])})
		delete(o.counts, kw)
	}
	if len(fire) > 0 && wm != exec.MaxWatermark {
		o.stats.mu.Lock()
		o.stats.firedBefore += len(fire)
		o.stats.mu.Unlock()
	}
	return nil
}

// windowedTail appends to vertices a Hash edge into the tumbling count
// and a collector of its results; it returns the collected rows' getter.
func windowedTail(vs []*exec.Vertex, stats *windowStats) ([]*exec.Vertex, func() []string) {
	var mu sync.Mutex
	var got []string
	from := len(vs) - 1
	vs = append(vs,
		&exec.Vertex{ID: "window", Name: "Window", Parallelism: 2, Schema: countSchema,
			Inputs:      []exec.Edge{{From: from, Partitioning: exec.Hash, KeyCols: []int{0}}},
			NewOperator: func() exec.Operator { return &tumbleCount{size: 100, stats: stats} }},
		&exec.Vertex{ID: "collect", Name: "Collect", Parallelism: 1, Schema: countSchema, Sink: true,
			Inputs: []exec.Edge{{From: from + 1, Partitioning: exec.Global}},
			NewOperator: func() exec.Operator {
				return &exec.CollectOperator{Fn: func(b *types.Batch) error {
					mu.Lock()
					defer mu.Unlock()
					for i := 0; i < b.Len(); i++ {
						got = append(got, render(b.Ops[i], b.Row(i)))
					}
					return nil
				}}
			}})
	return vs, func() []string {
		mu.Lock()
		defer mu.Unlock()
		out := slices.Clone(got)
		sort.Strings(out)
		return out
	}
}

// testRows: two splits of rows ascending in event time, keys spread.
func testRows() [][][]types.Value {
	splits := make([][][]types.Value, 2)
	for s := range splits {
		for i := int64(0); i < 300; i++ {
			splits[s] = append(splits[s], kvRow((i*7+int64(s))%13, fmt.Sprintf("s%d-%d", s, i), i*10+int64(s)))
		}
	}
	return splits
}

func sourceVertex(id string, src connectors.Source, readerWatermarks bool) *exec.Vertex {
	tab := &catalog.Table{Name: id, Columns: kvSchema, ProctimeColumn: -1}
	spec := &exec.SourceSpec{Table: tab, Source: src, ProctimeCol: -1, ReaderWatermarks: readerWatermarks}
	if !readerWatermarks {
		tab.Watermark = &catalog.Watermark{Column: 2, DelayMs: 0}
		spec.Watermark = tab.Watermark
	}
	return &exec.Vertex{ID: id, Name: "Source " + id, Parallelism: 2, Schema: kvSchema, Source: spec}
}

func run(t *testing.T, g *exec.JobGraph, opts exec.Options) *exec.Job {
	t.Helper()
	j, err := exec.Start(context.Background(), g, opts)
	if err != nil {
		t.Fatal(err)
	}
	return j
}

func wait(t *testing.T, j *exec.Job, what string) {
	t.Helper()
	done := make(chan error, 1)
	go func() { done <- j.Wait() }()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("%s: %v", what, err)
		}
	case <-time.After(60 * time.Second):
		j.Cancel()
		t.Fatalf("%s did not end", what)
	}
}

// A job cut at its Hash edge into two graphs joined by the exchange
// computes what the whole job computes: the upstream graph writes the
// exchange (two producers), the downstream one reads it with the readers'
// watermarks and fires its windows as those advance.
func TestJobCutAtExchangeMatchesDirectRun(t *testing.T) {
	for _, checkpointed := range []bool{false, true} {
		t.Run(fmt.Sprintf("checkpointed=%v", checkpointed), func(t *testing.T) {
			_, cfg := cluster(t)
			cfg.WatermarkInterval = time.Nanosecond // every advance
			const partitions = 8
			tp := newTopic(t, cfg, "stage-1", partitions, 2, true)

			var direct windowStats
			dv, directRows := windowedTail([]*exec.Vertex{sourceVertex("src", &rowsSource{splits: testRows()}, false)}, &direct)
			wait(t, run(t, &exec.JobGraph{Name: "direct", Vertices: dv, MaxParallelism: partitions, BatchSize: 16}, exec.Options{}), "the direct run")
			want := directRows()
			if len(want) == 0 || direct.late != 0 {
				t.Fatalf("direct run: %d results, %d late rows", len(want), direct.late)
			}

			var cut windowStats
			all := make([]int, partitions)
			for p := range all {
				all[p] = p
			}
			down, downRows := windowedTail([]*exec.Vertex{sourceVertex("exchange", NewSource(cfg, tp, all), true)}, &cut)
			dj := run(t, &exec.JobGraph{Name: "down", Vertices: down, MaxParallelism: partitions, BatchSize: 16}, exec.Options{})

			up := &exec.JobGraph{Name: "up", MaxParallelism: partitions, BatchSize: 16, Vertices: []*exec.Vertex{
				sourceVertex("src", &rowsSource{splits: testRows()}, false),
				{ID: "sink", Name: "Exchange", Parallelism: 2, Schema: kvSchema, Sink: true,
					Inputs:      []exec.Edge{{From: 0, Partitioning: exec.Forward}},
					NewOperator: func() exec.Operator { return exec.NewSinkOperator("stage-1", NewSink(cfg, tp, 0)) }},
			}}
			var opts exec.Options
			completed := 0
			if checkpointed {
				st, err := storage.NewLocal(t.TempDir())
				if err != nil {
					t.Fatal(err)
				}
				store, err := checkpoint.NewStore(st, "up", checkpoint.StoreOptions{})
				if err != nil {
					t.Fatal(err)
				}
				opts.Checkpoint = &exec.CheckpointConfig{Store: store, Storage: st,
					Coordinator: checkpoint.Config{Interval: 20 * time.Millisecond},
					OnComplete:  func(*checkpoint.Metadata) { completed++ }}
				opts.SourceBatchDelay = time.Millisecond
			}
			wait(t, run(t, up, opts), "the upstream graph")
			wait(t, dj, "the downstream graph")
			if got := downRows(); !slices.Equal(got, want) {
				t.Errorf("cut run: %d results, direct: %d\ncut: %v\ndirect: %v", len(got), len(want), got, want)
			}
			t.Logf("%d results, %d windows fired before the end, %d checkpoints", len(want), cut.firedBefore, completed)
			if cut.late != 0 {
				t.Errorf("%d rows late in the cut run", cut.late)
			}
			if cut.firedBefore == 0 {
				t.Error("no window fired before the end: the watermark did not cross the exchange")
			}
			if checkpointed && completed < 2 {
				t.Errorf("%d checkpoints completed: the transactions were not exercised", completed)
			}
		})
	}
}

// A reading graph under checkpoints, stopped with a checkpoint halfway
// and restored from it, delivers every row of the exchange exactly once.
func TestReadingJobRestoresFromCheckpoint(t *testing.T) {
	_, cfg := cluster(t)
	cfg.WatermarkInterval = time.Nanosecond
	tp := newTopic(t, cfg, "stage-2", 4, 2, true)
	s := NewSink(cfg, tp, 0)
	var want []string
	for p := 0; p < 2; p++ {
		w := openWriter(t, s, p)
		for i := int64(0); i < 300; i++ {
			row := kvRow(i%17, fmt.Sprintf("p%d-%d", p, i), i)
			want = append(want, render(types.Insert, row))
			if err := w.Write(batchOf(row)); err != nil {
				t.Fatal(err)
			}
			if err := w.WriteWatermark(i); err != nil {
				t.Fatal(err)
			}
		}
		if err := w.WriteWatermark(math.MaxInt64); err != nil {
			t.Fatal(err)
		}
		if err := w.Flush(); err != nil {
			t.Fatal(err)
		}
	}
	sort.Strings(want)

	st, err := storage.NewLocal(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	store, err := checkpoint.NewStore(st, "down", checkpoint.StoreOptions{})
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	var got []string
	delivered := exec.NewDeliveredSet()
	graph := func() *exec.JobGraph {
		src := sourceVertex("exchange", NewSource(cfg, tp, []int{0, 1, 2, 3}), true)
		src.Parallelism = 1
		return &exec.JobGraph{Name: "down", MaxParallelism: 4, BatchSize: 4, Vertices: []*exec.Vertex{src,
			{ID: "collect", Name: "Collect", Parallelism: 1, Schema: kvSchema, Sink: true,
				Inputs: []exec.Edge{{From: 0, Partitioning: exec.Global}},
				NewOperator: func() exec.Operator {
					return &exec.CollectOperator{Delivered: delivered, Fn: func(b *types.Batch) error {
						mu.Lock()
						defer mu.Unlock()
						for i := 0; i < b.Len(); i++ {
							got = append(got, render(b.Ops[i], b.Row(i)))
						}
						return nil
					}}
				}},
		}}
	}
	count := func() int {
		mu.Lock()
		defer mu.Unlock()
		return len(got)
	}
	cpCfg := func() *exec.CheckpointConfig {
		return &exec.CheckpointConfig{Store: store, Storage: st, Coordinator: checkpoint.Config{Interval: 20 * time.Millisecond}}
	}
	j1 := run(t, graph(), exec.Options{Checkpoint: cpCfg(), SourceBatchDelay: 2 * time.Millisecond})
	deadline := time.Now().Add(30 * time.Second)
	for count() < 100 && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}
	if err := j1.StopWithCheckpoint(10 * time.Second); err != nil {
		t.Fatal(err)
	}
	j1.Wait()
	first := count()
	if first == 0 || first >= len(want) {
		t.Fatalf("the first run delivered %d of %d rows: no restore in the middle", first, len(want))
	}
	md, _, err := store.Latest()
	if err != nil || md == nil {
		t.Fatalf("no checkpoint to restore: %v", err)
	}
	c2 := cpCfg()
	c2.Restore, c2.AfterID = md, j1.LastTriggeredID()
	wait(t, run(t, graph(), exec.Options{Checkpoint: c2}), "the restored run")
	mu.Lock()
	defer mu.Unlock()
	sort.Strings(got)
	if !slices.Equal(got, want) {
		t.Errorf("delivered %d rows (%d before the restore), want each of %d once", len(got), first, len(want))
	}
	t.Logf("%d rows before the restore from checkpoint %d, %d after", first, md.CheckpointID, len(got)-first)
}

// An upstream instance whose source goes idle (idle-timeout) says so
// through the exchange: the downstream graph's windows fire on the other
// producer's watermark instead of waiting for the quiet one. When the
// busy instance goes idle first (its rows are read before the quiet
// split's one), the downstream windows fire once both are idle, at the
// larger of their watermarks.
func TestIdleProducerDoesNotHoldDownstreamWindows(t *testing.T) {
	for _, quietDelay := range []time.Duration{0, 100 * time.Millisecond} {
		t.Run(fmt.Sprintf("quiet-after=%v", quietDelay), func(t *testing.T) {
			_, cfg := cluster(t)
			cfg.WatermarkInterval = time.Nanosecond
			const partitions = 4
			tp := newTopic(t, cfg, "stage-idle", partitions, 2, false)
			var busy [][]types.Value
			for i := int64(0); i < 300; i++ {
				busy = append(busy, kvRow(i%13, fmt.Sprintf("b%d", i), i*10))
			}
			quiet := [][]types.Value{kvRow(5, "q", 5)}

			var stats windowStats
			all := []int{0, 1, 2, 3}
			down, downRows := windowedTail([]*exec.Vertex{sourceVertex("exchange", NewSource(cfg, tp, all), true)}, &stats)
			dj := run(t, &exec.JobGraph{Name: "down", Vertices: down, MaxParallelism: partitions, BatchSize: 16}, exec.Options{})
			src := sourceVertex("src", &rowsSource{splits: [][][]types.Value{busy, quiet}, unbounded: true,
				delay: map[int]time.Duration{1: quietDelay}}, false)
			src.Source.IdleTimeoutMs = 200
			uj := run(t, &exec.JobGraph{Name: "up", MaxParallelism: partitions, BatchSize: 16, Vertices: []*exec.Vertex{src,
				{ID: "sink", Name: "Exchange", Parallelism: 2, Schema: kvSchema, Sink: true,
					Inputs:      []exec.Edge{{From: 0, Partitioning: exec.Forward}},
					NewOperator: func() exec.Operator { return exec.NewSinkOperator("stage-idle", NewSink(cfg, tp, 0)) }},
			}}, exec.Options{})

			// The busy split's last row is at 2990: every window up to
			// [2800, 2900) fires, for each key that has rows there.
			fired := func(got []string) int {
				n := 0
				for _, r := range got {
					if strings.Contains(r, "1970-01-01 00:00:02.800") {
						n++
					}
				}
				return n
			}
			var got []string
			for deadline := time.Now().Add(30 * time.Second); time.Now().Before(deadline) && fired(got) == 0; time.Sleep(50 * time.Millisecond) {
				got = downRows()
			}
			uj.Cancel()
			dj.Cancel()
			uj.Wait()
			dj.Wait()
			if fired(got) == 0 {
				t.Fatalf("the windows up to 2900 did not fire while one producer is idle; fired: %v", got)
			}
			stats.mu.Lock()
			defer stats.mu.Unlock()
			if stats.late != 0 {
				t.Errorf("%d late rows", stats.late)
			}
		})
	}
}
