package bench

import (
	"context"
	"fmt"
	"io"
	"testing"

	"github.com/streamsql/streamsql/engine"
	"github.com/streamsql/streamsql/internal/testkit"
)

// overSQL is SUM(v), COUNT(*) OVER (PARTITION BY k ORDER BY ts ROWS
// BETWEEN 10 PRECEDING AND CURRENT ROW) over n generated events on
// benchKeys keys whose event time is a 1 ms sequence (the watermark is the
// largest ts: every row waits one batch for it), into a blackhole sink.
func overSQL(n int) string {
	return fmt.Sprintf(`
CREATE TABLE ev (k BIGINT, v BIGINT, ts TIMESTAMP(3), WATERMARK FOR ts AS ts) WITH (
  'connector' = 'datagen', 'rows-per-second' = '0', 'number-of-rows' = '%d',
  'fields.k.kind' = 'random', 'fields.k.min' = '0', 'fields.k.max' = '%d',
  'fields.v.kind' = 'random', 'fields.v.min' = '0', 'fields.v.max' = '1000',
  'fields.ts.kind' = 'sequence', 'fields.ts.start' = '0', 'fields.ts.end' = '%d');
CREATE TABLE sink (k BIGINT, v BIGINT, s BIGINT, c BIGINT) WITH ('connector' = 'blackhole');
INSERT INTO sink SELECT k, v, SUM(v) OVER w, COUNT(*) OVER w FROM ev
WINDOW w AS (PARTITION BY k ORDER BY ts ROWS BETWEEN 10 PRECEDING AND CURRENT ROW);`, n, benchKeys-1, n-1)
}

// BenchmarkOverRowsEngine runs the OVER aggregate through the whole
// engine: datagen source, hash exchange, OverAggregate, Calc, blackhole.
func BenchmarkOverRowsEngine(b *testing.B) {
	const n = 2_000_000
	cpu := testkit.ProcessCPU()
	for i := 0; i < b.N; i++ {
		eng := engine.New(engine.Options{Stdout: io.Discard, Stderr: io.Discard})
		if err := eng.RunScript(context.Background(), overSQL(n), io.Discard); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(n)*float64(b.N)/b.Elapsed().Seconds(), "events/s")
	reportCPU(b, n, cpu)
}
