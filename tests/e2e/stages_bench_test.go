package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"net/http"
	"os/exec"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/streamsql/streamsql/internal/testkit"
)

// BenchmarkStagedJobOnOneAndTwoServers runs one windowed count cut into
// two stages of two units over an 8-partition topic of b.N events, on a
// cluster of one `streamsql server` process and on a cluster of two, each
// server pinned to its own core (taskset, when there is one), alternating
// three rounds; it reports the events per second of the fastest round of
// each and their ratio, and the same for the job run whole at parallelism
// 2 on one server. The broker (kfake) runs in the benchmark's own process,
// on both cores.
//
//	go test ./tests/e2e -run XXX -bench StagedJobOnOneAndTwoServers -benchtime 1000000x -timeout 30m
func BenchmarkStagedJobOnOneAndTwoServers(b *testing.B) {
	const partitions = 8
	kc, err := kfake.NewCluster(kfake.NumBrokers(1), kfake.SeedTopics(partitions, "events"))
	if err != nil {
		b.Fatal(err)
	}
	defer kc.Close()
	brokers := strings.Join(kc.ListenAddrs(), ",")
	cl, err := kgo.NewClient(kgo.SeedBrokers(kc.ListenAddrs()...), kgo.DefaultProduceTopic("events"))
	if err != nil {
		b.Fatal(err)
	}
	defer cl.Close()
	rng := rand.New(rand.NewPCG(5, 6))
	recs := make([]*kgo.Record, 0, 10000)
	for i := 0; i < b.N; i++ {
		k := rng.Int64N(1000)
		ts := time.UnixMilli(1600000000000 + int64(i)).UTC().Format("2006-01-02 15:04:05.000")
		recs = append(recs, &kgo.Record{Key: []byte(fmt.Sprint(k)), Value: []byte(fmt.Sprintf(`{"k":%d,"v":%d,"ts":"%s"}`, k, rng.Int64N(100), ts))})
		if len(recs) == cap(recs) || i == b.N-1 {
			if err := cl.ProduceSync(context.Background(), recs...).FirstErr(); err != nil {
				b.Fatal(err)
			}
			recs = recs[:0]
		}
	}
	script := fmt.Sprintf(`SET 'execution.stages.units' = '2';
CREATE TABLE events (k BIGINT, v BIGINT, ts TIMESTAMP(3), WATERMARK FOR ts AS ts - INTERVAL '1' SECOND) WITH (
  'connector' = 'kafka', 'topic' = 'events', 'properties.bootstrap.servers' = '%s',
  'scan.startup.mode' = 'earliest-offset', 'scan.bounded.mode' = 'latest-offset', 'format' = 'json');
CREATE TABLE counts (k BIGINT, w TIMESTAMP(3), c BIGINT, s BIGINT) WITH ('connector' = 'blackhole');
INSERT INTO counts SELECT k, TUMBLE_END(ts, INTERVAL '10' SECOND), COUNT(*), SUM(v) FROM events GROUP BY TUMBLE(ts, INTERVAL '10' SECOND), k;
`, brokers)
	bin := testkit.BuildBinary(b)
	_, taskErr := exec.LookPath("taskset")
	// The same job whole, at parallelism 2 on one server: what the
	// exchange through Kafka costs against exec's in-process one.
	whole := strings.Replace(script, "SET 'execution.stages.units' = '2';", "SET 'parallelism.default' = '2';", 1)
	b.ResetTimer()
	best := map[string]time.Duration{}
	for round := 0; round < 3; round++ {
		for _, run := range []struct {
			name    string
			servers int
			script  string
			jobs    int
		}{{"whole", 1, whole, 1}, {"1server", 1, script, 4}, {"2servers", 2, script, 4}} {
			d := runStagedOnServers(b, bin, brokers, fmt.Sprintf("bench%d-%s", round, run.name), run.servers, taskErr == nil, run.script, run.jobs)
			if best[run.name] == 0 || d < best[run.name] {
				best[run.name] = d
			}
		}
	}
	b.ReportMetric(float64(b.N)/best["whole"].Seconds(), "whole-events/s")
	b.ReportMetric(float64(b.N)/best["1server"].Seconds(), "1server-events/s")
	b.ReportMetric(float64(b.N)/best["2servers"].Seconds(), "2servers-events/s")
	b.ReportMetric(best["1server"].Seconds()/best["2servers"].Seconds(), "2servers/1server")
}

// runStagedOnServers starts a cluster of n servers, submits script and
// returns the time from the submission until its units (jobs) finished.
func runStagedOnServers(b *testing.B, bin, brokers, name string, n int, pin bool, script string, units int) time.Duration {
	shared := b.TempDir()
	var procs []*testkit.Process
	var bases []string
	for i := 0; i < n; i++ {
		args := []string{"server", "--listen", "127.0.0.1:0", "--data-dir", b.TempDir(), "--checkpoint-interval", "1s",
			"--checkpoint-dir", shared, "--cluster-name", name, "--cluster-bootstrap-servers", brokers,
			"--server-id", fmt.Sprintf("S%d", i), "--cluster-heartbeat", "1s"}
		cmd := exec.Command(bin, args...)
		if pin {
			cmd = exec.Command("taskset", append([]string{"-c", fmt.Sprint(i), bin}, args...)...)
		}
		p := testkit.StartProcess(b, cmd)
		procs = append(procs, p)
		re := regexp.MustCompile(`listening on (http://\S+)`)
		deadline := time.Now().Add(30 * time.Second)
		for {
			if m := re.FindStringSubmatch(p.Output()); m != nil {
				bases = append(bases, m[1])
				break
			}
			if time.Now().After(deadline) {
				b.Fatalf("server did not start:\n%s", p.Output())
			}
			time.Sleep(20 * time.Millisecond)
		}
	}
	defer func() {
		for _, p := range procs {
			p.Kill()
		}
	}()
	for deadline := time.Now().Add(30 * time.Second); upServers(b, bases[0]) != n; {
		if time.Now().After(deadline) {
			b.Fatalf("%d servers not up", n)
		}
		time.Sleep(50 * time.Millisecond)
	}
	began := time.Now()
	body, _ := json.Marshal(map[string]string{"statements": script})
	resp, err := http.Post(bases[0]+"/v1/statements", "application/json", strings.NewReader(string(body)))
	if err != nil {
		b.Fatal(err)
	}
	resp.Body.Close()
	for {
		jobs := clusterJobs(b, bases[0])
		finished, owners := 0, map[string]bool{}
		for _, j := range jobs {
			owners[j.Owner] = true
			switch j.Status {
			case "FINISHED":
				finished++
			case "FAILED", "STOPPED":
				b.Fatalf("unit %s: %s %s", j.ID, j.Status, j.Error)
			}
		}
		if len(jobs) == units && finished == units {
			if len(owners) != min(n, units) {
				b.Fatalf("the units ran on %d servers, want %d", len(owners), n)
			}
			return time.Since(began)
		}
		if time.Since(began) > 10*time.Minute {
			b.Fatalf("the job did not finish: %+v", jobs)
		}
		time.Sleep(20 * time.Millisecond)
	}
}
