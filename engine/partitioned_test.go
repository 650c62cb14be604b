package engine

import (
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/streamsql/streamsql/types"
)

// partitionedRows is the input of the partitioned-sink tests: n rows, two
// seconds apart from 2020-10-10 23:55:00 (over midnight, so two days and
// 17 minutes), with a category that is NULL, empty, blank, a value with
// '/', '=' and ':' in it, or a plain value.
func partitionedRows(n int) (values string, want []string) {
	cats := []string{"NULL", "''", "'  '", "'x/y=z:1'", "'plain'"}
	catVal := []string{"NULL", "NULL", "NULL", "x/y=z:1", "plain"} // NULL, empty and blank read back as NULL
	base := time.Date(2020, 10, 10, 23, 55, 0, 0, time.UTC)
	var vals []string
	for i := 0; i < n; i++ {
		ts := base.Add(time.Duration(i) * 2 * time.Second)
		vals = append(vals, fmt.Sprintf("(%d, 'n%d', TIMESTAMP '%s', %s)", i, i, ts.Format("2006-01-02 15:04:05.000"), cats[i%len(cats)]))
		want = append(want, fmt.Sprintf("%d|n%d|%s|%s|%s|%s", i, i, ts.Format("2006-01-02 15:04:05.000"),
			ts.Format("2006-01-02"), ts.Format("15:04"), catVal[i%len(catVal)]))
	}
	sort.Strings(want)
	return strings.Join(vals, ",\n"), want
}

const partitionedSinkDDL = `CREATE TABLE %s (id BIGINT, name STRING, ts TIMESTAMP(3), dt STRING, hm STRING, cat STRING)
PARTITIONED BY (dt, hm, cat)
WITH ('connector' = 'filesystem', 'path' = '%s/', 'format' = 'csv')`

// readPartitioned reads the partitioned table at dir back through the
// filesystem source, in a fresh engine, rendered as id|name|ts|dt|hm|cat.
func readPartitioned(t *testing.T, dir string) []string {
	t.Helper()
	e := New(Options{Stdout: io.Discard, Stderr: io.Discard})
	if err := e.Exec(fmt.Sprintf(partitionedSinkDDL, "back", dir)); err != nil {
		t.Fatal(err)
	}
	out, err := queryRendered(e, "SELECT id, name, ts, dt, hm, cat FROM back")
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// queryRendered runs a bounded query and returns its rows rendered as
// values joined by '|', sorted.
func queryRendered(e *Engine, query string) ([]string, error) {
	schema, rows, err := e.Query(query)
	if err != nil {
		return nil, err
	}
	var out []string
	for _, r := range rows {
		var parts []string
		for i, v := range r {
			parts = append(parts, types.Render(v, schema[i].Type))
		}
		out = append(out, strings.Join(parts, "|"))
	}
	sort.Strings(out)
	return out, nil
}

// hiddenFiles lists the in-progress and pending files left under dir.
func hiddenFiles(dir string) []string {
	var out []string
	filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() && strings.HasPrefix(d.Name(), ".") {
			out = append(out, p)
		}
		return nil
	})
	return out
}

func compareRows(t *testing.T, got, want []string) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%d rows read back, want %d (rows lost or repeated)", len(got), len(want))
	}
	for i := range got {
		if got[i] != want[i] {
			t.Fatalf("row %d: %q, want %q", i, got[i], want[i])
		}
	}
}

