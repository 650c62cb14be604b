package exchange

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"sync/atomic"
	"testing"
	"time"

	"github.com/streamsql/streamsql/connectors"
	"github.com/streamsql/streamsql/exec"
	"github.com/streamsql/streamsql/types"
)

// Benchmarks of the exchange on an in-process broker (kfake), in rows/s:
//
//	go test -run '^$' -bench . -benchtime 200000x ./connectors/exchange
//
// BenchmarkJobExchangeAgainstInProcess runs the same rows from a source
// through a Hash edge into a counting operator over exec's in-process
// channels and cut at that edge into two graphs joined by the exchange,
// and reports the ratio of their times (the cost of crossing Kafka).

const benchPartitions = 16

func benchBatch(from, n int) *types.Batch {
	b := types.NewBatch(len(kvSchema), n)
	for i := from; i < from+n; i++ {
		b.Append(types.Insert, kvRow(int64(i%1000), "some value", int64(i)))
	}
	return b
}

// writeRows writes n rows through a plain writer with a watermark per
// batch of 1000, and the end.
func writeRows(b *testing.B, w *writer, n int) {
	for i := 0; i < n; i += 1000 {
		if err := w.Write(benchBatch(i, min(1000, n-i))); err != nil {
			b.Fatal(err)
		}
		if err := w.WriteWatermark(int64(i)); err != nil {
			b.Fatal(err)
		}
	}
	if err := w.WriteWatermark(math.MaxInt64); err != nil {
		b.Fatal(err)
	}
	if err := w.Flush(); err != nil {
		b.Fatal(err)
	}
}

// BenchmarkWrite writes b.N rows into 16 partitions without checkpoints.
func BenchmarkWrite(b *testing.B) {
	_, cfg := cluster(b)
	tp := newTopic(b, cfg, "bench", benchPartitions, 1, true)
	w := openWriter(b, NewSink(cfg, tp, 0), 0)
	b.ResetTimer()
	writeRows(b, w, b.N)
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "rows/s")
}

// BenchmarkWriteTransactions writes b.N rows into 16 partitions in
// transactions of 10,000 rows (a checkpoint each).
func BenchmarkWriteTransactions(b *testing.B) {
	_, cfg := cluster(b)
	tp := newTopic(b, cfg, "bench", benchPartitions, 1, true)
	w := openWriter(b, NewSink(cfg, tp, 0), 0)
	if err := w.Recover(nil); err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	for i, chk := 0, int64(1); i < b.N; chk++ {
		n := min(10000, b.N-i)
		for j := 0; j < n; j += 1000 {
			if err := w.Write(benchBatch(i+j, min(1000, n-j))); err != nil {
				b.Fatal(err)
			}
		}
		i += n
		if err := w.WriteWatermark(int64(i)); err != nil {
			b.Fatal(err)
		}
		cs, err := w.PreCommit(chk)
		if err != nil {
			b.Fatal(err)
		}
		if err := w.Commit(cs); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "rows/s")
}

// BenchmarkRead reads b.N rows of one partition (written before the
// timer starts), in batches of 1024.
func BenchmarkRead(b *testing.B) {
	_, cfg := cluster(b)
	tp := newTopic(b, cfg, "bench", 1, 1, true)
	writeRows(b, openWriter(b, NewSink(cfg, tp, 0), 0), b.N)
	b.ResetTimer()
	r := openReader(b, cfg, tp, 0, nil)
	batch := types.NewBatch(len(kvSchema), 1024)
	n := 0
	for {
		batch.Reset()
		err := r.Next(context.Background(), batch)
		n += batch.Len()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			b.Fatal(err)
		}
	}
	if n != b.N {
		b.Fatalf("read %d rows of %d", n, b.N)
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "rows/s")
}

// counter counts its input rows.
type counter struct {
	exec.Base
	n *atomic.Int64
}

func (c *counter) ProcessBatch(_ int, b *types.Batch) error {
	c.n.Add(int64(b.Len()))
	return nil
}

// benchSource is one split of n rows.
func benchSource(n int) connectors.Source {
	rows := make([][]types.Value, n)
	for i := range rows {
		rows[i] = kvRow(int64(i%1000), "some value", int64(i))
	}
	return &bulkSource{rows: rows}
}

// bulkSource serves its rows as one split, as many per Next as fit.
type bulkSource struct{ rows [][]types.Value }

func (s *bulkSource) Splits(int) ([]connectors.Split, error) {
	return []connectors.Split{rowsSplit(0)}, nil
}
func (s *bulkSource) Bounded() bool { return true }
func (s *bulkSource) OpenSplit(context.Context, connectors.Split, []byte) (connectors.SplitReader, error) {
	return &bulkReader{rows: s.rows}, nil
}

type bulkReader struct {
	rows [][]types.Value
	next int
}

