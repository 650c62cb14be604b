package main

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kfake"

	"github.com/streamsql/streamsql/api"
	"github.com/streamsql/streamsql/internal/testkit"
	"github.com/streamsql/streamsql/server"
)

// startTestServer runs a server over a temporary data directory until
// the test ends (its jobs are stopped first).
func startTestServer(t *testing.T) *httptest.Server {
	t.Helper()
	s, err := server.New(server.Config{DataDir: t.TempDir(), CheckpointInterval: 100 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(s.Handler())
	t.Cleanup(func() {
		ts.Close()
		s.Shutdown(5 * time.Second)
	})
	return ts
}

// -e with --server runs every statement on the server: tables live in
// the server-side session, the INSERT job keeps running there after the
// command ends, SHOW JOBS and STOP JOB act on the server's jobs.
func TestScriptOnServer(t *testing.T) {
	ts := startTestServer(t)
	runOn := func(script string) (int, string, string) {
		var out, errOut strings.Builder
		code := run(context.Background(), []string{"--server", ts.URL, "-e", script}, strings.NewReader(""), &out, &errOut)
		return code, out.String(), errOut.String()
	}

	code, out, errOut := runOn(`
CREATE TABLE t (k BIGINT, v VARCHAR);
INSERT INTO t VALUES (1, 'a'), (2, 'b'), (1, 'c');
SELECT k, COUNT(*) AS c FROM t GROUP BY k ORDER BY k;
CREATE TABLE g (x BIGINT) WITH ('connector' = 'datagen', 'rows-per-second' = '200');
CREATE TABLE sink (x BIGINT) WITH ('connector' = 'blackhole');
INSERT INTO sink SELECT x FROM g;
SELECT x FROM g LIMIT 3;`)
	if code != 0 {
		t.Fatalf("exit %d:\n%s\n%s", code, out, errOut)
	}
	for _, want := range []string{"| k | c |", "| 1 | 2 |", "| 2 | 1 |", "Job submitted: ", "| op |", "Received a total of 3 rows"} {
		if !strings.Contains(out, want) {
			t.Fatalf("output lacks %q:\n%s", want, out)
		}
	}
	id := regexp.MustCompile(`Job submitted: (\S+)`).FindStringSubmatch(out)[1]

	// A later command sees the job on the server and stops it.
	code, out, errOut = runOn(`SHOW JOBS; STOP JOB '` + id + `' WITH SAVEPOINT;`)
	if code != 0 || !strings.Contains(out, id) || !strings.Contains(out, "RUNNING") || !strings.Contains(out, "stopped with savepoint") {
		t.Fatalf("exit %d:\n%s\n%s", code, out, errOut)
	}
	// A server on its own: SHOW JOBS has no owner, SHOW CLUSTER says so.
	if strings.Contains(out, "owner") {
		t.Fatalf("SHOW JOBS of a server without a cluster shows an owner:\n%s", out)
	}
	code, out, errOut = runOn(`SHOW CLUSTER;`)
	if code != 0 || !strings.Contains(out, "Not part of a cluster") {
		t.Fatalf("SHOW CLUSTER on a server on its own: exit %d:\n%s\n%s", code, out, errOut)
	}

	code, _, errOut = runOn("CREATE TABLE a (x BIGINT);\nSELECT y FROM a;")
	if code != 1 || !strings.Contains(errOut, "ERROR: statement 2, line 2") || !strings.Contains(errOut, "'y'") {
		t.Fatalf("bad statement: exit %d, %s", code, errOut)
	}
}

// The interactive shell with --server, driven through a pseudo-terminal:
// statements run on the server, a streamed SELECT stops on Ctrl-C, an
// error leaves the shell usable, and the INSERT job keeps running on the
// server after QUIT.
func TestShellPTYOnServer(t *testing.T) {
	ts := startTestServer(t)

	cmd := exec.Command(shellBinary(t), "--server", ts.URL)
	cmd.Env = append(os.Environ(), "HOME="+t.TempDir(), "TERM=xterm")
	sh := &ptyShell{PTY: testkit.StartPTY(t, cmd, 50, 220), t: t}
	sh.waitFor("streamsql shell on the server at "+ts.URL, waitLong)
	sh.waitFor("streamsql> ", waitLong)
	sh.enter("CREATE TABLE g (x BIGINT) WITH ('connector' = 'datagen', 'rows-per-second' = '50');")
	sh.waitFor("Table created", waitLong)
	sh.enter("CREATE TABLE sink (x BIGINT) WITH ('connector' = 'blackhole');")
	sh.waitFor("Table created", waitLong)
	sh.enter("INSERT INTO sink SELECT x FROM g;")
	sh.waitFor("Job submitted: ", waitLong)
	id := regexp.MustCompile(`Job submitted: (\w+)`).FindStringSubmatch(tail(sh.Screen(), 0))
	if id == nil {
		t.Fatalf("no job id on screen:\n%s", tail(sh.Screen(), 0))
	}
	sh.enter("SELECT x FROM g;")
	sh.waitFor("| op |", waitLong)
	sh.key("\x03") // Ctrl-C stops the streamed SELECT
	sh.waitFor("streamsql> ", waitLong)
	sh.enter("SELECT nope FROM g;")
	sh.waitFor("ERROR", waitLong)
	sh.waitFor("streamsql> ", waitLong)
	sh.enter("SHOW JOBS;")
	sh.waitFor(id[1], waitLong)
	sh.enter("SHOW CLUSTER;")
	sh.waitFor("Not part of a cluster", waitLong)
	sh.enter("QUIT;")
	sh.waitExit(waitLong)
	sh.checkRestored()

	var d api.JobDetail
	resp, err := http.Get(ts.URL + "/v1/jobs/" + id[1])
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if err := json.NewDecoder(resp.Body).Decode(&d); err != nil {
		t.Fatal(err)
	}
	if d.Status != "RUNNING" {
		t.Fatalf("after the shell left, the job is %s, want RUNNING", d.Status)
	}
}

// Two servers of a cluster (on an in-process Kafka): a shell on A lists
// both servers with SHOW CLUSTER, each with the job it owns, and SHOW JOBS
// and SHOW FULL JOBS show each job's owner, with "-" for the figures of
// B's job, which only B has.
func TestClusterOnServer(t *testing.T) {
	kc, err := kfake.NewCluster(kfake.NumBrokers(1))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(kc.Close) // after the servers' shutdowns (registered later)
	start := func(id string) string {
		ts := httptest.NewUnstartedServer(nil)
		s, err := server.New(server.Config{DataDir: t.TempDir(), CheckpointInterval: 100 * time.Millisecond, Listen: ts.Listener.Addr().String(),
			ClusterName: "c1", ClusterBootstrapServers: kc.ListenAddrs(), ServerID: id, ClusterHeartbeat: 200 * time.Millisecond})
		if err != nil {
			t.Fatal(err)
		}
		if err := s.Start(); err != nil {
			t.Fatal(err)
		}
		ts.Config.Handler = s.Handler()
		ts.Start()
		t.Cleanup(func() {
			ts.Close()
			s.Shutdown(5 * time.Second)
		})
		return ts.URL
	}
	a, b := start("A"), start("B")
	runOn := func(url, script string) string {
		t.Helper()
		var out, errOut strings.Builder
		if code := run(context.Background(), []string{"--server", url, "-e", script}, strings.NewReader(""), &out, &errOut); code != 0 {
			t.Fatalf("exit %d:\n%s\n%s", code, out.String(), errOut.String())
		}
		return out.String()
	}
	submitted := regexp.MustCompile(`Job submitted: (\S+)`)
	jobA := submitted.FindStringSubmatch(runOn(a, `
CREATE TABLE g (x BIGINT) WITH ('connector' = 'datagen', 'rows-per-second' = '50');
CREATE TABLE sink (x BIGINT) WITH ('connector' = 'blackhole');
INSERT INTO sink SELECT x FROM g;`))[1]
	jobB := submitted.FindStringSubmatch(runOn(b, `
CREATE TABLE few (x BIGINT) WITH ('connector' = 'datagen', 'number-of-rows' = '10');
CREATE TABLE sink (x BIGINT) WITH ('connector' = 'blackhole');
INSERT INTO sink SELECT x FROM few;`))[1]

	// row matches a table row that starts with cells.
	row := func(cells ...string) *regexp.Regexp {
		for i, c := range cells {
			cells[i] = regexp.QuoteMeta(c) + ` *`
		}
		return regexp.MustCompile(`(?m)^\| ` + strings.Join(cells, `\| `) + `\|`)
	}
	var out string
	deadline := time.Now().Add(20 * time.Second)
	for {
		// A follows the cluster's log: B's job and announcement come in
		// after a moment.
		out = runOn(a, "SHOW CLUSTER;")
		if row("B", "up").MatchString(out) && strings.Contains(out, jobB) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("SHOW CLUSTER on A does not list B with its job %s:\n%s", jobB, out)
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Logf("SHOW CLUSTER:\n%s", out)
	if !row("server id", "status", "address", "last heard", "jobs", "job ids").MatchString(out) ||
		!regexp.MustCompile(`(?m)^\| A +\| up +\| `+strings.TrimPrefix(a, "http://")+` +\| \d+s ago +\| 1 +\| `+jobA+` +\|$`).MatchString(out) ||
		!regexp.MustCompile(`(?m)^\| B +\| up +\| `+strings.TrimPrefix(b, "http://")+` +\| \d+s ago +\| 1 +\| `+jobB+` +\|$`).MatchString(out) {
		t.Fatalf("SHOW CLUSTER on A:\n%s", out)
	}
	for _, stmt := range []string{"SHOW JOBS;", "SHOW FULL JOBS;"} {
		out = runOn(a, stmt)
		t.Logf("%s\n%s", stmt, out)
		if !regexp.MustCompile(`(?m)^\| job id +\| job name +\| status +\| owner +\| rows in`).MatchString(out) ||
			!regexp.MustCompile(`(?m)^\| `+jobA+` +\| [^|]+\| RUNNING +\| A +\|`).MatchString(out) ||
			!regexp.MustCompile(`(?m)^\| `+jobB+` +\| [^|]+\| \w+ +\| B +\| - +\| - +\| - +\| - +\| 0 +\|`).MatchString(out) {
			t.Fatalf("%s on A does not show the owners:\n%s", stmt, out)
		}
	}
}
