package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"regexp"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/streamsql/streamsql/internal/testkit"
)

// clusterHeartbeat is the servers' heartbeat in the failover test: a
// server unheard for three of them is taken for gone.
const clusterHeartbeat = time.Second

// TestClusterFailoverExactlyOnce runs three jobs from a 16-partition
// Kafka topic (a windowed count and a running count into MySQL, the same
// windowed count into a Kafka topic with exactly-once delivery) on a
// cluster of three `streamsql server` processes that share a checkpoint
// directory, while the test produces the events over several seconds. The
// server that owns the jobs is killed with SIGKILL after they
// checkpointed; the others take the jobs over. A fourth server joins.
// Then the owner of the Kafka job is frozen (SIGSTOP) past three
// heartbeats, so that the others take its jobs over too, and resumed
// (SIGCONT): a zombie, which must give its jobs up. Once every event is
// in, the MySQL tables must equal MariaDB's own grouping of the events,
// and the committed Kafka output must hold each window exactly once.
func TestClusterFailoverExactlyOnce(t *testing.T) {
	if testing.Short() {
		t.Skip("runs four server processes")
	}
	const events = 600000
	began := time.Now()
	f := newKafkaMySQLFixtureOn(t, events, 16, events/5)
	// One event per key a minute after the last closes every window of
	// the real events (the sentinels' own windows never close, and are
	// left out of the windowed comparison).
	last := int64(0)
	for _, e := range f.events {
		last = max(last, e.ts)
	}
	f.windowsBefore = last + 60000
	for k := int64(0); k < 20; k++ {
		f.addEvents(event{k: k, v: 0, ts: last + 60000})
	}
	produced := make(chan struct{})
	go func() {
		defer close(produced)
		const chunks = 16
		send := func(from, to int) bool {
			if err := f.client.ProduceSync(context.Background(), f.recs[from:to]...).FirstErr(); err != nil {
				t.Errorf("producing events %d to %d: %v", from, to, err)
				return false
			}
			return true
		}
		for i := 0; i < chunks; i++ {
			time.Sleep(400 * time.Millisecond)
			if !send(events/5+i*(events-events/5)/chunks, events/5+(i+1)*(events-events/5)/chunks) {
				return
			}
		}
		send(events, len(f.recs)) // the sentinels
	}()
	// The topic is read to its end as it grows (unbounded), and a
	// partition without events stops holding the watermark back after
	// the idle timeout.
	script := "SET 'table.exec.source.idle-timeout' = '5s';\n" + unboundedWithKafkaOutput(t, f)

	bin := testkit.BuildBinary(t)
	shared := t.TempDir()
	servers := map[string]*clusterProcess{}
	start := func(id string) *clusterProcess {
		p := startClusterServer(t, bin, id, f.brokers, shared)
		servers[id] = p
		return p
	}
	a, b, c := start("A"), start("B"), start("C")
	waitUntil(t, 30*time.Second, "three servers up", func() bool { return upServers(t, b.base) == 3 }, a, b, c)

	ids := submitToServer(t, a.base, script)
	if len(ids) != 3 {
		t.Fatalf("submit started %d jobs, want 3", len(ids))
	}
	waitUntil(t, 60*time.Second, "every job to checkpoint twice on A", func() bool {
		for _, id := range ids {
			if j := getServerJob(t, a.base, id); j.LastCheckpoint < 2 || j.Status != "RUNNING" {
				return false
			}
		}
		return true
	}, a)
	a.p.Kill()
	t.Logf("%s: A killed; its jobs: %v", time.Since(began).Truncate(time.Millisecond), ids)

	owners := func(on *clusterProcess) map[string]string {
		out := map[string]string{}
		for _, j := range clusterJobs(t, on.base) {
			out[j.ID] = j.Owner + " " + j.Status
		}
		return out
	}
	waitUntil(t, 60*time.Second, "B or C to own every job", func() bool {
		for _, id := range ids {
			if o := owners(b)[id]; strings.HasPrefix(o, "A ") {
				return false
			}
		}
		return true
	}, b, c)
	t.Logf("after A's kill: %v", owners(b))
	d := start("D")
	waitUntil(t, 30*time.Second, "D to list every job", func() bool { return len(owners(d)) == 3 }, d)

	// Freeze the owner of the Kafka job if it still runs.
	kafkaJob := ids[2]
	own := strings.Fields(owners(d)[kafkaJob])
	if len(own) == 2 && own[1] == "RUNNING" {
		zombie := servers[own[0]]
		zombie.p.Cmd.Process.Signal(syscall.SIGSTOP)
		t.Logf("%s frozen", own[0])
		var watcher *clusterProcess
		for _, id := range []string{"B", "C", "D"} {
			if id != own[0] {
				watcher = servers[id]
				break
			}
		}
		waitUntil(t, 60*time.Second, "the frozen server's jobs to move", func() bool {
			for _, o := range owners(watcher) {
				if strings.HasPrefix(o, own[0]+" ") && strings.HasSuffix(o, "RUNNING") {
					return false
				}
			}
			return true
		}, watcher)
		zombie.p.Cmd.Process.Signal(syscall.SIGCONT)
		t.Logf("%s resumed; owners: %v", own[0], owners(watcher))
		waitUntil(t, 30*time.Second, "the resumed server to give its jobs up", func() bool {
			return !strings.Contains(zombie.p.Output(), "panic") &&
				strings.Count(zombie.p.Output(), "job taken over by another server") > 0
		}, zombie)
	} else {
		t.Fatalf("the Kafka job does not run: %v", own)
	}

	<-produced
	t.Logf("%s: every event produced", time.Since(began).Truncate(time.Millisecond))
	// Every event in: the running counts hold them all, the windowed
	// table and the committed Kafka output every window of the real
	// events (the sinks commit at checkpoints).
	windows := map[[2]int64]bool{}
	for _, e := range f.events {
		if e.ts < f.windowsBefore {
			windows[[2]int64{e.k, e.ts / 10000}] = true
		}
	}
	waitUntil(t, 3*time.Minute, "every event in MySQL and every window in Kafka", func() bool {
		iter := time.Now()
		for _, j := range clusterJobs(t, d.base) {
			if j.Status != "RUNNING" {
				var sb strings.Builder
				for _, id := range []string{"A", "B", "C", "D"} {
					fmt.Fprintf(&sb, "--- server %s\n%s\n", id, tail(servers[id].p.Output(), 8000))
				}
				t.Fatalf("job %s: %s %s\n%s", j.ID, j.Status, j.Error, sb.String())
			}
		}
		var n, w int
		if err := f.db.QueryRow(fmt.Sprintf("SELECT COALESCE(SUM(c), 0) FROM %s.running", f.schema)).Scan(&n); err != nil {
			return false
		}
		if err := f.db.QueryRow(fmt.Sprintf("SELECT COUNT(*) FROM %s.windowed", f.schema)).Scan(&w); err != nil {
			return false
		}
		sqlDone := time.Now()
		k := len(readCommitted(t, f.brokers, "windows_out"))
		t.Logf("%s: %d of %d events counted in MySQL, %d of %d windows in MySQL, %d in Kafka (read in %s, Kafka in %s)", time.Since(began).Truncate(time.Second), n, len(f.events), w, len(windows), k, sqlDone.Sub(iter).Truncate(time.Millisecond), time.Since(sqlDone).Truncate(time.Millisecond))
		return n == len(f.events) && w == len(windows) && k >= len(windows)
	}, b, c, d)
	f.compare(t)

	// The committed Kafka output: each window once, as MySQL has them.
	got := readCommitted(t, f.brokers, "windows_out")
	want := strings.Split(strings.TrimSpace(queryRows(t, f.db, fmt.Sprintf(
		"SELECT k, DATE_FORMAT(w_end, '%%Y-%%m-%%d %%H:%%i:%%s'), c, s FROM %s.windowed ORDER BY 1, 2", f.schema))), "\n")
	slices.Sort(want)
	if len(got) != len(want) || !slices.Equal(got, want) {
		dups := 0
		for i := 1; i < len(got); i++ {
			if got[i] == got[i-1] {
				dups++
			}
		}
		t.Fatalf("Kafka output: %d rows (%d duplicated), want %d:\n--- first rows got\n%.1500s\n--- want\n%.1500s",
			len(got), dups, len(want), strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

// clusterProcess is one `streamsql server` of the failover test.
type clusterProcess struct {
	id   string
	p    *testkit.Process
	base string
}

// startClusterServer starts server id of cluster "failover" on a free
// loopback port, with its own data directory and the shared checkpoint
// directory.
func startClusterServer(t *testing.T, bin, id, brokers, checkpoints string) *clusterProcess {
	t.Helper()
	return startNamedClusterServer(t, bin, "failover", id, brokers, checkpoints)
}

// awaitListening waits until server process p says where it listens.
func awaitListening(t *testing.T, id string, p *testkit.Process) *clusterProcess {
	t.Helper()
	re := regexp.MustCompile(`listening on (http://\S+)`)
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		if m := re.FindStringSubmatch(p.Output()); m != nil {
			return &clusterProcess{id: id, p: p, base: m[1]}
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatalf("server %s did not start:\n%s", id, p.Output())
	return nil
}

// waitUntil polls cond every 100 ms until it holds; on a timeout it fails
// with the output of the servers given.
func waitUntil(t *testing.T, d time.Duration, what string, cond func() bool, show ...*clusterProcess) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !cond() {
		if time.Now().After(deadline) {
			var sb strings.Builder
			for _, s := range show {
				fmt.Fprintf(&sb, "--- server %s\n%.6000s\n", s.id, tail(s.p.Output(), 6000))
			}
			t.Fatalf("timed out waiting for %s\n%s", what, sb.String())
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func tail(s string, n int) string {
	if len(s) > n {
		return s[len(s)-n:]
	}
	return s
}

// clusterJob is what the test reads of GET /v1/jobs on a clustered server.
type clusterJob struct {
	ID, Owner, Status, Error, Name string
}

func clusterJobs(t testing.TB, base string) []clusterJob {
	t.Helper()
	resp, err := http.Get(base + "/v1/jobs")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var list struct{ Jobs []clusterJob }
	if err := json.NewDecoder(resp.Body).Decode(&list); err != nil {
		t.Fatal(err)
	}
	return list.Jobs
}

// upServers counts the servers GET /v1/cluster on base shows up.
func upServers(t testing.TB, base string) int {
	t.Helper()
	resp, err := http.Get(base + "/v1/cluster")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var v struct{ Servers []struct{ State string } }
	if err := json.NewDecoder(resp.Body).Decode(&v); err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, s := range v.Servers {
		if s.State == "up" {
			n++
		}
	}
	return n
}

// readCommitted reads every committed record of topic (read_committed
// isolation) and renders each JSON row as "k w_end c s" (as queryRows),
// sorted.
func readCommitted(t *testing.T, brokers, topic string) []string {
	t.Helper()
	cl, err := kgo.NewClient(kgo.SeedBrokers(strings.Split(brokers, ",")...), kgo.ConsumeTopics(topic),
		kgo.FetchIsolationLevel(kgo.ReadCommitted()), kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()))
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	// Nothing committed yet: nothing to wait for. Otherwise the first
	// records may take a few seconds to come (metadata, offsets, the
	// broker busy in this process): give up on an empty poll only once
	// records came, or after 20 polls without any.
	ends, err := kadm.NewClient(cl).ListCommittedOffsets(context.Background(), topic)
	if err != nil {
		t.Fatal(err)
	}
	committed := false
	ends.Each(func(o kadm.ListedOffset) { committed = committed || o.Offset > 0 })
	var out []string
	if !committed {
		return out
	}
	empty := 0
	for empty < 3 || len(out) == 0 && empty < 20 {
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		fs := cl.PollFetches(ctx)
		cancel()
		n := 0
		fs.EachRecord(func(r *kgo.Record) {
			n++
			var row struct {
				K    int64  `json:"k"`
				WEnd string `json:"w_end"`
				C, S int64
			}
			if err := json.Unmarshal(r.Value, &row); err != nil {
				t.Fatalf("output record %q: %v", r.Value, err)
			}
			w, err := time.Parse("2006-01-02 15:04:05.999", row.WEnd)
			if err != nil {
				t.Fatalf("output record %q: w_end: %v", r.Value, err)
			}
			out = append(out, fmt.Sprintf("%d %s %d %d", row.K, w.Format("2006-01-02 15:04:05"), row.C, row.S))
		})
		if n == 0 {
			empty++
		} else {
			empty = 0
		}
	}
	slices.Sort(out)
	return out
}

// unboundedWithKafkaOutput is the fixture's script reading its topic
// unbounded, with a third job: the windowed count into the topic
// windows_out (created here, 4 partitions) with exactly-once delivery.
func unboundedWithKafkaOutput(t *testing.T, f *kafkaMySQLFixture) string {
	t.Helper()
	admin, err := kgo.NewClient(kgo.SeedBrokers(strings.Split(f.brokers, ",")...))
	if err != nil {
		t.Fatal(err)
	}
	defer admin.Close()
	if _, err := kadm.NewClient(admin).CreateTopics(context.Background(), 4, 1, nil, "windows_out"); err != nil {
		t.Fatal(err)
	}
	script := strings.Replace(f.script, "'scan.bounded.mode' = 'latest-offset', ", "", 1) + fmt.Sprintf(`
CREATE TABLE windows_out (k BIGINT, w_end TIMESTAMP(3), c BIGINT, s BIGINT) WITH (
  'connector' = 'kafka', 'topic' = 'windows_out', 'properties.bootstrap.servers' = '%s',
  'format' = 'json', 'sink.delivery-guarantee' = 'exactly-once');
INSERT INTO windows_out SELECT k, TUMBLE_END(ts, INTERVAL '10' SECOND), COUNT(*), SUM(v) FROM events GROUP BY TUMBLE(ts, INTERVAL '10' SECOND), k;
`, f.brokers)
	if strings.Contains(script, "scan.bounded.mode") {
		t.Fatal("the fixture's script changed: the jobs would not be unbounded")
	}
	return script
}
