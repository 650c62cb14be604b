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
// has 8 splits, so at parallelism 2 each source instance reads 4), with
// operator chaining (the default) and without. Run it with GOMAXPROCS=2
// and -count to alternate them: the ratios of events/s within a run (p2 ÷
// p1, chained ÷ unchained) are the scaling figures.
func BenchmarkTumbleCountParallel(b *testing.B) {
	const n = 4_000_000
	for _, chained := range []bool{true, false} {
		for _, p := range []int{1, 2} {
			name := fmt.Sprintf("p%d", p)
			if !chained {
				name += "-unchained"
			}
			b.Run(name, func(b *testing.B) {
				script := fmt.Sprintf("SET 'parallelism.default' = '%d';\nSET 'pipeline.operator-chaining' = '%t';\n", p, chained) + tumbleSQL(n)
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
}
