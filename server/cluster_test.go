package server

import (
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kfake"

	"github.com/streamsql/streamsql/api"
	"github.com/streamsql/streamsql/cluster"
	"github.com/streamsql/streamsql/engine"
)

// A bounded job: ten rows, then FINISHED.
const boundedJob = `
CREATE TABLE few (v BIGINT) WITH ('connector' = 'datagen', 'number-of-rows' = '10');
CREATE TABLE drain (v BIGINT) WITH ('connector' = 'blackhole');
INSERT INTO drain SELECT v FROM few;`

// kafka starts an in-process Kafka cluster that outlives the test's
// servers (its cleanup is registered first, so it runs last).
func kafka(t testing.TB) []string {
	t.Helper()
	kc, err := kfake.NewCluster(kfake.NumBrokers(1))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(kc.Close)
	return kc.ListenAddrs()
}

// clusterServer is one server of the cluster "c1"; id "" keeps the
// generated id of its data directory. The caller shuts it down (stop).
func clusterServer(t *testing.T, brokers []string, dir, id string, stopTimeout time.Duration) (s *Server, base string, stop func()) {
	t.Helper()
	return startConfigured(t, Config{DataDir: dir, CheckpointInterval: 100 * time.Millisecond,
		ClusterName: "c1", ClusterBootstrapServers: brokers, ServerID: id, ClusterStopTimeout: stopTimeout})
}

// failoverConfig is server id of cluster "c1" on brokers: its own data
// directory, a checkpoint every 100 ms into the checkpoint directory
// shared, a 100 ms heartbeat. Tests change what they need.
func failoverConfig(t testing.TB, brokers []string, shared, id string) Config {
	return Config{DataDir: t.TempDir(), CheckpointInterval: 100 * time.Millisecond, CheckpointDir: shared,
		ClusterName: "c1", ClusterBootstrapServers: brokers, ServerID: id, ClusterHeartbeat: 100 * time.Millisecond}
}

// waitApplied waits (at most 10 s) until s has applied the command log up
// to offset off.
func waitApplied(t testing.TB, s *Server, off int64) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := s.cluster.log.WaitApplied(ctx, off); err != nil {
		t.Fatal(err)
	}
}

// startConfigured starts a server of cfg behind an httptest server. The
// caller shuts it down (stop).
func startConfigured(t *testing.T, cfg Config) (s *Server, base string, stop func()) {
	t.Helper()
	s, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Start(); err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(s.Handler())
	stopped := false
	stop = func() {
		if !stopped {
			stopped = true
			ts.Close()
			s.Shutdown(5 * time.Second)
		}
	}
	t.Cleanup(stop)
	return s, ts.URL, stop
}

func jobList(t *testing.T, base string) map[string]api.JobSummary {
	t.Helper()
	var list struct{ Jobs []api.JobSummary }
	if code := call(t, "GET", base+"/v1/jobs", "", "", &list); code != http.StatusOK {
		t.Fatalf("GET %s/v1/jobs: %d", base, code)
	}
	out := map[string]api.JobSummary{}
	for _, j := range list.Jobs {
		out[j.ID] = j
	}
	return out
}

