package jdbc_test

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/streamsql/streamsql/connectors/jdbc"
	"github.com/streamsql/streamsql/engine"
	"github.com/streamsql/streamsql/internal/testkit"
)

// TestEngineExactlyOnce runs two jobs from an in-memory table into jdbc
// tables with checkpointing, each failing once midway and restoring from
// its latest checkpoint: a non-windowed COUNT/SUM per key (a changelog,
// upserted by primary key) and a plain append. The database ends up with
// exactly the results of an uninterrupted run.
func TestEngineExactlyOnce(t *testing.T) {
	for _, par := range []int{1, 2} {
		t.Run(fmt.Sprintf("parallelism-%d", par), func(t *testing.T) {
			dbName, db := jdbc.OwnDatabase(t)
			var stderr testkit.SyncBuffer
			e := engine.New(engine.Options{Stdout: io.Discard, Stderr: &stderr,
				Testing: &engine.Testing{FailAfterRows: 40, BatchSize: 4, SourceBatchDelay: time.Millisecond}})
			const n, keys = 300, 7
			var values []string
			want := map[int64][2]int64{}
			for i := int64(0); i < n; i++ {
				k := i * 5 % keys
				values = append(values, fmt.Sprintf("(%d, %d)", k, i))
				w := want[k]
				want[k] = [2]int64{w[0] + 1, w[1] + i}
			}
			cpDir := t.TempDir()
			url := "mysql://root:@" + jdbc.ServerAddr + "/" + dbName
			script := fmt.Sprintf(`
SET 'execution.checkpointing.interval' = '10ms';
SET 'state.checkpoints.dir' = '%s';
SET 'parallelism.default' = '%d';
SET 'restart-strategy' = 'fixed-delay';
SET 'restart-strategy.fixed-delay.attempts' = '3';
SET 'restart-strategy.fixed-delay.delay' = '10ms';
CREATE TABLE src (k BIGINT, v BIGINT);
INSERT INTO src VALUES %s;
CREATE TABLE counts (k BIGINT, c BIGINT, s BIGINT, PRIMARY KEY (k) NOT ENFORCED)
  WITH ('connector' = 'jdbc', 'url' = '%s', 'table-name' = 'counts', 'sink.create-table' = 'true');
CREATE TABLE events (k BIGINT, v BIGINT) ENGINE=mysql CONNECTION='%s/events';
INSERT INTO counts SELECT k, COUNT(*), SUM(v) FROM src GROUP BY k;`, cpDir, par, strings.Join(values, ", "), url, url)
			if _, err := db.Exec("CREATE TABLE events (k BIGINT, v BIGINT)"); err != nil {
				t.Fatal(err)
			}
			if err := e.Exec(script); err != nil {
				t.Fatalf("%v\n%s", err, stderr.String())
			}
			if err := e.Exec("INSERT INTO events SELECT k, v FROM src"); err != nil {
				t.Fatalf("%v\n%s", err, stderr.String())
			}
			for _, j := range e.Jobs() {
				if j.Restarts() == 0 {
					t.Fatalf("job %s did not fail and restart: the test does not test recovery", j.Name)
				}
			}
			got := map[int64][2]int64{}
			rows, err := db.Query("SELECT k, c, s FROM counts")
			if err != nil {
				t.Fatal(err)
			}
			for rows.Next() {
				var k, c, s int64
				if err := rows.Scan(&k, &c, &s); err != nil {
					t.Fatal(err)
				}
				got[k] = [2]int64{c, s}
			}
			rows.Close()
			if fmt.Sprint(got) != fmt.Sprint(want) {
				t.Fatalf("counts:\n got %v\nwant %v", got, want)
			}
			var total, distinct int
			if err := db.QueryRow("SELECT COUNT(*), COUNT(DISTINCT v) FROM events").Scan(&total, &distinct); err != nil {
				t.Fatal(err)
			}
			if total != n || distinct != n {
				t.Fatalf("events: %d rows, %d distinct, want %d once each", total, distinct, n)
			}
			var progress int
			if err := db.QueryRow("SELECT COUNT(*) FROM streamsql_sink_progress WHERE job LIKE 'job-%'").Scan(&progress); err != nil {
				t.Fatal(err)
			}
			if progress == 0 {
				t.Fatal("no progress rows: the jobs did not commit through checkpoints")
			}
			// every spill file was committed and deleted, also those of
			// the failed attempts
			spillDirs := 0
			filepath.WalkDir(cpDir, func(path string, d os.DirEntry, err error) error {
				if err == nil && strings.HasSuffix(path, ".rows") {
					t.Errorf("spill file left behind: %s", path)
				}
				if err == nil && d.IsDir() && filepath.Base(filepath.Dir(path)) == "connectors" && d.Name() == "jdbc" {
					spillDirs++
				}
				return nil
			})
			if spillDirs != 2 {
				t.Errorf("%d spill directories under the checkpoint directory, want one per job", spillDirs)
			}
			if strings.Contains(stderr.String(), "panic") {
				t.Fatalf("stderr:\n%s", stderr.String())
			}
		})
	}
}
