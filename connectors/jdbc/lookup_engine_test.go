package jdbc_test

import (
	"fmt"
	"io"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/streamsql/streamsql/connectors/jdbc"
	"github.com/streamsql/streamsql/engine"
	"github.com/streamsql/streamsql/internal/testkit"
	"github.com/streamsql/streamsql/types"
)

// TestEngineLookupJoin runs lookup joins against a MariaDB table through
// the engine: a query (inner and LEFT), EXPLAIN, and an INSERT into a jdbc
// table under checkpoints that fails once midway and restores, whose
// result has every joined row exactly once.
func TestEngineLookupJoin(t *testing.T) {
	dbName, db := jdbc.OwnDatabase(t)
	for _, q := range []string{
		"CREATE TABLE customers (id BIGINT, name VARCHAR(20), tier INT)",
		"INSERT INTO customers VALUES (1, 'ann', 1), (2, 'bob', 2), (2, 'bobby', 3), (3, 'cy', 1)",
		"CREATE TABLE enriched (oid BIGINT, name VARCHAR(20))",
	} {
		if _, err := db.Exec(q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	url := "mysql://root:@" + jdbc.ServerAddr + "/" + dbName
	var stderr testkit.SyncBuffer
	e := engine.New(engine.Options{Stdout: io.Discard, Stderr: &stderr})
	const n = 200
	var values []string
	for i := 0; i < n; i++ {
		values = append(values, fmt.Sprintf("(%d, %d)", i, i%5))
	}
	tables := fmt.Sprintf(`
CREATE TABLE orders (id BIGINT, cust BIGINT, pt AS PROCTIME());
INSERT INTO orders VALUES %s;
CREATE TABLE customers (id BIGINT, name STRING, tier INT) WITH ('connector' = 'jdbc', 'url' = '%s',
  'table-name' = 'customers', 'lookup.cache.max-rows' = '100', 'lookup.cache.ttl' = '10min');
CREATE TABLE enriched (oid BIGINT, name STRING) WITH ('connector' = 'jdbc', 'url' = '%s', 'table-name' = 'enriched');`,
		strings.Join(values, ", "), url, url)
	if err := e.Exec("SET 'parallelism.default' = '2';" + tables); err != nil {
		t.Fatalf("%v\n%s", err, stderr.String())
	}

	_, rows, err := e.Query(`SELECT o.cust, c.name, COUNT(*) FROM orders o
LEFT JOIN customers FOR SYSTEM_TIME AS OF o.pt AS c ON o.cust = c.id GROUP BY o.cust, c.name`)
	if err != nil {
		t.Fatalf("%v\n%s", err, stderr.String())
	}
	got := render(rows)
	want := []string{"0 NULL 40", "1 ann 40", "2 bob 40", "2 bobby 40", "3 cy 40", "4 NULL 40"}
	if strings.Join(got, ",") != strings.Join(want, ",") {
		t.Fatalf("query:\n got %v\nwant %v\n%s", got, want, stderr.String())
	}

	var out strings.Builder
	if err := e.RunScript(t.Context(), "EXPLAIN SELECT o.id, c.name FROM orders o JOIN customers FOR SYSTEM_TIME AS OF o.pt AS c ON o.cust = c.id", &out); err != nil {
		t.Fatal(err)
	}
	if s := out.String(); !strings.Contains(s, "LookupJoin customers on cust = id select id, name") ||
		!strings.Contains(s, "state: none (lookup table customers, connector 'jdbc': a SELECT per key from database table `"+dbName+"`.`customers`, cache of 100 keys for 10m0s)") ||
		strings.Contains(s, "Source customers") {
		t.Fatalf("EXPLAIN:\n%s", s)
	}

	// Exactly once into a jdbc table, with a failure midway and a restore
	// (every job of this engine fails once after 20 rows).
	e = engine.New(engine.Options{Stdout: io.Discard, Stderr: &stderr,
		Testing: &engine.Testing{FailAfterRows: 20, BatchSize: 4, SourceBatchDelay: time.Millisecond}})
	script := fmt.Sprintf(`
SET 'parallelism.default' = '2';
SET 'execution.checkpointing.interval' = '10ms';
SET 'state.checkpoints.dir' = '%s';
SET 'restart-strategy' = 'fixed-delay';
SET 'restart-strategy.fixed-delay.attempts' = '3';
SET 'restart-strategy.fixed-delay.delay' = '10ms';%s
INSERT INTO enriched SELECT o.id, c.name FROM orders o JOIN customers FOR SYSTEM_TIME AS OF o.pt AS c ON o.cust = c.id AND c.tier < 3;`, t.TempDir(), tables)
	if err := e.Exec(script); err != nil {
		t.Fatalf("%v\n%s", err, stderr.String())
	}
	restarted := false
	for _, j := range e.Jobs() {
		restarted = restarted || (strings.Contains(j.Name, "INSERT INTO enriched") && j.Restarts() > 0)
	}
	if !restarted {
		t.Fatal("the INSERT job did not fail and restart: the test does not test recovery")
	}
	var total, distinct int
	if err := db.QueryRow("SELECT COUNT(*), COUNT(DISTINCT oid, name) FROM enriched").Scan(&total, &distinct); err != nil {
		t.Fatal(err)
	}
	// customers 1 (ann), 2 (bob) and 3 (cy) pass tier < 3: 40 orders each.
	if total != 120 || distinct != 120 {
		t.Fatalf("enriched: %d rows, %d distinct, want 120 once each", total, distinct)
	}
	if strings.Contains(stderr.String(), "panic") {
		t.Fatalf("stderr:\n%s", stderr.String())
	}
}

func render(rows [][]types.Value) []string {
	var out []string
	for _, r := range rows {
		var parts []string
		for _, v := range r {
			parts = append(parts, v.String())
		}
		out = append(out, strings.Join(parts, " "))
	}
	sort.Strings(out)
	return out
}