// TestPartitionedSinkExactlyOnce writes a table PARTITIONED BY (dt, hm,
// cat) with checkpoints; every job fails once midway and restarts from its
// latest checkpoint (at the same parallelism, and at another one). Reading
// the directory tree back gives every row exactly once, with the partition
// columns filled from the directory names.
func TestPartitionedSinkExactlyOnce(t *testing.T) {
	const n = 600
	values, want := partitionedRows(n)
	for _, c := range []struct {
		name       string
		restartPar int
	}{{"same-parallelism", 0}, {"restore-at-parallelism-3", 3}, {"restore-at-parallelism-1", 1}} {
		t.Run(c.name, func(t *testing.T) {
			root := t.TempDir()
			out := filepath.Join(root, "out")
			e := New(Options{Stdout: io.Discard, Stderr: io.Discard,
				Testing: &Testing{FailAfterRows: 150, BatchSize: 4, SourceBatchDelay: time.Millisecond, RestartParallelism: c.restartPar}})
			script := fmt.Sprintf(`
SET 'execution.checkpointing.interval' = '20ms';
SET 'state.checkpoints.dir' = '%s';
SET 'parallelism.default' = '2';
SET 'restart-strategy' = 'fixed-delay';
SET 'restart-strategy.fixed-delay.attempts' = '3';
SET 'restart-strategy.fixed-delay.delay' = '10ms';
CREATE TABLE src (id BIGINT, name STRING, ts TIMESTAMP(3), cat STRING);
INSERT INTO src VALUES %s;
%s;
INSERT INTO sink SELECT id, name, ts, DATE_FORMAT(ts, 'yyyy-MM-dd'), DATE_FORMAT(ts, 'HH:mm'), cat FROM src;`,
				filepath.Join(root, "cp"), values, fmt.Sprintf(partitionedSinkDDL, "sink", out))
			if err := e.Exec(script); err != nil {
				t.Fatal(err)
			}
			restarted := false
			for _, j := range e.Jobs() {
				if j.Restarts() > 0 {
					restarted = true
				}
				if md := j.LastCheckpoint(); md == nil {
					t.Fatalf("job %s completed no checkpoint", j.Name)
				}
			}
			if !restarted {
				t.Fatal("the job did not fail and restart: the test does not test recovery")
			}
			compareRows(t, readPartitioned(t, out), want)
			if h := hiddenFiles(out); len(h) != 0 {
				t.Fatalf("pending or in-progress files left: %v", h)
			}
			// the layout: Hive-style directories, escaped values, the
			// default partition; data files without the partition columns
			data, err := os.ReadFile(filepath.Join(out, "dt=2020-10-10", "hm=23%3A55", "cat=x%2Fy%3Dz%3A1", firstPart(t, filepath.Join(out, "dt=2020-10-10", "hm=23%3A55", "cat=x%2Fy%3Dz%3A1"))))
			if err != nil {
				t.Fatal(err)
			}
			if line := strings.SplitN(string(data), "\n", 2)[0]; strings.Count(line, ",") != 2 || !strings.Contains(line, ",2020-10-10 23:55:") {
				t.Fatalf("data file line %q", line)
			}
			if _, err := os.Stat(filepath.Join(out, "dt=2020-10-11", "hm=00%3A01", "cat=__DEFAULT_PARTITION__")); err != nil {
				t.Fatal(err)
			}
		})
	}
}

// firstPart returns the name of the first committed file in dir.
func firstPart(t *testing.T, dir string) string {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		if strings.HasPrefix(e.Name(), "part-") {
			return e.Name()
		}
	}
	t.Fatalf("no part file in %s", dir)
	return ""
}

// TestPartitionedSinkWithoutCheckpoints: without checkpointing the files
// are committed at the end of the input; a second job adds to the tree.
func TestPartitionedSinkWithoutCheckpoints(t *testing.T) {
	values, want := partitionedRows(100)
	out := filepath.Join(t.TempDir(), "out")
	e := New(Options{Stdout: io.Discard, Stderr: io.Discard})
	script := fmt.Sprintf(`
SET 'parallelism.default' = '3';
CREATE TABLE src (id BIGINT, name STRING, ts TIMESTAMP(3), cat STRING);
INSERT INTO src VALUES %s;
%s;
INSERT INTO sink SELECT id, name, ts, DATE_FORMAT(ts, 'yyyy-MM-dd'), DATE_FORMAT(ts, 'HH:mm'), cat FROM src WHERE id < 50;
INSERT INTO sink SELECT id, name, ts, DATE_FORMAT(ts, 'yyyy-MM-dd'), DATE_FORMAT(ts, 'HH:mm'), cat FROM src WHERE id >= 50;`,
		values, fmt.Sprintf(partitionedSinkDDL, "sink", out))
	if err := e.Exec(script); err != nil {
		t.Fatal(err)
	}
	compareRows(t, readPartitioned(t, out), want)
	// a query over the partitioned table filters on partition columns like any other
	_, rows, err := e.Query("SELECT COUNT(*) FROM sink WHERE hm = '23:56' AND cat IS NULL")
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 1 || rows[0][0].Int() != 18 { // rows 30-59, three in five with a NULL category
		t.Fatalf("rows %v", rows)
	}
}

