package bench

import (
	"fmt"
	"sync"
	"testing"

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
				runEventsScript(b, fmt.Sprintf("SET 'parallelism.default' = '%d';\nSET 'pipeline.operator-chaining' = '%t';\n", p, chained)+tumbleSQL(n), n)
			})
		}
	}
}

// BenchmarkTumbleCountLoopCopies runs the hand-written loop of
// BenchmarkTumbleCountLoop as one copy and as two independent copies at
// once (two goroutines, each over its own n events, sharing nothing).
// With GOMAXPROCS=2, the events/s of two copies ÷ one copy is what this
// machine's second core adds to work that needs no coordination at all:
// the ceiling of any engine's p2 ÷ p1 here (two vCPUs that share a
// physical core, caches or memory bandwidth give less than 2).
func BenchmarkTumbleCountLoopCopies(b *testing.B) {
	const n = 4_000_000
	for _, copies := range []int{1, 2} {
		b.Run(fmt.Sprintf("copies%d", copies), func(b *testing.B) {
			sink := make([]int64, copies*8) // a cache line apart
			cpu := testkit.ProcessCPU()
			for i := 0; i < b.N; i++ {
				var wg sync.WaitGroup
				for c := range copies {
					wg.Add(1)
					go func() {
						defer wg.Done()
						tumbleLoop(n, func(_, key, count int64) { sink[c*8] += key ^ count })
					}()
				}
				wg.Wait()
			}
			b.ReportMetric(float64(n*copies)*float64(b.N)/b.Elapsed().Seconds(), "events/s")
			reportCPU(b, n*copies, cpu)
		})
	}
}
