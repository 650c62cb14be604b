package engine

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/streamsql/streamsql/internal/testkit"
	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kgo"
)

// rescaleDDL is the input of the rescaling tests: 20,000 rows from
// datagen, throttled so that a run can be stopped halfway, into a
// tumbling-window count (a Kafka topic written exactly once: format with
// the topic and the brokers) and a changelog aggregate (printed).
const rescaleDDL = `
CREATE TABLE src (id BIGINT, ts TIMESTAMP(3), WATERMARK FOR ts AS ts - INTERVAL '1' SECOND) WITH (
  'connector' = 'datagen', 'number-of-rows' = '20000', 'rows-per-second' = '600',
  'fields.id.kind' = 'sequence', 'fields.id.start' = '0', 'fields.id.end' = '19999',
  'fields.ts.kind' = 'sequence', 'fields.ts.start' = '2024-01-01 00:00:00', 'fields.ts.end' = '2024-01-01 00:03:19.990', 'fields.ts.step' = '10');
CREATE TABLE win (k BIGINT, w TIMESTAMP(3), n BIGINT, s BIGINT) WITH ('connector' = 'kafka', 'topic' = '%s',
  'properties.bootstrap.servers' = '%s', 'format' = 'json', 'sink.delivery-guarantee' = 'exactly-once');
CREATE TABLE changes (k BIGINT, n BIGINT) WITH ('connector' = 'print');
CREATE VIEW keyed AS SELECT id %% 13 AS k, id, ts FROM src;
`

const rescaleInserts = `
INSERT INTO win SELECT k, TUMBLE_END(ts, INTERVAL '1' SECOND), COUNT(*), SUM(id) FROM keyed GROUP BY TUMBLE(ts, INTERVAL '1' SECOND), k;
INSERT INTO changes SELECT k, COUNT(*) FROM keyed GROUP BY k;
`

// lastPerKey returns, from the printed changelog of (k, n) rows, the last
// value printed for each key, as foldChangelog renders rows ("k, n]"),
// sorted. A unit restored from a checkpoint prints again what it printed
// after it (the print sink is not transactional), but the last value per
// key is the aggregate's final state: a row lost or counted twice on the
// way changes it.
func lastPerKey(t *testing.T, printed string) []string {
	t.Helper()
	last := map[string]string{}
	for _, l := range strings.Split(printed, "\n") {
		if _, rest, ok := strings.Cut(l, "> "); ok {
			l = rest
		}
		op, row, ok := strings.Cut(l, "[")
		if !ok || (op != "+I" && op != "+U") {
			continue
		}
		k, _, _ := strings.Cut(row, ",")
		last[k] = row
	}
	var out []string
	for _, r := range last {
		out = append(out, r)
	}
	sort.Strings(out)
	return out
}

// TestStagedJobRescales runs the window count and the changelog
// aggregate cut into stages over Kafka with checkpoints at one number of
// units, stops them halfway, and continues them from their checkpoints
// (execution.savepoint.path = 'latest', the same run id) at other
// numbers of units, the last run to the end of input: the window table
// and the aggregate's final state equal the whole job's.
func TestStagedJobRescales(t *testing.T) {
	whole := runStaged(t)
	for _, steps := range [][]int{{2, 3}, {2, 3, 1}} {
		t.Run(fmt.Sprint(steps), func(t *testing.T) {
			cluster, err := kfake.NewCluster(kfake.NumBrokers(1), kfake.SeedTopics(1, "win", "winwhole"))
			if err != nil {
				t.Fatal(err)
			}
			defer cluster.Close()
			brokers := strings.Join(cluster.ListenAddrs(), ",")
			dir := t.TempDir()
			// The window count run whole, into its own topic.
			we := New(Options{Stdout: io.Discard, Stderr: io.Discard})
			wholeDDL := strings.Replace(fmt.Sprintf(rescaleDDL, "winwhole", brokers), "'rows-per-second' = '600'", "'rows-per-second' = '0'", 1)
			if err := we.RunScript(context.Background(), wholeDDL+fmt.Sprintf(`
SET 'execution.checkpointing.interval' = '100ms';
SET 'state.checkpoints.dir' = '%s';
SET 'table.dml-sync' = 'true';
`, t.TempDir())+rescaleInserts, io.Discard); err != nil {
				t.Fatal(err)
			}
			wholeWin := readTopic(t, brokers, "winwhole", 200*13)
			out := &syncBuffer{}
			e := New(Options{Stdout: out, Stderr: io.Discard})
			defer e.StopAll()
			if err := e.RunScript(context.Background(), fmt.Sprintf(rescaleDDL, "win", brokers), io.Discard); err != nil {
				t.Fatal(err)
			}
			for i, units := range steps {
				last := i == len(steps)-1
				script := fmt.Sprintf(`
SET '%s' = '%d';
SET '%s' = 'kafka';
SET '%s' = '%s';
SET '%s' = '1';
SET 'execution.checkpointing.interval' = '100ms';
SET 'state.checkpoints.dir' = '%s';
SET 'table.dml-sync' = '%v';
`, StagesUnitsKey, units, StagesExchangeKey, StagesBootstrapKey, brokers, StagesRunKey, dir, last)
				if i > 0 {
					script += "SET 'execution.savepoint.path' = 'latest';\n"
				}
				before := len(e.Jobs())
				if last {
					if err := e.RunScript(context.Background(), script+rescaleInserts, io.Discard); err != nil {
						t.Fatalf("step %d (%d units): %v", i, units, err)
					}
					if n := len(e.Jobs()) - before; n < 2*units {
						t.Fatalf("step %d: %d units started, want at least %d", i, n, 2*units)
					}
					break
				}
				// RunScript waits for its jobs; cancelling it stops them,
				// each with a last checkpoint.
				start := len(readTopic(t, brokers, "win", -1))
				ctx, cancel := context.WithCancel(context.Background())
				done := make(chan error, 1)
				go func() { done <- e.RunScript(ctx, script+rescaleInserts, io.Discard) }()
				// Stop halfway, once every unit completed a checkpoint
				// and more windows were written.
				deadline := time.Now().Add(60 * time.Second)
				for {
					jobs := e.Jobs()[before:]
					ready := len(jobs) >= 2*units
					for _, j := range jobs {
						if cps, _ := j.Checkpoints(); len(cps) < 1 || j.Ended() {
							ready = false
						}
					}
					rows := readTopic(t, brokers, "win", -1)
					if ready && len(rows) > start+50 {
						break
					}
					if time.Now().After(deadline) {
						var state []string
						for _, j := range jobs {
							cps, _ := j.Checkpoints()
							st, err := j.Status()
							state = append(state, fmt.Sprintf("%s: %d checkpoints, %v %v", j.Name, len(cps), st, err))
						}
						cancel()
						t.Fatalf("step %d: no checkpoints of every unit in time (%d window rows): %s", i, len(rows), strings.Join(state, "; "))
					}
					time.Sleep(20 * time.Millisecond)
				}

				cancel()
				if err := <-done; err != nil {
					t.Fatalf("step %d (%d units): %v", i, units, err)
				}
				rows := readTopic(t, brokers, "win", -1)
				if len(rows) >= len(wholeWin) {
					t.Fatalf("step %d: the whole input was read before the stop", i)
				}
			}
			win := readTopic(t, brokers, "win", len(wholeWin))
			if !slices.Equal(win, wholeWin) {
				missing, twice := testkit.DiffMultisets(wholeWin, win)
				t.Errorf("windows: %d rows, want %d (%d missing or different, %d extra: %v / %v)", len(win), len(wholeWin), len(missing), len(twice), head(missing), head(twice))
			}
			if got := lastPerKey(t, out.String()); !slices.Equal(got, whole.changes) {
				t.Errorf("changelog aggregate ends at %v, want %v", got, whole.changes)
			}
		})
	}
}

