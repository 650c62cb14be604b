package engine

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/streamsql/streamsql/sql"
	"github.com/streamsql/streamsql/types"
)

// splitDistinctQueries are GROUP BYs with DISTINCT aggregates over
// t (k, g, a, b, v): one or two distinct sets, FILTER and CASE forms,
// COUNT(*) beside them, a global aggregate, a multi-column DISTINCT and
// one over a changelog (a GROUP BY below it).
var splitDistinctQueries = []string{
	"SELECT g, COUNT(DISTINCT a) FROM t GROUP BY g",
	"SELECT g, COUNT(*), COUNT(DISTINCT a), SUM(v), MIN(v), MAX(v) FROM t GROUP BY g",
	`SELECT g, COUNT(*) AS n, COUNT(*) FILTER (WHERE v < 50) AS low,
	   SUM(CASE WHEN v >= 50 THEN 1 ELSE 0 END) AS high,
	   COUNT(DISTINCT a) AS da, COUNT(DISTINCT a) FILTER (WHERE v < 50) AS da_low,
	   COUNT(DISTINCT CASE WHEN v >= 50 THEN a END) AS da_high,
	   COUNT(DISTINCT b) AS db, SUM(DISTINCT b) AS sb, MIN(DISTINCT b) AS mb, MAX(b) AS xb
	 FROM t GROUP BY g`,
	"SELECT COUNT(DISTINCT a), COUNT(*), SUM(DISTINCT v), MAX(DISTINCT b) FROM t",
	"SELECT COUNT(DISTINCT a) FROM t WHERE v > 1000",
	"SELECT g, COUNT(DISTINCT a, b), COUNT(DISTINCT b) FROM t GROUP BY g",
	"SELECT g, k, COUNT(DISTINCT a) FROM t GROUP BY g, k",
	"SELECT g, b, COUNT(DISTINCT a), COUNT(*) FROM t GROUP BY GROUPING SETS ((g), (g, b), ())",
	"SELECT g, COUNT(DISTINCT a) AS n FROM t GROUP BY g HAVING COUNT(DISTINCT a) > 10",
	// A changelog input: per k its latest group and value.
	"SELECT g, COUNT(DISTINCT m), SUM(m), COUNT(*) FROM (SELECT k, MAX(g) AS g, MAX(a) AS m FROM t GROUP BY k) GROUP BY g",
}

// finalTable runs q on e and returns its final table (rows sorted) and the
// number of changes it emitted.
func finalTable(t *testing.T, e *Engine, q string) (string, int) {
	t.Helper()
	st, err := e.Prepare(sql.Split(q)[0])
	if err != nil {
		t.Fatal(err)
	}
	table := map[string]int{}
	changes := 0
	_, _, err = e.RunQueryWatch(context.Background(), st.(*sql.Query), func(op types.Op, row []types.Value) error {
		changes++
		if op.IsRetraction() {
			table[fmt.Sprint(row)]--
		} else {
			table[fmt.Sprint(row)]++
		}
		return nil
	}, nil)
	if err != nil {
		t.Fatalf("%s: %v", q, err)
	}
	var rows []string
	for r, n := range table {
		if n < 0 {
			t.Fatalf("%s: row %s retracted more often than emitted", q, r)
		}
		for range n {
			rows = append(rows, r)
		}
	}
	slices.Sort(rows)
	return strings.Join(rows, "\n"), changes
}

// TestSplitDistinctSameTable: with table.optimizer.distinct-agg.split
// .enabled every query ends at the same table as unsplit, at parallelism
// 1 and 3, with one bucket, a few and the default 1024, with and without
// mini-batch.
func TestSplitDistinctSameTable(t *testing.T) {
	var values strings.Builder
	for i := range 2000 {
		if i > 0 {
			values.WriteString(",")
		}
		a := fmt.Sprint((i * 7919) % 97)
		if i%13 == 0 {
			a = "NULL"
		}
		fmt.Fprintf(&values, "(%d,%d,%s,%d,%d)", i%50, i%3, a, (i*31)%41, i%100)
	}
	load := "CREATE TABLE t (k INT, g INT, a INT, b INT, v INT); INSERT INTO t VALUES " + values.String() + ";"
	want := map[string]string{}
	for _, q := range splitDistinctQueries {
		e, _ := newTestEngine()
		run(t, e, load)
		want[q], _ = finalTable(t, e, q)
		if want[q] == "" {
			t.Fatalf("%s: empty result", q)
		}
	}
	for _, c := range []struct {
		par, buckets int
		miniBatch    bool
	}{{1, 1, false}, {3, 4, false}, {3, 1024, true}, {2, 7, true}} {
		t.Run(fmt.Sprintf("p%d-buckets%d-minibatch=%v", c.par, c.buckets, c.miniBatch), func(t *testing.T) {
			for _, q := range splitDistinctQueries {
				e, _ := newTestEngine()
				run(t, e, fmt.Sprintf("SET 'parallelism.default' = '%d'; SET 'table.optimizer.distinct-agg.split.enabled' = 'true'; SET 'table.optimizer.distinct-agg.split.bucket-num' = '%d'; SET 'table.exec.mini-batch.enabled' = '%v';",
					c.par, c.buckets, c.miniBatch)+load)
				if got, _ := finalTable(t, e, q); got != want[q] {
					t.Fatalf("%s\nsplit:\n%s\nunsplit:\n%s", q, got, want[q])
				}
			}
		})
	}
}

