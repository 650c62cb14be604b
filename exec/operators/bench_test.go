package operators

import (
	"math/rand"
	"slices"
	"testing"
	"time"

	"github.com/streamsql/streamsql/exec"
	"github.com/streamsql/streamsql/exec/window"
	"github.com/streamsql/streamsql/expr"
	"github.com/streamsql/streamsql/plan"
	"github.com/streamsql/streamsql/state"
	"github.com/streamsql/streamsql/types"
)

// The window benchmarks feed rows (key BIGINT, ts TIMESTAMP) in batches of
// 1024 over benchKeys keys, in time order, with a watermark (largest ts - 1)
// after every batch, and report rows/s. One benchmark op is one row.
// Each runs twice: through the operator, and through a hand-written Go
// loop doing the same work (a map[int64]int64 per open window, emitted
// when the window closes).

const (
	benchKeys  = 10000
	benchBatch = 1024
)

// countSink counts emitted rows without keeping them.
type countSink struct{ n int }

func (c *countSink) Emit(types.Op, []types.Value) { c.n++ }

// benchInput is one period of input batches whose timestamps are rewritten
// for each pass.
type benchInput struct {
	batches  []*types.Batch
	perMs    int64 // rows per millisecond of event time
	next     int
	rowsDone int64
}

func newBenchInput(rows int, perMs int64) *benchInput {
	r := rand.New(rand.NewSource(1))
	in := &benchInput{perMs: perMs}
	for len(in.batches)*benchBatch < rows {
		b := types.NewBatch(2, benchBatch)
		for i := 0; i < benchBatch; i++ {
			b.Append(types.Insert, []types.Value{types.IntValue(int64(r.Intn(benchKeys))), {}})
		}
		in.batches = append(in.batches, b)
	}
	return in
}

// nextBatch returns the next batch (restamped) and its watermark.
func (in *benchInput) nextBatch(b *testing.B) (*types.Batch, int64) {
	if in.next == len(in.batches) {
		in.next = 0
	}
	bt := in.batches[in.next]
	in.next++
	for i := 0; i < bt.Len(); i++ {
		bt.Vals[i*2+1] = types.TimestampValue(in.rowsDone / in.perMs)
		in.rowsDone++
	}
	return bt, (in.rowsDone-1)/in.perMs - 1
}

func benchOperator(b *testing.B, spec WindowAggSpec, perMs int64) {
	benchOperatorOf(b, NewWindowAgg(spec), perMs)
}

func benchOperatorOf(b *testing.B, op exec.Operator, perMs int64) {
	in := newBenchInput(1<<20, perMs)
	out := &countSink{}
	ctx := newTestContext(state.NewHashMapBackend(state.RangeFor(128, 1, 0)), out)
	if err := op.Open(ctx); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for done := 0; done < b.N; {
		bt, wm := in.nextBatch(b)
		if rest := b.N - done; rest < bt.Len() {
			bt.Ops, bt.Vals = bt.Ops[:rest], bt.Vals[:rest*2]
		}
		done += bt.Len()
		if err := op.ProcessBatch(0, bt); err != nil {
			b.Fatal(err)
		}
		if err := op.ProcessWatermark(wm); err != nil {
			b.Fatal(err)
		}
	}
	if err := op.ProcessWatermark(exec.MaxWatermark); err != nil {
		b.Fatal(err)
	}
	b.StopTimer()
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "rows/s")
	b.ReportMetric(float64(out.n), "results")
}

// loopWindows is the hand-written baseline: one map (key -> count) per
// open window. The open windows are few (1 for TUMBLE, size/slide for HOP)
// and kept in slices sorted by end, so finding a row's window is a short
// scan from the newest, and a row costs one map access per window it
// falls in, as a keyed entry does in the operator.
type loopWindows struct {
	ends []int64           // open window ends, ascending
	maps []map[int64]int64 // maps[i] counts the window ending at ends[i]
	free []map[int64]int64
	out  countSink
	row  [4]types.Value
}

func (l *loopWindows) window(end int64) map[int64]int64 {
	i := len(l.ends)
	for i > 0 && l.ends[i-1] >= end {
		if l.ends[i-1] == end {
			return l.maps[i-1]
		}
		i--
	}
	var m map[int64]int64
	if n := len(l.free); n > 0 {
		m, l.free = l.free[n-1], l.free[:n-1]
	} else {
		m = make(map[int64]int64, benchKeys)
	}
	l.ends = slices.Insert(l.ends, i, end)
	l.maps = slices.Insert(l.maps, i, m)
	return m
}

func (l *loopWindows) fire(wm, size int64) {
	for len(l.ends) > 0 && l.ends[0]-1 <= wm {
		end, m := l.ends[0], l.maps[0]
		l.ends, l.maps = l.ends[1:], l.maps[1:]
		for k, c := range m {
			l.row[0], l.row[1], l.row[2], l.row[3] = types.IntValue(k), types.TimestampValue(end-size), types.TimestampValue(end), types.IntValue(c)
			l.out.Emit(types.Insert, l.row[:])
		}
		clear(m)
		l.free = append(l.free, m)
	}
}

