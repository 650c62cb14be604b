package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/streamsql/streamsql/engine"
	"github.com/streamsql/streamsql/internal/heapfloor"
	"github.com/streamsql/streamsql/metrics"
	"github.com/streamsql/streamsql/shell"
)

const usage = `streamsql: continuous SQL queries with Flink SQL's dialect of windows and connectors.

Usage:
  streamsql [flags]                   interactive shell on a terminal; statements from standard input otherwise
  streamsql [flags] -f FILE.sql       run the file's statements in order
  streamsql [flags] -e 'STATEMENTS'   run the given statements
  streamsql --server URL -f FILE.sql  run the statements on a streamsql server (also -e, standard
                                      input, or the interactive shell with no script): its jobs keep
                                      running there after this command ends
  streamsql test [flags] FILE.slt...  run sqllogictest files, print "N passed, N failed"
  streamsql checkpoints [-job ID] [-verify] DIR
                                      list the checkpoints and savepoints under DIR (-verify reads
                                      every file and checks its checksum)
  streamsql bench nexmark --query qN  run a Nexmark benchmark query and print its throughput
                                      (streamsql bench --help lists its flags)
  streamsql server [flags]            run as a service: REST API, /metrics, jobs that outlive their
                                      clients and resume after a restart (streamsql server --help)

Jobs started by INSERT run until their sources end (bounded inputs) or the process is
stopped (Ctrl-C / SIGTERM stop them cleanly within about a second, after a last checkpoint
when checkpointing is on, unless an operator is busy in a long computation: then they stop
at once and --restore latest continues from the last complete checkpoint). A SELECT over
bounded inputs prints its final rows as a table; over an unbounded source it prints
changelog rows as they arrive.
The exit code is non-zero when any statement or job fails; every failure is printed
(one ERROR line per failed job, naming it, and the statement that stopped the script).

With checkpointing on (--checkpoint-interval, --checkpoint-dir), a job killed at any point
continues exactly where its last complete checkpoint left off when the same statements run
again with --restore latest: nothing lost, nothing counted twice.

Flags:
`

type setFlags []string

func (s *setFlags) String() string     { return strings.Join(*s, ",") }
func (s *setFlags) Set(v string) error { *s = append(*s, v); return nil }

