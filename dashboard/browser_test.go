package dashboard_test

import (
	"context"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/twmb/franz-go/pkg/kfake"

	"github.com/streamsql/streamsql/server"
)

// browser starts a headless Chromium (Debian's package `chromium`). It
// fails when CI is set and Chromium is missing (.ci/run installs it),
// and skips elsewhere.
func browser(t *testing.T) context.Context {
	t.Helper()
	path := ""
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			path = p
			break
		}
	}
	if path == "" {
		if os.Getenv("CI") != "" {
			t.Fatal("no Chromium: install it with `apt-get install -y chromium` (.ci/run does)")
		}
		t.Skip("no Chromium on this machine (apt-get install -y chromium)")
	}
	opts := append(chromedp.DefaultExecAllocatorOptions[:], chromedp.ExecPath(path), chromedp.NoSandbox,
		chromedp.WindowSize(1400, 900), chromedp.Flag("disable-dev-shm-usage", true))
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancelCtx := chromedp.NewContext(actx)
	ctx, cancelTimeout := context.WithTimeout(ctx, 3*time.Minute)
	t.Cleanup(func() { cancelTimeout(); cancelCtx(); cancelAlloc() })
	return ctx
}

// artifacts is where the screenshots go: $STREAMSQL_ARTIFACTS, or a
// directory under the system's temporary directory.
func artifacts(t *testing.T) string {
	dir := os.Getenv("STREAMSQL_ARTIFACTS")
	if dir == "" {
		dir = filepath.Join(os.TempDir(), "streamsql-dashboard-screenshots")
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	return dir
}

// poll waits until the JavaScript expression is true.
func poll(expr string) chromedp.Action[chromedp.Void] {
	return chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
		_, err := chromedp.Poll[bool](expr, chromedp.WithPollingTimeout(45*time.Second), chromedp.WithPollingInterval(100*time.Millisecond))(ctx, t)
		return err
	})
}

// js runs a JavaScript statement.
func js(expr string) chromedp.Action[chromedp.Void] {
	return chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
		_, err := chromedp.Evaluate[any](expr)(ctx, t)
		return err
	})
}

