package nexmark

import (
	"context"
	"testing"
)

// BenchmarkQ21 runs Nexmark q21 (channel id from the url with
// REGEXP_EXTRACT) over 2,000,000 events per iteration at parallelism 1,
// for CPU profiles of the expression evaluation. Reproduce:
//
//	GOMAXPROCS=1 go test -run '^$' -bench Q21 -benchtime 2x -cpuprofile q21.prof ./bench/nexmark
func BenchmarkQ21(b *testing.B) {
	const events = 2_000_000
	var seconds float64
	for i := 0; i < b.N; i++ {
		res, err := Run(context.Background(), Options{Query: "q21", Events: events, Parallelism: 1})
		if err != nil {
			b.Fatal(err)
		}
		seconds += res.Seconds
	}
	b.ReportMetric(float64(events)*float64(b.N)/seconds, "events/s")
}
