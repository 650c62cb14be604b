package engine

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"
)

// splitsCSV writes a CSV file of n rows (with a header and quoted fields)
// and returns its path and the rows rendered as id|name|price, sorted.
func splitsCSV(t *testing.T, n int) (string, []string) {
	t.Helper()
	var data strings.Builder
	data.WriteString("id,name,price\n")
	var want []string
	for i := 0; i < n; i++ {
		name := fmt.Sprintf("\"n%d, \"\"quoted\"\"\"", i)
		if i%5 == 0 {
			name = fmt.Sprintf("plain%d", i)
		}
		fmt.Fprintf(&data, "%d,%s,%d.5\r\n", i, name, i%100)
		rendered := strings.Trim(strings.ReplaceAll(name, "\"\"", "\""), "\"")
		if i%5 != 0 {
			rendered = fmt.Sprintf("n%d, \"quoted\"", i)
		}
		want = append(want, fmt.Sprintf("%d|%s|%d.50", i, rendered, i%100))
	}
	sort.Strings(want)
	path := filepath.Join(t.TempDir(), "big.csv")
	if err := os.WriteFile(path, []byte(data.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	return path, want
}

const splitsDDL = `CREATE TABLE big (id BIGINT, name STRING, price DECIMAL(10, 2))
WITH ('connector' = 'filesystem', 'path' = '%s', 'format' = 'csv', 'csv.ignore-first-line' = 'true', 'source.split-size' = '%s')`

// TestFileByteRangesParallel reads one file cut into byte ranges at
// parallelism 1 and 2: both give the rows of a whole-file read, and at
// parallelism 2 both source instances read.
func TestFileByteRangesParallel(t *testing.T) {
	path, want := splitsCSV(t, 3000)
	for _, c := range []struct {
		par  int
		size string
	}{{1, "0"}, {1, "4kb"}, {2, "4kb"}, {2, "1000"}} {
		var job *Job
		e := New(Options{Stdout: io.Discard, Stderr: io.Discard, Testing: &Testing{OnJobStart: func(j *Job) { job = j }}})
		if err := e.Exec(fmt.Sprintf("SET 'parallelism.default' = '%d';\n"+splitsDDL, c.par, path, c.size)); err != nil {
			t.Fatal(err)
		}
		got, err := queryRendered(e, "SELECT id, name, price FROM big")
		if err != nil {
			t.Fatalf("parallelism %d, split size %s: %v", c.par, c.size, err)
		}
		if strings.Join(got, "\n") != strings.Join(want, "\n") {
			t.Fatalf("parallelism %d, split size %s: %d rows differ from the file's %d", c.par, c.size, len(got), len(want))
		}
		if job == nil {
			t.Fatal("no job started")
		}
		for _, v := range job.Vertices() {
			if !v.Source {
				continue
			}
			if v.Parallelism != c.par {
				t.Fatalf("split size %s: the source runs at parallelism %d, want %d", c.size, v.Parallelism, c.par)
			}
			for _, st := range v.Subtasks {
				if st.RowsIn == 0 {
					t.Fatalf("parallelism %d, split size %s: source instance %d read no row", c.par, c.size, st.Index)
				}
			}
		}
	}
}

// TestFileByteRangesRestore reads a file cut into byte ranges at
// parallelism 2 into a filesystem sink with checkpoints; the job fails
// midway and restores at parallelism 3 and 1: every row is written
// exactly once.
func TestFileByteRangesRestore(t *testing.T) {
	path, want := splitsCSV(t, 1500)
	for _, restartPar := range []int{3, 1} {
		t.Run(fmt.Sprintf("restore-at-parallelism-%d", restartPar), func(t *testing.T) {
			root := t.TempDir()
			out := filepath.Join(root, "out")
			e := New(Options{Stdout: io.Discard, Stderr: io.Discard,
				Testing: &Testing{FailAfterRows: 500, BatchSize: 16, SourceBatchDelay: time.Millisecond, RestartParallelism: restartPar}})
			script := fmt.Sprintf(`
SET 'execution.checkpointing.interval' = '20ms';
SET 'state.checkpoints.dir' = '%s';
SET 'parallelism.default' = '2';
SET 'restart-strategy' = 'fixed-delay';
SET 'restart-strategy.fixed-delay.attempts' = '3';
SET 'restart-strategy.fixed-delay.delay' = '10ms';
`+splitsDDL+`;
CREATE TABLE sink (id BIGINT, name STRING, price DECIMAL(10, 2)) WITH ('connector' = 'filesystem', 'path' = '%s/', 'format' = 'csv');
INSERT INTO sink SELECT id, name, price FROM big;`, filepath.Join(root, "cp"), path, "2kb", out)
			if err := e.Exec(script); err != nil {
				t.Fatal(err)
			}
			restarted := false
			for _, j := range e.Jobs() {
				restarted = restarted || j.Restarts() > 0
			}
			if !restarted {
				t.Fatal("the job did not fail and restart: the test does not test recovery")
			}
			back := New(Options{Stdout: io.Discard, Stderr: io.Discard})
			if err := back.Exec(fmt.Sprintf("CREATE TABLE back (id BIGINT, name STRING, price DECIMAL(10, 2)) WITH ('connector' = 'filesystem', 'path' = '%s', 'format' = 'csv')", out)); err != nil {
				t.Fatal(err)
			}
			got, err := queryRendered(back, "SELECT id, name, price FROM back")
			if err != nil {
				t.Fatal(err)
			}
			compareRows(t, got, want)
		})
	}
}