func main() {
	// SIGINT and SIGTERM cancel the context: jobs stop cleanly and the
	// process exits with the status of what ran before.
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	// A heap goal of at least 48 MiB: a job with a small live heap would
	// otherwise collect garbage several times a second (GOGC in the
	// environment overrides it).
	heapfloor.Start(heapfloor.Default)
	code := run(ctx, os.Args[1:], os.Stdin, os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

// run is the whole command; ctx cancellation stops running jobs.
func run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	if len(args) > 0 && args[0] == "test" {
		return runTests(args[1:], stdout, stderr)
	}
	if len(args) > 0 && args[0] == "checkpoints" {
		return runCheckpoints(args[1:], stdout, stderr)
	}
	if len(args) > 0 && args[0] == "bench" {
		return runBench(ctx, args[1:], stdout, stderr)
	}
	if len(args) > 0 && args[0] == "server" {
		return runServer(ctx, args[1:], stdout, stderr) // server.go
	}
	fs := flag.NewFlagSet("streamsql", flag.ContinueOnError)
	fs.SetOutput(stderr)
	file := fs.String("f", "", "run the statements of this SQL file")
	stmts := fs.String("e", "", "run these statements")
	par := fs.Int("parallelism", 0, "parallelism of every operator (SET 'parallelism.default')")
	maxPar := fs.Int("max-parallelism", 0, "number of key groups (SET 'pipeline.max-parallelism')")
	idle := fs.String("idle-timeout", "", "source idle timeout, e.g. 5s (SET 'table.exec.source.idle-timeout')")
	restore := fs.String("restore", "", "restore INSERT jobs from 'latest' (each job's newest complete checkpoint) or a checkpoint/savepoint PATH")
	cpDir := fs.String("checkpoint-dir", "", "checkpoint directory (SET 'state.checkpoints.dir')")
	cpInterval := fs.String("checkpoint-interval", "", "checkpoint interval, e.g. 1s (SET 'execution.checkpointing.interval')")
	backend := fs.String("state-backend", "", "hashmap | pebble (SET 'state.backend')")
	spDir := fs.String("savepoint-dir", "", "savepoint directory (SET 'state.savepoints.dir')")
	localDir := fs.String("state-local-dir", "", "where the pebble backend keeps its working files, default $TMPDIR/streamsql-state (SET '"+engine.LocalDirKey+"')")
	progressEvery := fs.Duration("progress", 0, "report the running jobs' rows in/out, rows/s, watermark and last checkpoint on standard error this often (default: 1s on a terminal, rewriting one line; 10s otherwise; -1s: never)")
	serverURL := fs.String("server", "", "run the statements on the streamsql server at this URL (e.g. http://127.0.0.1:8081) instead of in this process")
	authToken := fs.String("auth-token", os.Getenv("STREAMSQL_AUTH_TOKEN"), "with --server: the server's bearer token (default $STREAMSQL_AUTH_TOKEN)")
	logFormat := fs.String("log-format", "plain", "how warnings and notices are written to standard error: plain (WARNING: ... lines), text or json (log/slog records with time, level and job)")
	var sets setFlags
	fs.Var(&sets, "D", "set a configuration key, as key=value (repeatable), e.g. -D parallelism.default=4")
	// --help prints the whole help to standard output (so that it can be
	// paged); a bad flag gets the flag package's message and a pointer to
	// --help on standard error.
	fs.Usage = func() {}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			printHelp(stdout, fs)
			return 0
		}
		fmt.Fprintln(stderr, "Run 'streamsql --help' for the flags, subcommands and statements.")
		return 2
	}
	logger, err := newLogger(*logFormat, stderr)
	if err != nil {
		fmt.Fprintf(stderr, "streamsql: %v\n", err)
		return 2
	}
	eng := engine.New(engine.Options{Stdout: stdout, Stderr: stderr, RestorePath: *restore, Logger: logger})
	conf := eng.Config()
	apply := func(k, v string) bool {
		if err := conf.Set(k, v); err != nil {
			fmt.Fprintf(stderr, "streamsql: %v\n", err)
			return false
		}
		return true
	}
	if *par > 0 && !apply("parallelism.default", fmt.Sprint(*par)) {
		return 2
	}
	if *maxPar > 0 && !apply("pipeline.max-parallelism", fmt.Sprint(*maxPar)) {
		return 2
	}
	if *idle != "" && !apply("table.exec.source.idle-timeout", *idle) {
		return 2
	}
	for _, kv := range [][2]string{{"state.checkpoints.dir", *cpDir}, {"execution.checkpointing.interval", *cpInterval},
		{"state.backend", *backend}, {"state.savepoints.dir", *spDir}, {engine.LocalDirKey, *localDir}} {
		if kv[1] != "" && !apply(kv[0], kv[1]) {
			return 2
		}
	}
	for _, kv := range sets {
		k, v, ok := strings.Cut(kv, "=")
		if !ok {
			fmt.Fprintf(stderr, "streamsql: -D wants key=value, got %q\n", kv)
			return 2
		}
		if !apply(strings.TrimSpace(k), v) {
			return 2
		}
	}

	if size := conf.Get(engine.ProcessMemoryKey); size != "" {
		if _, err := engine.ApplyProcessMemory(conf); err != nil {
			fmt.Fprintf(stderr, "streamsql: %v\n", err)
			return 2
		}
	}
	if port := conf.Get(engine.MetricsPortKey); port != "" {
		addr, stopMetrics, err := metrics.Serve(ctx, "127.0.0.1:"+port, metrics.EngineJobs(eng))
		if err != nil {
			fmt.Fprintf(stderr, "streamsql: %v\n", err)
			return 1
		}
		defer stopMetrics()
		fmt.Fprintf(stderr, "Prometheus metrics on http://%s/metrics\n", addr)
	}

	var script string
	report := func(err error) { printErrors(stderr, err, nil) }
	switch {
	case *file != "":
		b, err := os.ReadFile(*file)
		if err != nil {
			fmt.Fprintf(stderr, "streamsql: %v\n", err)
			return 1
		}
		script = string(b)
		report = func(err error) {
			printErrors(stderr, err, func(e error) bool { return shell.WriteScriptError(stderr, *file, script, e) })
		}
	case *stmts != "":
		script = *stmts
	case fs.NArg() > 0:
		fmt.Fprintf(stderr, "streamsql: unexpected argument %q (use -f FILE.sql or -e 'SQL')\n", fs.Arg(0))
		return 2
	default:
		if isTerminal(os.Stdin) && stdin == os.Stdin {
			s := shell.NewSession(eng, stdout)
			if *serverURL != "" {
				remote, closeRemote, err := openRemoteShell(ctx, *serverURL, *authToken) // remote.go
				if err != nil {
					fmt.Fprintf(stderr, "streamsql: %v\n", err)
					return 1
				}
				defer closeRemote()
				s.Remote = remote
				fmt.Fprintf(stdout, "streamsql shell on the server at %s: statements run there, INSERT jobs keep running\n", *serverURL)
				fmt.Fprintln(stdout, "after you leave. Statements end with ';'. Ctrl-C stops a running query, QUIT; or Ctrl-D leaves.")
			} else {
				fmt.Fprintln(stdout, "streamsql shell. Statements end with ';'. Tab completes, HELP; lists statements,")
				fmt.Fprintln(stdout, "Ctrl-C stops a running query, QUIT; or Ctrl-D leaves.")
			}
			err := shell.RunPrompt(ctx, s)
			eng.StopAll()
			if err != nil {
				fmt.Fprintf(stderr, "streamsql: %v\n", err)
				return 1
			}
			return 0
		}
		b, err := io.ReadAll(stdin)
		if err != nil {
			fmt.Fprintf(stderr, "streamsql: %v\n", err)
			return 1
		}
		script = string(b)
	}
	if *serverURL != "" {
		return runRemote(ctx, *serverURL, *authToken, script, stdout, stderr) // remote.go
	}
	terminal := false
	if f, ok := stderr.(*os.File); ok {
		terminal = isTerminal(f)
	}
	every := *progressEvery
	if every == 0 {
		every = 10 * time.Second
		if terminal {
			every = time.Second
		}
	}
	var prog *progress
	if every > 0 {
		prog = startProgress(eng, stderr, every, terminal) // progress.go
	}
	err = eng.RunScript(ctx, script, stdout)
	if prog != nil {
		prog.stop()
	}
	if err != nil {
		report(err)
		return 1
	}
	return 0
}

