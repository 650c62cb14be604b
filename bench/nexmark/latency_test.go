package nexmark

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/streamsql/streamsql/catalog"
)

// TestLatencyRun runs the latency hooks on the windowed queries: every
// window row the query emits is noted, and the latencies are ordered as
// their definitions imply (after the watermark <= from the window end,
// both >= 0; p50 <= p99).
func TestLatencyRun(t *testing.T) {
	for _, q := range []string{"q5", "q7", "q8", "q11"} {
		t.Run(q, func(t *testing.T) {
			o := Options{Query: q, Events: 20_000, EventRate: 200, Parallelism: 2}
			l, err := runLatency(context.Background(), o, 200_000)
			if err != nil {
				t.Fatal(err)
			}
			if l.Rows == 0 || l.Windows == 0 || l.Excluded == 0 {
				t.Fatalf("%+v: no rows measured, or none closed by the end of input", l)
			}
			if l.WmMin < 0 || l.WmMin > l.WmP50 || l.WmP50 > l.P50 || l.WmP99 > l.P99 || l.P50 > l.P99 || l.WmP50 > l.WmP99 {
				t.Fatalf("latencies out of order: %+v", l)
			}
			if q == "q7" {
				// Every result row is noted: the loop's rows are the query's.
				rows, err := HighestBids(context.Background(), Input{Events: o.Events, EventsPerSecond: o.EventRate})
				if err != nil {
					t.Fatal(err)
				}
				if l.Rows+l.Excluded != int64(len(rows)) {
					t.Fatalf("%d + %d rows noted, the query has %d", l.Rows, l.Excluded, len(rows))
				}
			}
		})
	}
}

func TestLatencyOnlyForWindowedQueries(t *testing.T) {
	res, err := Run(context.Background(), Options{Query: "q1", Events: 1000, Latency: true})
	if err != nil || res.Latency != nil {
		t.Fatalf("q1 latency %+v, %v", res.Latency, err)
	}
	res, err = Run(context.Background(), Options{Query: "q8", Events: 20_000, EventRate: 200, Latency: true, Rate: 500_000})
	if err != nil || res.Latency == nil || res.Latency.Rate != 500_000 || res.Latency.Rows == 0 {
		t.Fatalf("q8 latency %+v, %v", res.Latency, err)
	}
	var sb strings.Builder
	res.Report(&sb)
	if !strings.Contains(sb.String(), "after watermark:") {
		t.Fatal(sb.String())
	}
}

// TestLatencyDefinitions checks T_end, T_wm, the exclusions and the
// percentiles on hand-made logs.
func TestLatencyDefinitions(t *testing.T) {
	r := newLatencyRun(latencySpecs["q7"])
	scan := r.newScan()
	a, b := r.newLog(scan, 4000), r.newLog(scan, 4000)
	ms := int64(time.Millisecond)
	// split a produces dateTime 10_000 at 10 ms, 14_000 at 20 ms; b
	// 9_000 at 5 ms, 16_000 at 30 ms, then ends at 40 ms.
	a.add(10_000, 10*ms)
	a.add(14_000, 20*ms)
	b.add(9_000, 5*ms)
	b.add(16_000, 30*ms)
	b.ended = 40 * ms
	// window 10_000: T_end 10 ms (a), T_wm: a reaches 13_999 at 20 ms,
	// b at 30 ms → 30 ms. 3 rows at 35 ms, 1 at 45 ms.
	r.emitted(35*ms, []int64{10_000, 10_000, 10_000})
	r.emitted(45*ms, []int64{10_000})
	// window 20_000: never reached by a, which has not ended: excluded.
	r.emitted(50*ms, []int64{20_000, 20_000})
	res := r.result()
	if res.Rows != 4 || res.Excluded != 2 || res.Windows != 1 {
		t.Fatalf("%+v", res)
	}
	if res.P50 != 25*time.Millisecond || res.P99 != 35*time.Millisecond ||
		res.WmP50 != 5*time.Millisecond || res.WmP99 != 15*time.Millisecond || res.WmMin != 5*time.Millisecond {
		t.Fatalf("%+v", res)
	}
	// once a has ended too: window 12_000 (b reached 15_999 at 30 ms)
	// counts from a's end; window 20_000, which no split reached, is
	// still closed only by the end of input.
	a.ended = 42 * ms
	if at, ok := r.tWatermark(12_000); !ok || at != 42*ms {
		t.Fatalf("T_wm = %d, %v", at, ok)
	}
	if _, ok := r.tWatermark(20_000); ok {
		t.Fatal("T_wm of a window no event closed")
	}
	if _, ok := r.tEnd(20_000); ok {
		t.Fatal("T_end of a window no event reached")
	}
	// a second scan whose one split reached 13_999 at 25 ms lets window
	// 10_000 out earlier; one still open does not count.
	c := r.newLog(r.newScan(), 4000)
	c.add(14_000, 25*ms)
	r.newLog(r.newScan(), 4000)
	if at, ok := r.tWatermark(10_000); !ok || at != 25*ms {
		t.Fatalf("T_wm = %d, %v", at, ok)
	}
}

func TestPaceAndReplaceSources(t *testing.T) {
	script := `CREATE TABLE person (id BIGINT) WITH ('connector' = 'nexmark', 'table' = 'person', 'number-of-events' = '1000');
CREATE TABLE auction (id BIGINT) WITH (
  'connector' = 'nexmark',
  'table' = 'auction', 'number-of-events' = '1000');
CREATE TABLE out (id BIGINT) WITH ('connector' = 'blackhole');
INSERT INTO out SELECT id FROM person;`
	paced := paceSources(script, 50_000)
	for _, want := range []string{"'table' = 'person', 'number-of-events' = '1000', 'rows-per-second' = '1000.000'",
		"'table' = 'auction', 'number-of-events' = '1000', 'rows-per-second' = '3000.000'", "'connector' = 'blackhole'"} {
		if !strings.Contains(paced, want) {
			t.Fatalf("no %q in\n%s", want, paced)
		}
	}
	swapped := replaceConnector(paced, "blackhole", latencySinkConnector, catalog.Option{Key: runOption, Value: "3"})
	if !strings.Contains(swapped, "WITH ('connector' = 'bench-latency', 'bench-run' = '3')") || strings.Contains(swapped, "blackhole") {
		t.Fatal(swapped)
	}
	// clauses not concerned keep their text
	if got := replaceConnector(script, "kafka", "x"); got != script {
		t.Fatalf("rewritten:\n%s", got)
	}
	q5, _ := SQL("q5", 1000)
	q5, err := addQ5WindowEnd(q5)
	if err != nil || !strings.Contains(q5, "num BIGINT, endtime TIMESTAMP(3))") || !strings.Contains(q5, "SELECT AuctionBids.auction, AuctionBids.num, AuctionBids.endtime\n") {
		t.Fatalf("%v\n%s", err, q5)
	}
}
