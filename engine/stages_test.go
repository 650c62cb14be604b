package engine

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kgo"
)

// syncBuffer is a bytes.Buffer that print sinks of several units may
// write at once.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// stagedScript is the input of the staged-run tests: 20,000 rows from 8
// datagen splits, ten milliseconds of event time apart, and four jobs
// over them: a tumbling window count (its stage boundary a HASH edge, two
// phases at units > 1), a regular join, a changelog aggregate printed as
// +I/-U/+U, and a global count (a GLOBAL edge: one unit).
const stagedScript = `
CREATE TABLE src (id BIGINT, ts TIMESTAMP(3), WATERMARK FOR ts AS ts - INTERVAL '1' SECOND) WITH (
  'connector' = 'datagen', 'number-of-rows' = '20000', 'rows-per-second' = '0',
  'fields.id.kind' = 'sequence', 'fields.id.start' = '0', 'fields.id.end' = '19999',
  'fields.ts.kind' = 'sequence', 'fields.ts.start' = '2024-01-01 00:00:00', 'fields.ts.end' = '2024-01-01 00:03:19.990', 'fields.ts.step' = '10');
CREATE TABLE win (k BIGINT, w TIMESTAMP(3), n BIGINT, s BIGINT);
CREATE TABLE jn (a BIGINT, b BIGINT);
CREATE TABLE changes (k BIGINT, n BIGINT) WITH ('connector' = 'print');
CREATE TABLE total (n BIGINT) WITH ('connector' = 'print', 'print-identifier' = 'total');
CREATE VIEW keyed AS SELECT id % 13 AS k, id, ts FROM src;
SET 'table.dml-sync' = 'true';
INSERT INTO win SELECT k, TUMBLE_END(ts, INTERVAL '1' SECOND), COUNT(*), SUM(id) FROM keyed GROUP BY TUMBLE(ts, INTERVAL '1' SECOND), k;
INSERT INTO jn SELECT a.id, b.id FROM (SELECT id, id % 7 AS k FROM src WHERE id < 700) a JOIN (SELECT id, id % 7 AS k FROM src WHERE id < 700) b ON a.k = b.k;
INSERT INTO changes SELECT k, COUNT(*) FROM keyed GROUP BY k;
INSERT INTO total SELECT COUNT(*) FROM src;
`

// stagedResult is what a run of stagedScript left: the window and join
// tables (sorted rows), the printed changelogs folded to their final rows,
// and the names of the jobs it started.
type stagedResult struct {
	win, jn, changes, total, jobs []string
}

// runStaged runs stagedScript with the given settings.
func runStaged(t *testing.T, settings ...string) stagedResult {
	t.Helper()
	out := &syncBuffer{}
	e := New(Options{Stdout: out, Stderr: io.Discard})
	script := ""
	for _, s := range settings {
		script += s + ";\n"
	}
	if err := e.RunScript(context.Background(), script+stagedScript, io.Discard); err != nil {
		t.Fatalf("%v: %v", settings, err)
	}
	var r stagedResult
	var err error
	if r.win, err = queryRendered(e, "SELECT * FROM win"); err != nil {
		t.Fatal(err)
	}
	if r.jn, err = queryRendered(e, "SELECT * FROM jn"); err != nil {
		t.Fatal(err)
	}
	r.changes, r.total = foldChangelog(t, out.String(), ""), foldChangelog(t, out.String(), "total")
	for _, j := range e.Jobs() {
		r.jobs = append(r.jobs, j.Name)
	}
	sort.Strings(r.jobs)
	return r
}

