// Package nexmark runs the Nexmark benchmark queries (the *.sql files of
// this directory) over the built-in 'nexmark' source into a blackhole sink
// and measures them: events per second, events per second per core
// (divided by GOMAXPROCS), peak memory and, with checkpointing, the state
// size. For q0, q1, q2, q5 and q7 it also runs hand-written Go loops over
// the same generator in the same process (baseline.go, windows.go), so
// that the engine's figure reads as a ratio to the practical limit. For
// the queries with event-time windows (q5, q7, q8, q11) it measures the
// latency of window results at a paced rate, through a wrapper of the
// nexmark source and a sink that only that run uses (latency*.go).
// WriteTables turns results into the tables of BENCHMARKS.md.
//
// The query files hold ${EVENTS} where the number of events goes; Run
// substitutes it. `streamsql bench nexmark` is the command line over Run,
// and scripts/nexmark.sh runs every query and prints the tables.
// README.md defines every figure.
package nexmark
