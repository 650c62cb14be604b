package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"regexp"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/streamsql/streamsql/internal/testkit"
)

// TestClusterStagedJobRescales runs a windowed and a running count into
// MySQL and the windowed count into a Kafka topic (exactly once), cut
// into stages of two units, on a cluster of two `streamsql server`
// processes, from an 8-partition topic holding half of the events, with
// a run id of its own. Submitting the same jobs at three units with that
// run id and execution.savepoint.path = 'latest' is refused while the
// units run, naming them. The test stops every unit (REST stop: each
// takes a last checkpoint); starting the run anew is refused. It freezes B, submits the jobs again to A at
// three units, the same run id and 'latest', and kills B: A takes over
// the units it placed on B, each from the checkpoint merged from the
// previous units'. A third server joins and units move to it (restoring
// their own checkpoints). Then the test produces the other half: the
// tables equal MariaDB's own grouping of every event, and the committed
// Kafka output holds each window once (none lost, none twice).
func TestClusterStagedJobRescales(t *testing.T) {
	if testing.Short() {
		t.Skip("runs two server processes")
	}
	const events, partitions = 60000, 8
	began := time.Now()
	f := newKafkaMySQLFixtureOn(t, events, partitions, 0)
	// Every partition gets events in each half (the i-th goes to
	// partition i mod 8), so that the watermark of every unit of the
	// first stage moves on with its events.
	manual, err := kgo.NewClient(kgo.SeedBrokers(strings.Split(f.brokers, ",")...), kgo.RecordPartitioner(kgo.ManualPartitioner()))
	if err != nil {
		t.Fatal(err)
	}
	defer manual.Close()
	for i, r := range f.recs {
		r.Topic, r.Partition = "events", int32(i%partitions)
	}
	produce := func(recs []*kgo.Record) {
		t.Helper()
		if err := manual.ProduceSync(context.Background(), recs...).FirstErr(); err != nil {
			t.Fatal(err)
		}
	}
	produce(f.recs[:events/2])
	last := int64(0)
	for _, e := range f.events {
		last = max(last, e.ts)
	}
	// A sentinel in every partition, a minute after the last event,
	// closes every window of the real events.
	f.windowsBefore = last + 60000
	sentinels := make([]*kgo.Record, partitions)
	for p := range sentinels {
		e := event{k: int64(p), v: 0, ts: last + 60000}
		f.events = append(f.events, e)
		ts := time.UnixMilli(e.ts).UTC().Format("2006-01-02 15:04:05.000")
		sentinels[p] = &kgo.Record{Topic: "events", Partition: int32(p), Value: []byte(fmt.Sprintf(`{"k":%d,"v":%d,"ts":"%s"}`, e.k, e.v, ts))}
	}
	// The units run at parallelism 1: no local aggregates in the stages
	// that read the topic.
	script := strings.Replace(unboundedWithKafkaOutput(t, f), "SET 'parallelism.default' = '2';", "", 1)
	const run = "1700000000000"
	units := func(n int) string {
		return fmt.Sprintf("SET 'execution.stages.units' = '%d';\nSET 'execution.stages.run-id' = '%s';\n", n, run)
	}
	const latest = "SET 'execution.savepoint.path' = 'latest';\n"

	bin := testkit.BuildBinary(t)
	shared := t.TempDir()
	a := startNamedClusterServer(t, bin, "rescale", "A", f.brokers, shared)
	b := startNamedClusterServer(t, bin, "rescale", "B", f.brokers, shared)
	servers := map[string]*clusterProcess{"A": a, "B": b}
	waitUntil(t, 30*time.Second, "two servers up", func() bool {
		return upServers(t, a.base) == 2 && upServers(t, b.base) == 2
	}, a, b)

	submitToServer(t, a.base, units(2)+script)
	// Two units per stage: two stages for each windowed count, three for
	// the running count.
	const before, after = 2 * (2 + 3 + 2), 3 * (2 + 3 + 2)
	running := func() []clusterJob {
		var out []clusterJob
		for _, j := range clusterJobs(t, a.base) {
			if j.Status == "RUNNING" {
				out = append(out, j)
			}
		}
		return out
	}
	lacking, said := "", ""
	waitUntil(t, 60*time.Second, "every unit to run and checkpoint, and windows in MySQL", func() bool {
		if lacking != said {
			t.Logf("waiting: %s", lacking)
			said = lacking
		}
		jobs := running()
		if len(jobs) != before {
			lacking = fmt.Sprintf("%d units run", len(jobs))
			return false
		}
		for _, j := range jobs {
			if getServerJob(t, servers[j.Owner].base, j.ID).LastCheckpoint < 1 {
				lacking = j.Name + " has no checkpoint"
				return false
			}
		}
		var w int
		f.db.QueryRow(fmt.Sprintf("SELECT COUNT(*) FROM %s.windowed", f.schema)).Scan(&w)
		lacking = "no window in MySQL"
		return w > 0
	}, a, b)
	t.Logf("%s: %d units run", time.Since(began).Truncate(time.Millisecond), before)

	// Continuing the run while its units run is refused.
	msg := postStatements(t, b.base, units(3)+latest+script)
	if !strings.Contains(msg, "still runs as units") || !strings.Contains(msg, "stop the job first") {
		t.Fatalf("a rescale while the units run: %q, want a refusal saying to stop the job first", msg)
	}
	// The refusal is the first INSERT's: it names the run and each of
	// its units.
	if !strings.Contains(msg, "(run "+run+")") {
		t.Fatalf("the refusal does not name run %s: %s", run, msg)
	}
	for _, j := range running() {
		if strings.HasPrefix(j.Name, "INSERT INTO windowed ") && !strings.Contains(msg, j.ID) {
			t.Fatalf("the refusal does not name unit %s (%s): %s", j.ID, j.Name, msg)
		}
	}

	// Stop every unit (each with a last checkpoint), halfway through the
	// events: one request to A per job, naming one of its units (on A or
	// on B), stops all the units of the job's run.
	unitsOf := map[string][]string{} // job (name before its unit) -> unit ids
	for _, j := range running() {
		job, _, _ := strings.Cut(j.Name, " [stage ")
		unitsOf[job] = append(unitsOf[job], j.ID)
	}
	var wg sync.WaitGroup
	for job, ids := range unitsOf {
		wg.Add(1)
		go func() {
			defer wg.Done()
			stopAllUnits(t, a.base, ids[len(ids)-1], job, ids)
		}()
	}
	wg.Wait()
	if n := len(running()); n != 0 {
		t.Fatalf("%d units still run after their stop", n)
	}
	var half int
	f.db.QueryRow(fmt.Sprintf("SELECT COALESCE(SUM(c), 0) FROM %s.running", f.schema)).Scan(&half)
	t.Logf("%s: every unit stopped; %d of %d events counted", time.Since(began).Truncate(time.Millisecond), half, len(f.events))

	// Starting the run anew (without 'latest') is refused: its topics
	// hold the stopped units' rows.
	if msg := postStatements(t, a.base, units(3)+script); !strings.Contains(msg, "ran before as units") {
		t.Fatalf("starting the run anew: %q, want a refusal", msg)
	}

	// The same jobs at three units, continuing the run, submitted to A,
	// which decides for every unit. B is frozen (SIGSTOP) just before, so
	// that it is still up for the placement but starts none of the units
	// A places on it, and then killed: A takes B's units over, and each
	// restores the checkpoint merged from the previous units' (none
	// completed a checkpoint of its own). Then C joins, and units move to
	// it (a last checkpoint of the new layout, then a restore on C).
	b.p.Cmd.Process.Signal(syscall.SIGSTOP)
	submitToServer(t, a.base, units(3)+latest+script)
	b.p.Kill()
	t.Logf("%s: the jobs submitted again at three units; B frozen, then killed", time.Since(began).Truncate(time.Millisecond))
	takeover := regexp.MustCompile(`taking over the job of a server that went away" job=(\w+)`)
	restoredMerged := regexp.MustCompile(`restored the checkpoint merged from the checkpoints [^"]*" job=(\w+)`)
	var takenOver []string
	waitUntil(t, 60*time.Second, "A to run every unit of three per stage, those taken over from B from the merged checkpoint", func() bool {
		jobs := running()
		for _, j := range jobs {
			if j.Owner != "A" {
				return false
			}
		}
		out := a.p.Output()
		merged := map[string]bool{}
		for _, m := range restoredMerged.FindAllStringSubmatch(out, -1) {
			merged[m[1]] = true
		}
		takenOver = nil
		for _, m := range takeover.FindAllStringSubmatch(out, -1) {
			if !merged[m[1]] {
				return false
			}
			takenOver = append(takenOver, m[1])
		}
		return len(jobs) == after && len(takenOver) > 0
	}, a)
	t.Logf("%s: A took %d units over from B, each restoring the merged checkpoint", time.Since(began).Truncate(time.Millisecond), len(takenOver))
	third := 0
	for _, j := range running() {
		if strings.Contains(j.Name, " unit 2]") {
			third++
		}
	}
	if third != after/3 {
		t.Fatalf("%d units named unit 2, want %d", third, after/3)
	}
	t.Logf("%s: A runs the %d units", time.Since(began).Truncate(time.Millisecond), after)
	c := startNamedClusterServer(t, bin, "rescale", "C", f.brokers, shared)
	servers["C"] = c
	waitUntil(t, 30*time.Second, "a unit to move to C", func() bool {
		for _, j := range running() {
			if j.Owner == "C" {
				return true
			}
		}
		return false
	}, a, c)
	t.Logf("%s: units move to C", time.Since(began).Truncate(time.Millisecond))

	produce(f.recs[events/2 : events])
	produce(sentinels)

	windows := map[[2]int64]bool{}
	for _, e := range f.events {
		if e.ts < f.windowsBefore {
			windows[[2]int64{e.k, e.ts / 10000}] = true
		}
	}
	waitUntil(t, 90*time.Second, "every event in MySQL and every window in Kafka", func() bool {
		for _, j := range clusterJobs(t, a.base) {
			if j.Status == "FAILED" {
				t.Fatalf("unit %s (%s) failed: %s\n--- server A\n%s\n--- server C\n%s", j.ID, j.Name, j.Error, tail(a.p.Output(), 6000), tail(c.p.Output(), 6000))
			}
		}
		var n, w int
		if err := f.db.QueryRow(fmt.Sprintf("SELECT COALESCE(SUM(c), 0) FROM %s.running", f.schema)).Scan(&n); err != nil {
			return false
		}
		if err := f.db.QueryRow(fmt.Sprintf("SELECT COUNT(*) FROM %s.windowed", f.schema)).Scan(&w); err != nil {
			return false
		}
		k := len(readCommitted(t, f.brokers, "windows_out"))
		t.Logf("%s: %d of %d events counted in MySQL, %d of %d windows in MySQL, %d in Kafka", time.Since(began).Truncate(time.Second), n, len(f.events), w, len(windows), k)
		return n >= len(f.events) && w >= len(windows) && k >= len(windows)
	}, a, c)
	f.compare(t)
	got := readCommitted(t, f.brokers, "windows_out")
	want := strings.Split(strings.TrimSpace(queryRows(t, f.db, fmt.Sprintf(
		"SELECT k, DATE_FORMAT(w_end, '%%Y-%%m-%%d %%H:%%i:%%s'), c, s FROM %s.windowed ORDER BY 1, 2", f.schema))), "\n")
	slices.Sort(want)
	if !slices.Equal(got, want) {
		missing, extra := testkit.DiffMultisets(want, got)
		t.Fatalf("Kafka output: %d rows, want %d (%d missing, %d extra):\n--- missing\n%.1500s\n--- extra\n%.1500s",
			len(got), len(want), len(missing), len(extra), strings.Join(missing, "\n"), strings.Join(extra, "\n"))
	}
	// The units that moved to C had completed checkpoints of their own
	// (the last one before the move at least): they restored those.
	if out := c.p.Output(); !strings.Contains(out, "restores checkpoint") || strings.Contains(out, "restored the checkpoint merged") {
		t.Errorf("C restored no checkpoint, or a merged one, for the units that moved to it:\n%s", tail(out, 6000))
	}
	t.Logf("%s: the tables and the Kafka output equal the independent computation", time.Since(began).Truncate(time.Millisecond))
}