// expectSame checks a staged run's results against the whole run's, and
// that its 4 INSERTs ran as more jobs (their units).
func (r stagedResult) expectSame(t *testing.T, whole stagedResult) {
	t.Helper()
	if len(r.jobs) < 8 {
		t.Errorf("4 INSERTs cut into stages ran as %d jobs: %q", len(r.jobs), r.jobs)
	}
	if !slices.Equal(r.win, whole.win) {
		t.Errorf("window table differs: %d rows, want %d", len(r.win), len(whole.win))
	}
	if !slices.Equal(r.jn, whole.jn) {
		t.Errorf("join table differs: %d rows, want %d", len(r.jn), len(whole.jn))
	}
	if !slices.Equal(r.changes, whole.changes) {
		t.Errorf("changelog folds to %v, want %v", r.changes, whole.changes)
	}
	if !slices.Equal(r.total, whole.total) {
		t.Errorf("global count folds to %v, want %v", r.total, whole.total)
	}
}

// foldChangelog applies the +I/-U/+U/-D lines printed by the print sink
// with identifier ident ("" for none) to a
// multiset of rows and returns what is left, sorted.
func foldChangelog(t *testing.T, printed, ident string) []string {
	t.Helper()
	rows := map[string]int{}
	for _, l := range strings.Split(printed, "\n") {
		if l == "" {
			continue
		}
		// A print sink at parallelism above 1 numbers its instances:
		// "1> ", "total:2> ".
		name, rest, ok := strings.Cut(l, "> ")
		if !ok {
			name, rest = "", l
		}
		name, _, _ = strings.Cut(name, ":")
		if strings.Trim(name, "0123456789") == "" {
			name = ""
		}
		if name != ident {
			continue
		}
		l = rest
		op, row, ok := strings.Cut(l, "[")
		if !ok {
			t.Fatalf("printed line %q", l)
		}
		switch op {
		case "+I", "+U":
			rows[row]++
		case "-U", "-D":
			rows[row]--
		default:
			t.Fatalf("printed line %q", l)
		}
	}
	var out []string
	for r, n := range rows {
		if n < 0 {
			t.Fatalf("row %s retracted more often than added", r)
		}
		for ; n > 0; n-- {
			out = append(out, r)
		}
	}
	sort.Strings(out)
	return out
}

// TestStagedRunEqualsWholeRun runs the same jobs whole and cut into
// stages at 1, 2 and 3 units per stage (in-memory topics), with and
// without two-phase aggregation, and expects the same tables and the
// same final changelog state.
func TestStagedRunEqualsWholeRun(t *testing.T) {
	whole := runStaged(t, "SET 'parallelism.default' = '2'")
	if len(whole.jobs) != 4 {
		t.Fatalf("whole run: jobs %q", whole.jobs)
	}
	if len(whole.win) != 200*13 || len(whole.jn) != 70000 {
		t.Fatalf("whole run: %d window rows, %d join rows", len(whole.win), len(whole.jn))
	}
	if len(whole.changes) != 13 || fmt.Sprint(whole.total) != "[20000]]" {
		t.Fatalf("whole run: changes %v, total %v", whole.changes, whole.total)
	}
	for _, units := range []int{1, 2, 3} {
		for _, phases := range []string{"ONE_PHASE", "TWO_PHASE"} {
			t.Run(fmt.Sprintf("units=%d/%s", units, phases), func(t *testing.T) {
				runStaged(t, fmt.Sprintf("SET '%s' = '%d'", StagesUnitsKey, units),
					fmt.Sprintf("SET 'table.optimizer.agg-phase-strategy' = '%s'", phases)).expectSame(t, whole)
			})
		}
	}
}

// TestStagedRunOverKafka runs the staged jobs with the Kafka exchange (an
// in-process broker) at 2 units, with checkpoints, and expects the whole
// run's results.
func TestStagedRunOverKafka(t *testing.T) {
	cluster, err := kfake.NewCluster(kfake.NumBrokers(1))
	if err != nil {
		t.Fatal(err)
	}
	defer cluster.Close()
	whole := runStaged(t)
	runStaged(t, fmt.Sprintf("SET '%s' = '2'", StagesUnitsKey),
		fmt.Sprintf("SET '%s' = 'kafka'", StagesExchangeKey),
		fmt.Sprintf("SET '%s' = '%s'", StagesBootstrapKey, strings.Join(cluster.ListenAddrs(), ",")),
		"SET 'execution.checkpointing.interval' = '100ms'",
		fmt.Sprintf("SET 'state.checkpoints.dir' = '%s'", t.TempDir())).expectSame(t, whole)
}

