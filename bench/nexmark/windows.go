package nexmark

import (
	"context"
	"math"
	"slices"

	"github.com/streamsql/streamsql/types"
)

// The hand-written loops of q5 and q7: generator events → Go maps →
// result slice, with event-time windows fired by a watermark computed as
// the engine computes it (the minimum over splits of the largest dateTime
// read minus the queries' 4 s delay), so that they hold as little state as
// the query needs. A window [start, end) fires once the watermark reaches
// end-1; at the end of the input every window fires.

const (
	bidDelayMs  = 4_000  // WATERMARK FOR dateTime AS dateTime - INTERVAL '4' SECOND
	hopSizeMs   = 10_000 // q5: HOP(dateTime, INTERVAL '2' SECOND, INTERVAL '10' SECOND)
	hopSlideMs  = 2_000
	tumbleMs    = 10_000 // q7: TUMBLE(dateTime, INTERVAL '10' SECOND)
	noWatermark = math.MinInt64
)

// floorTo rounds t down to a multiple of unit.
func floorTo(t, unit int64) int64 {
	r := t % unit
	if r < 0 {
		r += unit
	}
	return t - r
}

// watermarks tracks the largest dateTime of each split.
type watermarks struct{ max []int64 }

func newWatermarks(splits int) *watermarks {
	w := &watermarks{max: make([]int64, splits)}
	for i := range w.max {
		w.max[i] = noWatermark
	}
	return w
}

// observe notes the dateTimes of batch b (read from split).
func (w *watermarks) observe(split int, b *types.Batch) {
	for i := 0; i < b.Len(); i++ {
		w.max[split] = max(w.max[split], b.Vals[i*b.Width+cDateTime].Millis())
	}
}

// current is the watermark: the smallest largest dateTime minus the delay
// (noWatermark until every split has produced a row). Unlike the engine,
// a split that has ended keeps holding it back; the splits end together
// (they differ by at most one row), so this only leaves the last windows
// to the end of the input, where every window fires anyway.
func (w *watermarks) current() int64 {
	m := int64(math.MaxInt64)
	for _, v := range w.max {
		if v == noWatermark {
			return noWatermark
		}
		m = min(m, v)
	}
	return m - bidDelayMs
}

// windowLoop reads the input's bids in engine order, calling add for
// every bid and fire with the watermark after every batch, and with
// math.MaxInt64 at the end of the input.
func windowLoop(ctx context.Context, in Input, add func(row []types.Value), fire func(wm int64)) error {
	bids, err := openSerialBids(ctx, in)
	if err != nil {
		return err
	}
	wms := newWatermarks(bids.splits())
	err = bids.each(ctx, func(split int, b *types.Batch) {
		for i := 0; i < b.Len(); i++ {
			add(b.Row(i))
		}
		wms.observe(split, b)
		if wm := wms.current(); wm != noWatermark {
			fire(wm)
		}
	})
	if err != nil {
		return err
	}
	fire(math.MaxInt64)
	return nil
}

// HotItem is a row of q5: in the HOP window [Start, Start+10 s), Auction
// had Num bids, the most of any auction in that window (ties give one row
// each).
type HotItem struct{ Start, Auction, Num int64 }

// HotItems is q5's hand-written loop: it counts bids per auction in 2 s
// panes and, when a 10 s window fires, adds up its five panes and keeps
// the auctions with the highest count. The rows are in window order.
func HotItems(ctx context.Context, in Input) ([]HotItem, error) {
	h := newHotItems()
	err := windowLoop(ctx, in, func(row []types.Value) {
		h.add(row[cAuction].Int(), row[cDateTime].Millis())
	}, h.fire)
	return h.out, err
}

type pane struct {
	start  int64
	counts map[int64]int64 // auction → bids
}

// hotItems is q5's state: the panes of the windows not fired yet.
type hotItems struct {
	panes   []pane // ascending start
	next    int64  // start of the next window to fire (valid once started)
	started bool
	merged  map[int64]int64
	free    []map[int64]int64
	late    int64 // bids dropped because every window holding them had fired
	out     []HotItem
}

func newHotItems() *hotItems { return &hotItems{merged: map[int64]int64{}} }

