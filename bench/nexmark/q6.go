package nexmark

import (
	"cmp"
	"container/heap"
	"context"
	"fmt"
	"io"
	"math"

	"github.com/streamsql/streamsql/connectors"
	"github.com/streamsql/streamsql/engine"
	"github.com/streamsql/streamsql/types"
)

// The hand-written loop of q6 (q6.sql): every event read serially, one
// batch of each split in turn as one source task does; auctions kept in a
// map until they close, each with the highest price among its bids made
// while it was open; an auction closes once the watermark (computed as the
// engine computes it, see watermarks) reaches its expires, in expires
// order; a closed auction with a bid adds its final price to its seller's
// last 11 (a ring with a running sum), whose average is the result row.

// q6Frame is the frame of q6's OVER window: ROWS BETWEEN 10 PRECEDING AND
// CURRENT ROW.
const q6Frame = 11

// The columns of the event table the q6 loop reads.
const (
	eType = iota
	eDateTime
	eAuctionID
	eAuctionExpires
	eAuctionSeller
	eBidAuction
	eBidPrice
)

// SellerAverage is one q6 result row: a seller and the average final
// price of its last closed auctions, as DECIMAL(18, 4) (AVG of BIGINT):
// AvgScaled is the value times 10⁴, rounded half away from zero.
type SellerAverage struct {
	Seller    int64
	AvgScaled int64
	Closed    int64 // the auction's closing time (expires), ms
}

type q6Auction struct {
	id, seller, start, expires int64
	final                      int64
	hasBid                     bool
}

type q6Bid struct{ price, ts int64 }

// closingHeap orders open auctions by (expires, id).
type closingHeap []*q6Auction

func (h closingHeap) Len() int { return len(h) }
func (h closingHeap) Less(i, j int) bool {
	if c := cmp.Compare(h[i].expires, h[j].expires); c != 0 {
		return c < 0
	}
	return h[i].id < h[j].id
}
func (h closingHeap) Swap(i, j int) { h[i], h[j] = h[j], h[i] }
func (h *closingHeap) Push(x any)   { *h = append(*h, x.(*q6Auction)) }
func (h *closingHeap) Pop() any {
	old := *h
	x := old[len(old)-1]
	*h = old[:len(old)-1]
	return x
}

type sellerFrame struct {
	ring [q6Frame]int64
	n    int
	pos  int
	sum  int64
}

type sellerAverages struct {
	auctions map[int64]*q6Auction
	early    map[int64][]q6Bid // bids read before their auction
	closing  closingHeap
	sellers  map[int64]*sellerFrame
	last     map[int64]int64 // seller -> closing time of its last closed auction
	out      []SellerAverage
	ties     int
}

// SellerAverages runs q6's loop over the input. ties counts the closed
// auctions (with a bid) that closed in the same millisecond as their
// seller's previous one: their order in the OVER window is the order in
// which they reach it, which the loop and a parallel engine may not share.
func SellerAverages(ctx context.Context, in Input) (rows []SellerAverage, ties int, err error) {
	events, err := openSerialEvents(ctx, in)
	if err != nil {
		return nil, 0, err
	}
	s := &sellerAverages{auctions: map[int64]*q6Auction{}, early: map[int64][]q6Bid{},
		sellers: map[int64]*sellerFrame{}, last: map[int64]int64{}}
	wms := newWatermarks(events.splits())
	err = events.each(ctx, func(split int, b *types.Batch) {
		for i := 0; i < b.Len(); i++ {
			s.add(b.Row(i))
		}
		for i := 0; i < b.Len(); i++ {
			wms.max[split] = max(wms.max[split], b.Vals[i*b.Width+eDateTime].Millis())
		}
		if wm := wms.current(); wm != noWatermark {
			s.close(wm)
		}
	})
	if err != nil {
		return nil, 0, err
	}
	s.close(math.MaxInt64)
	return s.out, s.ties, nil
}

func (s *sellerAverages) add(row []types.Value) {
	switch row[eType].Int() {
	case 1:
		a := &q6Auction{id: row[eAuctionID].Int(), seller: row[eAuctionSeller].Int(),
			start: row[eDateTime].Millis(), expires: row[eAuctionExpires].Millis()}
		s.auctions[a.id] = a
		heap.Push(&s.closing, a)
		for _, b := range s.early[a.id] {
			a.bid(b)
		}
		delete(s.early, a.id)
	case 2:
		b := q6Bid{price: row[eBidPrice].Int(), ts: row[eDateTime].Millis()}
		id := row[eBidAuction].Int()
		if a := s.auctions[id]; a != nil {
			a.bid(b)
		} else {
			s.early[id] = append(s.early[id], b)
		}
	}
}

// bid takes a bid made while the auction was open.
func (a *q6Auction) bid(b q6Bid) {
	if b.ts < a.start || b.ts > a.expires {
		return
	}
	if !a.hasBid || b.price > a.final {
		a.final = b.price
	}
	a.hasBid = true
}

// close closes the auctions whose expires the watermark wm has reached.
func (s *sellerAverages) close(wm int64) {
	for len(s.closing) > 0 && s.closing[0].expires <= wm {
		a := heap.Pop(&s.closing).(*q6Auction)
		delete(s.auctions, a.id)
		if !a.hasBid {
			continue
		}
		if t, ok := s.last[a.seller]; ok && t == a.expires {
			s.ties++
		}
		s.last[a.seller] = a.expires
		f := s.sellers[a.seller]
		if f == nil {
			f = &sellerFrame{}
			s.sellers[a.seller] = f
		}
		if f.n == q6Frame {
			f.sum -= f.ring[f.pos]
		} else {
			f.n++
		}
		f.ring[f.pos] = a.final
		f.sum += a.final
		f.pos = (f.pos + 1) % q6Frame
		n := int64(f.n)
		s.out = append(s.out, SellerAverage{Seller: a.seller, AvgScaled: (f.sum*10000*2 + n) / (2 * n), Closed: a.expires})
	}
}

// openSerialEvents opens the input's events (every type, the columns
// eType..eBidPrice) for reading serially.
func openSerialEvents(ctx context.Context, in Input) (*serialBids, error) {
	ddl := `CREATE TABLE event (event_type BIGINT, dateTime TIMESTAMP(3), auction_id BIGINT,
  auction_expires TIMESTAMP(3), auction_seller BIGINT, bid_auction BIGINT, bid_price BIGINT)
  WITH ('connector' = 'nexmark', 'table' = 'event'` + renderOptions(in.options()) + `)`
	eng := engine.New(engine.Options{Stdout: io.Discard, Stderr: io.Discard})
	if err := eng.Exec(ddl); err != nil {
		return nil, err
	}
	t := eng.Catalog().Table("event")
	f := connectors.Lookup("nexmark")
	if t == nil || f == nil {
		return nil, fmt.Errorf("nexmark connector or event table missing")
	}
	src, err := f.NewSource(t, &connectors.Env{Stdout: io.Discard, Stderr: io.Discard})
	if err != nil {
		return nil, err
	}
	splits, err := src.Splits(1)
	if err != nil {
		return nil, err
	}
	s := &serialBids{readers: make([]connectors.SplitReader, len(splits)), width: len(t.PhysicalColumns())}
	for i, sp := range splits {
		if s.readers[i], err = src.OpenSplit(ctx, sp, nil); err != nil {
			s.close()
			return nil, err
		}
	}
	return s, nil
}