func benchLoop(b *testing.B, slide, size, perMs int64) {
	in := newBenchInput(1<<20, perMs)
	l := &loopWindows{}
	b.ReportAllocs()
	b.ResetTimer()
	wm := exec.MinWatermark
	for done := 0; done < b.N; {
		bt, next := in.nextBatch(b)
		if rest := b.N - done; rest < bt.Len() {
			bt.Ops, bt.Vals = bt.Ops[:rest], bt.Vals[:rest*2]
		}
		done += bt.Len()
		for i := 0; i < bt.Len(); i++ {
			row := bt.Row(i)
			k, ts := row[0].Int(), row[1].Millis()
			if ts+size-1 <= wm { // late for every window
				continue
			}
			for s := window.Align(ts, slide); s > ts-size; s -= slide {
				if s+size-1 > wm {
					l.window(s + size)[k]++
				}
			}
		}
		wm = next
		l.fire(wm, size)
	}
	l.fire(exec.MaxWatermark, size)
	b.StopTimer()
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "rows/s")
	b.ReportMetric(float64(l.out.n), "results")
}

func countStar() []plan.AggCall {
	return []plan.AggCall{{Func: plan.AggCount, Type: types.BigInt, Name: "cnt"}}
}

// Dense: 1M rows per second of event time (100 rows per key per window).
// Sparse: 20k rows per second (2 rows per key per window): every row is
// close to a new (key, window) entry.

func BenchmarkTumbleCount(b *testing.B) {
	spec := WindowAggSpec{KeyCols: []int{0}, Window: plan.Window{Kind: plan.Tumble, TimeCol: 1, Size: 1000}, Aggs: countStar()}
	b.Run("dense/operator", func(b *testing.B) { benchOperator(b, spec, 1000) })
	b.Run("dense/loop", func(b *testing.B) { benchLoop(b, 1000, 1000, 1000) })
	b.Run("sparse/operator", func(b *testing.B) { benchOperator(b, spec, 20) })
	b.Run("sparse/loop", func(b *testing.B) { benchLoop(b, 1000, 1000, 20) })
}

// BenchmarkTumbleCountEmit is BenchmarkTumbleCount/dense/operator under
// an emit strategy (emitAgg: a window per entry, its last result kept).
func BenchmarkTumbleCountEmit(b *testing.B) {
	spec := WindowAggSpec{KeyCols: []int{0}, Window: plan.Window{Kind: plan.Tumble, TimeCol: 1, Size: 1000}, Aggs: countStar()}
	b.Run("lateness", func(b *testing.B) {
		benchOperatorOf(b, NewWindowAggEmit(spec, EmitStrategy{AllowLateness: 60000}), 1000)
	})
	b.Run("early", func(b *testing.B) {
		benchOperatorOf(b, NewWindowAggEmit(spec, EmitStrategy{EarlyFire: true, EarlyDelay: 5000}), 1000)
	})
}

func BenchmarkHopCount(b *testing.B) {
	spec := WindowAggSpec{KeyCols: []int{0}, Window: plan.Window{Kind: plan.Hop, TimeCol: 1, Slide: 1000, Size: 4000}, Aggs: countStar()}
	b.Run("dense/operator", func(b *testing.B) { benchOperator(b, spec, 1000) })
	b.Run("dense/loop", func(b *testing.B) { benchLoop(b, 1000, 4000, 1000) })
}

func BenchmarkTumbleSum(b *testing.B) {
	spec := WindowAggSpec{KeyCols: []int{0}, Window: plan.Window{Kind: plan.Tumble, TimeCol: 1, Size: 1000},
		Aggs: []plan.AggCall{
			{Func: plan.AggCount, Type: types.BigInt},
			{Func: plan.AggSum, Arg: benchCol(0), Type: types.BigInt},
		}}
	b.Run("dense/operator", func(b *testing.B) { benchOperator(b, spec, 1000) })
}

func benchCol(i int) *expr.Col { return &expr.Col{Index: i, Name: "k", T: types.BigInt} }

// The changelog benchmarks feed batches of benchBatch rows over benchKeys
// keys and report rows/s. One benchmark op is one row.

// benchRows makes batches of (key BIGINT, v BIGINT) rows with random keys
// and values in [0, vals).
func benchRows(n int, vals int64) []*types.Batch {
	r := rand.New(rand.NewSource(2))
	var out []*types.Batch
	for len(out)*benchBatch < n {
		b := types.NewBatch(2, benchBatch)
		for i := 0; i < benchBatch; i++ {
			b.Append(types.Insert, []types.Value{types.IntValue(int64(r.Intn(benchKeys))), types.IntValue(r.Int63n(vals))})
		}
		out = append(out, b)
	}
	return out
}