// Two servers of one cluster: a job submitted on A is listed on B with
// owner A; stopping it through B stops it on A (after a savepoint) and
// both show it stopped; a server that joins later replays the log and
// lists every job of the cluster.
func TestClusterSharesJobsAndStops(t *testing.T) {
	brokers := kafka(t)
	a, baseA, _ := clusterServer(t, brokers, t.TempDir(), "A", 20*time.Second)
	_, baseB, _ := clusterServer(t, brokers, t.TempDir(), "B", 20*time.Second)
	if a.ID() != "A" {
		t.Fatalf("server id %q, want A", a.ID())
	}

	id := submit(t, baseA, "", endlessJob)
	if j := jobList(t, baseA)[id]; j.Owner != "A" || j.Status != "RUNNING" {
		t.Fatalf("on A: %+v", j)
	}
	waitFor(t, "B to list A's job", func() bool {
		j, ok := jobList(t, baseB)[id]
		return ok && j.Owner == "A" && j.Status == "RUNNING"
	})
	var d api.JobDetail
	waitFor(t, "rows on A", func() bool {
		call(t, "GET", baseA+"/v1/jobs/"+id, "", "", &d)
		return d.RowsOut > 0 && d.LastCheckpoint > 0 && len(d.Vertices) == 3
	})
	// B serves the record (statements included), not the live figures.
	var onB api.JobDetail
	if code := call(t, "GET", baseB+"/v1/jobs/"+id, "", "", &onB); code != http.StatusOK {
		t.Fatalf("GET the job on B: %d", code)
	}
	if onB.Owner != "A" || onB.Status != "RUNNING" || len(onB.Statements) != 3 ||
		!strings.HasPrefix(onB.Statements[2], "INSERT INTO sink") || onB.RowsOut != 0 || len(onB.Vertices) != 0 {
		t.Fatalf("the job on B: %+v", onB)
	}
	// A savepoint without a stop is served by the owner only.
	var e struct{ Error string }
	if code := call(t, "POST", baseB+"/v1/jobs/"+id+"/savepoints", "", "", &e); code != http.StatusConflict || !strings.Contains(e.Error, "server A") {
		t.Fatalf("savepoint through B: %d %q", code, e.Error)
	}

	var stopped struct{ Status, Savepoint, Owner, Error string }
	if code := call(t, "POST", baseB+"/v1/jobs/"+id+"/stop", "", `{"savepoint": true}`, &stopped); code != http.StatusOK {
		t.Fatalf("stop through B: %d %s", code, stopped.Error)
	}
	if stopped.Status != "STOPPED" || stopped.Savepoint == "" || stopped.Owner != "A" {
		t.Fatalf("stop through B answered %+v", stopped)
	}
	if l := a.liveJob(id); l == nil || !l.job.Ended() {
		t.Fatal("the job still runs on A")
	}
	call(t, "GET", baseA+"/v1/jobs/"+id, "", "", &d)
	if d.Status != "STOPPED" || d.Savepoint != stopped.Savepoint {
		t.Fatalf("on A after the stop: %s %q, want STOPPED %q", d.Status, d.Savepoint, stopped.Savepoint)
	}
	if j := jobList(t, baseB)[id]; j.Status != "STOPPED" {
		t.Fatalf("on B after the stop: %+v", j)
	}
	if code := call(t, "POST", baseB+"/v1/jobs/"+id+"/stop", "", "", &e); code != http.StatusConflict {
		t.Fatalf("second stop through B: %d %q, want 409", code, e.Error)
	}

	finished := submit(t, baseB, "", boundedJob)
	waitFor(t, "A to see B's job finish", func() bool {
		j, ok := jobList(t, baseA)[finished]
		return ok && j.Owner == "B" && j.Status == "FINISHED"
	})

	// C joins later and replays the log.
	_, baseC, _ := clusterServer(t, brokers, t.TempDir(), "C", 20*time.Second)
	waitFor(t, "C to list every job", func() bool {
		jobs := jobList(t, baseC)
		return len(jobs) == 2 && jobs[id].Owner == "A" && jobs[id].Status == "STOPPED" &&
			jobs[finished].Owner == "B" && jobs[finished].Status == "FINISHED"
	})
	var onC api.JobDetail
	call(t, "GET", baseC+"/v1/jobs/"+id, "", "", &onC)
	if onC.Savepoint != stopped.Savepoint {
		t.Fatalf("savepoint on C: %q, want %q", onC.Savepoint, stopped.Savepoint)
	}
}