// TestDashboard drives the dashboard in a real browser: submit a job in
// the SQL editor, see it RUNNING with rows/s above zero in the jobs
// overview, see its operator graph with the right number of vertices,
// see checkpoints appear, stream a SELECT's rows, and stop the job with
// a savepoint from the page. Each page's screenshot is saved.
func TestDashboard(t *testing.T) {
	ctx := browser(t)
	s, err := server.New(server.Config{DataDir: t.TempDir(), CheckpointInterval: 200 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(s.Handler())
	defer ts.Close()
	defer s.Shutdown(5 * time.Second)
	dir := artifacts(t)
	shot := func(name string) chromedp.Action[chromedp.Void] {
		return chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
			png, err := chromedp.FullScreenshot(100)(ctx, t)
			if err != nil {
				return err
			}
			return os.WriteFile(filepath.Join(dir, name), png, 0o644)
		})
	}
	text := func(id string, out *string) chromedp.Action[chromedp.Void] {
		return chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
			v, err := chromedp.Text(chromedp.ID(id))(ctx, t)
			*out = v
			return err
		})
	}
	script := `CREATE TABLE bids (auction BIGINT, price BIGINT) WITH ('connector' = 'datagen', 'rows-per-second' = '2000', 'fields.auction.min' = '0', 'fields.auction.max' = '9');
CREATE TABLE hot (auction BIGINT, n BIGINT) WITH ('connector' = 'blackhole');
INSERT INTO hot SELECT auction, COUNT(*) FROM bids WHERE price > 10 GROUP BY auction;`
	var stopped, streamed string
	err = chromedp.Do(ctx,
		chromedp.Navigate(ts.URL+"/#/sql"),
		chromedp.WaitVisible(chromedp.ID("sql")),
		chromedp.SetValue(chromedp.ID("sql"), script),
		chromedp.Click(chromedp.ID("run")),
		chromedp.WaitVisible(chromedp.CSS(".job-link")),
		shot("sql-editor.png"),
		js(`location.hash = "#/"`),
		poll(`(() => { const r = document.querySelector("tr.job-row"); return !!r && r.dataset.status === "RUNNING" && parseFloat(r.dataset.rate) > 0; })()`),
		// Without a cluster the jobs have no owner column.
		poll(`document.querySelectorAll("#jobs-table th").length === 9 && !document.querySelector("#jobs-table td.owner")`),
		shot("jobs.png"),
		chromedp.Click(chromedp.CSS("tr.job-row")),
		// Source, Calc (filter and projection), GroupAggregate, Sink.
		poll(`document.querySelectorAll("#graph g.vertex").length === 4`),
		// The source's rate (from the server, over the last second).
		poll(`[...document.querySelectorAll("#graph g.vertex text")].some(t => /· [1-9][0-9,]* rows\/s in/.test(t.textContent))`),
		// Every vertex is coloured by its backpressure level and shows
		// its busy and backpressured time; a throttled source keeps up.
		poll(`[...document.querySelectorAll("#graph g.vertex")].every(g => ["ok", "low", "high"].includes(g.dataset.backpressure) && /busy \d+% · backpressured \d+%/.test(g.querySelector("text.ratios").textContent))`),
		poll(`document.querySelector("#graph g.vertex").dataset.backpressure === "ok"`),
		// One row per subtask (parallelism 1: one per vertex).
		poll(`document.querySelectorAll("#subtasks-table tr").length === 5`),
		shot("job-graph.png"),
		chromedp.Click(chromedp.ID("tab-checkpoints")),
		poll(`document.querySelectorAll("#checkpoints-table tr").length >= 3 && document.querySelectorAll("#checkpoint-chart rect").length >= 2`),
		// Completed checkpoints name their slowest subtask.
		poll(`[...document.querySelectorAll("#checkpoints-table tr")].slice(1).some(r => r.children[2].textContent === "COMPLETED" && / #0 \(/.test(r.children[8].textContent))`),
		shot("job-checkpoints.png"),
		chromedp.Click(chromedp.ID("tab-exceptions")),
		poll(`document.getElementById("tab").textContent.includes("Restarts: 0")`),
		shot("job-exceptions.png"),
		chromedp.Click(chromedp.ID("stop-savepoint")),
		poll(`(() => { const s = document.getElementById("job-status"); return !!s && s.textContent === "STOPPED"; })()`),
		poll(`document.getElementById("action-result").textContent.startsWith("stopped with savepoint")`),
		text("action-result", &stopped),
		// A SELECT over the unbounded table streams its rows into the page.
		js(`location.hash = "#/sql"`),
		chromedp.WaitVisible(chromedp.ID("sql")),
		chromedp.SetValue(chromedp.ID("sql"), "SELECT auction, price FROM bids LIMIT 7;"),
		chromedp.Click(chromedp.ID("run")),
		poll(`document.querySelectorAll("#stream-table tr.stream-row").length === 7`),
		text("stream-count", &streamed),
		shot("sql-select.png"),
		// The cluster page of a server on its own says it is not part of one.
		chromedp.Click(chromedp.ID("nav-cluster")),
		poll(`(() => { const n = document.getElementById("cluster-note"); return !!n && n.textContent.includes("not part of a cluster"); })()`),
	)
	if err != nil {
		t.Fatalf("dashboard: %v (screenshots so far in %s)", err, dir)
	}
	path := strings.TrimPrefix(stopped, "stopped with savepoint ")
	if _, err := os.Stat(filepath.Join(path, "_metadata")); err != nil {
		t.Fatalf("the page's savepoint %q: %v", path, err)
	}
	if streamed != "7 rows received" {
		t.Fatalf("stream count %q", streamed)
	}
	t.Logf("screenshots in %s", dir)
}

