package nexmark

import (
	"context"
	"testing"
)

// BenchmarkProfile runs Nexmark queries over 2,000,000 events per
// iteration at parallelism 1, one sub-benchmark per query, so that
// `go test -cpuprofile` can profile one of them: q4 (a changelog
// aggregate over a join) and q21 (REGEXP_EXTRACT) on the default backend,
// and the stateful queries q5, q7 (windows), q18 (deduplication) and q20
// (a join of large state) on the Pebble backend (named <query>-pebble).
// Reproduce:
//
//	GOMAXPROCS=1 go test -run '^$' -bench 'Profile/q21' -benchtime 2x -cpuprofile q21.prof ./bench/nexmark
//	GOMAXPROCS=1 go test -run '^$' -bench 'Profile/q7-pebble' -benchtime 1x -cpuprofile q7.prof ./bench/nexmark
func BenchmarkProfile(b *testing.B) {
	const events = 2_000_000
	cases := []struct{ query, backend string }{
		{"q4", ""}, {"q21", ""},
		{"q5", "pebble"}, {"q7", "pebble"}, {"q18", "pebble"}, {"q20", "pebble"},
	}
	for _, c := range cases {
		name := c.query
		if c.backend != "" {
			name += "-" + c.backend
		}
		b.Run(name, func(b *testing.B) {
			var seconds float64
			for i := 0; i < b.N; i++ {
				res, err := Run(context.Background(), Options{Query: c.query, Events: events, Parallelism: 1, StateBackend: c.backend})
				if err != nil {
					b.Fatal(err)
				}
				seconds += res.Seconds
			}
			b.ReportMetric(float64(events)*float64(b.N)/seconds, "events/s")
		})
	}
}