// A stop of a job whose server is down times out with an error naming
// that server; the request stays in the log, and the server applies it
// when it starts again (it resumes the job, then stops it). Its generated
// id is kept in its data directory across the restart.
func TestClusterStopWaitsForItsOwner(t *testing.T) {
	brokers := kafka(t)
	dirA := t.TempDir()
	a, baseA, stopA := clusterServer(t, brokers, dirA, "", 20*time.Second)
	owner := a.ID()
	if owner == "" || strings.ContainsAny(owner, " /") {
		t.Fatalf("generated server id %q", owner)
	}
	_, baseB, _ := clusterServer(t, brokers, t.TempDir(), "B", time.Second)
	id := submit(t, baseA, "", endlessJob)
	var d api.JobDetail
	waitFor(t, "a checkpoint on A", func() bool {
		call(t, "GET", baseA+"/v1/jobs/"+id, "", "", &d)
		return d.LastCheckpoint > 0
	})
	waitFor(t, "B to list A's job", func() bool { return jobList(t, baseB)[id].Owner == owner })

	stopA() // A goes away: its job stays RUNNING, in its registry and on B
	if j := jobList(t, baseB)[id]; j.Status != "RUNNING" || j.Owner != owner {
		t.Fatalf("on B with A down: %+v", j)
	}
	var e struct{ Error string }
	if code := call(t, "POST", baseB+"/v1/jobs/"+id+"/stop", "", "", &e); code != http.StatusGatewayTimeout || !strings.Contains(e.Error, "server "+owner) {
		t.Fatalf("stop through B with A down: %d %q, want 504 naming %s", code, e.Error, owner)
	}

	a2, baseA2, _ := clusterServer(t, brokers, dirA, "", 20*time.Second)
	if a2.ID() != owner {
		t.Fatalf("id after the restart %q, want %q", a2.ID(), owner)
	}
	waitFor(t, "the restarted A to apply the stop", func() bool {
		call(t, "GET", baseA2+"/v1/jobs/"+id, "", "", &d)
		return d.Status == "STOPPED"
	})
	if d.Resumes != 1 {
		t.Fatalf("resumes %d, want 1 (resumed, then stopped)", d.Resumes)
	}
	waitFor(t, "B to see the job stopped", func() bool { return jobList(t, baseB)[id].Status == "STOPPED" })
}

func TestClusterConfigErrors(t *testing.T) {
	for _, cfg := range []Config{
		{DataDir: t.TempDir(), ClusterName: "c1"},
		{DataDir: t.TempDir(), ClusterBootstrapServers: []string{"127.0.0.1:9092"}},
		{DataDir: t.TempDir(), ServerID: "A"},
		{DataDir: t.TempDir(), ClusterName: "c1", ClusterBootstrapServers: []string{"127.0.0.1:1"}, ServerID: "a b"},
	} {
		if _, err := New(cfg); err == nil {
			t.Errorf("New(%+v) accepted the configuration", cfg)
		}
	}
}

// When the owner cannot stop the job (its savepoint failed), it answers
// through the log and the server that received the stop answers 500
// naming the owner. The owner here is played by the test on the log.
func TestClusterStopFailureComesBack(t *testing.T) {
	brokers := kafka(t)
	_, baseB, _ := clusterServer(t, brokers, t.TempDir(), "B", 20*time.Second)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	owner, err := cluster.OpenCommandLog(ctx, brokers, "c1")
	if err != nil {
		t.Fatal(err)
	}
	defer owner.Close()
	rec, _ := json.Marshal(jobCommand{Owner: "X", Job: JobRecord{ID: "j1", Name: "INSERT INTO t ...",
		Statements: []string{"INSERT INTO t SELECT 1"}, Status: "RUNNING", Submitted: time.Now()}})
	if _, err := owner.Append(ctx, "job/j1", rec); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "B to list X's job", func() bool { return jobList(t, baseB)["j1"].Owner == "X" })

	followCtx, stopFollowing := context.WithCancel(ctx)
	followed := make(chan error, 1)
	go func() {
		followed <- owner.Follow(followCtx, func(c cluster.Command) {
			if c.Key != "stop/j1" || c.Value == nil {
				return
			}
			var sc stopCommand
			if json.Unmarshal(c.Value, &sc) != nil || sc.Failed != "" || sc.Owner != "X" || sc.From != "B" || !sc.Savepoint {
				return
			}
			sc.Failed = "savepoint failed: disk full"
			v, _ := json.Marshal(sc)
			owner.Append(ctx, "stop/j1", v)
		})
	}()
	defer func() {
		stopFollowing()
		if err := <-followed; err != nil {
			t.Errorf("Follow: %v", err)
		}
	}()
	var e struct{ Error string }
	code := call(t, "POST", baseB+"/v1/jobs/j1/stop", "", `{"savepoint": true}`, &e)
	if code != http.StatusInternalServerError || !strings.Contains(e.Error, "server X") || !strings.Contains(e.Error, "disk full") {
		t.Fatalf("stop through B: %d %q, want 500 naming X and the reason", code, e.Error)
	}
	if j := jobList(t, baseB)["j1"]; j.Status != "RUNNING" {
		t.Fatalf("after the failed stop: %+v", j)
	}
}

