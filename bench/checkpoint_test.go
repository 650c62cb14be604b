package bench

import (
	"context"
	"fmt"
	"io"
	"testing"

	"github.com/streamsql/streamsql/engine"
)

// BenchmarkCheckpointOverhead runs the tumbling count of tumble_test.go over
// more events with checkpoints off and every second (and every 100 ms, to
// magnify the cost), with both state backends. Compare events/s within one
// run: the ratio is the checkpointing overhead. Each run lasts several
// seconds (more events with the faster memory backend), so that the 1 s
// interval takes several checkpoints.
func BenchmarkCheckpointOverhead(b *testing.B) {
	for _, backend := range []string{"hashmap", "pebble"} {
		n := 8_000_000
		if backend == "hashmap" {
			n = 200_000_000
		}
		for _, interval := range []string{"off", "1s", "100ms"} {
			b.Run(fmt.Sprintf("%s/%s", backend, interval), func(b *testing.B) {
				for i := 0; i < b.N; i++ {
					eng := engine.New(engine.Options{Stdout: io.Discard, Stderr: io.Discard})
					c := eng.Config()
					c.Set("state.backend", backend)
					if interval != "off" {
						c.Set("execution.checkpointing.interval", interval)
						c.Set("state.checkpoints.dir", b.TempDir())
					}
					if err := eng.RunScript(context.Background(), tumbleSQL(n), io.Discard); err != nil {
						b.Fatal(err)
					}
				}
				b.ReportMetric(float64(n)*float64(b.N)/b.Elapsed().Seconds(), "events/s")
			})
		}
	}
}
