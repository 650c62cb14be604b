// Package nexmark runs the Nexmark benchmark queries (the *.sql files of
// this directory) over the built-in 'nexmark' source into a blackhole sink
// and measures them: events per second, events per second per core
// (divided by GOMAXPROCS), peak memory and, with checkpointing, the state
// size of the last checkpoint. For q0, q1 and q2 it also runs hand-written
// Go loops over the same generator in the same process, so that the
// engine's figure reads as a ratio to the practical limit.
//
// The query files hold ${EVENTS} where the number of events goes; Run
// substitutes it. `streamsql bench nexmark` is the command line over Run,
// and scripts/nexmark.sh runs every query and prints a table.
package nexmark