// GET /v1/cluster lists every server the log announced with its state and
// the jobs it owns: up while it announces itself, stopped after it shut
// down, unreachable when its last announcement is old; a server on its
// own shows itself alone.
func TestClusterView(t *testing.T) {
	brokers := kafka(t)
	start := func(dir, id string) (string, func()) {
		_, base, stop := startConfigured(t, Config{DataDir: dir, CheckpointInterval: 100 * time.Millisecond, Listen: "127.0.0.1:0",
			ClusterName: "c1", ClusterBootstrapServers: brokers, ServerID: id, ClusterHeartbeat: 100 * time.Millisecond})
		return base, stop
	}
	baseA, _ := start(t.TempDir(), "A")
	baseB, stopB := start(t.TempDir(), "B")
	jobB := submit(t, baseB, "", boundedJob)

	// a server that announced itself an hour ago and was not seen since
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	l, err := cluster.OpenCommandLog(ctx, brokers, "c1")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	old := time.Now().Add(-time.Hour).UnixMilli()
	z, _ := json.Marshal(serverCommand{ID: "Z", Listen: "10.0.0.9:8081", Started: old, Seen: old})
	if _, err := l.Append(ctx, "server/Z", z); err != nil {
		t.Fatal(err)
	}

	view := func() map[string]api.ClusterServer {
		var v api.ClusterView
		if code := call(t, "GET", baseA+"/v1/cluster", "", "", &v); code != http.StatusOK {
			t.Fatalf("GET /v1/cluster: %d", code)
		}
		if v.Name != "c1" || v.Server != "A" {
			t.Fatalf("cluster %q answered by %q", v.Name, v.Server)
		}
		out := map[string]api.ClusterServer{}
		for _, s := range v.Servers {
			out[s.ID] = s
		}
		return out
	}
	waitFor := func(what string, ok func(map[string]api.ClusterServer) bool) {
		t.Helper()
		deadline := time.Now().Add(20 * time.Second)
		for {
			v := view()
			if ok(v) {
				return
			}
			if time.Now().After(deadline) {
				t.Fatalf("%s: %+v", what, v)
			}
			time.Sleep(20 * time.Millisecond)
		}
	}
	waitFor("A and B up, B owning its finished job, Z unreachable", func(v map[string]api.ClusterServer) bool {
		b := v["B"]
		return v["A"].State == "up" && b.State == "up" && len(b.Jobs) == 1 && b.Jobs[0].ID == jobB &&
			b.Jobs[0].Status == "FINISHED" && b.LastSeen != nil && v["Z"].State == "unreachable" && v["Z"].Listen == "10.0.0.9:8081"
	})
	// SHOW CLUSTER over the statement API says the same, as rows.
	showCluster := func(base string) (api.StatementResult, map[string][]string) {
		t.Helper()
		body, _ := json.Marshal(map[string]string{"statements": "SHOW TABLES; SHOW CLUSTER;"})
		var res struct {
			Error   string
			Results []api.StatementResult
		}
		if code := call(t, "POST", base+"/v1/statements", "", string(body), &res); code != http.StatusOK || len(res.Results) != 2 {
			t.Fatalf("SHOW CLUSTER: %d %q %+v", code, res.Error, res.Results)
		}
		r := res.Results[1]
		rows := map[string][]string{}
		for _, row := range r.Rows {
			rows[row[0]] = row
		}
		return r, rows
	}
	r, rows := showCluster(baseA)
	if want := []string{"server id", "status", "address", "last heard", "jobs", "job ids"}; !slices.Equal(r.Columns, want) || r.Statement != 2 {
		t.Fatalf("SHOW CLUSTER: statement %d, columns %q, want %q", r.Statement, r.Columns, want)
	}
	if len(r.Rows) != 3 || r.Rows[0][0] != "A" || r.Rows[1][0] != "B" || r.Rows[2][0] != "Z" {
		t.Fatalf("SHOW CLUSTER rows, want A, B, Z: %q", r.Rows)
	}
	if a := rows["A"]; a[1] != "up" || !strings.HasPrefix(a[2], "127.0.0.1:") || !strings.HasSuffix(a[3], "s ago") || a[4] != "0" || a[5] != "" {
		t.Errorf("SHOW CLUSTER row of A: %q", a)
	}
	if b := rows["B"]; b[1] != "up" || !strings.HasSuffix(b[3], "s ago") || b[4] != "1" || b[5] != jobB {
		t.Errorf("SHOW CLUSTER row of B: %q (its job %s)", b, jobB)
	}
	if z := rows["Z"]; z[1] != "unreachable" || z[2] != "10.0.0.9:8081" || !strings.HasPrefix(z[3], "1h0m") || z[4] != "0" {
		t.Errorf("SHOW CLUSTER row of Z: %q", z)
	}
	stopB()
	waitFor("B stopped, still owning its job", func(v map[string]api.ClusterServer) bool {
		return v["B"].State == "stopped" && len(v["B"].Jobs) == 1 && v["A"].State == "up"
	})
	if _, rows := showCluster(baseA); rows["B"][1] != "stopped" || rows["B"][5] != jobB {
		t.Errorf("SHOW CLUSTER row of B after it stopped: %q", rows["B"])
	}

	// a server on its own
	s, err := New(Config{DataDir: t.TempDir(), Listen: "127.0.0.1:8081"})
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(s.Handler())
	defer ts.Close()
	var v api.ClusterView
	if code := call(t, "GET", ts.URL+"/v1/cluster", "", "", &v); code != http.StatusOK || v.Name != "" ||
		len(v.Servers) != 1 || v.Servers[0].State != "up" || v.Servers[0].Listen != "127.0.0.1:8081" || len(v.Servers[0].Jobs) != 0 {
		t.Fatalf("a server on its own: %d %+v", code, v)
	}
	if r, _ := showCluster(ts.URL); r.Columns != nil || r.Message != engine.NotClustered {
		t.Fatalf("SHOW CLUSTER on a server on its own: %+v", r)
	}
}

