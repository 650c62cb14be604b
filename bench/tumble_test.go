package bench

import (
	"context"
	"fmt"
	"io"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/streamsql/streamsql/engine"
)

const (
	benchKeys  = 1000
	windowMs   = 10000
	eventsPerS = 1 // event time advances 1 ms per event: 1000 events per window
)

// tumbleSQL is a tumbling COUNT(*) per key over n generated events whose
// event time is a 1 ms sequence, into a blackhole sink.
func tumbleSQL(n int) string {
	return fmt.Sprintf(`
CREATE TABLE ev (k BIGINT, ts TIMESTAMP(3), WATERMARK FOR ts AS ts) WITH (
  'connector' = 'datagen', 'rows-per-second' = '0', 'number-of-rows' = '%d',
  'fields.k.kind' = 'random', 'fields.k.min' = '0', 'fields.k.max' = '%d',
  'fields.ts.kind' = 'sequence', 'fields.ts.start' = '0', 'fields.ts.end' = '%d');
CREATE TABLE sink (k BIGINT, w TIMESTAMP(3), c BIGINT) WITH ('connector' = 'blackhole');
INSERT INTO sink SELECT k, TUMBLE_END(ts, INTERVAL '10' SECOND), COUNT(*) FROM ev
GROUP BY TUMBLE(ts, INTERVAL '10' SECOND), k;`, n, benchKeys-1, n-1)
}

// BenchmarkTumbleCountEngine runs the tumbling count through the whole
// engine: datagen source, hash exchange, window operator, blackhole sink.
func BenchmarkTumbleCountEngine(b *testing.B) {
	const n = 2_000_000
	cpu := cpuTime()
	for i := 0; i < b.N; i++ {
		eng := engine.New(engine.Options{Stdout: io.Discard, Stderr: io.Discard})
		if err := eng.RunScript(context.Background(), tumbleSQL(n), io.Discard); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(n)*float64(b.N)/b.Elapsed().Seconds(), "events/s")
	reportCPU(b, n, cpu)
}

// reportCPU reports events per second of process CPU time since cpu0
// (user + system, all threads): with GOMAXPROCS=1 it is close to
// events/s on an idle machine and less disturbed by other load.
func reportCPU(b *testing.B, n int, cpu0 time.Duration) {
	if d := cpuTime() - cpu0; d > 0 && cpu0 > 0 {
		b.ReportMetric(float64(n)*float64(b.N)/d.Seconds(), "events/cpu-s")
	}
}

// BenchmarkTumbleCountLoop is the hand-written baseline: generate the same
// shape of events (random key, 1 ms event-time sequence) and count per key
// in a map per window, emitting each window's counts when it closes.
func BenchmarkTumbleCountLoop(b *testing.B) {
	const n = 2_000_000
	var emitted int64
	cpu := cpuTime()
	for i := 0; i < b.N; i++ {
		rng := rand.New(rand.NewPCG(1, 2))
		counts := make(map[int64]int64, benchKeys)
		window := int64(0)
		for e := 0; e < n; e++ {
			k := rng.Int64N(benchKeys)
			ts := int64(e) * eventsPerS
			w := ts / windowMs
			if w != window {
				for key, c := range counts {
					emitted += key ^ c
				}
				clear(counts)
				window = w
			}
			counts[k]++
		}
		for key, c := range counts {
			emitted += key ^ c
		}
	}
	b.ReportMetric(float64(n)*float64(b.N)/b.Elapsed().Seconds(), "events/s")
	reportCPU(b, n, cpu)
	if emitted == 42 {
		b.Log(emitted)
	}
}