// benchFeed runs b.N rows of batches through op on input in.
func benchFeed(b *testing.B, op exec.Operator, in int, batches []*types.Batch) {
	b.ReportAllocs()
	b.ResetTimer()
	for done, next := 0, 0; done < b.N; next++ {
		bt := batches[next%len(batches)]
		if rest := b.N - done; rest < bt.Len() {
			cut := *bt
			cut.Ops, cut.Vals = bt.Ops[:rest], bt.Vals[:rest*2]
			bt = &cut
		}
		done += bt.Len()
		if err := op.ProcessBatch(in, bt); err != nil {
			b.Fatal(err)
		}
	}
	b.StopTimer()
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "rows/s")
}

func benchOpen(b *testing.B, op exec.Operator) *countSink {
	out := &countSink{}
	ctx := newTestContext(state.NewHashMapBackend(state.RangeFor(128, 1, 0)), out)
	if err := op.Open(ctx); err != nil {
		b.Fatal(err)
	}
	return out
}

// BenchmarkGroupAgg: COUNT(*), SUM(v) per key; every row updates its group
// (-U/+U). The TTL variants keep every group alive (a TTL of an hour).
func BenchmarkGroupAgg(b *testing.B)    { benchGroupAgg(b, 0) }
func BenchmarkGroupAggTTL(b *testing.B) { benchGroupAgg(b, time.Hour) }

func benchGroupAgg(b *testing.B, ttl time.Duration) {
	spec := GroupAggSpec{KeyCols: []int{0}, InsertOnlyInput: true, StateTTL: ttl, Aggs: []plan.AggCall{
		{Func: plan.AggCount, Type: types.BigInt},
		{Func: plan.AggSum, Arg: &expr.Col{Index: 1, T: types.BigInt}, Type: types.BigInt},
	}}
	batches := benchRows(1<<20, 1000)
	op := NewGroupAgg(spec)
	benchOpen(b, op)
	benchFeed(b, op, 0, batches)
}

// BenchmarkJoin: one left row per key, then right rows (8 distinct values
// per key) that each match it.
func BenchmarkJoin(b *testing.B)    { benchJoin(b, 0) }
func BenchmarkJoinTTL(b *testing.B) { benchJoin(b, time.Hour) }

func benchJoin(b *testing.B, ttl time.Duration) {
	spec := JoinSpec{LeftKeyCols: []int{0}, RightKeyCols: []int{0}, LeftWidth: 2, RightWidth: 2, StateTTL: ttl}
	op := NewJoin(spec)
	benchOpen(b, op)
	left := types.NewBatch(2, benchKeys)
	for k := 0; k < benchKeys; k++ {
		left.Append(types.Insert, []types.Value{types.IntValue(int64(k)), types.IntValue(0)})
	}
	if err := op.ProcessBatch(0, left); err != nil {
		b.Fatal(err)
	}
	benchFeed(b, op, 1, benchRows(1<<20, 8))
}

// BenchmarkHopHugeRatio fires HOP(1 s, 100000 s) COUNT(*) over 4 rows of 2
// keys (the ratio at plan.MaxWindowsPerRow): 200006 windows hold data.
// Firing visits only the panes that hold rows, so one op (one whole run)
// costs about the windows emitted; probing every pane of every window
// would be 200006 x 100000 lookups. Reports ns per emitted window.
func BenchmarkHopHugeRatio(b *testing.B) {
	spec := WindowAggSpec{KeyCols: []int{0},
		Window: plan.Window{Kind: plan.Hop, TimeCol: 1, Slide: 1000, Size: 100000 * 1000},
		Aggs:   []plan.AggCall{{Func: plan.AggCount}}}
	rows := types.NewBatch(2, 4)
	for _, r := range [][2]int64{{1, 1000}, {1, 5000}, {2, 7000}, {2, 9000}} {
		rows.Append(types.Insert, []types.Value{types.IntValue(r[0]), types.TimestampValue(r[1])})
	}
	b.ReportAllocs()
	emitted := 0
	for b.Loop() {
		out := &countSink{}
		op := NewWindowAgg(spec)
		if err := op.Open(newTestContext(state.NewHashMapBackend(state.RangeFor(128, 1, 0)), out)); err != nil {
			b.Fatal(err)
		}
		if err := op.ProcessBatch(0, rows); err != nil {
			b.Fatal(err)
		}
		if err := op.ProcessWatermark(exec.MaxWatermark); err != nil {
			b.Fatal(err)
		}
		emitted = out.n
	}
	if want := 200006; emitted != want {
		b.Fatalf("emitted %d windows, want %d", emitted, want)
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(emitted), "ns/window")
}

// BenchmarkTumbleCountLocal is BenchmarkTumbleCount through the local
// phase of a two-phase aggregate (NewLocalWindowAgg): the folding that
// pays for itself when it sends fewer partial rows on than it took rows.
func BenchmarkTumbleCountLocal(b *testing.B) {
	spec := WindowAggSpec{KeyCols: []int{0}, Window: plan.Window{Kind: plan.Tumble, TimeCol: 1, Size: 1000}, Aggs: countStar()}
	b.Run("dense", func(b *testing.B) { benchOperatorOf(b, NewLocalWindowAgg(spec), 1000) })
	b.Run("sparse", func(b *testing.B) { benchOperatorOf(b, NewLocalWindowAgg(spec), 20) })
}