// TestStagedWindowsFireWhileAFirstStageUnitIsIdle: a job cut into two
// stages of two units reads a Kafka topic of two partitions, one unit
// each; the unit of partition 1 reads one row and goes idle
// (table.exec.source.idle-timeout). Its idle status crosses the topic to
// the second stage, whose windows fire on the other unit's event time
// instead of waiting for partition 1.
func TestStagedWindowsFireWhileAFirstStageUnitIsIdle(t *testing.T) {
	cluster, err := kfake.NewCluster(kfake.NumBrokers(1), kfake.SeedTopics(2, "events"))
	if err != nil {
		t.Fatal(err)
	}
	defer cluster.Close()
	cl, err := kgo.NewClient(kgo.SeedBrokers(cluster.ListenAddrs()...), kgo.RecordPartitioner(kgo.ManualPartitioner()))
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	var recs []*kgo.Record
	for i := 0; i < 300; i++ {
		recs = append(recs, &kgo.Record{Topic: "events", Partition: 0, Value: fmt.Appendf(nil, `{"id": %d, "ts": %d}`, i, i*10)})
	}
	recs = append(recs, &kgo.Record{Topic: "events", Partition: 1, Value: []byte(`{"id": 1000, "ts": 5}`)})
	if err := cl.ProduceSync(context.Background(), recs...).FirstErr(); err != nil {
		t.Fatal(err)
	}

	out := &syncBuffer{}
	e := New(Options{Stdout: out, Stderr: io.Discard})
	script := fmt.Sprintf(`
SET '%s' = '2';
SET 'table.exec.source.idle-timeout' = '300ms';
CREATE TABLE src (id BIGINT, ts TIMESTAMP(3), WATERMARK FOR ts AS ts) WITH (
  'connector' = 'kafka', 'topic' = 'events', 'properties.bootstrap.servers' = '%s',
  'scan.startup.mode' = 'earliest-offset', 'format' = 'json');
CREATE TABLE win (k BIGINT, w TIMESTAMP(3), n BIGINT) WITH ('connector' = 'print');
INSERT INTO win SELECT id %% 3, TUMBLE_END(ts, INTERVAL '1' SECOND), COUNT(*) FROM src GROUP BY TUMBLE(ts, INTERVAL '1' SECOND), id %% 3;
`, StagesUnitsKey, strings.Join(cluster.ListenAddrs(), ","))
	// The job is unbounded: the script runs until ctx stops it.
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- e.RunScript(ctx, script, io.Discard) }()
	defer func() {
		cancel()
		if err := <-done; err != nil {
			t.Error(err)
		}
	}()
	// Partition 0's event time reaches 2990: the windows ending at 1 s
	// and 2 s fire, three keys each; key 1's at 1 s counts partition 1's
	// row (id 1000) too. (foldChangelog leaves "+I[" out.)
	want := []string{"0, 1970-01-01 00:00:01.000, 34]", "0, 1970-01-01 00:00:02.000, 33]",
		"1, 1970-01-01 00:00:01.000, 34]", "1, 1970-01-01 00:00:02.000, 34]",
		"2, 1970-01-01 00:00:01.000, 33]", "2, 1970-01-01 00:00:02.000, 33]"}
	var got []string
	for deadline := time.Now().Add(60 * time.Second); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		got = foldChangelog(t, out.String(), "")
		if len(got) >= len(want) {
			break
		}
	}
	if !slices.Equal(got, want) {
		t.Errorf("windows fired: %v, want %v", got, want)
	}
	if n := len(e.Jobs()); n != 4 {
		t.Errorf("the INSERT ran as %d jobs, want two stages of two units", n)
	}
}
