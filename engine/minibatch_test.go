package engine

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/streamsql/streamsql/sql"
	"github.com/streamsql/streamsql/types"
)

// TestMiniBatchChangelog: with table.exec.mini-batch.enabled a GROUP BY's
// changelog, watched row by row, has fewer changes than without, and both
// changelogs end at the same table.
func TestMiniBatchChangelog(t *testing.T) {
	var values strings.Builder
	for i := 0; i < 3000; i++ {
		if i > 0 {
			values.WriteString(",")
		}
		fmt.Fprintf(&values, "(%d,%d)", i%3, i)
	}
	changes := map[string]int{}
	finals := map[string]string{}
	for _, enabled := range []string{"false", "true"} {
		e, _ := newTestEngine()
		run(t, e, "SET 'table.exec.mini-batch.enabled' = '"+enabled+"'; CREATE TABLE t (k INT, v INT); INSERT INTO t VALUES "+values.String()+";")
		st, err := e.Prepare(sql.Split("SELECT k, COUNT(*), SUM(v) FROM t GROUP BY k")[0])
		if err != nil {
			t.Fatal(err)
		}
		table := map[string]string{}
		_, _, err = e.RunQueryWatch(context.Background(), st.(*sql.Query), func(op types.Op, row []types.Value) error {
			changes[enabled]++
			k := row[0].String()
			if op.IsRetraction() {
				delete(table, k)
			} else {
				table[k] = fmt.Sprint(row)
			}
			return nil
		}, nil)
		if err != nil {
			t.Fatal(err)
		}
		finals[enabled] = fmt.Sprint(table)
	}
	if finals["true"] != finals["false"] || !strings.Contains(finals["true"], "1000 1498500") {
		t.Fatalf("final tables differ: mini-batch %s, row by row %s", finals["true"], finals["false"])
	}
	if changes["false"] < 5000 || changes["true"]*10 > changes["false"] {
		t.Fatalf("changes: row by row %d, mini-batch %d", changes["false"], changes["true"])
	}
}