// postStatements posts a script to base and returns the error it
// answered ("" when it was accepted).
func postStatements(t *testing.T, base, script string) string {
	t.Helper()
	body, _ := json.Marshal(map[string]string{"statements": script})
	resp, err := http.Post(base+"/v1/statements", "application/json", strings.NewReader(string(body)))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var sub struct{ Error string }
	json.NewDecoder(resp.Body).Decode(&sub)
	return sub.Error
}

// stopUnit stops job id through base (POST /v1/jobs/{id}/stop, no
// savepoint).
// stopAllUnits stops the units of job (ids) with one request to base
// naming unit id ({"all_units": true}), and checks that the answer lists
// each of them stopped.
func stopAllUnits(t *testing.T, base, id, job string, ids []string) {
	resp, err := http.Post(base+"/v1/jobs/"+id+"/stop", "application/json", strings.NewReader(`{"all_units": true}`))
	if err != nil {
		t.Error(err)
		return
	}
	defer resp.Body.Close()
	var out struct {
		Error string
		Units []struct{ ID, Status, Error string }
	}
	json.NewDecoder(resp.Body).Decode(&out)
	if resp.StatusCode != http.StatusOK {
		t.Errorf("stopping the units of %s through %s: %s %s %+v", job, id, resp.Status, out.Error, out.Units)
		return
	}
	stopped := map[string]bool{}
	for _, u := range out.Units {
		stopped[u.ID] = u.Status == "STOPPED"
	}
	for _, u := range ids {
		if !stopped[u] {
			t.Errorf("stopping the units of %s through %s: unit %s not stopped (answer %+v)", job, id, u, out.Units)
		}
	}
	if len(out.Units) != len(ids) {
		t.Errorf("stopping the units of %s through %s: %d units in the answer, want %d", job, id, len(out.Units), len(ids))
	}
}
