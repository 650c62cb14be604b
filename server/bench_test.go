package server

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/streamsql/streamsql/api"
	"github.com/streamsql/streamsql/cluster"
	"github.com/streamsql/streamsql/engine"
)

// The same bounded job, 2,000,000 rows through a filter into a blackhole,
// run embedded (an engine in the benchmark) and through the server
// (submitted over HTTP, waited for by polling its status every 5 ms),
// both checkpointing every 10 s into a fresh directory. The server adds
// nothing on the data path: its target is to stay within 5% of embedded.
const benchJob = `
CREATE TABLE src (k BIGINT, v BIGINT) WITH ('connector' = 'datagen', 'number-of-rows' = '2000000', 'rows-per-second' = '0', 'fields.k.min' = '0', 'fields.k.max' = '999');
CREATE TABLE sink (k BIGINT, v BIGINT) WITH ('connector' = 'blackhole');
INSERT INTO sink SELECT k, v FROM src WHERE v % 3 <> 0;
`

func BenchmarkJobEmbedded(b *testing.B) {
	for b.Loop() {
		eng := engine.New(engine.Options{Stdout: io.Discard, Stderr: io.Discard})
		eng.Config().Set("execution.checkpointing.interval", "10s")
		eng.Config().Set("state.checkpoints.dir", filepath.Join(b.TempDir(), "checkpoints"))
		if err := eng.RunScript(context.Background(), benchJob, io.Discard); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkJobThroughServer(b *testing.B) {
	for b.Loop() {
		s, err := New(Config{DataDir: b.TempDir()})
		if err != nil {
			b.Fatal(err)
		}
		ts := httptest.NewServer(s.Handler())
		body, _ := json.Marshal(map[string]string{"statements": benchJob})
		resp, err := http.Post(ts.URL+"/v1/statements", "application/json", bytes.NewReader(body))
		if err != nil {
			b.Fatal(err)
		}
		var sub struct {
			Results []api.StatementResult
		}
		json.NewDecoder(resp.Body).Decode(&sub)
		resp.Body.Close()
		id := sub.Results[2].JobID
		for {
			resp, err := http.Get(ts.URL + "/v1/jobs/" + id)
			if err != nil {
				b.Fatal(err)
			}
			var j api.JobSummary
			json.NewDecoder(resp.Body).Decode(&j)
			resp.Body.Close()
			if j.Status == "FINISHED" {
				break
			}
			if j.Status != "RUNNING" {
				b.Fatalf("job %s: %s %s", id, j.Status, j.Error)
			}
			time.Sleep(5 * time.Millisecond)
		}
		ts.Close()
		s.Shutdown(time.Second)
	}
}

// BenchmarkClusterStartReplaysLog: a server joining a cluster whose
// command log holds the records of jobs (STREAMSQL_BENCH_CLUSTER_JOBS,
// default 1,000; each record about 1 KB with its statements) replays the
// log before it serves: the time of New + Start, up to the job list.
func BenchmarkClusterStartReplaysLog(b *testing.B) {
	jobs := 1000
	if v := os.Getenv("STREAMSQL_BENCH_CLUSTER_JOBS"); v != "" {
		jobs, _ = strconv.Atoi(v)
	}
	brokers := kafka(b)
	ctx := context.Background()
	l, err := cluster.OpenCommandLog(ctx, brokers, "bench")
	if err != nil {
		b.Fatal(err)
	}
	stmts := strings.Split(strings.TrimSpace(endlessJob), "\n")
	for i := range jobs {
		rec := JobRecord{ID: fmt.Sprintf("job%06d", i), Name: "INSERT INTO sink SELECT k, v FROM src WHERE v > 0",
			Statements: stmts, Status: "RUNNING", Submitted: time.Now(), Epoch: 1}
		value, _ := json.Marshal(jobCommand{Owner: "elsewhere", Job: rec, Run: stmts})
		if _, err := l.Append(ctx, "job/"+rec.ID, value); err != nil {
			b.Fatal(err)
		}
	}
	l.Close()
	for b.Loop() {
		s, err := New(Config{DataDir: b.TempDir(), ClusterName: "bench", ClusterBootstrapServers: brokers, ServerID: "joiner"})
		if err != nil {
			b.Fatal(err)
		}
		if err := s.Start(); err != nil {
			b.Fatal(err)
		}
		if n := len(s.jobViews()); n != jobs {
			b.Fatalf("%d jobs listed, want %d", n, jobs)
		}
		b.StopTimer()
		s.Shutdown(time.Second)
		b.StartTimer()
	}
	b.ReportMetric(float64(jobs), "jobs")
}

// BenchmarkClusterFailover: two servers with a 100 ms heartbeat; the
// owner of a running job goes away without a word (crash), and the time
// until the other server runs the job, restored from its checkpoint, is
// measured (detection takes three heartbeats, then one more at most).
func BenchmarkClusterFailover(b *testing.B) {
	brokers := kafka(b)
	const heartbeat = 100 * time.Millisecond
	for b.Loop() {
		b.StopTimer()
		shared := b.TempDir()
		cfg := func(id string) Config {
			return Config{DataDir: b.TempDir(), CheckpointInterval: 100 * time.Millisecond, CheckpointDir: shared,
				ClusterName: "failover-" + strconv.FormatInt(time.Now().UnixNano(), 36), ClusterBootstrapServers: brokers, ServerID: id, ClusterHeartbeat: heartbeat}
		}
		ca, cb := cfg("A"), cfg("B")
		cb.ClusterName = ca.ClusterName
		a, err := New(ca)
		if err != nil {
			b.Fatal(err)
		}
		if err := a.Start(); err != nil {
			b.Fatal(err)
		}
		bs, err := New(cb)
		if err != nil {
			b.Fatal(err)
		}
		if err := bs.Start(); err != nil {
			b.Fatal(err)
		}
		ts := httptest.NewServer(a.Handler())
		id := submit(b, ts.URL, "", endlessJob)
		for {
			if l := a.liveJob(id); l != nil && l.job.LastCheckpoint() != nil {
				break
			}
			time.Sleep(10 * time.Millisecond)
		}
		time.Sleep(4 * heartbeat) // B judges others only after three of its own heartbeats
		b.StartTimer()
		crash(a)
		for {
			if l := bs.liveJob(id); l != nil {
				if st, _ := l.job.Status(); st == engine.JobRunning {
					break
				}
			}
			time.Sleep(2 * time.Millisecond)
		}
		b.StopTimer()
		ts.Close()
		bs.Shutdown(time.Second)
		a.Shutdown(time.Second)
		b.StartTimer()
	}
	b.ReportMetric(float64(heartbeat.Milliseconds()), "heartbeat-ms")
}
