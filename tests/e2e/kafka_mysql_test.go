package e2e

import (
	"context"
	"database/sql"
	"fmt"
	"math"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	_ "github.com/go-sql-driver/mysql"
	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/streamsql/streamsql/internal/testkit"
)

const mysqlDSN = "root@tcp(" + testkit.MariaDBAddr + ")/"

// openMySQL connects to the local server; an unreachable server stops
// the test as testkit.RequireMariaDB says (fails in CI, skips elsewhere
// naming the command that starts the server).
func openMySQL(t *testing.T) *sql.DB {
	t.Helper()
	testkit.RequireMariaDB(t)
	db, err := sql.Open("mysql", mysqlDSN+"?multiStatements=true")
	if err == nil {
		err = db.Ping()
	}
	if err != nil {
		testkit.MariaDBUnreachable(t, err)
	}
	db.SetMaxOpenConns(1) // one session, so SET time_zone applies to every query
	return db
}

// checkpointInterval is the jobs' checkpoint interval; the kills land
// within one interval after a completed checkpoint.
const checkpointInterval = 100 * time.Millisecond

type event struct {
	k, v int64
	ts   int64 // ms
}

// TestKafkaToMySQLExactlyOnceThroughKills runs two jobs from Kafka into
// MySQL tables, kills the process plannedKills times, each time after a
// checkpoint of both jobs completed in that process, at a random point
// (seed in the log, seedEnv to repeat) within the next interval, requires
// every restarted process to restore the latest checkpoint of both jobs,
// and compares the tables with MariaDB's own grouping of the same events.
func TestKafkaToMySQLExactlyOnceThroughKills(t *testing.T) {
	if testing.Short() {
		t.Skip("runs processes for several seconds")
	}
	f := newKafkaMySQLFixture(t, 800000)
	cp := t.TempDir()
	script := fmt.Sprintf(`
SET 'execution.checkpointing.interval' = '%s';
SET 'state.checkpoints.dir' = '%s';
`, checkpointInterval, cp) + f.script

	bin := testkit.BuildBinary(t)
	kills := killProcesses(t, bin, script, cp, 2, checkpointInterval, killRNG(t))
	t.Logf("killed %d times, every restarted process restored a checkpoint of each job", kills)

	f.compare(t)
}

// kafkaMySQLFixture is a Kafka topic of events (an in-process broker), a
// MariaDB schema, and the script of two jobs from the topic into tables
// of the schema: a windowed count and a running count per key.
type kafkaMySQLFixture struct {
	db      *sql.DB
	schema  string
	events  []event
	brokers string
	script  string
	recs    []*kgo.Record // events as records, in order
	client  *kgo.Client
	// windowsBefore, when set, leaves windows ending after it out of the
	// windowed comparison (events whose windows never close).
	windowsBefore int64
}

// newKafkaMySQLFixture produces n events into a new topic and creates the
// schema; both go away at the end of the test.
func newKafkaMySQLFixture(t *testing.T, n int) *kafkaMySQLFixture {
	t.Helper()
	return newKafkaMySQLFixtureOn(t, n, 3, n)
}

