package engine

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// twoPhaseSQL is a tumbling window aggregate over a datagen source of 8
// splits (so that its parallelism follows parallelism.default), written
// under root.
func twoPhaseSQL(root string, par int) string {
	return fmt.Sprintf(`
SET 'parallelism.default' = '%[2]d';
CREATE TABLE ev (k BIGINT, v BIGINT, ts TIMESTAMP(3), WATERMARK FOR ts AS ts) WITH (
  'connector' = 'datagen', 'rows-per-second' = '0', 'number-of-rows' = '20000',
  'fields.k.kind' = 'random', 'fields.k.min' = '0', 'fields.k.max' = '9',
  'fields.v.kind' = 'random', 'fields.v.min' = '-50', 'fields.v.max' = '1000',
  'fields.ts.kind' = 'sequence', 'fields.ts.start' = '0', 'fields.ts.end' = '19999');
CREATE TABLE counts (k BIGINT, w TIMESTAMP(3), c BIGINT, s BIGINT, lo BIGINT, hi BIGINT) WITH (
  'connector' = 'filesystem', 'path' = '%[1]s/counts/', 'format' = 'csv');
INSERT INTO counts SELECT k, TUMBLE_END(ts, INTERVAL '100' MILLISECOND), COUNT(*), SUM(v), MIN(v), MAX(v)
  FROM ev GROUP BY TUMBLE(ts, INTERVAL '100' MILLISECOND), k;`, root, par)
}

// A window aggregate's checkpoint restores whether the job ran in one
// phase or two (table.optimizer.agg-phase-strategy AUTO splits it only
// when its input runs at parallelism above 1): a job failing midway at
// parallelism 1 resumes at 3 in two phases, and one failing at 2 resumes
// at 1 in one phase, and both write exactly the rows of an uninterrupted
// run.
func TestTwoPhaseWindowRestoresAcrossPlans(t *testing.T) {
	ref := t.TempDir()
	e := New(Options{Stdout: io.Discard, Stderr: io.Discard})
	if err := e.Exec(twoPhaseSQL(ref, 1)); err != nil {
		t.Fatal(err)
	}
	want := map[string]int{}
	for _, l := range readLines(t, filepath.Join(ref, "counts")) {
		want[l]++
	}
	if len(want) < 1000 {
		t.Fatalf("the reference run wrote %d rows", len(want))
	}

	for _, c := range []struct {
		name          string
		par, restart  int
		before, after bool // two phases before and after the restart
	}{
		{"one phase at 1, two phases at 3", 1, 3, false, true},
		{"two phases at 2, one phase at 1", 2, 1, true, false},
	} {
		t.Run(c.name, func(t *testing.T) {
			for p, two := range map[int]bool{c.par: c.before, c.restart: c.after} {
				var plan bytes.Buffer
				x := New(Options{Stdout: io.Discard, Stderr: io.Discard})
				sql := strings.Replace(twoPhaseSQL(t.TempDir(), p), "INSERT INTO", "EXPLAIN INSERT INTO", 1)
				if err := x.RunScript(context.Background(), sql, &plan); err != nil {
					t.Fatal(err)
				}
				if got := strings.Contains(plan.String(), "LocalWindowAggregate"); got != two {
					t.Fatalf("at parallelism %d the plan has a local phase: %v, want %v\n%s", p, got, two, plan.String())
				}
			}
			root := t.TempDir()
			e := New(Options{Stdout: io.Discard, Stderr: io.Discard,
				Testing: &Testing{FailAfterRows: 400, BatchSize: 64, SourceBatchDelay: time.Millisecond, RestartParallelism: c.restart}})
			script := fmt.Sprintf(`
SET 'execution.checkpointing.interval' = '20ms';
SET 'state.checkpoints.dir' = '%s/cp';
SET 'restart-strategy' = 'fixed-delay';
SET 'restart-strategy.fixed-delay.attempts' = '3';
SET 'restart-strategy.fixed-delay.delay' = '10ms';`, root) + twoPhaseSQL(root, c.par)
			if err := e.Exec(script); err != nil {
				t.Fatal(err)
			}
			for _, j := range e.Jobs() {
				if j.Restarts() == 0 {
					t.Fatalf("job %s did not fail and restart: the test does not test recovery", j.Name)
				}
				if j.LastCheckpoint() == nil {
					t.Fatalf("job %s completed no checkpoint", j.Name)
				}
			}
			compareCounts(t, "counts", readLines(t, filepath.Join(root, "counts")), want)
		})
	}
}

