package nexmark

import (
	"context"
	"testing"
)

// BenchmarkQ5 runs Nexmark q5 (hot items) over 2,000,000 events per
// iteration at parallelism 1, so that `go test -cpuprofile` can profile the
// HOP window aggregate, its MAX and the window join together; events/s is
// reported as a metric. Reproduce:
//
//	GOMAXPROCS=1 go test -run '^$' -bench Q5 -benchtime 1x -cpuprofile q5.prof ./bench/nexmark
func BenchmarkQ5(b *testing.B) {
	const events = 2_000_000
	var seconds float64
	for i := 0; i < b.N; i++ {
		res, err := Run(context.Background(), Options{Query: "q5", Events: events, Parallelism: 1})
		if err != nil {
			b.Fatal(err)
		}
		seconds += res.Seconds
	}
	b.ReportMetric(float64(events)*float64(b.N)/seconds, "events/s")
}