// crash stops a clustered server the way a killed process stops: it no
// longer follows the log nor announces itself, its jobs end without a
// last checkpoint and without a record of their end, and it does not
// announce that it stopped.
func crash(s *Server) {
	s.mu.Lock()
	s.closing = true
	var live []*liveJob
	for _, l := range s.live {
		live = append(live, l)
	}
	s.mu.Unlock()
	s.cluster.stopFollowing()
	for _, l := range live {
		l.job.Stop()
		<-l.job.Done()
	}
}

// A server that goes away without a word: the other server takes its
// running job over once it has not heard from it for three heartbeats,
// restores the job's newest checkpoint from the checkpoint directory they
// share, and numbers its own checkpoints above the previous owner's range.
// The first server, started again, finds the job taken over and leaves it
// alone.
func TestClusterFailoverTakesOverTheJobOfAServerThatWentAway(t *testing.T) {
	brokers := kafka(t)
	shared := t.TempDir()
	cfg := func(dir, id string) Config {
		c := failoverConfig(t, brokers, shared, id)
		c.DataDir = dir
		return c
	}
	dirA := t.TempDir()
	a, baseA, stopA := startConfigured(t, cfg(dirA, "A"))
	b, baseB, _ := startConfigured(t, cfg(t.TempDir(), "B"))

	id := submit(t, baseA, "", endlessJob)
	var d api.JobDetail
	waitFor(t, "checkpoints on A", func() bool {
		call(t, "GET", baseA+"/v1/jobs/"+id, "", "", &d)
		return d.LastCheckpoint >= 3
	})
	if j := jobList(t, baseA)[id]; j.Epoch != 1 {
		t.Fatalf("epoch of a submitted job: %+v", j)
	}
	crash(a)
	lastOfA := a.liveJob(id).job.LastCheckpoint().CheckpointID
	stopA()

	waitFor(t, "B to take the job over", func() bool {
		j := jobList(t, baseB)[id]
		return j.Owner == "B" && j.Status == "RUNNING" && j.Epoch == 2 && b.liveJob(id) != nil
	})
	l := b.liveJob(id)
	at := l.job.Attempts()
	if len(at) == 0 || at[0].RestoredID != lastOfA {
		t.Fatalf("B's attempts %+v: want the first to restore A's last checkpoint %d", at, lastOfA)
	}
	rec, _ := b.reg.get(id)
	if rec.Epoch != 2 || rec.RestoredID != lastOfA || rec.IDBase < engine.CheckpointIDsPerEpoch || len(rec.Statements) != 3 {
		t.Fatalf("B's record: %+v", rec)
	}
	waitFor(t, "a checkpoint of B", func() bool {
		md := l.job.LastCheckpoint()
		return md != nil && md.CheckpointID > rec.IDBase
	})

	// A starts again: the log says B owns the job at a later epoch.
	a2, baseA2, _ := startConfigured(t, cfg(dirA, "A"))
	if a2.liveJob(id) != nil {
		t.Fatal("A resumed a job that B took over")
	}
	if _, ok := a2.reg.get(id); ok {
		t.Fatal("A's registry still holds the job B took over")
	}
	if j := jobList(t, baseA2)[id]; j.Owner != "B" || j.Status != "RUNNING" {
		t.Fatalf("on A after its restart: %+v", j)
	}
	if b.liveJob(id) == nil || b.liveJob(id).job.Ended() {
		t.Fatal("the job no longer runs on B")
	}
}

