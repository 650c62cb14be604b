package engine

import (
	"fmt"
	"strings"
	"testing"
	"time"
)

// miniBatchValues is 3000 rows (k, v): k = v % 3.
func miniBatchValues() string {
	var values strings.Builder
	for i := 0; i < 3000; i++ {
		if i > 0 {
			values.WriteString(",")
		}
		fmt.Fprintf(&values, "(%d,%d)", i%3, i)
	}
	return values.String()
}

// TestMiniBatchChangelog: with table.exec.mini-batch.enabled a GROUP BY's
// changelog, watched row by row, has fewer changes than without, and both
// changelogs end at the same table.
func TestMiniBatchChangelog(t *testing.T) {
	values := miniBatchValues()
	changes := map[string]int{}
	finals := map[string]string{}
	for _, enabled := range []string{"false", "true"} {
		e, _ := newTestEngine()
		run(t, e, "SET 'table.exec.mini-batch.enabled' = '"+enabled+"'; CREATE TABLE t (k INT, v INT); INSERT INTO t VALUES "+values+";")
		finals[enabled], changes[enabled] = finalTable(t, e, "SELECT k, COUNT(*), SUM(v) FROM t GROUP BY k")
	}
	if finals["true"] != finals["false"] || !strings.Contains(finals["true"], "1000 1498500") {
		t.Fatalf("final tables differ: mini-batch %s, row by row %s", finals["true"], finals["false"])
	}
	if changes["false"] < 5000 || changes["true"]*10 > changes["false"] {
		t.Fatalf("changes: row by row %d, mini-batch %d", changes["false"], changes["true"])
	}
}

// TestMiniBatchAllowLatency: with table.exec.mini-batch.allow-latency a
// mini-batch spans input batches: an hour's latency over a bounded input
// emits one +I per group at the end of the input; with
// table.exec.mini-batch.size 1000 as well, a mini-batch ends every 1000
// rows (each changes the three groups). Without the key the planner's
// latency is 0 (nothing held back), the configuration a printed SELECT
// that turns mini-batch on by itself plans with too.
func TestMiniBatchAllowLatency(t *testing.T) {
	e, _ := newTestEngine()
	if got := e.plannerConfig().MiniBatchLatency; got != 0 {
		t.Fatalf("latency %v without the key, want 0", got)
	}
	values := miniBatchValues()
	for _, c := range []struct {
		size    string
		changes int
	}{{"-1", 3}, {"1000", 3 + 2*3*2}} {
		e, _ := newTestEngine()
		run(t, e, "SET 'table.exec.mini-batch.enabled' = 'true'; SET 'table.exec.mini-batch.allow-latency' = '1 h'; SET 'table.exec.mini-batch.size' = '"+c.size+"'; CREATE TABLE t (k INT, v INT); INSERT INTO t VALUES "+values+";")
		if got := e.plannerConfig().MiniBatchLatency; got != time.Hour {
			t.Fatalf("latency %v, want 1h", got)
		}
		table, changes := finalTable(t, e, "SELECT k, COUNT(*), SUM(v) FROM t GROUP BY k")
		if changes != c.changes || !strings.Contains(table, "1000 1498500") {
			t.Fatalf("size %s: %d changes, want %d; final table %v", c.size, changes, c.changes, table)
		}
	}
}
