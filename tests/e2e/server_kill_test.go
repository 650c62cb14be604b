package e2e

import (
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/streamsql/streamsql/internal/testkit"
)

// TestServerKilledResumesJob submits an exactly-once job to `streamsql
// server`, kills the server with SIGKILL after a checkpoint, starts it
// again on the same data directory, and checks that the job resumed by
// itself from that checkpoint and that its output holds every input row
// exactly once.
func TestServerKilledResumesJob(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary")
	}
	bin := testkit.BuildBinary(t)
	data, out := t.TempDir(), t.TempDir()
	const rows = 6000
	script := fmt.Sprintf(`
CREATE TABLE seq (v BIGINT) WITH ('connector' = 'datagen', 'number-of-rows' = '%d', 'rows-per-second' = '1500',
  'fields.v.kind' = 'sequence', 'fields.v.start' = '1', 'fields.v.end' = '%d');
CREATE TABLE files (v BIGINT) WITH ('connector' = 'filesystem', 'path' = '%s', 'format' = 'csv');
INSERT INTO files SELECT v FROM seq;`, rows, rows, out)

	start := func() (*testkit.Process, string) { return startServerProcess(t, bin, data) }
	get := func(base, id string) serverJob { return getServerJob(t, base, id) }
	type job = serverJob

	p1, base := start()
	ids := submitToServer(t, base, script)
	if len(ids) != 1 {
		t.Fatalf("submit started %d jobs", len(ids))
	}
	id := ids[0]
	deadline := time.Now().Add(30 * time.Second)
	for j := get(base, id); j.LastCheckpoint < 2; j = get(base, id) {
		if j.Status != "RUNNING" || time.Now().After(deadline) {
			t.Fatalf("no checkpoint before the kill: %+v\n%s", j, p1.Output())
		}
		time.Sleep(20 * time.Millisecond)
	}
	p1.Kill()
	before := len(testkit.CommittedLines(t, out))
	if before >= rows {
		t.Fatalf("the job wrote everything (%d rows) before the kill: make the input larger", before)
	}
	t.Logf("server killed with %d of %d rows committed", before, rows)

	p2, base := start()
	var j job
	deadline = time.Now().Add(2 * time.Minute)
	for j = get(base, id); j.Status == "RUNNING"; j = get(base, id) {
		if time.Now().After(deadline) {
			t.Fatalf("the resumed job did not finish: %+v\n%s", j, p2.Output())
		}
		time.Sleep(100 * time.Millisecond)
	}
	if j.Status != "FINISHED" || j.Resumes != 1 {
		t.Fatalf("after the restart: %+v\n%s", j, p2.Output())
	}
	if !strings.Contains(p2.Output(), "restores checkpoint") {
		t.Fatalf("the resumed job did not restore a checkpoint:\n%s", p2.Output())
	}
	// The server's log file holds structured records naming the job.
	logData, err := os.ReadFile(filepath.Join(data, "logs", "streamsql.log"))
	if err != nil {
		t.Fatal(err)
	}
	var resumed, restored bool
	for _, l := range strings.Split(strings.TrimSpace(string(logData)), "\n") {
		var rec map[string]any
		if err := json.Unmarshal([]byte(l), &rec); err != nil {
			t.Fatalf("log line %q is not JSON: %v", l, err)
		}
		if rec["job"] != id {
			continue
		}
		msg, _ := rec["msg"].(string)
		resumed = resumed || strings.Contains(msg, "resumed")
		restored = restored || strings.Contains(msg, "restores checkpoint")
	}
	if !resumed || !restored {
		t.Fatalf("the log does not record the resume and the restore of job %s:\n%s", id, logData)
	}
	lines := testkit.CommittedLines(t, out)
	seen := map[int]int{}
	for _, l := range lines {
		v, err := strconv.Atoi(strings.TrimSpace(l))
		if err != nil {
			t.Fatalf("bad output line %q", l)
		}
		seen[v]++
	}
	lost, dup := 0, 0
	for v := 1; v <= rows; v++ {
		switch seen[v] {
		case 0:
			lost++
		case 1:
		default:
			dup += seen[v] - 1
		}
	}
	if lost != 0 || dup != 0 || len(lines) != rows {
		t.Fatalf("%d lines: %d rows lost, %d duplicated", len(lines), lost, dup)
	}
}