// The job's checkpoint directory is the same whether its window aggregate
// runs in one phase or two (the local phase is left out of the job's
// identity), so that `--restore latest` at another parallelism finds the
// checkpoints of the run before.
func TestTwoPhaseKeepsTheJobDirectory(t *testing.T) {
	root := t.TempDir()
	for _, par := range []int{1, 2} {
		e := New(Options{Stdout: io.Discard, Stderr: io.Discard})
		script := fmt.Sprintf("SET 'execution.checkpointing.interval' = '10ms';\nSET 'state.checkpoints.dir' = '%s/cp';\n", root) +
			twoPhaseSQL(filepath.Join(root, fmt.Sprint(par)), par)
		if err := e.Exec(script); err != nil {
			t.Fatal(err)
		}
	}
	dirs, err := os.ReadDir(filepath.Join(root, "cp"))
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, d := range dirs {
		if strings.HasPrefix(d.Name(), "job-") {
			names = append(names, d.Name())
		}
	}
	if len(names) != 1 {
		t.Fatalf("job directories %v: want one for both runs", names)
	}
}

// A processing-time TUMBLE runs in two phases at parallelism 2 and counts
// every row once: the windows' counts per key add up to the rows of the
// key, with checkpoints every 20 ms (each barrier sends the local phases'
// groups on) and without.
func TestTwoPhaseProcessingTimeWindowCountsEveryRow(t *testing.T) {
	for _, checkpoints := range []bool{false, true} {
		t.Run(fmt.Sprintf("checkpoints=%v", checkpoints), func(t *testing.T) {
			root := t.TempDir()
			script := fmt.Sprintf(`
SET 'parallelism.default' = '2';
CREATE TABLE ev (n BIGINT, pt AS PROCTIME()) WITH (
  'connector' = 'datagen', 'rows-per-second' = '40000', 'number-of-rows' = '20000',
  'fields.n.kind' = 'sequence', 'fields.n.start' = '0', 'fields.n.end' = '19999');
CREATE TABLE counts (k BIGINT, w TIMESTAMP(3), c BIGINT) WITH (
  'connector' = 'filesystem', 'path' = '%s/counts/', 'format' = 'csv');
INSERT INTO counts SELECT n %% 7, TUMBLE_END(pt, INTERVAL '50' MILLISECOND), COUNT(*)
  FROM ev GROUP BY TUMBLE(pt, INTERVAL '50' MILLISECOND), n %% 7;`, root)
			if checkpoints {
				script = fmt.Sprintf("SET 'execution.checkpointing.interval' = '20ms'; SET 'state.checkpoints.dir' = '%s/cp';", root) + script
			}
			var plan bytes.Buffer
			x := New(Options{Stdout: io.Discard, Stderr: io.Discard})
			if err := x.RunScript(context.Background(), strings.Replace(script, "INSERT INTO", "EXPLAIN INSERT INTO", 1), &plan); err != nil {
				t.Fatal(err)
			}
			if !strings.Contains(plan.String(), "LocalWindowAggregate") {
				t.Fatalf("no local phase:\n%s", plan.String())
			}
			e := New(Options{Stdout: io.Discard, Stderr: io.Discard})
			if err := e.Exec(script); err != nil {
				t.Fatal(err)
			}
			perKey := map[string]int{}
			windows := map[string]bool{}
			for _, l := range readLines(t, filepath.Join(root, "counts")) {
				f := strings.Split(l, ",")
				c := 0
				fmt.Sscan(f[2], &c)
				perKey[f[0]] += c
				if windows[f[0]+","+f[1]] {
					t.Fatalf("key %s has two rows for window %s", f[0], f[1])
				}
				windows[f[0]+","+f[1]] = true
			}
			for k := range 7 {
				want := 20000 / 7
				if k < 20000%7 {
					want++
				}
				if got := perKey[fmt.Sprint(k)]; got != want {
					t.Fatalf("key %d counted %d times over %d windows, want %d (all: %v)", k, got, len(windows), want, perKey)
				}
			}
			if len(windows) < 7*5 {
				t.Fatalf("%d windows: the run spans too few windows to test", len(windows))
			}
		})
	}
}