func (r *bulkReader) Next(_ context.Context, b *types.Batch) error {
	if r.next >= len(r.rows) {
		return io.EOF
	}
	for b.Len() < cap(b.Ops) && r.next < len(r.rows) {
		b.Append(types.Insert, r.rows[r.next])
		r.next++
	}
	return nil
}
func (r *bulkReader) Position() []byte { return nil }
func (r *bulkReader) Close() error     { return nil }

func benchSourceVertex(src connectors.Source, readerWatermarks bool) *exec.Vertex {
	v := sourceVertex("src", src, readerWatermarks)
	v.Parallelism = 1
	return v
}

func counterVertex(from int, p exec.Partitioning, n *atomic.Int64) *exec.Vertex {
	e := exec.Edge{From: from, Partitioning: p}
	if p == exec.Hash {
		e.KeyCols = []int{0}
	}
	return &exec.Vertex{ID: "count", Name: "Count", Parallelism: 1, Schema: kvSchema, Sink: true,
		Inputs: []exec.Edge{e}, NewOperator: func() exec.Operator { return &counter{n: n} }}
}

func runBench(b *testing.B, g *exec.JobGraph) *exec.Job {
	j, err := exec.Start(context.Background(), g, exec.Options{})
	if err != nil {
		b.Fatal(err)
	}
	return j
}

// runInProcess runs source -> Hash -> count over n rows in one graph and
// returns how long it took.
func runInProcess(b *testing.B, n int) time.Duration {
	src := benchSource(n)
	var count atomic.Int64
	start := time.Now()
	g := &exec.JobGraph{Name: "direct", MaxParallelism: benchPartitions,
		Vertices: []*exec.Vertex{benchSourceVertex(src, false), counterVertex(0, exec.Hash, &count)}}
	if err := runBench(b, g).Wait(); err != nil {
		b.Fatal(err)
	}
	if count.Load() != int64(n) {
		b.Fatalf("counted %d rows of %d", count.Load(), n)
	}
	return time.Since(start)
}

// runThroughExchange runs source -> exchange sink in one graph and
// exchange source (all 16 partitions) -> Hash -> count in another, both
// at once, without checkpoints, over n rows; it returns how long it took
// (topic creation excluded).
func runThroughExchange(b *testing.B, cfg Config, round, n int) time.Duration {
	tp := newTopic(b, cfg, fmt.Sprintf("bench-%d-%d", n, round), benchPartitions, 1, true)
	src := benchSource(n)
	var count atomic.Int64
	all := make([]int, benchPartitions)
	for p := range all {
		all[p] = p
	}
	start := time.Now()
	down := runBench(b, &exec.JobGraph{Name: "down", MaxParallelism: benchPartitions,
		Vertices: []*exec.Vertex{benchSourceVertex(NewSource(cfg, tp, all), true), counterVertex(0, exec.Hash, &count)}})
	up := runBench(b, &exec.JobGraph{Name: "up", MaxParallelism: benchPartitions, Vertices: []*exec.Vertex{
		benchSourceVertex(src, false),
		{ID: "sink", Name: "Exchange", Parallelism: 1, Schema: kvSchema, Sink: true,
			Inputs:      []exec.Edge{{From: 0, Partitioning: exec.Forward}},
			NewOperator: func() exec.Operator { return exec.NewSinkOperator("bench", NewSink(cfg, tp, 0)) }},
	}})
	if err := up.Wait(); err != nil {
		b.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- down.Wait() }()
	select {
	case err := <-done:
		if err != nil {
			b.Fatal(err)
		}
	case <-time.After(5 * time.Minute):
		down.Cancel()
		b.Fatal("the downstream graph did not end")
	}
	if count.Load() != int64(n) {
		b.Fatalf("counted %d rows of %d", count.Load(), n)
	}
	return time.Since(start)
}

// BenchmarkJobExchangeAgainstInProcess runs b.N rows from a source
// through a Hash edge into a counting operator, once over exec's
// in-process channels and once cut at that edge into two graphs joined by
// the exchange, alternating three times; it reports both rates (the
// fastest round of each) and their ratio.
func BenchmarkJobExchangeAgainstInProcess(b *testing.B) {
	_, cfg := cluster(b)
	b.ResetTimer()
	var inproc, exch time.Duration
	for round := 0; round < 3; round++ {
		if d := runInProcess(b, b.N); inproc == 0 || d < inproc {
			inproc = d
		}
		if d := runThroughExchange(b, cfg, round, b.N); exch == 0 || d < exch {
			exch = d
		}
	}
	b.ReportMetric(float64(b.N)/inproc.Seconds(), "inprocess-rows/s")
	b.ReportMetric(float64(b.N)/exch.Seconds(), "exchange-rows/s")
	b.ReportMetric(exch.Seconds()/inproc.Seconds(), "exchange/inprocess")
}
