// Package metrics exposes the metrics of running jobs to Prometheus: a
// collector that reads the jobs' counters, watermarks and checkpoints at
// scrape time (nothing is recorded on the data path), named after Flink's
// metrics under streamsql_.
//
// Who calls: the server (package server) serves Handler at /metrics over
// its jobs; an embedded run (cmd/streamsql with
// metrics.reporter.prom.port set) calls Serve over its session's jobs.
// The JobSource is called on every scrape and must be safe to call from
// the scraping goroutine.
package metrics
