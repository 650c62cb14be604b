package main

import (
	"bufio"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"runtime/pprof"
	"strings"

	"github.com/streamsql/streamsql/bench/nexmark"
)

const benchUsage = `Usage:
  streamsql bench nexmark --query q1 --events 10000000 [--parallelism N] [--gomaxprocs N]
      [--checkpoint-interval 1s] [--state-backend hashmap|pebble] [--baseline]
      [--latency [--rate EVENTS_PER_S] [--latency-events N]] [--all-events] [--table | --json] [--cpu-profile FILE]
  streamsql bench nexmark-report [FILE...]

nexmark runs a Nexmark query (bench/nexmark/<query>.sql) over the built-in nexmark source into a
blackhole sink (q10: a partitioned filesystem table in a temporary directory) and prints events, seconds, events/s, events/s per core (events/s divided by
GOMAXPROCS), peak memory and, with checkpointing, the state size. --baseline also runs the
hand-written Go loop of the query (q0, q1, q2, q5, q7) over the same generator and prints the
ratio. --latency then runs the query again with its sources paced at --rate events/s (default:
half the throughput just measured) and prints the p50 and p99 latency of its window results
(q5, q7, q8, q11; see bench/nexmark/README.md). A table of bids generates only bids; with
--all-events every event type is generated with all its fields and the query filters them, as
Flink's Nexmark source does. --query all runs every supported query. --json
prints one JSON object per query (an "error" member when it failed).

nexmark-report reads such JSON lines (from the files, or standard input) and prints the tables
of BENCHMARKS.md: throughput against ten times Flink (and with --all-events), the baseline ratio, memory, state and
latency per query, then the checkpoint overhead (runs with --checkpoint-interval, by backend,
against the run without).

Flags:
`

// runBench is `streamsql bench`.
func runBench(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	if len(args) > 0 && args[0] == "nexmark-report" {
		return runBenchReport(args[1:], stdout, stderr)
	}
	if len(args) == 0 || args[0] != "nexmark" {
		if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "-help" {
			fmt.Fprint(stdout, benchUsage)
			return 0
		}
		fmt.Fprint(stderr, benchUsage)
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
	latency := fs.Bool("latency", false, "also measure the latency of window results at a paced rate (windowed queries)")
	rate := fs.Float64("rate", 0, "events/s (all types) of the latency run (0: half the measured throughput)")
	latEvents := fs.Int64("latency-events", 0, "events of the latency run (0: --events)")
	allEvents := fs.Bool("all-events", false, "generate every event type with all its columns and filter them in the query, as Flink's Nexmark source does (default: a table of bids generates bids only)")
	table := fs.Bool("table", false, "print a markdown table row (with its header) instead of labelled lines")
	asJSON := fs.Bool("json", false, "print one JSON object per query instead of labelled lines")
	heapProfile := fs.String("heap-profile", "", "write a heap profile (pprof) of what is live near the run's peak heap to this file (one query only; the garbage collections it forces slow the run); read it with go tool pprof -sample_index=inuse_space")
	cpuProfile := fs.String("cpu-profile", "", "write a CPU profile (pprof) of the whole run to this file; read it with go tool pprof -top")
	set := keyValueFlag(fs, "D", "set a configuration key for the run, as -D key=value (repeatable), e.g. -D state.backend.changelog.enabled=true")
	printUsage := func(w io.Writer) {
		fs.SetOutput(w)
		fmt.Fprint(w, benchUsage)
		fs.PrintDefaults()
		fmt.Fprintf(w, "\nQueries: %s\n", strings.Join(nexmark.Queries(), ", "))
	}
	if code, ok := parseSubcommand(fs, args[1:], printUsage, stdout, stderr); !ok {
		return code
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "streamsql bench: unexpected argument %q\n", fs.Arg(0))
		return 2
	}
	if *table && *asJSON {
		fmt.Fprintln(stderr, "streamsql bench: --table and --json exclude each other")
		return 2
	}
	queries := []string{*query}
	if *query == "all" {
		queries = nexmark.Queries()
	}
	var heapOut *os.File
	if *heapProfile != "" {
		if len(queries) != 1 {
			fmt.Fprintln(stderr, "streamsql bench: --heap-profile takes one query")
			return 2
		}
		f, err := os.Create(*heapProfile)
		if err != nil {
			fmt.Fprintf(stderr, "streamsql bench: %v\n", err)
			return 1
		}
		defer f.Close()
		heapOut = f
	}
	if *cpuProfile != "" {
		f, err := os.Create(*cpuProfile)
		if err != nil {
			fmt.Fprintf(stderr, "streamsql bench: %v\n", err)
			return 1
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			fmt.Fprintf(stderr, "streamsql bench: %v\n", err)
			return 1
		}
		defer pprof.StopCPUProfile()
	}
	if *table {
		fmt.Fprintln(stdout, nexmark.Header)
	}
	code := 0
	for i, q := range queries {
		o := nexmark.Options{Query: q, Events: *events, Parallelism: *par, GOMAXPROCS: *procs,
			CheckpointInterval: *cpInterval, CheckpointDir: *cpDir, StateBackend: *backend, Baseline: *baseline,
			Latency: *latency, Rate: *rate, LatencyEvents: *latEvents, AllEvents: *allEvents, Set: set}
		if heapOut != nil {
			o.HeapProfile = heapOut
		}
		res, err := nexmark.Run(ctx, o)
		if err != nil {
			fmt.Fprintf(stderr, "streamsql bench: %v\n", err)
			if !*asJSON {
				return 1
			}
			res, code = &nexmark.Result{Query: q, Events: *events, CheckpointInterval: *cpInterval, StateBackend: *backend, AllEvents: *allEvents, Error: err.Error()}, 1
		}
		switch {
		case *asJSON:
			b, _ := json.Marshal(res)
			fmt.Fprintf(stdout, "%s\n", b)
		case *table:
			fmt.Fprintln(stdout, res.Row())
		default:
			if i > 0 {
				fmt.Fprintln(stdout)
			}
			res.Report(stdout)
		}
	}
	return code
}

