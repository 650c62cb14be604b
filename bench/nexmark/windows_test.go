package nexmark

import (
	"context"
	"fmt"
	"io"
	"sort"
	"strings"
	"testing"

	"github.com/streamsql/streamsql/catalog"
	"github.com/streamsql/streamsql/engine"
	"github.com/streamsql/streamsql/sql"
)

// windowInput is small but spans many windows: 20,000 events at 200
// events per second of event time are 100 s.
var windowInput = Input{Events: 20_000, EventsPerSecond: 200}

// denseInput has more auctions per window: 60,000 events over 30 s.
var denseInput = Input{Events: 60_000, EventsPerSecond: 2_000}

// engineResult runs the SELECT of query q's INSERT over in (its blackhole
// sink left out) and returns its final rows (a changelog materialised),
// formatted and sorted.
func engineResult(t *testing.T, q string, in Input) []string {
	t.Helper()
	script, err := SQL(q, in.Events)
	if err != nil {
		t.Fatal(err)
	}
	return scriptResult(t, setSourceOptions(script, []catalog.Option{eventRateOption(in.EventsPerSecond)}))
}

// scriptResult runs the SELECT of a query script's INSERT (its blackhole
// sink left out) and returns its final rows, formatted and sorted.
func scriptResult(t *testing.T, script string) []string {
	t.Helper()
	eng := engine.New(engine.Options{Stdout: io.Discard, Stderr: io.Discard})
	if err := eng.Config().Set("parallelism.default", "2"); err != nil {
		t.Fatal(err)
	}
	var sel string
	for _, p := range sql.Split(script) {
		text := strings.TrimSpace(p.Text)
		switch {
		case strings.Contains(text, "'blackhole'"):
		case strings.HasPrefix(strings.ToUpper(text), "INSERT"):
			sel = text[strings.Index(strings.ToUpper(text), "SELECT"):]
		default:
			if err := eng.Exec(text); err != nil {
				t.Fatal(err)
			}
		}
	}
	_, rows, err := eng.Query(sel)
	if err != nil {
		t.Fatal(err)
	}
	out := make([]string, len(rows))
	for i, r := range rows {
		out[i] = formatRow(r...)
	}
	sort.Strings(out)
	return out
}

func TestHotItemsMatchEngine(t *testing.T) {
	t.Run("dense", func(t *testing.T) {
		rows, err := HotItems(context.Background(), denseInput)
		if err != nil {
			t.Fatal(err)
		}
		var want []string
		for _, r := range rows {
			want = append(want, fmt.Sprintf("%d|%d", r.Auction, r.Num))
		}
		sort.Strings(want)
		compare(t, engineResult(t, "q5", denseInput), want)
	})
	rows, err := HotItems(context.Background(), windowInput)
	if err != nil {
		t.Fatal(err)
	}
	var want []string
	windows := map[int64]bool{}
	for _, r := range rows {
		want = append(want, fmt.Sprintf("%d|%d", r.Auction, r.Num))
		windows[r.Start] = true
	}
	sort.Strings(want)
	// 100 s of events: 50 windows start in it, 4 more before it.
	if len(windows) != 54 {
		t.Fatalf("%d windows, want 54", len(windows))
	}
	compare(t, engineResult(t, "q5", windowInput), want)
}

func TestHighestBidsMatchEngine(t *testing.T) {
	for _, c := range []struct {
		in      Input
		windows int
	}{{windowInput, 10}, {denseInput, 3}} {
		t.Run(fmt.Sprint(c.in.EventsPerSecond), func(t *testing.T) {
			rows, err := HighestBids(context.Background(), c.in)
			if err != nil {
				t.Fatal(err)
			}
			var want []string
			for _, r := range rows {
				want = append(want, fmt.Sprintf("%d|%d|%d|%s|%s", r.Auction, r.Price, r.Bidder, formatRow(tsValue(r.DateTime)), r.Extra))
			}
			sort.Strings(want)
			if len(want) < c.windows {
				t.Fatalf("%d rows for %d windows", len(want), c.windows)
			}
			compare(t, engineResult(t, "q7", c.in), want)
		})
	}
}

// synthBid is a bid of the synthetic streams below.
type synthBid struct{ auction, price, ts int64 }

