package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/streamsql/streamsql/api"
	"github.com/streamsql/streamsql/internal/testkit"
)

// TestClusterStagesExactlyOnce runs the failover test's three jobs (a
// windowed and a running count into MySQL, the windowed count into Kafka
// exactly once) cut into stages, each stage as three units spread over a
// cluster of three `streamsql server` processes: the units of the first
// stage read the 16-partition topic, those of the second read the
// exchange topics between them, partitioned by key group. While the test
// produces the events, one server is killed with SIGKILL (the others take
// its units over), a fourth joins (the others hand units over to it), and
// the owner of a unit of the Kafka job is frozen (SIGSTOP) past three heartbeats and resumed: a zombie. Once
// every event is in, the MySQL tables equal MariaDB's own grouping of the
// events and the committed Kafka output holds each window once.
func TestClusterStagesExactlyOnce(t *testing.T) {
	if testing.Short() {
		t.Skip("runs four server processes")
	}
	const events, partitions = 300000, 16
	began := time.Now()
	f := newKafkaMySQLFixtureOn(t, events, partitions, events/5)
	last := int64(0)
	for _, e := range f.events {
		last = max(last, e.ts)
	}
	// A sentinel in every partition, a minute after the last event,
	// closes every window of the real events: event time moves on in a
	// stage only when every unit before it moves on.
	f.windowsBefore = last + 60000
	sentinels := make([]*kgo.Record, partitions)
	for p := range sentinels {
		e := event{k: int64(p), v: 0, ts: last + 60000}
		f.events = append(f.events, e)
		ts := time.UnixMilli(e.ts).UTC().Format("2006-01-02 15:04:05.000")
		sentinels[p] = &kgo.Record{Topic: "events", Partition: int32(p), Value: []byte(fmt.Sprintf(`{"k":%d,"v":%d,"ts":"%s"}`, e.k, e.v, ts))}
	}
	manual, err := kgo.NewClient(kgo.SeedBrokers(strings.Split(f.brokers, ",")...), kgo.RecordPartitioner(kgo.ManualPartitioner()))
	if err != nil {
		t.Fatal(err)
	}
	defer manual.Close()
	produced := make(chan struct{})
	go func() {
		defer close(produced)
		const chunks = 12
		for i := 0; i < chunks; i++ {
			time.Sleep(500 * time.Millisecond)
			from, to := events/5+i*(events-events/5)/chunks, events/5+(i+1)*(events-events/5)/chunks
			if err := f.client.ProduceSync(context.Background(), f.recs[from:to]...).FirstErr(); err != nil {
				t.Errorf("producing events %d to %d: %v", from, to, err)
				return
			}
		}
		if err := manual.ProduceSync(context.Background(), sentinels...).FirstErr(); err != nil {
			t.Errorf("producing the sentinels: %v", err)
		}
	}()
	script := "SET 'execution.stages.units' = '3';\n" + unboundedWithKafkaOutput(t, f)

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
	// Placement counts the jobs each server runs: let every server hear
	// the others first.
	waitUntil(t, 30*time.Second, "every server to see three up", func() bool {
		return upServers(t, a.base) == 3 && upServers(t, c.base) == 3
	}, a, b, c)

	if ids := submitToServer(t, a.base, script); len(ids) != 3 {
		t.Fatalf("submit answered %d jobs, want 3 (the first unit of each)", len(ids))
	}
	owners := func(on *clusterProcess) map[string]string {
		out := map[string]string{}
		for _, j := range clusterJobs(t, on.base) {
			out[j.ID] = j.Owner + " " + j.Status
		}
		return out
	}
	// Three units per stage: two stages for each windowed count (the
	// source and the window aggregate), three for the running count
	// (the source, the aggregate, the upsert sink keyed by its primary
	// key).
	const units = 3 * (2 + 3 + 2)
	waitUntil(t, 60*time.Second, "every unit running, on every server", func() bool {
		per := map[string]int{}
		for _, o := range owners(a) {
			f := strings.Fields(o)
			if len(f) != 2 || f[1] != "RUNNING" {
				return false
			}
			per[f[0]]++
		}
		return len(owners(a)) == units && per["A"] > 0 && per["B"] > 0 && per["C"] > 0
	}, a, b, c)
	t.Logf("%s: units placed: %v", time.Since(began).Truncate(time.Millisecond), owners(a))
	// The cluster view says what each unit reads: key groups for the
	// units reading exchange topics, the topic's partitions (splits) for
	// those reading the source.
	reads := map[string]int{}
	for _, sv := range clusterView(t, c.base).Servers {
		for _, j := range sv.Jobs {
			if j.Stage == nil || j.Reads == "" {
				t.Fatalf("unit %s (%s) shows no stage: %+v", j.ID, j.Name, j)
			}
			reads[strings.Fields(j.Reads)[0]]++
		}
	}
	if reads["key"] != 12 || reads["splits"] != 9 {
		t.Fatalf("units read %v, want 12 key-group ranges and 9 split lists", reads)
	}
	waitUntil(t, 60*time.Second, "the running counts to grow", func() bool {
		var n int
		f.db.QueryRow(fmt.Sprintf("SELECT COALESCE(SUM(c), 0) FROM %s.running", f.schema)).Scan(&n)
		return n > 0
	}, a, b, c)
	b.p.Kill()
	t.Logf("%s: B killed", time.Since(began).Truncate(time.Millisecond))
	waitUntil(t, 60*time.Second, "A or C to own every unit", func() bool {
		for _, o := range owners(a) {
			if strings.HasPrefix(o, "B ") {
				return false
			}
		}
		return true
	}, a, c)
	d := start("D")
	waitUntil(t, 30*time.Second, "D to list every unit", func() bool { return len(owners(d)) == units }, d)
	// The servers hand units over to the one that joined until none owns
	// two more than another.
	waitUntil(t, 90*time.Second, "D to take units over", func() bool {
		n := 0
		for _, o := range owners(d) {
			if o == "D RUNNING" {
				n++
			}
		}
		return n >= 5
	}, a, c, d)
	t.Logf("%s: after D joined: %v", time.Since(began).Truncate(time.Millisecond), owners(d))

	// Freeze the owner of some units of the job writing Kafka.
	var zombie *clusterProcess
	for _, j := range clusterJobs(t, d.base) {
		if strings.Contains(j.Name, "windows_out") && j.Status == "RUNNING" {
			zombie = servers[j.Owner]
			break
		}
	}
	if zombie == nil {
		t.Fatalf("no unit of the Kafka job runs: %v", owners(d))
	}
	watcher := d
	if zombie == d {
		watcher = a
	}
	zombie.p.Cmd.Process.Signal(syscall.SIGSTOP)
	t.Logf("%s: %s frozen", time.Since(began).Truncate(time.Millisecond), zombie.id)
	waitUntil(t, 60*time.Second, "the frozen server's units to move", func() bool {
		for _, o := range owners(watcher) {
			if strings.HasPrefix(o, zombie.id+" ") && strings.HasSuffix(o, "RUNNING") {
				return false
			}
		}
		return true
	}, watcher)
	zombie.p.Cmd.Process.Signal(syscall.SIGCONT)
	t.Logf("%s: %s resumed", time.Since(began).Truncate(time.Millisecond), zombie.id)
	waitUntil(t, 30*time.Second, "the resumed server to give its units up", func() bool {
		return strings.Contains(zombie.p.Output(), "job taken over by another server")
	}, zombie)

	<-produced
	windows := map[[2]int64]bool{}
	for _, e := range f.events {
		if e.ts < f.windowsBefore {
			windows[[2]int64{e.k, e.ts / 10000}] = true
		}
	}
	up := []*clusterProcess{a, c, d}
	waitUntil(t, 3*time.Minute, "every event in MySQL and every window in Kafka", func() bool {
		for _, j := range clusterJobs(t, watcher.base) {
			if j.Status != "RUNNING" {
				var sb strings.Builder
				for _, p := range up {
					fmt.Fprintf(&sb, "--- server %s\n%s\n", p.id, tail(p.p.Output(), 6000))
				}
				t.Fatalf("unit %s (%s): %s %s\n%s", j.ID, j.Name, j.Status, j.Error, sb.String())
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
		return n == len(f.events) && w == len(windows) && k >= len(windows)
	}, up...)
	f.compare(t)
	// Every server's view shows each running unit's last checkpoint and
	// its lag, in all and by partition, from the owners' announcements.
	waitUntil(t, 30*time.Second, "the units' figures in the cluster view", func() bool {
		for _, sv := range clusterView(t, watcher.base).Servers {
			for _, j := range sv.Jobs {
				if j.Status != "RUNNING" {
					continue
				}
				// Every partition a unit reads shows its lag: the source's
				// for the first stage, the key groups' of the topics
				// between stages for the others; all caught up.
				want := strings.Count(j.Reads, ",") + 1 // "splits events-0, events-3, ..."
				if from, to, ok := strings.Cut(strings.TrimPrefix(j.Reads, "key groups "), "-"); ok && strings.HasPrefix(j.Reads, "key groups ") {
					var a, b int
					fmt.Sscan(from, &a)
					fmt.Sscan(to, &b)
					want = b - a + 1
				}
				if j.Checkpoint == 0 || j.Lag == nil || *j.Lag != 0 || len(j.PartitionLag) < want {
					return false
				}
				for _, n := range j.PartitionLag {
					if n != 0 {
						return false
					}
				}
			}
		}
		return true
	}, up...)
	got := readCommitted(t, f.brokers, "windows_out")
	want := strings.Split(strings.TrimSpace(queryRows(t, f.db, fmt.Sprintf(
		"SELECT k, DATE_FORMAT(w_end, '%%Y-%%m-%%d %%H:%%i:%%s'), c, s FROM %s.windowed ORDER BY 1, 2", f.schema))), "\n")
	slices.Sort(want)
	if !slices.Equal(got, want) {
		t.Fatalf("Kafka output: %d rows, want %d:\n--- got\n%.1500s\n--- want\n%.1500s", len(got), len(want), strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

// clusterView is GET /v1/cluster on base.
func clusterView(t testing.TB, base string) api.ClusterView {
	t.Helper()
	resp, err := http.Get(base + "/v1/cluster")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var v api.ClusterView
	if err := json.NewDecoder(resp.Body).Decode(&v); err != nil {
		t.Fatal(err)
	}
	return v
}