// TestStagedRescaleNeedsEveryOldUnit: a stage whose previous units are
// not all checkpointed is not rescaled; the error names the unit and its
// directory.
func TestStagedRescaleNeedsEveryOldUnit(t *testing.T) {
	cluster, err := kfake.NewCluster(kfake.NumBrokers(1))
	if err != nil {
		t.Fatal(err)
	}
	defer cluster.Close()
	dir := t.TempDir()
	e := New(Options{Stdout: io.Discard, Stderr: io.Discard})
	defer e.StopAll()
	settings := func(units int) string {
		return fmt.Sprintf(`SET '%s' = '%d'; SET '%s' = 'kafka'; SET '%s' = '%s'; SET '%s' = '1';
SET 'execution.checkpointing.interval' = '100ms'; SET 'state.checkpoints.dir' = '%s'; SET 'table.dml-sync' = 'true';
`, StagesUnitsKey, units, StagesExchangeKey, StagesBootstrapKey, strings.Join(cluster.ListenAddrs(), ","), StagesRunKey, dir)
	}
	ddl := strings.Replace(fmt.Sprintf(rescaleDDL, "win", strings.Join(cluster.ListenAddrs(), ",")), "'rows-per-second' = '600'", "'rows-per-second' = '20000'", 1)
	if err := e.RunScript(context.Background(), ddl+settings(2)+"INSERT INTO changes SELECT k, COUNT(*) FROM keyed GROUP BY k;", io.Discard); err != nil {
		t.Fatal(err)
	}
	// Unit 1 of the second stage loses its checkpoints.
	matches, _ := filepath.Glob(filepath.Join(dir, "*-s1u1"))
	if len(matches) != 1 {
		t.Fatalf("unit directories: %v", matches)
	}
	if err := os.RemoveAll(matches[0]); err != nil {
		t.Fatal(err)
	}
	err = e.RunScript(context.Background(), settings(3)+"SET 'execution.savepoint.path' = 'latest';\nINSERT INTO changes SELECT k, COUNT(*) FROM keyed GROUP BY k;", io.Discard)
	if err == nil || !strings.Contains(err.Error(), "unit 1 has no checkpoint") || !strings.Contains(err.Error(), matches[0]) {
		t.Errorf("rescale without unit 1's checkpoints: %v", err)
	}
}

// readTopic returns the committed record values of topic (one
// partition), sorted: with want >= 0, once it holds want records and
// nothing more came for half a second (or after 30 seconds); with want
// < 0, what is there now.
func readTopic(t *testing.T, brokers, topic string, want int) []string {
	t.Helper()
	cl, err := kgo.NewClient(kgo.SeedBrokers(strings.Split(brokers, ",")...), kgo.ConsumeTopics(topic),
		kgo.FetchIsolationLevel(kgo.ReadCommitted()), kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()))
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	var out []string
	deadline := time.Now().Add(30 * time.Second)
	quiet := time.Now()
	for time.Now().Before(deadline) {
		ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
		fs := cl.PollFetches(ctx)
		cancel()
		n := len(out)
		fs.EachRecord(func(r *kgo.Record) { out = append(out, string(r.Value)) })
		if len(out) > n {
			quiet = time.Now()
			continue
		}
		if want < 0 || (len(out) >= want && time.Since(quiet) > 500*time.Millisecond) {
			break
		}
	}
	sort.Strings(out)
	return out
}

func head(rows []string) []string {
	if len(rows) > 5 {
		return rows[:5]
	}
	return rows
}
