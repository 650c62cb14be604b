package bench

import (
	"context"
	"fmt"
	"io"
	"testing"

	"github.com/streamsql/streamsql/engine"
	"github.com/streamsql/streamsql/internal/testkit"
)

// BenchmarkTumbleCountParallel runs the tumbling count of
// BenchmarkTumbleCountEngine at parallelism 1 and 2 (the datagen source
// has 8 splits, so at parallelism 2 each source instance reads 4). Run
// it with GOMAXPROCS=2 and -count to alternate the two: the ratio of
// events/s (p2 ÷ p1) within a run is the scaling figure.
func BenchmarkTumbleCountParallel(b *testing.B) {
	const n = 4_000_000
	for _, p := range []int{1, 2} {
		b.Run(fmt.Sprintf("p%d", p), func(b *testing.B) {
			script := fmt.Sprintf("SET 'parallelism.default' = '%d';\n", p) + tumbleSQL(n)
			cpu := testkit.ProcessCPU()
			for i := 0; i < b.N; i++ {
				eng := engine.New(engine.Options{Stdout: io.Discard, Stderr: io.Discard})
				if err := eng.RunScript(context.Background(), script, io.Discard); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(n)*float64(b.N)/b.Elapsed().Seconds(), "events/s")
			reportCPU(b, n, cpu)
		})
	}
}
