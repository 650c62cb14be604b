package nexmark

import (
	"context"
	"testing"
)

// BenchmarkProfile runs Nexmark queries over 2,000,000 events per
// iteration at parallelism 1, one sub-benchmark per query, so that
// `go test -cpuprofile` can profile one of them: q4 (a changelog
// aggregate over a join) and q21 (REGEXP_EXTRACT). Reproduce:
//
//	GOMAXPROCS=1 go test -run '^$' -bench 'Profile/q21' -benchtime 2x -cpuprofile q21.prof ./bench/nexmark
func BenchmarkProfile(b *testing.B) {
	const events = 2_000_000
	for _, q := range []string{"q4", "q21"} {
		b.Run(q, func(b *testing.B) {
			var seconds float64
			for i := 0; i < b.N; i++ {
				res, err := Run(context.Background(), Options{Query: q, Events: events, Parallelism: 1})
				if err != nil {
					b.Fatal(err)
				}
				seconds += res.Seconds
			}
			b.ReportMetric(float64(events)*float64(b.N)/seconds, "events/s")
		})
	}
}