// A stop sent while the job's owner is gone times out naming the owner;
// the server that then takes the job over applies the request: the job
// ends STOPPED (with a savepoint, as asked) instead of running on.
func TestClusterTakeoverAppliesAPendingStop(t *testing.T) {
	brokers := kafka(t)
	shared := t.TempDir()
	cfg := func(id string) Config {
		c := failoverConfig(t, brokers, shared, id)
		c.ClusterStopTimeout = 200 * time.Millisecond
		return c
	}
	a, baseA, stopA := startConfigured(t, cfg("A"))
	b, baseB, _ := startConfigured(t, cfg("B"))
	id := submit(t, baseA, "", endlessJob)
	var d api.JobDetail
	waitFor(t, "a checkpoint on A", func() bool {
		call(t, "GET", baseA+"/v1/jobs/"+id, "", "", &d)
		return d.LastCheckpoint >= 1
	})
	waitFor(t, "B to list A's job", func() bool { return jobList(t, baseB)[id].Owner == "A" })
	crash(a)
	stopA()
	var e struct{ Error string }
	if code := call(t, "POST", baseB+"/v1/jobs/"+id+"/stop", "", `{"savepoint": true}`, &e); code != http.StatusGatewayTimeout || !strings.Contains(e.Error, "server A") {
		t.Fatalf("stop with A gone: %d %q, want 504 naming A", code, e.Error)
	}
	waitFor(t, "B to take the job over and stop it", func() bool {
		rec, ok := b.reg.get(id)
		return ok && rec.Epoch == 2 && rec.Status == "STOPPED"
	})
	rec, _ := b.reg.get(id)
	if rec.Savepoint == "" {
		t.Fatalf("stopped without the savepoint asked for: %+v", rec)
	}
	if j := jobList(t, baseB)[id]; j.Owner != "B" || j.Status != "STOPPED" {
		t.Fatalf("on B: %+v", j)
	}
}

// A record of an earlier owner (a zombie's late status, here written
// straight to the log) is ignored by every server, and the job's owner
// appends its own record again, so that the log, compacted to its newest
// value per key, still names the owner.
func TestClusterStaleRecordIsIgnoredAndOverwritten(t *testing.T) {
	brokers := kafka(t)
	a, baseA, _ := clusterServer(t, brokers, t.TempDir(), "A", 20*time.Second)
	_, baseB, _ := clusterServer(t, brokers, t.TempDir(), "B", 20*time.Second)
	id := submit(t, baseA, "", endlessJob)
	waitFor(t, "B to list A's job", func() bool { return jobList(t, baseB)[id].Owner == "A" })

	rec, _ := a.reg.get(id)
	stale := rec
	stale.Epoch, stale.Status = 0, "FAILED"
	value, _ := json.Marshal(jobCommand{Owner: "Z", Job: stale})
	l, err := cluster.OpenCommandLog(context.Background(), brokers, "c1")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	off, err := l.Append(context.Background(), "job/"+id, value)
	if err != nil {
		t.Fatal(err)
	}
	// The newest value of the key ends up A's record again.
	waitFor(t, "A to append its record after the stale one", func() bool {
		var last jobCommand
		found := false
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		r, err := cluster.OpenCommandLog(ctx, brokers, "c1")
		if err != nil {
			t.Fatal(err)
		}
		defer r.Close()
		mark, err := r.Append(ctx, "test/mark", []byte("x"))
		if err != nil {
			t.Fatal(err)
		}
		r.Follow(ctx, func(cmd cluster.Command) {
			if cmd.Key == "job/"+id && cmd.Offset > off {
				json.Unmarshal(cmd.Value, &last)
				found = true
			}
			if cmd.Offset >= mark {
				cancel()
			}
		})
		return found && last.Owner == "A" && last.Job.Epoch == 1 && last.Job.Status == "RUNNING"
	})
	for _, base := range []string{baseA, baseB} {
		if j := jobList(t, base)[id]; j.Owner != "A" || j.Status != "RUNNING" || j.Epoch != 1 {
			t.Fatalf("on %s: %+v", base, j)
		}
	}
}

