package planner_test

import (
	"strings"
	"testing"
)

// TestGroupingSetsExplain: a GROUP BY with grouping sets plans an Expand
// step forward-connected to the source, passing through only what the
// aggregate reads (its arguments, the window's time column), under the
// aggregate keyed by the keys and the grouping set index; the window TVF
// and group-window forms give the same graph.
func TestGroupingSetsExplain(t *testing.T) {
	const ddl = `CREATE TABLE bid (supplier_id STRING, item STRING, price BIGINT, ts TIMESTAMP(3), WATERMARK FOR ts AS ts - INTERVAL '1' SECOND)
WITH ('connector' = 'datagen', 'number-of-rows' = '10');
`
	graph := func(q string) string { return operatorGraph(t, ddl+"EXPLAIN "+q+";") }
	tvf := graph(`SELECT window_start, window_end, supplier_id, item, SUM(price) FROM TABLE(TUMBLE(TABLE bid, DESCRIPTOR(ts), INTERVAL '10' SECONDS)) GROUP BY window_start, window_end, CUBE (supplier_id, item)`)
	group := graph(`SELECT TUMBLE_START(ts, INTERVAL '10' SECOND), TUMBLE_END(ts, INTERVAL '10' SECOND), supplier_id, item, SUM(price) FROM bid GROUP BY TUMBLE(ts, INTERVAL '10' SECOND), CUBE (supplier_id, item)`)
	if tvf != group {
		t.Errorf("graphs differ\n--- window TVF\n%s\n--- group window\n%s", tvf, group)
	}
	for _, want := range []string{
		"2. Expand keys=[supplier_id, item] sets=[(supplier_id, item), (supplier_id), (item), ()] pass=[price, ts]",
		"     <- 1. FORWARD",
		"3. WindowAggregate TUMBLE(ts, 10s) keys=[supplier_id, item, $grouping_set] aggs=[SUM(price)]",
		"     <- 2. HASH(supplier_id, item, $grouping_set)",
		"== Result: append-only",
	} {
		if !strings.Contains(tvf, want) {
			t.Errorf("missing %q in\n%s", want, tvf)
		}
	}
	changelog := graph(`SELECT supplier_id, COUNT(*), GROUPING(supplier_id) FROM bid GROUP BY ROLLUP (supplier_id)`)
	for _, want := range []string{
		"2. Expand keys=[supplier_id] sets=[(supplier_id), ()] pass=[]",
		"3. GroupAggregate keys=[supplier_id, $grouping_set] aggs=[COUNT(*)] changelog",
		"4. Calc select supplier_id, COUNT(*), GROUPING(supplier_id)",
		"== Result: changelog",
	} {
		if !strings.Contains(changelog, want) {
			t.Errorf("missing %q in\n%s", want, changelog)
		}
	}
}
