package sinkoutage

import (
	"context"
	"database/sql"
	"fmt"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/streamsql/streamsql/engine"
	"github.com/streamsql/streamsql/internal/testkit"
	ssql "github.com/streamsql/streamsql/sql"
)

// rows is the number of rows each job writes, groups the number of keys
// of the upserted aggregate; rate keeps the job running ~5 s so that the
// fault, injected after faultAfter, hits it mid-run.
const (
	rows       = 20000
	groups     = 10
	rate       = 4000
	faultAfter = 1500 * time.Millisecond
	caseLimit  = 50 * time.Second
)

// TestSinkOutage runs two checkpointed jobs writing exactly once through
// the proxy into MariaDB, an append into a table without a primary key and
// a COUNT/SUM per group upserted into one with, while the proxy resets
// every connection for 2 s (the sink's retries run out, the jobs fail and
// restore from their checkpoints) or freezes for 3 s (statements hang).
// Every generated row must be in the database exactly once, the groups
// must hold the counts and sums computed from the generated input, and a
// freeze must have produced the sink's long-wait warning.
func TestSinkOutage(t *testing.T) {
	for _, tc := range []struct {
		name  string
		fault func(p *Proxy)
	}{
		{"reset", func(p *Proxy) { p.Reset(2 * time.Second) }},
		{"freeze", func(p *Proxy) { p.Freeze(3 * time.Second) }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dbName, db := OwnDatabase(t)
			proxy, err := Start(ServerAddr)
			if err != nil {
				t.Fatal(err)
			}
			defer proxy.Close()
			var stderr testkit.SyncBuffer
			e := engine.New(engine.Options{Stdout: io.Discard, Stderr: &stderr})
			url := "mysql://root@" + proxy.Addr() + "/" + dbName
			script := fmt.Sprintf(`
SET 'execution.checkpointing.interval' = '200ms';
SET 'state.checkpoints.dir' = '%s';
SET 'restart-strategy' = 'fixed-delay';
SET 'restart-strategy.fixed-delay.attempts' = '100';
SET 'restart-strategy.fixed-delay.delay' = '200ms';
CREATE TABLE src (id BIGINT) WITH ('connector' = 'datagen', 'rows-per-second' = '%d',
  'fields.id.kind' = 'sequence', 'fields.id.start' = '1', 'fields.id.end' = '%d');
CREATE TABLE plain (id BIGINT, grp BIGINT) WITH ('connector' = 'jdbc', 'url' = '%s', 'table-name' = 'plain',
  'sink.create-table' = 'true', 'sink.max-retries' = '2', 'sink.write-wait-warning' = '1s');
CREATE TABLE sums (grp BIGINT, c BIGINT, s BIGINT, PRIMARY KEY (grp) NOT ENFORCED) WITH ('connector' = 'jdbc',
  'url' = '%s', 'table-name' = 'sums', 'sink.create-table' = 'true', 'sink.max-retries' = '2',
  'sink.write-wait-warning' = '1s');`, t.TempDir(), rate, rows, url, url)
			if err := e.Exec(script); err != nil {
				t.Fatalf("%v\n%s", err, stderr.String())
			}
			for _, insert := range []string{
				"INSERT INTO plain SELECT id, id % " + fmt.Sprint(groups) + " FROM src",
				"INSERT INTO sums SELECT id % " + fmt.Sprint(groups) + ", COUNT(*), SUM(id) FROM src GROUP BY id % " + fmt.Sprint(groups),
			} {
				st, err := e.Prepare(ssql.Split(insert)[0])
				if err != nil {
					t.Fatal(err)
				}
				if _, err := e.Execute(context.Background(), st, engine.ExecOptions{}); err != nil {
					t.Fatalf("%s: %v\n%s", insert, err, stderr.String())
				}
			}
			time.AfterFunc(faultAfter, func() { tc.fault(proxy) })
			ctx, cancel := context.WithTimeout(context.Background(), caseLimit)
			defer cancel()
			if err := e.WaitAll(ctx); err != nil {
				for _, j := range e.Jobs() {
					j.Stop()
				}
				t.Fatalf("the jobs did not finish: %v\n%s", err, stderr.String())
			}
			if tc.name == "reset" {
				restarts := 0
				for _, j := range e.Jobs() {
					restarts += j.Restarts()
				}
				if restarts == 0 && !strings.Contains(stderr.String(), "retrying") {
					t.Fatalf("the reset reached no job: the test does not test an outage\n%s", stderr.String())
				}
			}
			if tc.name == "freeze" && !strings.Contains(stderr.String(), "for the database at "+proxy.Addr()+" to answer") {
				t.Fatalf("the freeze produced no long-wait warning:\n%s", stderr.String())
			}
			if tc.name == "freeze" && !strings.Contains(stderr.String(), "table plain") && !strings.Contains(stderr.String(), "table sums") {
				t.Fatalf("the long-wait warning names no table:\n%s", stderr.String())
			}
			checkPlain(t, db)
			checkSums(t, db)
			t.Logf("%s: %d connections through the proxy; warnings:\n%s", tc.name, proxy.Accepted(), firstLines(stderr.String(), 12))
		})
	}
}