// A server cut off from its cluster's log (its jobs still running, as a
// frozen or partitioned server's would) holds its checkpoints back once
// its last announcement is two heartbeats old, without failing the job;
// the server that takes the job over a heartbeat later restores the last
// checkpoint the cut-off server completed, and that one completes no
// other.
func TestClusterLeaseHoldsBackCheckpointsOfACutOffServer(t *testing.T) {
	brokers := kafka(t)
	shared := t.TempDir()
	cfg := func(id string) Config {
		c := failoverConfig(t, brokers, shared, id)
		c.CheckpointInterval, c.ClusterHeartbeat = 50*time.Millisecond, 200*time.Millisecond
		return c
	}
	a, baseA, _ := startConfigured(t, cfg("A"))
	b, baseB, _ := startConfigured(t, cfg("B"))
	id := submit(t, baseA, "", endlessJob)
	waitFor(t, "checkpoints on A, B listing the job", func() bool {
		l := a.liveJob(id)
		return l != nil && l.job.LastCheckpoint() != nil && l.job.LastCheckpoint().CheckpointID >= 3 && jobList(t, baseB)[id].Owner == "A"
	})
	a.cluster.stopFollowing() // cut off: no announcements, no log; the job runs on
	waitFor(t, "B to take the job over", func() bool {
		l := b.liveJob(id)
		return l != nil && len(l.job.Attempts()) > 0
	})
	restored := b.liveJob(id).job.Attempts()[0].RestoredID
	time.Sleep(time.Second) // five heartbeats for A to complete a checkpoint it must not
	la := a.liveJob(id)
	if st, err := la.job.Status(); st != engine.JobRunning {
		t.Fatalf("the job on the cut-off A: %s %v, want it running, its checkpoints held back", st, err)
	}
	if last := la.job.LastCheckpoint().CheckpointID; last != restored {
		t.Fatalf("A's last completed checkpoint is %d, B restored %d: A completed a checkpoint B could not see", last, restored)
	}
	var d api.JobDetail
	call(t, "GET", baseA+"/v1/jobs/"+id, "", "", &d)
	if d.LastCheckpoint != restored {
		t.Fatalf("A's job detail shows checkpoint %d, want %d", d.LastCheckpoint, restored)
	}
}

// Only servers that share a checkpoint directory take each other's jobs
// over: a server without one (its jobs checkpoint under its own data
// directory) takes nothing over, and one with another directory does not
// take over the jobs of a server whose checkpoints it cannot read.
func TestClusterNoFailoverWithoutSharedCheckpoints(t *testing.T) {
	brokers := kafka(t)
	cfg := func(id, checkpoints string) Config {
		return Config{DataDir: t.TempDir(), CheckpointInterval: 100 * time.Millisecond, CheckpointDir: checkpoints,
			ClusterName: "c1", ClusterBootstrapServers: brokers, ServerID: id, ClusterHeartbeat: 100 * time.Millisecond}
	}
	a, baseA, stopA := startConfigured(t, cfg("A", t.TempDir()))
	b, baseB, _ := startConfigured(t, cfg("B", ""))
	c, _, _ := startConfigured(t, cfg("C", t.TempDir()))
	id := submit(t, baseA, "", endlessJob)
	waitFor(t, "a checkpoint on A, B listing the job", func() bool {
		l := a.liveJob(id)
		return l != nil && l.job.LastCheckpoint() != nil && jobList(t, baseB)[id].Owner == "A"
	})
	crash(a)
	stopA()
	time.Sleep(time.Second) // ten heartbeats
	if b.liveJob(id) != nil || c.liveJob(id) != nil {
		t.Fatal("a server that does not share A's checkpoint directory took A's job over")
	}
	if j := jobList(t, baseB)[id]; j.Owner != "A" || j.Status != "RUNNING" || j.Epoch != 1 {
		t.Fatalf("on B: %+v", j)
	}
}