func (h *hotItems) add(auction, ts int64) {
	p := floorTo(ts, hopSlideMs)
	if h.started && p < h.next {
		h.late++
		return
	}
	i := len(h.panes)
	for i > 0 && h.panes[i-1].start > p {
		i--
	}
	if i == 0 || h.panes[i-1].start != p {
		var m map[int64]int64
		if n := len(h.free); n > 0 {
			m, h.free = h.free[n-1], h.free[:n-1]
		} else {
			m = map[int64]int64{}
		}
		h.panes = slices.Insert(h.panes, i, pane{start: p, counts: m})
		i++
	}
	h.panes[i-1].counts[auction]++
}

// fire emits the windows that end at or before wm+1.
func (h *hotItems) fire(wm int64) {
	for len(h.panes) > 0 {
		// the first window holding the oldest pane
		if first := h.panes[0].start - (hopSizeMs - hopSlideMs); !h.started || h.next < first {
			h.next, h.started = first, true
		}
		end := h.next + hopSizeMs
		if end-1 > wm {
			return
		}
		clear(h.merged)
		for _, p := range h.panes {
			if p.start >= end {
				break
			}
			for a, c := range p.counts {
				h.merged[a] += c
			}
		}
		best := int64(0)
		for _, c := range h.merged {
			best = max(best, c)
		}
		for a, c := range h.merged {
			if c == best {
				h.out = append(h.out, HotItem{Start: h.next, Auction: a, Num: c})
			}
		}
		h.next += hopSlideMs
		for len(h.panes) > 0 && h.panes[0].start < h.next {
			clear(h.panes[0].counts)
			h.free = append(h.free, h.panes[0].counts)
			h.panes = h.panes[1:]
		}
	}
}

// HighestBid is a row of q7: a bid whose price is the highest of a 10 s
// tumbling window and whose dateTime lies in [start-1ms, end-1ms] (the
// query's BETWEEN rowtime - 10 s AND rowtime, with rowtime = end - 1 ms).
type HighestBid struct {
	Auction, Price, Bidder, DateTime int64
	Extra                            string
}

// HighestBids is q7's hand-written loop: per tumbling window it keeps the
// highest price and the bids at that price, plus the bids of the window's
// last millisecond (which also belong to the next window's result when
// their price is that window's highest). The rows are in window order.
func HighestBids(ctx context.Context, in Input) ([]HighestBid, error) {
	h := &highestBids{}
	err := windowLoop(ctx, in, func(row []types.Value) {
		h.add(HighestBid{Auction: row[cAuction].Int(), Price: row[cPrice].Int(), Bidder: row[cBidder].Int(),
			DateTime: row[cDateTime].Millis(), Extra: row[cExtra].Str()})
	}, h.fire)
	return h.out, err
}

type tumbleWindow struct {
	start, max int64
	best       []HighestBid // the bids at price max
	lastMs     []HighestBid // the bids at start + size - 1
}

// highestBids is q7's state: the windows not fired yet, and the last
// millisecond of the last window fired.
type highestBids struct {
	wins      []*tumbleWindow // ascending start
	prevStart int64
	prevLast  []HighestBid
	fired     bool
	next      int64 // windows starting before next have fired
	late      int64
	out       []HighestBid
}

func (h *highestBids) add(b HighestBid) {
	s := floorTo(b.DateTime, tumbleMs)
	if h.fired && s < h.next {
		h.late++
		return
	}
	i := len(h.wins)
	for i > 0 && h.wins[i-1].start > s {
		i--
	}
	if i == 0 || h.wins[i-1].start != s {
		h.wins = slices.Insert(h.wins, i, &tumbleWindow{start: s, max: math.MinInt64})
		i++
	}
	w := h.wins[i-1]
	switch {
	case b.Price > w.max:
		w.max, w.best = b.Price, append(w.best[:0], b)
	case b.Price == w.max:
		w.best = append(w.best, b)
	}
	if b.DateTime == s+tumbleMs-1 {
		w.lastMs = append(w.lastMs, b)
	}
}

// fire emits the windows that end at or before wm+1.
func (h *highestBids) fire(wm int64) {
	for len(h.wins) > 0 && h.wins[0].start+tumbleMs-1 <= wm {
		w := h.wins[0]
		h.out = append(h.out, w.best...)
		if h.fired && h.prevStart == w.start-tumbleMs {
			for _, b := range h.prevLast {
				if b.Price == w.max {
					h.out = append(h.out, b)
				}
			}
		}
		h.fired, h.next, h.prevStart, h.prevLast = true, w.start+tumbleMs, w.start, w.lastMs
		h.wins = h.wins[1:]
	}
}
