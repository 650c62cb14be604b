package operators

import (
	"math/rand"
	"testing"

	"github.com/streamsql/streamsql/exec"
	"github.com/streamsql/streamsql/expr"
	"github.com/streamsql/streamsql/internal/testkit"
	"github.com/streamsql/streamsql/plan"
	"github.com/streamsql/streamsql/state"
	"github.com/streamsql/streamsql/types"
)

// BenchmarkOverRows10 feeds rows (k BIGINT, v BIGINT, ts TIMESTAMP) over
// 1,000 keys in batches of 1024, in time order (4 rows per ms), with a
// watermark (largest ts - 1) after every batch, through
// SUM(v), COUNT(*) OVER (PARTITION BY k ORDER BY ts ROWS BETWEEN 10
// PRECEDING AND CURRENT ROW) on the memory backend, and reports rows/s
// and rows per CPU second.
// Every row is held until the watermark passes it, then aggregated and
// emitted. One benchmark op is one row.
func BenchmarkOverRows10(b *testing.B) {
	benchOver(b, overSpec(false, []plan.OverFrame{{Rows: true, Preceding: 10}}, sumCall(0), countCall(0)))
}

// BenchmarkOverRows10MoreAggs is BenchmarkOverRows10 with the aggregates
// that keep per-row state or read further expressions:
// LISTAGG(v) FILTER (WHERE v > 500), COUNT(DISTINCT v), FIRST_VALUE(v)
// over the same frame (each row's filter verdict and values kept for its
// retraction; the list and the multiset updated per row).
func BenchmarkOverRows10MoreAggs(b *testing.B) {
	v := &expr.Col{Index: 1, Name: "v", T: types.BigInt}
	gt, err := expr.NewCompare(expr.CmpGT, v, &expr.Literal{V: types.IntValue(500), T: types.BigInt})
	if err != nil {
		b.Fatal(err)
	}
	calls := []plan.OverCall{
		{AggCall: plan.AggCall{Func: plan.AggListAgg, Arg: v, Sep: ",", Filter: gt, Type: types.String, Name: "LISTAGG(v) FILTER (WHERE v > 500)"}},
		{AggCall: plan.AggCall{Func: plan.AggCount, Distinct: true, Arg: v, Type: types.BigInt, Name: "COUNT(DISTINCT v)"}},
		{AggCall: plan.AggCall{Func: plan.AggFirstValue, Arg: v, Type: types.BigInt, Name: "FIRST_VALUE(v)"}},
	}
	benchOver(b, overSpec(false, []plan.OverFrame{{Rows: true, Preceding: 10}}, calls...))
}

func benchOver(b *testing.B, spec OverSpec) {
	const keys, perMs = 1000, 4
	r := rand.New(rand.NewSource(1))
	batches := make([]*types.Batch, 64)
	for i := range batches {
		bt := types.NewBatch(3, benchBatch)
		for j := 0; j < benchBatch; j++ {
			bt.Append(types.Insert, []types.Value{types.IntValue(int64(r.Intn(keys))), types.IntValue(int64(r.Intn(1000))), {}})
		}
		batches[i] = bt
	}
	out := &countSink{}
	ctx := newTestContext(state.NewHashMapBackend(state.RangeFor(128, 1, 0)), out)
	op := NewOver(spec)
	if err := op.Open(ctx); err != nil {
		b.Fatal(err)
	}
	var rows int64
	b.ReportAllocs()
	b.ResetTimer()
	cpu0 := testkit.ProcessCPU()
	for done, next := 0, 0; done < b.N; next++ {
		bt := batches[next%len(batches)]
		for i := 0; i < bt.Len(); i++ {
			bt.Vals[i*3+2] = types.TimestampValue(rows / perMs)
			rows++
		}
		n := bt.Len()
		if rest := b.N - done; rest < n {
			n = rest
		}
		sub := &types.Batch{Width: 3, Ops: bt.Ops[:n], Vals: bt.Vals[:n*3]}
		done += n
		if err := op.ProcessBatch(0, sub); err != nil {
			b.Fatal(err)
		}
		if err := op.ProcessWatermark((rows-1)/perMs - 1); err != nil {
			b.Fatal(err)
		}
	}
	if err := op.ProcessWatermark(exec.MaxWatermark); err != nil {
		b.Fatal(err)
	}
	cpu := testkit.ProcessCPU() - cpu0
	b.StopTimer()
	if out.n != b.N {
		b.Fatalf("emitted %d rows for %d", out.n, b.N)
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "rows/s")
	if cpu > 0 && cpu0 > 0 {
		b.ReportMetric(float64(b.N)/cpu.Seconds(), "rows/cpu-s")
	}
}
