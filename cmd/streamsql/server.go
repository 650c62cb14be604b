package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"time"

	"gopkg.in/natefinch/lumberjack.v2"

	"github.com/streamsql/streamsql/engine"
	"github.com/streamsql/streamsql/server"
)

const serverUsage = `Usage: streamsql server [--listen ADDR] [--data-dir DIR] [--auth-token TOKEN] [--checkpoint-dir DIR|s3://...]
                        [-D key=value ...] [--cluster-name NAME --cluster-bootstrap-servers HOST:PORT[,...]
                        [--server-id ID] [--cluster-heartbeat D]]

Runs streamsql as a service: jobs submitted over its REST API (REST.md) run in the
server and outlive their clients; GET /metrics serves Prometheus metrics. The job
registry and the checkpoints live under --data-dir: after the server stops or is
killed, its next start resumes every job that was running from its newest complete
checkpoint. SIGINT/SIGTERM stop the jobs after a last checkpoint (they resume at the
next start). Log records go to standard error and, as JSON lines, to
DATA-DIR/logs/streamsql.log (rotated at 100 MB, 5 old files kept).

With --cluster-name and --cluster-bootstrap-servers, the servers of one cluster
share a command log on those Kafka brokers (topic _streamsql-NAME-commands): every
server lists every server's jobs, each with its owner, and stops any of them (the
owner stops it). A job runs whole on one server, its owner. When a server goes away
(unheard for three heartbeats, or stopped), one of the others takes its running jobs
over and restores their newest checkpoints: give the servers one --checkpoint-dir
they all reach (a shared directory or s3://); servers without it take nothing over.
See SCALEOUT.md.

Flags:
`

// runServer is `streamsql server`: it serves until ctx is cancelled.
func runServer(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("streamsql server", flag.ContinueOnError)
	fs.SetOutput(stderr)
	listen := fs.String("listen", "127.0.0.1:8081", "address to serve the REST API and /metrics on (any address but loopback needs a token)")
	dataDir := fs.String("data-dir", "streamsql-data", "directory of the job registry and the checkpoints")
	token := fs.String("auth-token", os.Getenv("STREAMSQL_AUTH_TOKEN"), "bearer token every request must present (default $STREAMSQL_AUTH_TOKEN)")
	interval := fs.Duration("checkpoint-interval", 10*time.Second, "checkpoint interval of jobs whose statements set none")
	memory := fs.String("memory", "", "the process's memory budget, e.g. 2g ("+engine.ProcessMemoryKey+"): the Go runtime's soft memory limit, and the managed memory of jobs on pebble")
	clusterName := fs.String("cluster-name", "", "name of the cluster this server joins (cluster.name); needs --cluster-bootstrap-servers")
	clusterBrokers := fs.String("cluster-bootstrap-servers", "", "Kafka brokers of the cluster's command log, HOST:PORT[,...] (cluster.bootstrap.servers)")
	serverID := fs.String("server-id", "", "this server's id in its cluster (default: one generated at the first clustered start and kept in DATA-DIR/server-id)")
	checkpointDir := fs.String("checkpoint-dir", "", "where jobs checkpoint, a directory or an s3:// URL (state.checkpoints.dir; default DATA-DIR/checkpoints); the servers of a cluster share one, so that one can take over the jobs of another")
	heartbeat := fs.Duration("cluster-heartbeat", 10*time.Second, "interval of a clustered server's announcements on the command log; a server unheard for three intervals is unreachable, and its running jobs are taken over")
	settings := keyValueFlag(fs, "D", "set a configuration key for every session, as -D key=value (repeatable), e.g. -D s3.endpoint=http://127.0.0.1:9000")
	printUsage := func(w io.Writer) {
		fmt.Fprint(w, serverUsage)
		fs.SetOutput(w)
		fs.PrintDefaults()
		fs.SetOutput(stderr)
	}
	if code, ok := parseSubcommand(fs, args, printUsage, stdout, stderr); !ok {
		return code
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "streamsql server: unexpected argument %q\n", fs.Arg(0))
		return 2
	}
	if *memory != "" {
		c := engine.NewConfig()
		if err := c.Set(engine.ProcessMemoryKey, *memory); err != nil {
			fmt.Fprintf(stderr, "streamsql server: --memory: %v\n", err)
			return 2
		}
		if _, err := engine.ApplyProcessMemory(c); err != nil {
			fmt.Fprintf(stderr, "streamsql server: --memory: %v\n", err)
			return 2
		}
	}
	// Records go to standard error as text and to a rotated JSON file
	// under the data directory.
	logFile := &lumberjack.Logger{Filename: filepath.Join(*dataDir, "logs", "streamsql.log"), MaxSize: 100, MaxBackups: 5}
	defer logFile.Close()
	logger := slog.New(slog.NewMultiHandler(slog.NewTextHandler(stderr, nil), slog.NewJSONHandler(logFile, nil)))
	s, err := server.New(server.Config{Listen: *listen, DataDir: *dataDir, AuthToken: *token,
		Stdout: stdout, Logger: logger, CheckpointInterval: *interval, ProcessMemory: *memory,
		ClusterName: *clusterName, ClusterBootstrapServers: splitList(*clusterBrokers), ServerID: *serverID,
		CheckpointDir: *checkpointDir, Settings: settings, ClusterHeartbeat: *heartbeat})
	if err != nil {
		fmt.Fprintf(stderr, "streamsql %v\n", err)
		return 2
	}
	ln, err := net.Listen("tcp", *listen)
	if err != nil {
		fmt.Fprintf(stderr, "streamsql server: %v\n", err)
		return 1
	}
	if err := s.Start(); err != nil {
		fmt.Fprintf(stderr, "streamsql server: a job could not be resumed (listed as FAILED): %v\n", err)
	}
	hs := &http.Server{Handler: s.Handler(), ReadHeaderTimeout: 10 * time.Second}
	fmt.Fprintf(stderr, "streamsql server listening on http://%s (data in %s)\n", ln.Addr(), *dataDir)
	if id := s.ID(); id != "" {
		fmt.Fprintf(stderr, "streamsql server %s of cluster %s (brokers %s)\n", id, *clusterName, *clusterBrokers)
	}
	done := make(chan error, 1)
	go func() { done <- hs.Serve(ln) }()
	select {
	case err := <-done:
		fmt.Fprintf(stderr, "streamsql server: %v\n", err)
		return 1
	case <-ctx.Done():
	}
	shutdownCtx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	hs.Shutdown(shutdownCtx)
	s.Shutdown(10 * time.Second)
	fmt.Fprintln(stderr, "streamsql server stopped; running jobs resume at the next start")
	return 0
}

// splitList splits a comma-separated flag value, dropping empty items.
func splitList(v string) []string {
	var out []string
	for _, p := range strings.Split(v, ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}