// synthBids returns n bids whose dateTime ascends with jitter below the
// watermark delay, on few auctions and prices so that counts and prices
// tie, with many bids on the last millisecond of a 10 s window.
func synthBids(n int) []synthBid {
	var out []synthBid
	x := uint64(1)
	next := func(k uint64) int64 { x = x*6364136223846793005 + 1442695040888963407; return int64((x >> 33) % k) }
	ts := int64(1_000_000)
	for i := 0; i < n; i++ {
		ts += next(40)
		t := ts - next(1000)
		if last := floorTo(ts, tumbleMs) - 1; ts-last < 3000 && next(3) == 0 {
			t = last // the last millisecond of the window before
		}
		out = append(out, synthBid{auction: next(4), price: 10 + next(3), ts: t})
	}
	return out
}

// feed gives bids to add, calling fire with the watermark every 7 bids
// and at the end with the largest watermark, as windowLoop does.
func feed(bids []synthBid, add func(synthBid), fire func(int64)) {
	maxTs := int64(noWatermark)
	for i, b := range bids {
		add(b)
		maxTs = max(maxTs, b.ts)
		if i%7 == 6 {
			fire(maxTs - bidDelayMs)
		}
	}
	fire(1<<63 - 1)
}

// TestHotItemsSynthetic checks the pane loop against counting every HOP
// window directly, with ties.
func TestHotItemsSynthetic(t *testing.T) {
	bids := synthBids(3000)
	h := newHotItems()
	feed(bids, func(b synthBid) { h.add(b.auction, b.ts) }, h.fire)
	var got, want []string
	for _, r := range h.out {
		got = append(got, fmt.Sprintf("%d %d %d", r.Start, r.Auction, r.Num))
	}
	lo, hi := bids[0].ts, bids[0].ts
	for _, b := range bids {
		lo, hi = min(lo, b.ts), max(hi, b.ts)
	}
	ties := 0
	for s := floorTo(lo, hopSlideMs) - hopSizeMs + hopSlideMs; s <= hi; s += hopSlideMs {
		counts := map[int64]int64{}
		for _, b := range bids {
			if b.ts >= s && b.ts < s+hopSizeMs {
				counts[b.auction]++
			}
		}
		best, n := int64(0), 0
		for _, c := range counts {
			best = max(best, c)
		}
		for a, c := range counts {
			if c == best {
				want = append(want, fmt.Sprintf("%d %d %d", s, a, c))
				n++
			}
		}
		if n > 1 {
			ties++
		}
	}
	if h.late != 0 || ties == 0 {
		t.Fatalf("late %d, windows with ties %d", h.late, ties)
	}
	sort.Strings(got)
	sort.Strings(want)
	compare(t, got, want)
}

// TestHighestBidsSynthetic checks the tumbling loop against the query's
// definition: per window, the bids with its highest price and dateTime in
// [start-1ms, end-1ms].
func TestHighestBidsSynthetic(t *testing.T) {
	bids := synthBids(3000)
	h := &highestBids{}
	feed(bids, func(b synthBid) { h.add(HighestBid{Auction: b.auction, Price: b.price, DateTime: b.ts}) }, h.fire)
	var got, want []string
	for _, r := range h.out {
		got = append(got, fmt.Sprintf("%d %d %d", r.Auction, r.Price, r.DateTime))
	}
	maxPrice := map[int64]int64{}
	for _, b := range bids {
		s := floorTo(b.ts, tumbleMs)
		maxPrice[s] = max(maxPrice[s], b.price)
	}
	boundary := 0
	for s, m := range maxPrice {
		for _, b := range bids {
			if b.price == m && b.ts >= s-1 && b.ts <= s+tumbleMs-1 {
				want = append(want, fmt.Sprintf("%d %d %d", b.auction, b.price, b.ts))
				if b.ts == s-1 {
					boundary++
				}
			}
		}
	}
	if h.late != 0 || boundary == 0 {
		t.Fatalf("late %d, rows from the millisecond before their window %d", h.late, boundary)
	}
	sort.Strings(got)
	sort.Strings(want)
	compare(t, got, want)
}

// TestLateBidsAreDropped: a bid whose windows have all fired is counted
// as late and changes no result.
func TestLateBidsAreDropped(t *testing.T) {
	h := newHotItems()
	h.add(7, 20_000)
	h.fire(40_000)
	n := len(h.out)
	h.add(8, 20_500)
	h.fire(1<<63 - 1)
	if h.late != 1 || len(h.out) != n || n != 5 {
		t.Fatalf("late %d, rows %d then %d", h.late, n, len(h.out))
	}
	q := &highestBids{}
	q.add(HighestBid{Price: 5, DateTime: 20_000})
	q.fire(40_000)
	q.add(HighestBid{Price: 9, DateTime: 20_001})
	q.fire(1<<63 - 1)
	if q.late != 1 || len(q.out) != 1 || q.out[0].Price != 5 {
		t.Fatalf("late %d, rows %v", q.late, q.out)
	}
}
