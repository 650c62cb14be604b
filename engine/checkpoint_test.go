package engine

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/streamsql/streamsql/sql"
)

// run executes statements and fails the test on error.
func run(t *testing.T, e *Engine, script string) string {
	t.Helper()
	var out bytes.Buffer
	for _, p := range sql.Split(script) {
		st, err := e.Prepare(p)
		if err != nil {
			t.Fatalf("%s: %v", p.Text, err)
		}
		if _, err := e.RunStatement(context.Background(), st, &out); err != nil {
			t.Fatalf("%s: %v", p.Text, err)
		}
	}
	return out.String()
}

func readLines(t *testing.T, dir string) []string {
	t.Helper()
	var lines []string
	entries, _ := os.ReadDir(dir)
	for _, en := range entries {
		if strings.HasPrefix(en.Name(), ".") || en.IsDir() {
			continue
		}
		b, err := os.ReadFile(filepath.Join(dir, en.Name()))
		if err != nil {
			t.Fatal(err)
		}
		for _, l := range strings.Split(strings.TrimSpace(string(b)), "\n") {
			if l != "" {
				lines = append(lines, l)
			}
		}
	}
	sort.Strings(lines)
	return lines
}

func waitStatus(t *testing.T, j *Job, want JobStatus) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		if st, _ := j.Status(); st == want {
			return
		}
		time.Sleep(10 * time.Millisecond)
	}
	st, err := j.Status()
	t.Fatalf("job status %s (%v), want %s", st, err, want)
}

const genDDL = `
CREATE TABLE gen (k BIGINT, ts TIMESTAMP(3), WATERMARK FOR ts AS ts) WITH (
  'connector' = 'datagen', 'rows-per-second' = '4000', 'number-of-rows' = '12000',
  'fields.k.kind' = 'random', 'fields.k.min' = '1', 'fields.k.max' = '5',
  'fields.ts.kind' = 'sequence', 'fields.ts.start' = '0', 'fields.ts.end' = '11999');
CREATE TABLE counts (k BIGINT, w TIMESTAMP(3), c BIGINT) WITH ('connector' = 'filesystem', 'path' = '%OUT%/', 'format' = 'csv');
`

const genInsert = `INSERT INTO counts SELECT k, TUMBLE_END(ts, INTERVAL '1' SECOND), COUNT(*) FROM gen GROUP BY TUMBLE(ts, INTERVAL '1' SECOND), k`

// referenceRows runs insert over genDDL uninterrupted into dir and
// returns its sorted output lines (at least min of them).
func referenceRows(t *testing.T, dir, insert string, min int) []string {
	t.Helper()
	ref, _ := newTestEngine()
	run(t, ref, strings.ReplaceAll(genDDL, "%OUT%", dir)+insert+";")
	if err := ref.WaitAll(context.Background()); err != nil {
		t.Fatal(err)
	}
	want := readLines(t, dir)
	if len(want) < min {
		t.Fatalf("reference too small: %d rows", len(want))
	}
	return want
}

// submit starts an INSERT statement's job and returns it (and the
// statement's error, for tests of refusals).
func submit(t *testing.T, e *Engine, insert string) (*Job, error) {
	t.Helper()
	st, err := e.Prepare(sql.Split(insert)[0])
	if err != nil {
		t.Fatal(err)
	}
	res, err := e.Execute(context.Background(), st, ExecOptions{})
	if err != nil {
		return nil, err
	}
	return res.Job, nil
}

// savepointPath returns the savepoint path STOP JOB ... WITH SAVEPOINT
// printed in its result table, failing the test when there is none.
func savepointPath(t *testing.T, stopOut string) string {
	t.Helper()
	for _, l := range strings.Split(stopOut, "\n") {
		if strings.Contains(l, "savepoint-") && strings.HasPrefix(strings.TrimSpace(l), "|") {
			return strings.TrimSpace(strings.Trim(strings.TrimSpace(l), "|"))
		}
	}
	t.Fatalf("no savepoint path in %q", stopOut)
	return ""
}

func checkpointed(t *testing.T, e *Engine, cpDir string) {
	t.Helper()
	run(t, e, "SET 'execution.checkpointing.interval' = '50ms'; SET 'state.checkpoints.dir' = '"+cpDir+"'; SET 'state.savepoints.dir' = '"+cpDir+"/sp';")
}