// checkPlain compares the append-only table with the generated ids
// 1..rows: none missing, none twice.
func checkPlain(t *testing.T, db *sql.DB) {
	t.Helper()
	var total, distinct, minID, maxID, sum int64
	if err := db.QueryRow("SELECT COUNT(*), COUNT(DISTINCT id), MIN(id), MAX(id), SUM(id) FROM plain").Scan(&total, &distinct, &minID, &maxID, &sum); err != nil {
		t.Fatal(err)
	}
	if total != rows || distinct != rows || minID != 1 || maxID != rows || sum != rows*(rows+1)/2 {
		t.Fatalf("plain: %d rows, %d distinct ids in [%d, %d]: want each of 1..%d once (lost %d, duplicated %d)",
			total, distinct, minID, maxID, rows, rows-distinct, total-distinct)
	}
	var dupGroups int
	if err := db.QueryRow("SELECT COUNT(*) FROM (SELECT id FROM plain GROUP BY id HAVING COUNT(*) > 1) d").Scan(&dupGroups); err != nil {
		t.Fatal(err)
	}
	if dupGroups != 0 {
		t.Fatalf("plain: %d ids written more than once", dupGroups)
	}
}

// checkSums compares the upserted aggregate with the counts and sums
// computed here from the generated ids, and with those MariaDB computes
// from the append-only table.
func checkSums(t *testing.T, db *sql.DB) {
	t.Helper()
	want := map[int64][2]int64{}
	for id := int64(1); id <= rows; id++ {
		w := want[id%groups]
		want[id%groups] = [2]int64{w[0] + 1, w[1] + id}
	}
	got := map[int64][2]int64{}
	q, err := db.Query("SELECT grp, c, s FROM sums")
	if err != nil {
		t.Fatal(err)
	}
	defer q.Close()
	for q.Next() {
		var g, c, s int64
		if err := q.Scan(&g, &c, &s); err != nil {
			t.Fatal(err)
		}
		got[g] = [2]int64{c, s}
	}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("sums:\n got %v\nwant %v", got, want)
	}
	fromPlain := map[int64][2]int64{}
	q2, err := db.Query("SELECT grp, COUNT(*), SUM(id) FROM plain GROUP BY grp")
	if err != nil {
		t.Fatal(err)
	}
	defer q2.Close()
	for q2.Next() {
		var g, c, s int64
		if err := q2.Scan(&g, &c, &s); err != nil {
			t.Fatal(err)
		}
		fromPlain[g] = [2]int64{c, s}
	}
	if fmt.Sprint(fromPlain) != fmt.Sprint(want) {
		t.Fatalf("plain grouped by MariaDB:\n got %v\nwant %v", fromPlain, want)
	}
}

func firstLines(s string, n int) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	if len(lines) > n {
		lines = append(lines[:n], fmt.Sprintf("... (%d more lines)", len(lines)-n))
	}
	return strings.Join(lines, "\n")
}
