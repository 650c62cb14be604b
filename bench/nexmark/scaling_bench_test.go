package nexmark

import (
	"context"
	"fmt"
	"testing"
)

// BenchmarkScaling runs Nexmark queries at parallelism 1 and 2 (the
// source has 8 splits), one sub-benchmark per query and parallelism, so
// that `go test -cpuprofile` can profile one configuration. Reproduce:
//
//	GOMAXPROCS=2 go test -run '^$' -bench 'Scaling/q5/p2' -benchtime 2x -cpuprofile q5p2.prof ./bench/nexmark
//
// scripts/scaling.sh measures the same configurations in alternated
// processes.
func BenchmarkScaling(b *testing.B) {
	const events = 2_000_000
	for _, q := range []string{"q0", "q1", "q2", "q3", "q4", "q5", "q7", "q8"} {
		for _, p := range []int{1, 2} {
			b.Run(fmt.Sprintf("%s/p%d", q, p), func(b *testing.B) {
				var seconds float64
				for i := 0; i < b.N; i++ {
					res, err := Run(context.Background(), Options{Query: q, Events: events, Parallelism: p})
					if err != nil {
						b.Fatal(err)
					}
					seconds += res.Seconds
				}
				b.ReportMetric(float64(events)*float64(b.N)/seconds, "events/s")
			})
		}
	}
}