// TestStopWithSavepointAndResume stops a job with a savepoint midway,
// resumes it from the savepoint at another parallelism and with the other
// backend, and compares the combined output with an uninterrupted run.
func TestStopWithSavepointAndResume(t *testing.T) {
	root := t.TempDir()
	want := referenceRows(t, filepath.Join(root, "ref"), genInsert, 50)

	out := filepath.Join(root, "out")
	cp := filepath.Join(root, "cp")
	e1, _ := newTestEngine()
	checkpointed(t, e1, cp)
	run(t, e1, "SET 'parallelism.default' = '2';"+strings.ReplaceAll(genDDL, "%OUT%", out))
	j, err := submit(t, e1, genInsert)
	if err != nil {
		t.Fatal(err)
	}
	time.Sleep(1200 * time.Millisecond)
	// A savepoint without stopping.
	path, err := j.Savepoint(false, false)
	if err != nil {
		t.Fatalf("TRIGGER SAVEPOINT: %v", err)
	}
	if _, err := os.Stat(filepath.Join(path, "_metadata")); err != nil {
		t.Fatalf("savepoint %s has no _metadata: %v", path, err)
	}
	stopOut := run(t, e1, "STOP JOB '"+j.ID+"' WITH SAVEPOINT;")
	if !strings.Contains(stopOut, "savepoint-") {
		t.Fatalf("STOP JOB printed %q", stopOut)
	}
	if s, _ := j.Status(); s != JobStopped {
		t.Fatalf("status %s after STOP JOB", s)
	}
	sp := savepointPath(t, stopOut)
	partial := readLines(t, out)
	if len(partial) >= len(want) {
		t.Fatalf("the job finished before it was stopped (%d rows)", len(partial))
	}

	// Resume from the savepoint with the other backend at parallelism 3.
	e2, _ := newTestEngine()
	checkpointed(t, e2, cp)
	run(t, e2, "SET 'parallelism.default' = '3'; SET 'state.backend' = 'pebble'; SET 'execution.savepoint.path' = '"+sp+"';"+
		strings.ReplaceAll(genDDL, "%OUT%", out)+genInsert+";")
	if err := e2.WaitAll(context.Background()); err != nil {
		t.Fatal(err)
	}
	got := readLines(t, out)
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Fatalf("stop + resume gave %d rows, uninterrupted %d", len(got), len(want))
	}

	// A changed query cannot restore the savepoint: the error names the
	// savepoint, the operator and how to run the query without it.
	e3, _ := newTestEngine()
	checkpointed(t, e3, cp)
	run(t, e3, "SET 'execution.savepoint.path' = '"+sp+"';"+strings.ReplaceAll(genDDL, "%OUT%", filepath.Join(root, "other")))
	_, err = submit(t, e3, strings.Replace(genInsert, "COUNT(*)", "MAX(k)", 1))
	if err == nil {
		t.Fatal("a changed query restored the savepoint")
	}
	t.Logf("changed query: %v", err)
	for _, want := range []string{"the query changed", "'" + sp + "'", "execution.savepoint.path", "windowaggregate-", "RESET 'execution.savepoint.path'"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("the query-changed error lacks %q: %v", want, err)
		}
	}
}

// TestRestartStrategyGivesUpWithOriginalError: RAISE_ERROR fails the job on
// every attempt; fixed-delay restarts it twice, then it fails with the
// original message.
func TestRestartStrategyGivesUpWithOriginalError(t *testing.T) {
	e, _ := newTestEngine()
	checkpointed(t, e, t.TempDir())
	run(t, e, `
SET 'restart-strategy' = 'fixed-delay';
SET 'restart-strategy.fixed-delay.attempts' = '2';
SET 'restart-strategy.fixed-delay.delay' = '10ms';
CREATE TABLE w (word STRING);
INSERT INTO w VALUES ('a'), ('b'), ('ERROR'), ('c');
CREATE TABLE p (word STRING, n BIGINT) WITH ('connector' = 'blackhole');`)
	st, err := e.Prepare(sql.Split(`INSERT INTO p SELECT word, COUNT(*) FROM w WHERE CASE WHEN word = 'ERROR' THEN RAISE_ERROR('bad word') ELSE TRUE END GROUP BY word`)[0])
	if err != nil {
		t.Fatal(err)
	}
	res, err := e.Execute(context.Background(), st, ExecOptions{})
	if err != nil {
		t.Fatal(err)
	}
	waitStatus(t, res.Job, JobFailed)
	_, jerr := res.Job.Status()
	if jerr == nil || !strings.Contains(jerr.Error(), "bad word") {
		t.Fatalf("want the original error, got %v", jerr)
	}
	if n := res.Job.Restarts(); n != 2 {
		t.Fatalf("restarts = %d, want 2", n)
	}
}
