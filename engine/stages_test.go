package engine

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"sort"
	"strings"
	"sync"
	"testing"

	"github.com/twmb/franz-go/pkg/kfake"
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

// runStaged runs stagedScript with the given settings and returns the
// window and join tables (sorted rows) and the changelog printed.
func runStaged(t *testing.T, settings ...string) (win, jn []string, printed string, jobs []string) {
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
	win, err := queryRendered(e, "SELECT * FROM win")
	if err != nil {
		t.Fatal(err)
	}
	jn, err = queryRendered(e, "SELECT * FROM jn")
	if err != nil {
		t.Fatal(err)
	}
	for _, j := range e.Jobs() {
		jobs = append(jobs, j.Name)
	}
	sort.Strings(jobs)
	return win, jn, out.String(), jobs
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
	win, jn, printed, jobs := runStaged(t, "SET 'parallelism.default' = '2'")
	if len(jobs) != 4 {
		t.Fatalf("whole run: jobs %q", jobs)
	}
	if len(win) != 200*13 || len(jn) != 70000 {
		t.Fatalf("whole run: %d window rows, %d join rows", len(win), len(jn))
	}
	changes := foldChangelog(t, printed, "")
	total := foldChangelog(t, printed, "total")
	if len(changes) != 13 || fmt.Sprint(total) != "[20000]]" {
		t.Fatalf("whole run: changes %v, total %v", changes, total)
	}
	for _, units := range []int{1, 2, 3} {
		for _, phases := range []string{"ONE_PHASE", "TWO_PHASE"} {
			t.Run(fmt.Sprintf("units=%d/%s", units, phases), func(t *testing.T) {
				w, j, p, jobs := runStaged(t, fmt.Sprintf("SET '%s' = '%d'", StagesUnitsKey, units),
					fmt.Sprintf("SET 'table.optimizer.agg-phase-strategy' = '%s'", phases))
				t.Logf("%d jobs: %q", len(jobs), jobs)
				if len(jobs) < 8 {
					t.Errorf("4 INSERTs cut into stages ran as %d jobs: %q", len(jobs), jobs)
				}
				if !equalStrings(w, win) {
					t.Errorf("window table differs: %d rows, want %d", len(w), len(win))
				}
				if !equalStrings(j, jn) {
					t.Errorf("join table differs: %d rows, want %d", len(j), len(jn))
				}
				if got := foldChangelog(t, p, ""); !equalStrings(got, changes) {
					t.Errorf("changelog folds to %v, want %v", got, changes)
				}
				if got := foldChangelog(t, p, "total"); !equalStrings(got, total) {
					t.Errorf("global count folds to %v, want %v", got, total)
				}
			})
		}
	}
}

func equalStrings(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
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
	win, jn, printed, _ := runStaged(t)
	changes, total := foldChangelog(t, printed, ""), foldChangelog(t, printed, "total")
	w, j, p, jobs := runStaged(t, fmt.Sprintf("SET '%s' = '2'", StagesUnitsKey),
		fmt.Sprintf("SET '%s' = 'kafka'", StagesExchangeKey),
		fmt.Sprintf("SET '%s' = '%s'", StagesBootstrapKey, strings.Join(cluster.ListenAddrs(), ",")),
		"SET 'execution.checkpointing.interval' = '100ms'",
		fmt.Sprintf("SET 'state.checkpoints.dir' = '%s'", t.TempDir()))
	if len(jobs) < 8 {
		t.Errorf("4 INSERTs cut into stages ran as %d jobs: %q", len(jobs), jobs)
	}
	if !equalStrings(w, win) {
		t.Errorf("window table differs: %d rows, want %d", len(w), len(win))
	}
	if !equalStrings(j, jn) {
		t.Errorf("join table differs: %d rows, want %d", len(j), len(jn))
	}
	if got := foldChangelog(t, p, ""); !equalStrings(got, changes) {
		t.Errorf("changelog folds to %v, want %v", got, changes)
	}
	if got := foldChangelog(t, p, "total"); !equalStrings(got, total) {
		t.Errorf("global count folds to %v, want %v", got, total)
	}
}