// startServerProcess starts `streamsql server` on a free loopback port
// with data under data and a 200 ms checkpoint interval, and returns it
// with its base URL.
func startServerProcess(t *testing.T, bin, data string) (*testkit.Process, string) {
	t.Helper()
	p := testkit.StartProcess(t, exec.Command(bin, "server", "--listen", "127.0.0.1:0", "--data-dir", data, "--checkpoint-interval", "200ms"))
	re := regexp.MustCompile(`listening on (http://\S+)`)
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		if m := re.FindStringSubmatch(p.Output()); m != nil {
			return p, m[1]
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatalf("the server did not start:\n%s", p.Output())
	return nil, ""
}

// serverJob is what the tests read of GET /v1/jobs/{id}.
type serverJob struct {
	ID             string
	Status         string
	Error          string
	Resumes        int
	LastCheckpoint int64 `json:"last_checkpoint"`
	RowsOut        int64 `json:"rows_out"`
	Vertices       []struct {
		Name           string
		PendingRecords *int64 `json:"pending_records"`
		Subtasks       []struct {
			Commits      int64
			LastCommitMs *float64 `json:"last_commit_ms"`
		}
	}
}

// kafkaLagAndCommits reports whether j's Kafka source says how far behind
// the topic's end it is (within 0..events), and whether its MySQL sink
// committed a transaction and timed it.
func kafkaLagAndCommits(j serverJob, events int64) (lag, commits bool) {
	for _, v := range j.Vertices {
		if strings.HasPrefix(v.Name, "Source") && v.PendingRecords != nil && *v.PendingRecords >= 0 && *v.PendingRecords <= events {
			lag = true
		}
		if strings.HasPrefix(v.Name, "Sink") {
			for _, s := range v.Subtasks {
				if s.Commits > 0 && s.LastCommitMs != nil && *s.LastCommitMs >= 0 {
					commits = true
				}
			}
		}
	}
	return lag, commits
}

func getServerJob(t *testing.T, base, id string) serverJob {
	t.Helper()
	resp, err := http.Get(base + "/v1/jobs/" + id)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var j serverJob
	if err := json.NewDecoder(resp.Body).Decode(&j); err != nil {
		t.Fatal(err)
	}
	return j
}

// submitToServer posts a script and returns the ids of the jobs it started.
func submitToServer(t *testing.T, base, script string) []string {
	t.Helper()
	body, _ := json.Marshal(map[string]string{"statements": script})
	resp, err := http.Post(base+"/v1/statements", "application/json", strings.NewReader(string(body)))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var sub struct {
		Error   string
		Results []struct {
			JobID string `json:"job_id"`
		}
	}
	json.NewDecoder(resp.Body).Decode(&sub)
	if sub.Error != "" {
		t.Fatalf("submit: %s", sub.Error)
	}
	var ids []string
	for _, r := range sub.Results {
		if r.JobID != "" {
			ids = append(ids, r.JobID)
		}
	}
	return ids
}

// TestServerKilledKafkaToMySQL is the server's kill test with Kafka and
// MySQL: two checkpointed jobs from a Kafka topic into MariaDB tables are
// submitted to a server, the server is killed with SIGKILL after a
// checkpoint of both, and started again on the same data directory; the
// jobs resume by themselves and finish, and the tables match MariaDB's
// own grouping of the events (nothing lost, nothing counted twice).
func TestServerKilledKafkaToMySQL(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary")
	}
	// Enough events that both jobs still run when the server is killed
	// (checked below): 300,000 were read before the kill on a busy machine.
	const events = 1_000_000
	f := newKafkaMySQLFixture(t, events)
	bin := testkit.BuildBinary(t)
	data := t.TempDir()
	p1, base := startServerProcess(t, bin, data)
	ids := submitToServer(t, base, "SET 'execution.checkpointing.interval' = '100ms';\n"+f.script)
	if len(ids) != 2 {
		t.Fatalf("submit started %d jobs, want 2", len(ids))
	}
	deadline := time.Now().Add(60 * time.Second)
	sawLag, sawCommit := false, false
	for _, id := range ids {
		for j := getServerJob(t, base, id); j.LastCheckpoint < 1; j = getServerJob(t, base, id) {
			if j.Status != "RUNNING" || time.Now().After(deadline) {
				t.Fatalf("job %s: no checkpoint before the kill: %+v\n%s", id, j, p1.Output())
			}
			lag, commit := kafkaLagAndCommits(j, events)
			sawLag, sawCommit = sawLag || lag, sawCommit || commit
			time.Sleep(10 * time.Millisecond)
		}
	}
	// The REST API shows the Kafka source's lag and the MySQL sink's
	// commits while the jobs run.
	for !sawLag || !sawCommit {
		if time.Now().After(deadline) {
			t.Fatalf("no Kafka lag (%v) or MySQL commit figures (%v) in the REST API: %+v", sawLag, sawCommit, getServerJob(t, base, ids[0]))
		}
		lag, commit := kafkaLagAndCommits(getServerJob(t, base, ids[0]), events)
		sawLag, sawCommit = sawLag || lag, sawCommit || commit
		time.Sleep(10 * time.Millisecond)
	}
	for _, id := range ids {
		if j := getServerJob(t, base, id); j.Status != "RUNNING" {
			t.Fatalf("job %s is %s before the kill, so the kill tests nothing (more events needed): %+v", id, j.Status, j)
		}
	}
	p1.Kill()
	t.Log("server killed after a checkpoint of both jobs")

	p2, base := startServerProcess(t, bin, data)
	deadline = time.Now().Add(3 * time.Minute)
	for _, id := range ids {
		j := getServerJob(t, base, id)
		for ; j.Status == "RUNNING"; j = getServerJob(t, base, id) {
			if time.Now().After(deadline) {
				t.Fatalf("job %s did not finish after the restart: %+v\n%s", id, j, p2.Output())
			}
			time.Sleep(100 * time.Millisecond)
		}
		if j.Status != "FINISHED" || j.Resumes != 1 {
			t.Fatalf("job %s after the restart: %+v\n%s", id, j, p2.Output())
		}
	}
	if strings.Count(p2.Output(), "restores checkpoint") < 2 {
		t.Fatalf("the resumed jobs did not both restore a checkpoint:\n%s", p2.Output())
	}
	f.compare(t)
}
