package engine

import (
	"fmt"
	"io"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"
)

// TestHeapIncrementalCheckpointsRecover runs a join and a windowed
// aggregate with the memory backend's incremental checkpoints
// (state.backend.incremental): every job fails once midway and restarts
// from its latest checkpoint, at the same parallelism or another one. The
// output holds every expected row exactly once (computed here from the
// input), and checkpoints wrote deltas over a full base.
func TestHeapIncrementalCheckpointsRecover(t *testing.T) {
	const n = 800
	var left, right []string
	wantJoin := map[string]int{}
	for i := 0; i < n; i++ {
		left = append(left, fmt.Sprintf("(%d, %d)", i, i%97))
		right = append(right, fmt.Sprintf("(%d, %d, TIMESTAMP '2020-10-10 00:00:00' + INTERVAL '%d' SECOND)", i, i%89, i))
	}
	for i := 0; i < n; i++ {
		for j := 0; j < n; j++ {
			if i%97 == j%89 {
				wantJoin[fmt.Sprintf("%d,%d", i, j)]++
			}
		}
	}
	perWindow := map[[2]int]int{}
	for j := 0; j < n; j++ {
		perWindow[[2]int{j % 89 % 7, j / 10 * 10}]++
	}
	wantWin := map[string]int{}
	for w, c := range perWindow {
		wantWin[fmt.Sprintf("%d,%d,%d", w[0], w[1], c)]++
	}
	for _, c := range []struct {
		name       string
		restartPar int
	}{{"same-parallelism", 0}, {"restore-at-parallelism-3", 3}} {
		t.Run(c.name, func(t *testing.T) {
			root := t.TempDir()
			e := New(Options{Stdout: io.Discard, Stderr: io.Discard,
				Testing: &Testing{FailAfterRows: 200, BatchSize: 4, SourceBatchDelay: time.Millisecond, RestartParallelism: c.restartPar}})
			script := fmt.Sprintf(`
SET 'execution.checkpointing.interval' = '20ms';
SET 'state.checkpoints.dir' = '%[1]s/cp';
SET 'state.backend.incremental' = 'true';
SET 'parallelism.default' = '2';
SET 'restart-strategy' = 'fixed-delay';
SET 'restart-strategy.fixed-delay.attempts' = '3';
SET 'restart-strategy.fixed-delay.delay' = '10ms';
CREATE TABLE a (id BIGINT, k BIGINT);
INSERT INTO a VALUES %[2]s;
CREATE TABLE b (id BIGINT, k BIGINT, ts TIMESTAMP(3), WATERMARK FOR ts AS ts);
INSERT INTO b VALUES %[3]s;
CREATE TABLE joined (x BIGINT, y BIGINT) WITH ('connector' = 'filesystem', 'path' = '%[1]s/joined/', 'format' = 'csv');
CREATE TABLE counts (k BIGINT, m BIGINT, c BIGINT) WITH ('connector' = 'filesystem', 'path' = '%[1]s/counts/', 'format' = 'csv');
INSERT INTO joined SELECT a.id, b.id FROM a JOIN b ON a.k = b.k;
INSERT INTO counts SELECT MOD(k, 7), (EXTRACT(MINUTE FROM TUMBLE_START(ts, INTERVAL '10' SECOND)) * 60 + EXTRACT(SECOND FROM TUMBLE_START(ts, INTERVAL '10' SECOND))), COUNT(*)
  FROM b GROUP BY TUMBLE(ts, INTERVAL '10' SECOND), MOD(k, 7);`,
				root, strings.Join(left, ", "), strings.Join(right, ", "))
			if err := e.Exec(script); err != nil {
				t.Fatal(err)
			}
			deltas := false
			for _, j := range e.Jobs() {
				if !strings.HasPrefix(j.Name, "INSERT INTO joined") && !strings.HasPrefix(j.Name, "INSERT INTO counts") {
					continue
				}
				if j.Restarts() == 0 {
					t.Fatalf("job %s did not fail and restart: the test does not test recovery", j.Name)
				}
				if j.LastCheckpoint() == nil {
					t.Fatalf("job %s completed no checkpoint", j.Name)
				}
				// a checkpoint that wrote less than it needs reused a base
				cps, _ := j.Checkpoints()
				for _, cp := range cps {
					if !cp.Failed && !cp.Savepoint && cp.IncrementalSize < cp.Size {
						deltas = true
					}
				}
			}
			if !deltas {
				t.Error("every checkpoint wrote all it needs: incremental mode was not used")
			}
			compareCounts(t, "joined", readLines(t, filepath.Join(root, "joined")), wantJoin)
			compareCounts(t, "counts", readLines(t, filepath.Join(root, "counts")), wantWin)
		})
	}
}

// compareCounts checks that the output lines are exactly the wanted
// rows, each as often as wanted.
func compareCounts(t *testing.T, what string, lines []string, want map[string]int) {
	t.Helper()
	got := map[string]int{}
	for _, l := range lines {
		got[l]++
	}
	var bad []string
	for k, v := range want {
		if got[k] != v {
			bad = append(bad, fmt.Sprintf("%s: %d, want %d", k, got[k], v))
		}
	}
	for k, v := range got {
		if _, ok := want[k]; !ok {
			bad = append(bad, fmt.Sprintf("%s: %d, want none", k, v))
		}
	}
	sort.Strings(bad)
	if len(bad) > 0 {
		t.Fatalf("%s: %d rows wrong, e.g. %v", what, len(bad), bad[:min(5, len(bad))])
	}
}