// TestSplitDistinctPlan: EXPLAIN shows the split (an Expand of one row per
// distinct set, the partial aggregate grouped by the buckets, the final
// one by the keys) only when it is enabled and the aggregate qualifies.
func TestSplitDistinctPlan(t *testing.T) {
	explain := func(set, q string) string {
		var out bytes.Buffer
		e := New(Options{Stdout: io.Discard, Stderr: io.Discard})
		if err := e.RunScript(context.Background(), set+"CREATE TABLE t (k INT, g INT, a INT, b INT, v INT); EXPLAIN "+q+";", &out); err != nil {
			t.Fatal(err)
		}
		return out.String()
	}
	on := "SET 'table.optimizer.distinct-agg.split.enabled' = 'true'; SET 'table.optimizer.distinct-agg.split.bucket-num' = '16';"
	q := "SELECT g, COUNT(*), COUNT(DISTINCT a), COUNT(DISTINCT CASE WHEN v > 5 THEN a END), COUNT(DISTINCT b) FILTER (WHERE v < 3) FROM t GROUP BY g"
	p := explain(on, q)
	for _, want := range []string{
		"Expand keys=[g, SPLIT_BUCKET(a, 16), SPLIT_BUCKET(b, 16),",
		"sets=[(g, $bucket0,",
		"GroupAggregate keys=[g, $bucket0, $bucket1, $grouping_set]",
		"GroupAggregate keys=[g] aggs=[SUM($partial0), SUM($partial1), SUM($partial2), SUM($partial3)]",
	} {
		if !strings.Contains(p, want) {
			t.Fatalf("the split plan lacks %q:\n%s", want, p)
		}
	}
	if p := explain("", q); strings.Contains(p, "Expand") {
		t.Fatalf("split without the option:\n%s", p)
	}
	// over GROUPING SETS, the split's set index is named apart from the
	// grouping set index among the keys
	gs := explain(on, "SELECT g, b, COUNT(DISTINCT a) FROM t GROUP BY GROUPING SETS ((g), (g, b), ())")
	if want := "GroupAggregate keys=[g, b, $grouping_set, $bucket0, $distinct_set]"; !strings.Contains(gs, want) {
		t.Fatalf("the split plan over grouping sets lacks %q:\n%s", want, gs)
	}
	for _, q := range []string{
		"SELECT g, COUNT(a), SUM(v) FROM t GROUP BY g", // nothing distinct
		"SELECT g, AVG(DISTINCT a) FROM t GROUP BY g",  // AVG does not split
		"SELECT g, COUNT(DISTINCT a), LISTAGG(CAST(b AS VARCHAR)) FROM t GROUP BY g",
	} {
		if p := explain(on, q); strings.Contains(p, "Expand") {
			t.Fatalf("%s: split although it does not qualify:\n%s", q, p)
		}
	}
}

// TestSplitDistinctSavepointNeedsTheSamePlan: a savepoint of a job planned
// with split distinct aggregation does not restore into the job planned
// without it, nor the other way round: the error says the query changed.
func TestSplitDistinctSavepointNeedsTheSamePlan(t *testing.T) {
	const ddl = `CREATE TABLE gen (k BIGINT, v BIGINT) WITH ('connector' = 'datagen', 'rows-per-second' = '2000',
  'fields.k.kind' = 'random', 'fields.k.min' = '1', 'fields.k.max' = '5',
  'fields.v.kind' = 'random', 'fields.v.min' = '1', 'fields.v.max' = '500');
CREATE TABLE sink (k BIGINT, c BIGINT) WITH ('connector' = 'blackhole');`
	const insert = "INSERT INTO sink SELECT k, COUNT(DISTINCT v) FROM gen GROUP BY k"
	for _, from := range []bool{true, false} {
		t.Run(fmt.Sprintf("split=%v", from), func(t *testing.T) {
			cp := t.TempDir()
			e1, _ := newTestEngine()
			checkpointed(t, e1, cp)
			run(t, e1, fmt.Sprintf("SET 'table.optimizer.distinct-agg.split.enabled' = '%v';", from)+ddl)
			j, err := submit(t, e1, insert)
			if err != nil {
				t.Fatal(err)
			}
			time.Sleep(300 * time.Millisecond)
			sp := savepointPath(t, run(t, e1, "STOP JOB '"+j.ID+"' WITH SAVEPOINT;"))

			e2, _ := newTestEngine()
			checkpointed(t, e2, cp)
			run(t, e2, fmt.Sprintf("SET 'table.optimizer.distinct-agg.split.enabled' = '%v'; SET 'execution.savepoint.path' = '%s';", !from, sp)+ddl)
			if _, err := submit(t, e2, insert); err == nil || !strings.Contains(err.Error(), "the query changed") {
				t.Fatalf("restored a savepoint of the other plan: %v", err)
			}
			// The same plan restores it.
			e3, _ := newTestEngine()
			checkpointed(t, e3, cp)
			run(t, e3, fmt.Sprintf("SET 'table.optimizer.distinct-agg.split.enabled' = '%v'; SET 'execution.savepoint.path' = '%s';", from, sp)+ddl)
			j3, err := submit(t, e3, insert)
			if err != nil {
				t.Fatalf("the same plan does not restore its savepoint: %v", err)
			}
			run(t, e3, "STOP JOB '"+j3.ID+"';")
		})
	}
}