// TestDashboardCluster drives the dashboards of two servers of a cluster
// (on an in-process Kafka): a job typed into B's SQL editor shows on A's
// jobs overview with owner B (and "—" for the figures only B has); A's cluster page lists both servers up,
// with B owning the job; once B shuts down the page shows it stopped,
// still owning the job (marked as such), then A taking the job over, and
// the job's link opens its page on A.
func TestDashboardCluster(t *testing.T) {
	ctx := browser(t)
	kc, err := kfake.NewCluster(kfake.NumBrokers(1))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(kc.Close)   // after the servers' shutdowns (registered later)
	shared := t.TempDir() // the checkpoint directory both servers share
	start := func(id string, heartbeat time.Duration) (url string, stop func()) {
		ts := httptest.NewUnstartedServer(nil)
		s, err := server.New(server.Config{DataDir: t.TempDir(), CheckpointDir: shared, CheckpointInterval: 200 * time.Millisecond, Listen: ts.Listener.Addr().String(),
			ClusterName: "c1", ClusterBootstrapServers: kc.ListenAddrs(), ServerID: id, ClusterHeartbeat: heartbeat})
		if err != nil {
			t.Fatal(err)
		}
		if err := s.Start(); err != nil {
			t.Fatal(err)
		}
		ts.Config.Handler = s.Handler()
		ts.Start()
		done := false
		stop = func() {
			if !done {
				done = true
				ts.Close()
				s.Shutdown(5 * time.Second)
			}
		}
		t.Cleanup(stop)
		return ts.URL, stop
	}
	// A judges other servers only after three of its heartbeats, so a
	// stopped B's job shows as such for a while before A takes it over.
	a, _ := start("A", 4*time.Second)
	b, stopB := start("B", 200*time.Millisecond)
	dir := artifacts(t)
	shot := func(name string) chromedp.Action[chromedp.Void] {
		return chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
			png, err := chromedp.FullScreenshot(100)(ctx, t)
			if err != nil {
				return err
			}
			return os.WriteFile(filepath.Join(dir, name), png, 0o644)
		})
	}
	text := func(sel string, out *string) chromedp.Action[chromedp.Void] {
		return chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
			v, err := chromedp.Text(chromedp.CSS(sel))(ctx, t)
			*out = v
			return err
		})
	}
	var link, owner, jobsHead, panel, stopped string
	err = chromedp.Do(ctx,
		chromedp.Navigate(b+"/#/sql"),
		chromedp.WaitVisible(chromedp.ID("sql")),
		chromedp.SendKeys(chromedp.ID("sql"), "CREATE TABLE g (x BIGINT) WITH ('connector' = 'datagen', 'rows-per-second' = '100'); "+
			"CREATE TABLE sink (x BIGINT) WITH ('connector' = 'blackhole'); INSERT INTO sink SELECT x FROM g;"),
		chromedp.Click(chromedp.ID("run")),
		chromedp.WaitVisible(chromedp.CSS(".job-link")),
		text(".job-link", &link),
	)
	if err != nil {
		t.Fatalf("B's SQL editor: %v", err)
	}
	job := strings.TrimPrefix(link, "open job ")
	if job == link || job == "" {
		t.Fatalf("B's SQL editor shows %q, want \"open job <id>\"", link)
	}
	err = chromedp.Do(ctx,
		chromedp.Navigate(a+"/#/"),
		// A lists B's job, with its owner.
		poll(`(() => { const r = document.querySelector("tr.job-row[data-id='`+job+`']"); return !!r && r.dataset.owner === "B" && r.dataset.status === "RUNNING"; })()`),
		text("tr.job-row[data-id='"+job+"'] td.owner", &owner),
		text("#jobs-table tr", &jobsHead),
		// Its figures are B's: A shows none.
		poll(`document.querySelectorAll("tr.job-row[data-id='`+job+`'] td.remote").length === 5`),
		shot("cluster-jobs.png"),
		chromedp.Click(chromedp.ID("nav-cluster")),
		poll(`(() => { const a = document.querySelector("tr.server-row[data-id='A']"), b = document.querySelector("tr.server-row[data-id='B']");
			return !!a && !!b && a.dataset.state === "up" && b.dataset.state === "up" && b.dataset.jobs === "`+job+`" && a.dataset.jobs === ""; })()`),
		// B's announcements carry its job's newest checkpoint.
		poll(`document.querySelector("tr.server-row[data-id='B'] .cluster-jobs").textContent.includes("checkpoint ")`),
		text("#cluster", &panel),
		shot("cluster.png"),
	)
	if err != nil {
		t.Fatalf("A's dashboard: %v (screenshots so far in %s)", err, dir)
	}
	if owner != "B" || !strings.Contains(jobsHead, "owner") {
		t.Errorf("A's jobs overview: owner of B's job %q, header %q", owner, jobsHead)
	}
	for _, want := range []string{"cluster c1, as server A sees it", "A (this server)", "up", strings.TrimPrefix(b, "http://"), job, "RUNNING",
		"INSERT INTO sink SELECT x FROM g", "as its owner last announced them"} {
		if !strings.Contains(panel, want) {
			t.Errorf("A's cluster page lacks %q:\n%s", want, panel)
		}
	}

	stopB()
	err = chromedp.Do(ctx,
		poll(`(() => { const b = document.querySelector("tr.server-row[data-id='B']"); return !!b && b.dataset.state === "stopped" && b.dataset.jobs === "`+job+`"; })()`),
		text("tr.server-row[data-id='B'] td.state", &stopped),
		poll(`document.querySelector("tr.server-row[data-id='B'] .cluster-jobs").textContent.includes("RUNNING (its server is stopped)")`),
		shot("cluster-stopped.png"),
		// A takes the job over.
		poll(`(() => { const a = document.querySelector("tr.server-row[data-id='A']"); return !!a && a.dataset.jobs === "`+job+`"; })()`),
		poll(`document.querySelector("tr.server-row[data-id='A'] .cluster-jobs").textContent.includes("RUNNING")`),
		poll(`document.querySelector("tr.server-row[data-id='A'] .cluster-jobs").textContent.includes("taken over (epoch 2)")`),
		shot("cluster-taken-over.png"),
		chromedp.Click(chromedp.CSS("a.cluster-job[data-id='"+job+"']")),
		poll(`(() => { const h = document.querySelector("#job-head h2"); return !!h && h.textContent.startsWith("Job `+job+`"); })()`),
	)
	if err != nil {
		t.Fatalf("after B stopped: %v (screenshots in %s)", err, dir)
	}
	if stopped != "stopped" {
		t.Fatalf("B's state on A's cluster page: %q", stopped)
	}
	t.Logf("screenshots in %s", dir)
}