// runBenchReport is `streamsql bench nexmark-report [FILE...]`.
func runBenchReport(files []string, stdout, stderr io.Writer) int {
	var results []*nexmark.Result
	read := func(name string, r io.Reader) error {
		sc := bufio.NewScanner(r)
		sc.Buffer(make([]byte, 0, 64<<10), 1<<20)
		for line := 1; sc.Scan(); line++ {
			text := strings.TrimSpace(sc.Text())
			if text == "" {
				continue
			}
			var res nexmark.Result
			if err := json.Unmarshal([]byte(text), &res); err != nil || res.Query == "" {
				return fmt.Errorf("%s:%d: not a result of streamsql bench nexmark --json", name, line)
			}
			results = append(results, &res)
		}
		return sc.Err()
	}
	if len(files) == 0 {
		if err := read("stdin", os.Stdin); err != nil {
			fmt.Fprintf(stderr, "streamsql bench: %v\n", err)
			return 1
		}
	}
	for _, f := range files {
		fh, err := os.Open(f)
		if err == nil {
			err = read(f, fh)
			fh.Close()
		}
		if err != nil {
			fmt.Fprintf(stderr, "streamsql bench: %v\n", err)
			return 1
		}
	}
	nexmark.WriteTables(stdout, results)
	return 0
}

// keyValueFlag defines the repeatable flag name of fs whose values are
// key=value pairs, collected into the map it returns (a later value of a
// key wins).
func keyValueFlag(fs *flag.FlagSet, name, usage string) map[string]string {
	set := map[string]string{}
	fs.Func(name, usage, func(kv string) error {
		k, v, ok := strings.Cut(kv, "=")
		if !ok || strings.TrimSpace(k) == "" {
			return fmt.Errorf("expected -%s key=value, got %q", name, kv)
		}
		set[strings.TrimSpace(k)] = strings.TrimSpace(v)
		return nil
	})
	return set
}