// printHelp writes the usage, the flags, the configuration keys and the
// statements (HELP's text, with the registered connectors) to w.
func printHelp(w io.Writer, fs *flag.FlagSet) {
	fmt.Fprint(w, usage)
	fs.SetOutput(w)
	fs.PrintDefaults()
	fmt.Fprint(w, "\nConfiguration keys (SET 'key' = 'value' or -D key=value):\n")
	for _, k := range engine.ConfigKeys {
		note := ""
		if !k.Effective {
			note = " (not available yet)"
		}
		fmt.Fprintf(w, "  %-58s %s%s\n", k.Key, k.Help, note)
	}
	fmt.Fprint(w, "\n"+engine.Help())
}

// printErrors prints one "ERROR:" line per failure of a script (every job
// that failed, then the statement that stopped it). located, when not
// nil, prints a failure with its place in the script file and reports
// whether it did.
func printErrors(w io.Writer, err error, located func(error) bool) {
	var many engine.Failures
	if errors.As(err, &many) {
		for _, e := range many {
			printErrors(w, e, located)
		}
		return
	}
	if located != nil && located(err) {
		return
	}
	fmt.Fprintf(w, "ERROR: %v\n", err)
}

func isTerminal(f *os.File) bool {
	fi, err := f.Stat()
	if err != nil {
		return false
	}
	return fi.Mode()&os.ModeCharDevice != 0
}
