package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"

	"github.com/streamsql/streamsql/bench/nexmark"
)

const benchUsage = `Usage:
  streamsql bench nexmark --query q1 --events 10000000 [--parallelism N] [--gomaxprocs N]
      [--checkpoint-interval 1s] [--state-backend hashmap|pebble] [--baseline] [--table]

Runs a Nexmark query (bench/nexmark/<query>.sql) over the built-in nexmark source into a
blackhole sink and prints events, seconds, events/s, events/s per core (events/s divided by
GOMAXPROCS), peak memory and, with checkpointing, the state size. --baseline also runs the
hand-written Go loop of the query (q0, q1, q2) over the same generator and prints the ratio.
--query all runs every supported query.

Flags:
`

// runBench is `streamsql bench`.
func runBench(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 || args[0] != "nexmark" {
		fmt.Fprint(stderr, benchUsage)
		if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "-help" {
			return 0
		}
		return 2
	}
	fs := flag.NewFlagSet("streamsql bench nexmark", flag.ContinueOnError)
	fs.SetOutput(stderr)
	query := fs.String("query", "q0", "query to run (q0, q1, ...), or 'all'")
	events := fs.Int64("events", 10_000_000, "number of Nexmark events (of all types)")
	par := fs.Int("parallelism", 0, "parallelism of every operator")
	procs := fs.Int("gomaxprocs", 0, "GOMAXPROCS for the run (0: unchanged)")
	cpInterval := fs.String("checkpoint-interval", "", "checkpoint interval, e.g. 1s (off when empty)")
	cpDir := fs.String("checkpoint-dir", "", "checkpoint directory (a temporary one when empty)")
	backend := fs.String("state-backend", "", "hashmap | pebble")
	baseline := fs.Bool("baseline", false, "also run the hand-written Go loop of the query and print the ratio")
	table := fs.Bool("table", false, "print a markdown table row (with its header) instead of labelled lines")
	fs.Usage = func() {
		fmt.Fprint(stderr, benchUsage)
		fs.PrintDefaults()
		fmt.Fprintf(stderr, "\nQueries: %s\n", strings.Join(nexmark.Queries(), ", "))
	}
	if err := fs.Parse(args[1:]); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "streamsql bench: unexpected argument %q\n", fs.Arg(0))
		return 2
	}
	queries := []string{*query}
	if *query == "all" {
		queries = nexmark.Queries()
	}
	if *table {
		fmt.Fprintln(stdout, nexmark.Header)
	}
	for i, q := range queries {
		res, err := nexmark.Run(ctx, nexmark.Options{Query: q, Events: *events, Parallelism: *par, GOMAXPROCS: *procs,
			CheckpointInterval: *cpInterval, CheckpointDir: *cpDir, StateBackend: *backend, Baseline: *baseline})
		if err != nil {
			fmt.Fprintf(stderr, "streamsql bench: %v\n", err)
			return 1
		}
		if *table {
			fmt.Fprintln(stdout, res.Row())
			continue
		}
		if i > 0 {
			fmt.Fprintln(stdout)
		}
		res.Report(stdout)
	}
	return 0
}
