// Package bench holds end-to-end throughput benchmarks that compare the
// engine with hand-written Go loops doing the same work in the same run,
// so that figures read as ratios rather than absolute speeds of a noisy
// machine. Run them with:
//
//	GOMAXPROCS=1 go test -run '^$' -bench . -benchtime 3x ./bench
//
// Figures are recorded in BENCHMARKS.md.
package bench
