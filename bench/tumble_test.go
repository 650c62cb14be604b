package bench

import (
	"context"
	"fmt"
	"io"
	"math/bits"
	"strings"
	"testing"
	"time"

	"github.com/streamsql/streamsql/engine"
	"github.com/streamsql/streamsql/internal/testkit"
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
	runEventsScript(b, tumbleSQL(n), n)
}

// runEventsScript runs script (n events) in a new engine b.N times and
// reports events/s and events per CPU-second.
func runEventsScript(b *testing.B, script string, n int) {
	cpu := testkit.ProcessCPU()
	for i := 0; i < b.N; i++ {
		eng := engine.New(engine.Options{Stdout: io.Discard, Stderr: io.Discard})
		if err := eng.RunScript(context.Background(), script, io.Discard); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(n)*float64(b.N)/b.Elapsed().Seconds(), "events/s")
	reportCPU(b, n, cpu)
}

// tumbleTVFSQL is tumbleSQL written with the window table function.
func tumbleTVFSQL(n int) string {
	return strings.Replace(tumbleSQL(n), `INSERT INTO sink SELECT k, TUMBLE_END(ts, INTERVAL '10' SECOND), COUNT(*) FROM ev
GROUP BY TUMBLE(ts, INTERVAL '10' SECOND), k;`, `INSERT INTO sink SELECT k, window_end, COUNT(*)
FROM TABLE(TUMBLE(TABLE ev, DESCRIPTOR(ts), INTERVAL '10' SECONDS)) GROUP BY window_start, window_end, k;`, 1)
}

// BenchmarkTumbleCountEngineTVF is BenchmarkTumbleCountEngine with the
// window table function form of the query (the same operators).
func BenchmarkTumbleCountEngineTVF(b *testing.B) {
	const n = 2_000_000
	script := tumbleTVFSQL(n)
	if script == tumbleSQL(n) {
		b.Fatal("the TVF form was not substituted")
	}
	runEventsScript(b, script, n)
}

// reportCPU reports events per second of process CPU time since cpu0
// (user + system, all threads): with GOMAXPROCS=1 it is close to
// events/s on an idle machine and less disturbed by other load.
func reportCPU(b *testing.B, n int, cpu0 time.Duration) {
	if d := testkit.ProcessCPU() - cpu0; d > 0 && cpu0 > 0 {
		b.ReportMetric(float64(n)*float64(b.N)/d.Seconds(), "events/cpu-s")
	}
}

// BenchmarkTumbleCountLoop is the hand-written baseline: generate the same
// events (datagenKeys: the datagen source's keys, value for value; event
// time a 1 ms sequence) and count per key in a map per window, emitting
// each window's counts when it closes.
func BenchmarkTumbleCountLoop(b *testing.B) {
	const n = 2_000_000
	var emitted int64
	cpu := testkit.ProcessCPU()
	for i := 0; i < b.N; i++ {
		tumbleLoop(n, func(_, key, count int64) { emitted += key ^ count })
	}
	b.ReportMetric(float64(n)*float64(b.N)/b.Elapsed().Seconds(), "events/s")
	reportCPU(b, n, cpu)
	if emitted == 42 {
		b.Log(emitted)
	}
}

// tumbleLoop counts n events per key in 10 s tumbling windows and calls
// emit(window end, key, count) for each key of each window as it closes.
func tumbleLoop(n int, emit func(end, key, count int64)) {
	keys := newDatagenKeys(benchKeys)
	counts := make(map[int64]int64, benchKeys)
	window := int64(0)
	for e := 0; e < n; e++ {
		k := keys.next()
		ts := int64(e) * eventsPerS
		if w := ts / windowMs; w != window {
			for key, c := range counts {
				emit((window+1)*windowMs, key, c)
			}
			clear(counts)
			window = w
		}
		counts[k]++
	}
	for key, c := range counts {
		emit((window+1)*windowMs, key, c)
	}
}

// datagenKeys generates the values of the datagen connector's first
// column declared 'random' with min 0 and max span-1 and seed 0, in row
// order: a splitmix64 hash of the row number reduced to the range by a
// multiply-shift, as connectors/datagen does (TestTumbleLoopMatchesEngine
// checks that the values are the same).
type datagenKeys struct {
	a, span uint64
}

const splitmixGamma = 0x9E3779B97F4A7C15

func splitmix64(x uint64) uint64 {
	x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9
	x = (x ^ (x >> 27)) * 0x94D049BB133111EB
	return x ^ (x >> 31)
}

func newDatagenKeys(span int) *datagenKeys {
	const seed, field = 0, 0
	base := splitmix64(splitmix64(seed+splitmixGamma) ^ uint64(field+1)*0xD1B54A32D192ED03)
	return &datagenKeys{a: base + splitmixGamma, span: uint64(span)}
}

func (g *datagenKeys) next() int64 {
	h := splitmix64(g.a)
	g.a += splitmixGamma
	hi, _ := bits.Mul64(h, g.span)
	return int64(hi)
}
