package kafka_test

import (
	"fmt"
	"io"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kfake"

	_ "github.com/streamsql/streamsql/connectors/kafka"
	"github.com/streamsql/streamsql/engine"
	"github.com/streamsql/streamsql/internal/testkit"
)

// TestEngineExactlyOnce runs two jobs with checkpointing, each failing once
// midway and restoring from its latest checkpoint: an in-memory table into
// a Kafka topic (exactly-once sink), then that topic (bounded source,
// positions in the checkpoints) into another topic. Reading the last topic
// gives every row exactly once.
func TestEngineExactlyOnce(t *testing.T) {
	c, err := kfake.NewCluster(kfake.NumBrokers(2), kfake.SeedTopics(3, "mid", "out"))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	servers := strings.Join(c.ListenAddrs(), ",")
	var stderr testkit.SyncBuffer
	e := engine.New(engine.Options{Stdout: io.Discard, Stderr: &stderr,
		Testing: &engine.Testing{FailAfterRows: 60, BatchSize: 4, SourceBatchDelay: time.Millisecond}})
	const n = 400
	var values []string
	for i := 0; i < n; i++ {
		values = append(values, fmt.Sprintf("(%d, 'n%d', TIMESTAMP '2020-10-10 00:00:%02d.000')", i, i, i%60))
	}
	with := func(topic string, extra string) string {
		return fmt.Sprintf(`WITH ('connector' = 'kafka', 'topic' = '%s', 'properties.bootstrap.servers' = '%s',
  'format' = 'json', 'scan.startup.mode' = 'earliest-offset', 'scan.bounded.mode' = 'latest-offset',
  'sink.delivery-guarantee' = 'exactly-once'%s)`, topic, servers, extra)
	}
	script := fmt.Sprintf(`
SET 'execution.checkpointing.interval' = '20ms';
SET 'state.checkpoints.dir' = '%s';
SET 'parallelism.default' = '2';
SET 'restart-strategy' = 'fixed-delay';
SET 'restart-strategy.fixed-delay.attempts' = '3';
SET 'restart-strategy.fixed-delay.delay' = '10ms';
CREATE TABLE src (id BIGINT, name STRING, ts TIMESTAMP(3));
INSERT INTO src VALUES %s;
CREATE TABLE mid (id BIGINT, name STRING, ts TIMESTAMP(3)) %s;
CREATE TABLE outt (id BIGINT, name STRING, ts TIMESTAMP(3)) %s;
INSERT INTO mid SELECT id, name, ts FROM src;
INSERT INTO outt SELECT id, name, ts FROM mid WHERE id >= 0;`,
		t.TempDir(), strings.Join(values, ", "), with("mid", ""), with("out", ", 'properties.group.id' = 'copy'"))
	if err := e.Exec(script); err != nil {
		t.Fatalf("%v\n%s", err, stderr.String())
	}
	for _, j := range e.Jobs() {
		if j.Restarts() == 0 {
			t.Fatalf("job %s did not fail and restart: the test does not test recovery", j.Name)
		}
	}
	_, rows, err := e.Query("SELECT id, name, ts FROM outt")
	if err != nil {
		t.Fatal(err)
	}
	var got []int64
	for _, r := range rows {
		if r[1].Str() != fmt.Sprintf("n%d", r[0].Int()) {
			t.Fatalf("row %v", r)
		}
		got = append(got, r[0].Int())
	}
	sort.Slice(got, func(i, j int) bool { return got[i] < got[j] })
	if len(got) != n {
		t.Fatalf("%d rows, want %d\n%s", len(got), n, stderr.String())
	}
	for i, id := range got {
		if id != int64(i) {
			t.Fatalf("row %d has id %d: rows are lost or repeated", i, id)
		}
	}
	if strings.Contains(stderr.String(), "panic") {
		t.Fatalf("stderr:\n%s", stderr.String())
	}
}
