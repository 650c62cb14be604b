package server

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

	"github.com/streamsql/streamsql/api"
)

// A job that keeps running: datagen at 2,000 rows/s into a blackhole.
const endlessJob = `
CREATE TABLE src (k BIGINT, v BIGINT) WITH ('connector' = 'datagen', 'rows-per-second' = '2000', 'fields.k.min' = '0', 'fields.k.max' = '9');
CREATE TABLE sink (k BIGINT, v BIGINT) WITH ('connector' = 'blackhole');
INSERT INTO sink SELECT k, v FROM src WHERE v > 0;
`

func startServer(t *testing.T, dir string, token string) (*Server, *httptest.Server) {
	t.Helper()
	s, err := New(Config{DataDir: dir, AuthToken: token, CheckpointInterval: 100 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Start(); err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(s.Handler())
	t.Cleanup(ts.Close)
	// Jobs still running when the test ends stop before its temporary
	// directory is removed (cleanups run last-registered first).
	t.Cleanup(func() { s.Shutdown(5 * time.Second) })
	return s, ts
}

// call sends a request and decodes the JSON answer into out (when not nil).
func call(t testing.TB, method, url, token, body string, out any) int {
	t.Helper()
	req, err := http.NewRequest(method, url, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	if out != nil {
		if err := json.Unmarshal(data, out); err != nil {
			t.Fatalf("%s %s: not JSON (%v): %s", method, url, err, data)
		}
	}
	return resp.StatusCode
}

func submit(t testing.TB, base, token, script string) string {
	t.Helper()
	body, _ := json.Marshal(map[string]string{"statements": script})
	var res struct {
		Error   string                `json:"error"`
		Results []api.StatementResult `json:"results"`
	}
	if code := call(t, "POST", base+"/v1/statements", token, string(body), &res); code != http.StatusOK {
		t.Fatalf("submit: %d %s", code, res.Error)
	}
	for _, r := range res.Results {
		if r.JobID != "" {
			return r.JobID
		}
	}
	t.Fatalf("no job started: %+v", res.Results)
	return ""
}

// waitFor polls cond every 50 ms for up to 20 s.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func TestSubmitWatchAndStopWithSavepoint(t *testing.T) {
	_, ts := startServer(t, t.TempDir(), "")
	id := submit(t, ts.URL, "", endlessJob)

	var d api.JobDetail
	waitFor(t, "rows and a checkpoint", func() bool {
		call(t, "GET", ts.URL+"/v1/jobs/"+id, "", "", &d)
		return d.RowsOut > 0 && d.LastCheckpoint > 0
	})
	if d.Status != "RUNNING" {
		t.Fatalf("status %s, want RUNNING", d.Status)
	}
	// Source, Calc (filter), Sink.
	if len(d.Vertices) != 3 {
		t.Fatalf("%d vertices, want 3: %+v", len(d.Vertices), d.Vertices)
	}
	if !strings.HasPrefix(d.Vertices[0].Name, "Source src") || len(d.Vertices[1].Inputs) != 1 || d.Vertices[1].Inputs[0].From != d.Vertices[0].ID {
		t.Fatalf("graph: %+v", d.Vertices)
	}
	// At parallelism 1 the three run as one task (operator chaining).
	if !d.Vertices[1].Inputs[0].Chained || !d.Vertices[2].Inputs[0].Chained {
		t.Fatalf("the Calc and the sink are not shown chained: %+v", d.Vertices)
	}
	if len(d.Statements) != 3 || !strings.HasPrefix(d.Statements[2], "INSERT INTO sink") {
		t.Fatalf("statements: %q", d.Statements)
	}
	for _, v := range d.Vertices {
		if len(v.Subtasks) != v.Parallelism || v.Backpressure == "" || v.Status != "RUNNING" {
			t.Fatalf("vertex %s: %d subtasks for parallelism %d, backpressure %q", v.Name, len(v.Subtasks), v.Parallelism, v.Backpressure)
		}
	}
	// Rates are the server's, over the last second: the throttled source
	// (2,000 rows/s) reads at a positive rate, is not backpressured, and
	// spends most of its time waiting for its rate limit (idle, not busy).
	waitFor(t, "a source rate", func() bool {
		call(t, "GET", ts.URL+"/v1/jobs/"+id, "", "", &d)
		return d.Vertices[0].RowsInPerSec > 0 && d.Vertices[0].Subtasks[0].RowsInPerSec > 0
	})
	waitFor(t, "a second rate sample", func() bool {
		time.Sleep(1100 * time.Millisecond)
		call(t, "GET", ts.URL+"/v1/jobs/"+id, "", "", &d)
		return true
	})
	if src := d.Vertices[0]; src.Backpressure != "ok" || src.BackpressureRatio > 0.1 || src.BusyRatio > 0.5 || src.Subtasks[0].IdleRatio < 0.5 || src.PendingRecords != nil {
		t.Fatalf("source: backpressure %s (%v), busy %v, pending %v", src.Backpressure, src.BackpressureRatio, src.BusyRatio, src.PendingRecords)
	}

	var list struct{ Jobs []api.JobSummary }
	call(t, "GET", ts.URL+"/v1/jobs", "", "", &list)
	if len(list.Jobs) != 1 || list.Jobs[0].ID != id {
		t.Fatalf("job list: %+v", list.Jobs)
	}

	var cps struct {
		Completed int64
		History   []api.CheckpointView
	}
	call(t, "GET", ts.URL+"/v1/jobs/"+id+"/checkpoints", "", "", &cps)
	if cps.Completed == 0 || len(cps.History) == 0 || cps.History[len(cps.History)-1].Size <= 0 {
		t.Fatalf("checkpoints: %+v", cps)
	}
	if last := cps.History[len(cps.History)-1]; last.Status != "COMPLETED" || last.Slowest == nil || last.Slowest.Vertex == "" || last.AlignmentMs < 0 {
		t.Fatalf("last checkpoint: %+v (slowest %+v)", last, last.Slowest)
	}

	var stopped struct {
		Status, Savepoint, Error string
	}
	if code := call(t, "POST", ts.URL+"/v1/jobs/"+id+"/stop", "", `{"savepoint": true}`, &stopped); code != http.StatusOK {
		t.Fatalf("stop: %d %s", code, stopped.Error)
	}
	if stopped.Status != "STOPPED" || stopped.Savepoint == "" {
		t.Fatalf("stop answered %+v", stopped)
	}
	if _, err := os.Stat(filepath.Join(stopped.Savepoint, "_metadata")); err != nil {
		t.Fatalf("savepoint %s: %v", stopped.Savepoint, err)
	}
	call(t, "GET", ts.URL+"/v1/jobs/"+id, "", "", &d)
	if d.Status != "STOPPED" || d.Savepoint != stopped.Savepoint {
		t.Fatalf("after stop: %s %q", d.Status, d.Savepoint)
	}
	// Stopping again is a conflict, not a crash.
	if code := call(t, "POST", ts.URL+"/v1/jobs/"+id+"/stop", "", "", nil); code != http.StatusConflict {
		t.Fatalf("second stop: %d, want 409", code)
	}
}

// A server that goes away while a job runs (here: the job is cut off
// without the registry hearing of it, as when the process is killed)
// resumes it at its next start from the newest complete checkpoint; a
// job that finished stays listed as FINISHED.
func TestRestartResumesRunningJobs(t *testing.T) {
	dir := t.TempDir()
	s1, ts1 := startServer(t, dir, "")
	running := submit(t, ts1.URL, "", endlessJob)
	finished := submit(t, ts1.URL, "", `
CREATE TABLE few (v BIGINT) WITH ('connector' = 'datagen', 'number-of-rows' = '10');
CREATE TABLE drain (v BIGINT) WITH ('connector' = 'blackhole');
INSERT INTO drain SELECT v FROM few;`)
	var d api.JobDetail
	waitFor(t, "a checkpoint of the running job", func() bool {
		call(t, "GET", ts1.URL+"/v1/jobs/"+running, "", "", &d)
		return d.LastCheckpoint >= 2
	})
	waitFor(t, "the bounded job to finish", func() bool {
		call(t, "GET", ts1.URL+"/v1/jobs/"+finished, "", "", &d)
		return d.Status == "FINISHED"
	})
	// The crash: the registry is not told (closing), the job just ends.
	s1.mu.Lock()
	s1.closing = true
	l := s1.live[running]
	s1.mu.Unlock()
	l.job.Stop()
	ts1.Close()

	s2, ts2 := startServer(t, dir, "")
	call(t, "GET", ts2.URL+"/v1/jobs/"+running, "", "", &d)
	if d.Status != "RUNNING" || d.Resumes != 1 {
		t.Fatalf("after restart: status %s, resumes %d", d.Status, d.Resumes)
	}
	// The resumed job keeps its id in the engine too (its log records).
	if l := s2.liveJob(running); l == nil || l.job.ID != running {
		t.Fatalf("the resumed job runs under another id: %+v", l)
	}
	var ex struct {
		Attempts []api.AttemptView
	}
	call(t, "GET", ts2.URL+"/v1/jobs/"+running+"/exceptions", "", "", &ex)
	if len(ex.Attempts) != 1 || ex.Attempts[0].RestoredID < 2 {
		t.Fatalf("the resumed job did not restore a checkpoint: %+v", ex.Attempts)
	}
	waitFor(t, "rows after the restart", func() bool {
		call(t, "GET", ts2.URL+"/v1/jobs/"+running, "", "", &d)
		return d.RowsOut > 0
	})
	call(t, "GET", ts2.URL+"/v1/jobs/"+finished, "", "", &d)
	if d.Status != "FINISHED" || d.Resumes != 0 {
		t.Fatalf("finished job after restart: %s, resumes %d", d.Status, d.Resumes)
	}
	call(t, "POST", ts2.URL+"/v1/jobs/"+running+"/stop", "", "", nil)
}

func TestSubmitErrorsNameTheStatement(t *testing.T) {
	_, ts := startServer(t, t.TempDir(), "")
	var res struct {
		Error     string
		Statement int
	}
	body, _ := json.Marshal(map[string]string{"statements": "CREATE TABLE t (a BIGINT);\nSELEC a FROM t;"})
	if code := call(t, "POST", ts.URL+"/v1/statements", "", string(body), &res); code != http.StatusBadRequest {
		t.Fatalf("status %d", code)
	}
	if res.Statement != 2 || !strings.Contains(res.Error, "line 2") {
		t.Fatalf("error %+v does not name statement 2, line 2", res)
	}
	if code := call(t, "GET", ts.URL+"/v1/jobs/nope", "", "", &res); code != http.StatusNotFound || !strings.Contains(res.Error, "no job nope") {
		t.Fatalf("unknown job: %d %+v", code, res)
	}
	body, _ = json.Marshal(map[string]string{"statements": "CREATE TABLE g (a BIGINT) WITH ('connector' = 'datagen'); SELECT a FROM g; CREATE TABLE t2 (a BIGINT);"})
	var res2 struct {
		Error     string
		Statement int
	}
	if code := call(t, "POST", ts.URL+"/v1/statements", "", string(body), &res2); code != http.StatusBadRequest || res2.Statement != 2 || !strings.Contains(res2.Error, "last statement") {
		t.Fatalf("unbounded SELECT before another statement: %d %+v", code, res2)
	}
}

func TestTokenAndSecrets(t *testing.T) {
	if _, err := New(Config{DataDir: t.TempDir(), Listen: "0.0.0.0:8081"}); err == nil || !strings.Contains(err.Error(), "token") {
		t.Fatalf("a non-loopback listener without a token was accepted: %v", err)
	}
	_, ts := startServer(t, t.TempDir(), "s3cret-token")
	for _, path := range []string{"/v1/jobs", "/metrics"} {
		if code := call(t, "GET", ts.URL+path, "", "", nil); code != http.StatusUnauthorized {
			t.Fatalf("GET %s without the token: %d, want 401", path, code)
		}
		if code := call(t, "GET", ts.URL+path, "wrong", "", nil); code != http.StatusUnauthorized {
			t.Fatalf("GET %s with a wrong token: %d, want 401", path, code)
		}
	}
	id := submit(t, ts.URL, "s3cret-token", `
CREATE TABLE src (v BIGINT) WITH ('connector' = 'datagen', 'rows-per-second' = '100');
CREATE TABLE db (v BIGINT) WITH ('connector' = 'jdbc', 'url' = 'jdbc:mysql://127.0.0.1:3306/test',
  'table-name' = 'never_written', 'username' = 'root', 'password' = 'hunter2');
CREATE TABLE sink (v BIGINT) WITH ('connector' = 'blackhole');
INSERT INTO sink SELECT v FROM src;`)
	defer call(t, "POST", ts.URL+"/v1/jobs/"+id+"/stop", "s3cret-token", "", nil)
	var d api.JobDetail
	call(t, "GET", ts.URL+"/v1/jobs/"+id, "s3cret-token", "", &d)
	if len(d.Statements) != 4 || !strings.Contains(d.Statements[1], "'password' = '") {
		t.Fatalf("the job's statements do not show the masked option: %q", d.Statements)
	}
	for _, path := range []string{"/v1/jobs", "/v1/jobs/" + id, "/v1/jobs/" + id + "/checkpoints", "/metrics"} {
		req, _ := http.NewRequest("GET", ts.URL+path, nil)
		req.Header.Set("Authorization", "Bearer s3cret-token")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		data, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("GET %s: %d", path, resp.StatusCode)
		}
		if bytes.Contains(data, []byte("hunter2")) {
			t.Fatalf("GET %s shows the secret:\n%s", path, data)
		}
	}
}

// /metrics is parsed with Prometheus' own text parser.
func TestMetrics(t *testing.T) {
	_, ts := startServer(t, t.TempDir(), "")
	id := submit(t, ts.URL, "", endlessJob)
	defer call(t, "POST", ts.URL+"/v1/jobs/"+id+"/stop", "", "", nil)
	var families map[string]*dto
	waitFor(t, "metrics with rows and a checkpoint", func() bool {
		families = scrape(t, ts.URL)
		in := families["streamsql_operator_numRecordsIn"]
		cp := families["streamsql_job_numberOfCompletedCheckpoints"]
		return in != nil && in.sum(id) > 0 && cp != nil && cp.sum(id) > 0
	})
	for _, name := range []string{"streamsql_operator_numRecordsOut", "streamsql_operator_numLateRecordsDropped",
		"streamsql_job_numRestarts", "streamsql_job_lastCheckpointDuration", "streamsql_job_lastCheckpointSize", "go_goroutines"} {
		if families[name] == nil {
			t.Errorf("no metric %s", name)
		}
	}
	// One series per subtask: three vertices at parallelism 1, and two
	// instances of the filter at parallelism 2 in the second job.
	if n := families["streamsql_operator_numRecordsIn"].series(id); n != 3 {
		t.Errorf("numRecordsIn has %d series for the job, want one per subtask (3)", n)
	}
	for _, name := range []string{"streamsql_operator_busyTimeMsPerSecond", "streamsql_operator_backPressuredTimeMsPerSecond",
		"streamsql_operator_idleTimeMsPerSecond", "streamsql_operator_stateSize", "streamsql_operator_numRecordsInPerSecond",
		"streamsql_operator_numCommits", "streamsql_operator_commitTimeSeconds"} {
		if f := families[name]; f == nil || f.series(id) == 0 {
			t.Errorf("no metric %s for the job", name)
		}
	}
	for _, s := range families["streamsql_operator_busyTimeMsPerSecond"].samples {
		if s.value < 0 || s.value > 1000 {
			t.Errorf("busyTimeMsPerSecond %v is not within 0..1000", s.value)
		}
	}
	par2 := submit(t, ts.URL, "", `SET 'parallelism.default' = '2';
CREATE TABLE src2 (k BIGINT, v BIGINT) WITH ('connector' = 'datagen', 'rows-per-second' = '1000');
CREATE TABLE sink2 (k BIGINT, c BIGINT) WITH ('connector' = 'blackhole');
INSERT INTO sink2 SELECT k, COUNT(*) FROM src2 GROUP BY k;`)
	defer call(t, "POST", ts.URL+"/v1/jobs/"+par2+"/stop", "", "", nil)
	waitFor(t, "metrics of the parallel job", func() bool {
		f := scrape(t, ts.URL)["streamsql_operator_numRecordsIn"]
		return f != nil && f.series(par2) > 0
	})
	var d api.JobDetail
	call(t, "GET", ts.URL+"/v1/jobs/"+par2, "", "", &d)
	want := 0
	for _, v := range d.Vertices {
		want += v.Parallelism
	}
	if n := scrape(t, ts.URL)["streamsql_operator_numRecordsIn"].series(par2); n != want || want <= len(d.Vertices) {
		t.Errorf("the parallel job has %d numRecordsIn series, want %d (one per subtask of %d vertices)", n, want, len(d.Vertices))
	}
}

// The state size of each subtask is the size of its part of the latest
// completed checkpoint; the operator's is their sum.
func TestStateSizePerSubtask(t *testing.T) {
	_, ts := startServer(t, t.TempDir(), "")
	id := submit(t, ts.URL, "", `SET 'parallelism.default' = '2';
CREATE TABLE src (k BIGINT, v BIGINT) WITH ('connector' = 'datagen', 'rows-per-second' = '2000', 'fields.k.min' = '0', 'fields.k.max' = '999');
CREATE TABLE sink (k BIGINT, c BIGINT) WITH ('connector' = 'blackhole');
INSERT INTO sink SELECT k, COUNT(*) FROM src GROUP BY k;`)
	defer call(t, "POST", ts.URL+"/v1/jobs/"+id+"/stop", "", "", nil)
	var agg api.VertexView
	waitFor(t, "a checkpoint with the aggregate's state", func() bool {
		var d api.JobDetail
		call(t, "GET", ts.URL+"/v1/jobs/"+id, "", "", &d)
		for _, v := range d.Vertices {
			if strings.HasPrefix(v.Name, "GroupAggregate") {
				agg = v
			}
		}
		return len(agg.Subtasks) == 2 && agg.Subtasks[0].StateBytes > 0 && agg.Subtasks[1].StateBytes > 0
	})
	if sum := agg.Subtasks[0].StateBytes + agg.Subtasks[1].StateBytes; sum != agg.StateBytes {
		t.Fatalf("subtask state %d + %d != operator state %d", agg.Subtasks[0].StateBytes, agg.Subtasks[1].StateBytes, agg.StateBytes)
	}
}

// dto is the part of a parsed metric family the test reads.
type dto struct{ samples []sample }

type sample struct {
	job   string
	value float64
}

func (d *dto) sum(job string) float64 {
	var s float64
	for _, x := range d.samples {
		if x.job == job {
			s += x.value
		}
	}
	return s
}

func (d *dto) series(job string) int {
	n := 0
	for _, x := range d.samples {
		if x.job == job {
			n++
		}
	}
	return n
}

func scrape(t *testing.T, base string) map[string]*dto {
	t.Helper()
	resp, err := http.Get(base + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	parser := expfmt.NewTextParser(model.UTF8Validation)
	fams, err := parser.TextToMetricFamilies(resp.Body)
	if err != nil {
		t.Fatalf("the metrics do not parse: %v", err)
	}
	out := map[string]*dto{}
	for name, f := range fams {
		d := &dto{}
		for _, m := range f.GetMetric() {
			s := sample{}
			for _, l := range m.GetLabel() {
				if l.GetName() == "job" {
					s.job = l.GetValue()
				}
			}
			switch {
			case m.Counter != nil:
				s.value = m.Counter.GetValue()
			case m.Gauge != nil:
				s.value = m.Gauge.GetValue()
			}
			d.samples = append(d.samples, s)
		}
		out[name] = d
	}
	return out
}

// Checkpoints that time out are counted as failed, in the REST API and
// in the metrics.
func TestFailedCheckpointsAreCounted(t *testing.T) {
	_, ts := startServer(t, t.TempDir(), "")
	id := submit(t, ts.URL, "", `
SET 'execution.checkpointing.timeout' = '1 ms';
SET 'execution.checkpointing.tolerable-failed-checkpoints' = '1000000';
CREATE TABLE src (k BIGINT, v BIGINT) WITH ('connector' = 'datagen', 'rows-per-second' = '20000', 'fields.k.min' = '0', 'fields.k.max' = '100000');
CREATE TABLE sink (k BIGINT, c BIGINT) WITH ('connector' = 'blackhole');
INSERT INTO sink SELECT k, COUNT(*) FROM src GROUP BY k;`)
	defer call(t, "POST", ts.URL+"/v1/jobs/"+id+"/stop", "", "", nil)
	var cps struct {
		Failed  int64
		History []api.CheckpointView
	}
	waitFor(t, "a failed checkpoint", func() bool {
		call(t, "GET", ts.URL+"/v1/jobs/"+id+"/checkpoints", "", "", &cps)
		return cps.Failed > 0
	})
	failed := false
	for _, c := range cps.History {
		if c.Status == "FAILED" && c.Failure != "" && !c.TriggeredAt.IsZero() {
			failed = true
		}
	}
	if !failed {
		t.Fatalf("the history lists no failed checkpoint with its reason: %+v", cps.History)
	}
	if f := scrape(t, ts.URL)["streamsql_job_numberOfFailedCheckpoints"]; f == nil || f.sum(id) < 1 {
		t.Fatalf("the metrics do not count the failed checkpoints")
	}
}

// Config.Settings (the command's -D) apply to every session: the job's
// checkpoints go under the directory its pipeline.name gives it.
func TestSettingsApplyToSessions(t *testing.T) {
	dir := t.TempDir()
	_, base, _ := startConfigured(t, Config{DataDir: dir, CheckpointInterval: 100 * time.Millisecond,
		Settings: map[string]string{"pipeline.name": "from-settings"}})
	id := submit(t, base, "", endlessJob)
	var d api.JobDetail
	waitFor(t, "a checkpoint", func() bool {
		call(t, "GET", base+"/v1/jobs/"+id, "", "", &d)
		return d.LastCheckpoint > 0
	})
	if _, err := os.Stat(filepath.Join(dir, "checkpoints", "from-settings")); err != nil {
		t.Fatalf("the job's checkpoints are not under the name the settings gave: %v", err)
	}
}