// newKafkaMySQLFixtureOn is newKafkaMySQLFixture with a topic of the
// given number of partitions (events are keyed by k), of which it
// produces the first `produced` events (produce sends more).
func newKafkaMySQLFixtureOn(t *testing.T, n, partitions, produced int) *kafkaMySQLFixture {
	t.Helper()
	db := openMySQL(t)
	t.Cleanup(func() { db.Close() })
	schema := fmt.Sprintf("e2e_%d", time.Now().UnixNano()%1e9)
	if _, err := db.Exec("CREATE DATABASE " + schema); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Exec("DROP DATABASE " + schema) })

	cluster, err := kfake.NewCluster(kfake.NumBrokers(1), kfake.SeedTopics(int32(partitions), "events"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(cluster.Close)
	brokers := strings.Join(cluster.ListenAddrs(), ",")

	// N events with event times that advance with some disorder.
	rng := rand.New(rand.NewPCG(3, 4))
	events := make([]event, n)
	cl, err := kgo.NewClient(kgo.SeedBrokers(cluster.ListenAddrs()...), kgo.DefaultProduceTopic("events"))
	if err != nil {
		t.Fatal(err)
	}
	recs := make([]*kgo.Record, 0, n)
	for i := range events {
		e := event{k: rng.Int64N(20), v: rng.Int64N(100), ts: 1600000000000 + int64(i)*2 + rng.Int64N(300)}
		events[i] = e
		ts := time.UnixMilli(e.ts).UTC().Format("2006-01-02 15:04:05.000")
		recs = append(recs, &kgo.Record{Key: []byte(fmt.Sprint(e.k)), Value: []byte(fmt.Sprintf(`{"k":%d,"v":%d,"ts":"%s"}`, e.k, e.v, ts))})
	}
	t.Cleanup(cl.Close)
	f0 := &kafkaMySQLFixture{recs: recs, client: cl}
	f0.produce(t, 0, produced)

	script := fmt.Sprintf(`
SET 'parallelism.default' = '2';
CREATE TABLE events (k BIGINT, v BIGINT, ts TIMESTAMP(3), WATERMARK FOR ts AS ts - INTERVAL '1' SECOND) WITH (
  'connector' = 'kafka', 'topic' = 'events', 'properties.bootstrap.servers' = '%[1]s',
  'scan.startup.mode' = 'earliest-offset', 'scan.bounded.mode' = 'latest-offset', 'format' = 'json');
CREATE TABLE windowed (k BIGINT, w_end TIMESTAMP(3), c BIGINT, s BIGINT, PRIMARY KEY (k, w_end) NOT ENFORCED) WITH (
  'connector' = 'jdbc', 'url' = 'mysql://root@127.0.0.1:3306/%[2]s', 'table-name' = 'windowed', 'sink.create-table' = 'true');
CREATE TABLE running (k BIGINT, c BIGINT, s BIGINT, PRIMARY KEY (k) NOT ENFORCED) WITH (
  'connector' = 'jdbc', 'url' = 'mysql://root@127.0.0.1:3306/%[2]s', 'table-name' = 'running', 'sink.create-table' = 'true');
INSERT INTO windowed SELECT k, TUMBLE_END(ts, INTERVAL '10' SECOND), COUNT(*), SUM(v) FROM events GROUP BY TUMBLE(ts, INTERVAL '10' SECOND), k;
INSERT INTO running SELECT k, COUNT(*), SUM(v) FROM events GROUP BY k;
`, brokers, schema)
	return &kafkaMySQLFixture{db: db, schema: schema, events: events, brokers: brokers, script: script, recs: recs, client: cl}
}

// produce sends events [from, to) to the topic.
func (f *kafkaMySQLFixture) produce(t *testing.T, from, to int) {
	t.Helper()
	if from >= to {
		return
	}
	if err := f.client.ProduceSync(context.Background(), f.recs[from:to]...).FirstErr(); err != nil {
		t.Fatal(err)
	}
}

// addEvents appends events to the fixture (produced by produce, compared
// by compare).
func (f *kafkaMySQLFixture) addEvents(es ...event) {
	for _, e := range es {
		f.events = append(f.events, e)
		ts := time.UnixMilli(e.ts).UTC().Format("2006-01-02 15:04:05.000")
		f.recs = append(f.recs, &kgo.Record{Key: []byte(fmt.Sprint(e.k)), Value: []byte(fmt.Sprintf(`{"k":%d,"v":%d,"ts":"%s"}`, e.k, e.v, ts))})
	}
}

// compare checks the two tables against MariaDB's own grouping of the
// same events, computed independently.
func (f *kafkaMySQLFixture) compare(t *testing.T) {
	t.Helper()
	db, schema, events := f.db, f.schema, f.events
	windowsBefore := f.windowsBefore
	if windowsBefore == 0 {
		windowsBefore = math.MaxInt64
	}
	if _, err := db.Exec(fmt.Sprintf("CREATE TABLE %s.raw (k BIGINT, v BIGINT, ts BIGINT)", schema)); err != nil {
		t.Fatal(err)
	}
	for i := 0; i < len(events); i += 5000 {
		var sb strings.Builder
		fmt.Fprintf(&sb, "INSERT INTO %s.raw VALUES ", schema)
		for j := i; j < i+5000 && j < len(events); j++ {
			if j > i {
				sb.WriteByte(',')
			}
			fmt.Fprintf(&sb, "(%d,%d,%d)", events[j].k, events[j].v, events[j].ts)
		}
		if _, err := db.Exec(sb.String()); err != nil {
			t.Fatal(err)
		}
	}
	compare := func(name, want, got string) {
		t.Helper()
		w, g := queryRows(t, db, want), queryRows(t, db, got)
		if w != g {
			t.Errorf("%s differs from the independently computed result:\n--- want\n%.2000s\n--- got\n%.2000s", name, w, g)
		}
	}
	// Late rows: a row is dropped from its window when the watermark (max
	// ts so far - 1 s, per partition, min over partitions) passed its end;
	// with at most 300 ms of disorder per partition nothing is late, so
	// the windows equal a plain GROUP BY.
	compare("running",
		fmt.Sprintf("SELECT k, COUNT(*), SUM(v) FROM %s.raw GROUP BY k ORDER BY k", schema),
		fmt.Sprintf("SELECT k, c, s FROM %s.running ORDER BY k", schema))
	compare("windowed",
		fmt.Sprintf("SELECT k, DATE_FORMAT(FROM_UNIXTIME((FLOOR(ts/10000)*10000+10000)/1000), '%%Y-%%m-%%d %%H:%%i:%%s'), COUNT(*), SUM(v) FROM %s.raw WHERE ts < %d GROUP BY k, FLOOR(ts/10000) ORDER BY 1, 2", schema, windowsBefore),
		fmt.Sprintf("SELECT k, DATE_FORMAT(w_end, '%%Y-%%m-%%d %%H:%%i:%%s'), c, s FROM %s.windowed ORDER BY 1, 2", schema))
}

func queryRows(t *testing.T, db *sql.DB, q string) string {
	t.Helper()
	if _, err := db.Exec("SET time_zone = '+00:00'"); err != nil {
		t.Fatal(err)
	}
	rows, err := db.Query(q)
	if err != nil {
		t.Fatalf("%s: %v", q, err)
	}
	defer rows.Close()
	cols, _ := rows.Columns()
	var out strings.Builder
	for rows.Next() {
		vals := make([]sql.NullString, len(cols))
		ptrs := make([]any, len(cols))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		if err := rows.Scan(ptrs...); err != nil {
			t.Fatal(err)
		}
		for i, v := range vals {
			if i > 0 {
				out.WriteByte(' ')
			}
			out.WriteString(v.String)
		}
		out.WriteByte('\n')
	}
	return out.String()
}