// TestPartitionedDDL: SHOW CREATE TABLE prints PARTITIONED BY; mistakes
// are errors naming the table, the column and the position.
func TestPartitionedDDL(t *testing.T) {
	e, _ := newTestEngine()
	dir := t.TempDir()
	out := run(t, e, fmt.Sprintf(partitionedSinkDDL, "p", dir)+";\nSHOW CREATE TABLE p;")
	if !strings.Contains(out, ")\nPARTITIONED BY (`dt`, `hm`, `cat`) WITH (\n  'connector' = 'filesystem'") {
		t.Fatalf("SHOW CREATE TABLE:\n%s", out)
	}
	for _, c := range []struct{ ddl, err string }{
		{"CREATE TABLE a (x INT, d STRING) PARTITIONED BY (d, y) WITH ('connector' = 'filesystem', 'path' = '" + dir + "/', 'format' = 'csv')",
			"statement 2, line 2, column 53: unknown column 'y' in PARTITIONED BY of table 'a'"},
		{"CREATE TABLE b (x INT, d STRING) PARTITIONED BY (d) WITH ('connector' = 'print')",
			"statement 2, line 2, column 34: table 'b' is PARTITIONED BY (d), but connector 'print' cannot partition: only 'filesystem' can"},
		{"CREATE TABLE c (x INT, d STRING) PARTITIONED BY (d)\nWITH ('connector' = 'filesystem', 'path' = '" + dir + "/f.csv', 'format' = 'csv')",
			"statement 2, line 3, column 44: table 'c' is PARTITIONED BY (d), so its 'path' must be a directory; '" + dir + "/f.csv' is not"},
		{"CREATE TABLE d (x INT, d STRING) PARTITIONED BY (d) WITH ('connector' = 'filesystem', 'path' = '" + dir + "/', 'format' = 'csv', 'partition.default-name' = 'a=b')",
			"table d: option 'partition.default-name' must be a non-empty name"},
	} {
		err := e.Exec("SET 'parallelism.default' = '1';\n" + c.ddl)
		if err == nil || !strings.Contains(err.Error(), c.err) {
			t.Errorf("%s:\ngot  %v\nwant %s", c.ddl, err, c.err)
		}
	}
}

// TestNexmarkQ10Script runs bench/nexmark/q10.sql (with the runner's
// ${EVENTS} and ${TMPDIR}) and reads its partitioned output back: every
// bid once, in the directory of its day and minute.
func TestNexmarkQ10Script(t *testing.T) {
	text, err := os.ReadFile(filepath.Join("..", "bench", "nexmark", "q10.sql"))
	if err != nil {
		t.Fatal(err)
	}
	tmp := t.TempDir()
	script := strings.NewReplacer("${EVENTS}", "20000", "${TMPDIR}", tmp).Replace(string(text))
	e := New(Options{Stdout: io.Discard, Stderr: io.Discard})
	run(t, e, "SET 'parallelism.default' = '2';")
	if err := e.Exec(script); err != nil {
		t.Fatal(err)
	}
	_, bids, err := e.Query("SELECT COUNT(*) FROM bid")
	if err != nil {
		t.Fatal(err)
	}
	_, got, err := e.Query(`SELECT COUNT(*), COUNT(DISTINCT dt), COUNT(DISTINCT hm),
  SUM(CASE WHEN dt = DATE_FORMAT(dateTime, 'yyyy-MM-dd') AND hm = DATE_FORMAT(dateTime, 'HH:mm') THEN 1 ELSE 0 END)
FROM nexmark_q10`)
	if err != nil {
		t.Fatal(err)
	}
	n := bids[0][0].Int()
	if n == 0 || got[0][0].Int() != n || got[0][3].Int() != n || got[0][1].Int() < 1 || got[0][2].Int() < 1 {
		t.Fatalf("%d bids; read back: %v", n, got[0])
	}
	entries, err := os.ReadDir(filepath.Join(tmp, "nexmark_q10"))
	if err != nil || len(entries) == 0 || !strings.HasPrefix(entries[0].Name(), "dt=") {
		t.Fatalf("layout: %v %v", entries, err)
	}
}
