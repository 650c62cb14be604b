package planner_test

import (
	"strings"
	"testing"
)

// TestWindowTVFSameGraphAsGroupWindow: a window aggregate written with a
// window table function plans to the operator graph of its group-window
// form (same operators, same ids: a savepoint of one restores the other).
func TestWindowTVFSameGraphAsGroupWindow(t *testing.T) {
	const ddl = `CREATE TABLE bid (auction BIGINT, price BIGINT, ts TIMESTAMP(3), WATERMARK FOR ts AS ts - INTERVAL '1' SECOND)
WITH ('connector' = 'datagen', 'number-of-rows' = '10');
`
	for _, c := range []struct{ tvf, group string }{
		{`SELECT auction, window_start, window_end, COUNT(*), SUM(price) FROM TABLE(TUMBLE(TABLE bid, DESCRIPTOR(ts), INTERVAL '10' SECONDS)) GROUP BY window_start, window_end, auction`,
			`SELECT auction, TUMBLE_START(ts, INTERVAL '10' SECOND), TUMBLE_END(ts, INTERVAL '10' SECOND), COUNT(*), SUM(price) FROM bid GROUP BY TUMBLE(ts, INTERVAL '10' SECOND), auction`},
		{`SELECT window_start, window_end, MAX(price) FROM TABLE(HOP(TABLE bid, DESCRIPTOR(ts), INTERVAL '2' SECONDS, INTERVAL '10' SECONDS)) WHERE price > 3 GROUP BY window_start, window_end`,
			`SELECT HOP_START(ts, INTERVAL '2' SECOND, INTERVAL '10' SECOND), HOP_END(ts, INTERVAL '2' SECOND, INTERVAL '10' SECOND), MAX(price) FROM bid WHERE price > 3 GROUP BY HOP(ts, INTERVAL '2' SECOND, INTERVAL '10' SECOND)`},
		{`SELECT auction, window_start, window_end, COUNT(*) FROM TABLE(CUMULATE(TABLE bid, DESCRIPTOR(ts), INTERVAL '1' SECONDS, INTERVAL '10' SECONDS)) GROUP BY auction, window_start, window_end`,
			`SELECT auction, CUMULATE_START(ts, INTERVAL '1' SECOND, INTERVAL '10' SECOND), CUMULATE_END(ts, INTERVAL '1' SECOND, INTERVAL '10' SECOND), COUNT(*) FROM bid GROUP BY CUMULATE(ts, INTERVAL '1' SECOND, INTERVAL '10' SECOND), auction`},
		{`SELECT auction, window_start, window_end, COUNT(*) FROM TABLE(SESSION(TABLE bid PARTITION BY auction, DESCRIPTOR(ts), INTERVAL '5' SECONDS)) GROUP BY auction, window_start, window_end`,
			`SELECT auction, SESSION_START(ts, INTERVAL '5' SECOND), SESSION_END(ts, INTERVAL '5' SECOND), COUNT(*) FROM bid GROUP BY SESSION(ts, INTERVAL '5' SECOND), auction`},
	} {
		graph := func(q string) string { return operatorGraph(t, ddl+"EXPLAIN "+q+";") }
		if a, b := graph(c.tvf), graph(c.group); a != b {
			t.Errorf("graphs differ\n%s\n%s\n--- group window\n%s\n%s", c.tvf, a, c.group, b)
		}
		if g := graph(c.tvf); !strings.Contains(g, "WindowAggregate") || strings.Contains(g, "WindowTableFunction") {
			t.Errorf("not a window aggregate:\n%s", g)
		}
	}
}