// A claim stands only if the previous owner has not announced itself
// since the announcement the claimant judged it gone by: a claim judged on
// an older announcement (the owner came back, or had not gone) is void
// and the owner keeps its job; one judged on its newest announcement takes
// the job, and the owner gives it up. (Long heartbeats: the test makes A
// announce itself.)
func TestClusterClaimJudgedOnAnOldAnnouncementIsVoid(t *testing.T) {
	brokers := kafka(t)
	cfg := func(id string) Config {
		return Config{DataDir: t.TempDir(), CheckpointInterval: 100 * time.Millisecond,
			ClusterName: "c1", ClusterBootstrapServers: brokers, ServerID: id, ClusterHeartbeat: time.Minute}
	}
	a, baseA, _ := startConfigured(t, cfg("A"))
	_, baseB, _ := startConfigured(t, cfg("B"))
	id := submit(t, baseA, "", endlessJob)
	waitFor(t, "B to list A's job", func() bool { return jobList(t, baseB)[id].Owner == "A" })
	announced := func() int64 {
		a.cluster.mu.Lock()
		defer a.cluster.mu.Unlock()
		return a.cluster.announced["A"]
	}
	old := announced()
	if err := a.renewLease(context.Background()); err != nil {
		t.Fatal(err)
	}
	newest := announced()
	if newest <= old {
		t.Fatalf("A's announcement offsets: %d then %d", old, newest)
	}
	l, err := cluster.OpenCommandLog(context.Background(), brokers, "c1")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	rec, _ := a.reg.get(id)
	claim := func(judged int64) {
		t.Helper()
		c := rec
		c.Epoch = 2
		value, _ := json.Marshal(jobCommand{Owner: "Z", Job: c, Run: rec.Statements, Judged: judged})
		off, err := l.Append(context.Background(), "job/"+id, value)
		if err != nil {
			t.Fatal(err)
		}
		waitApplied(t, a, off)
	}
	claim(old)
	if !a.ownsNow(id) || a.liveJob(id) == nil || a.liveJob(id).job.Ended() {
		t.Fatal("a claim judged on an old announcement of A took A's job")
	}
	waitFor(t, "B to show A still owning the job", func() bool {
		j := jobList(t, baseB)[id]
		return j.Owner == "A" && j.Epoch == 1
	})
	claim(newest)
	waitFor(t, "A to give the job up", func() bool {
		_, ok := a.reg.get(id)
		return !ok && (a.liveJob(id) == nil || a.liveJob(id).job.Ended())
	})
	waitFor(t, "B to show Z owning the job", func() bool {
		j := jobList(t, baseB)[id]
		return j.Owner == "Z" && j.Epoch == 2
	})
}

// A stop request is applied once even when two paths come to it (the
// log's follower, and a takeover that found it pending): the second finds
// it applied and leaves it, and the job ends STOPPED with no failure
// reported.
func TestClusterStopRequestAppliedOnce(t *testing.T) {
	brokers := kafka(t)
	var mu sync.Mutex
	stops := 0
	logger := slog.New(hookHandler{fn: func(msg string) {
		if strings.HasPrefix(msg, "stopping the job at the request of another server") {
			mu.Lock()
			stops++
			mu.Unlock()
		}
	}})
	a, baseA, _ := startConfigured(t, Config{DataDir: t.TempDir(), CheckpointInterval: 100 * time.Millisecond,
		ClusterName: "c1", ClusterBootstrapServers: brokers, ServerID: "A", Logger: logger})
	id := submit(t, baseA, "", endlessJob)
	var d api.JobDetail
	waitFor(t, "a checkpoint on A", func() bool {
		call(t, "GET", baseA+"/v1/jobs/"+id, "", "", &d)
		return d.LastCheckpoint > 0
	})
	sc := stopCommand{Request: "once", From: "B", Owner: "A", Savepoint: true}
	a.applyStop("stop/"+id, id, sc)
	a.applyStop("stop/"+id, id, sc)
	waitFor(t, "the job to stop", func() bool {
		rec, _ := a.reg.get(id)
		return rec.Status == "STOPPED"
	})
	// Once the stop paths ended, their appends are in the log before
	// this mark.
	a.wg.Wait()
	off, err := a.cluster.log.Append(context.Background(), "test/mark", []byte("x"))
	if err != nil {
		t.Fatal(err)
	}
	waitApplied(t, a, off)
	a.cluster.mu.Lock()
	failed := a.cluster.failures["once"]
	a.cluster.mu.Unlock()
	mu.Lock()
	n := stops
	mu.Unlock()
	if n != 1 || failed != "" {
		t.Fatalf("the request was applied %d times (failure reported: %q), want once", n, failed)
	}
}
