package nexmark

import (
	"context"
	"fmt"
	"io"
	"strconv"
	"sync"
	"sync/atomic"

	"github.com/streamsql/streamsql/catalog"
	"github.com/streamsql/streamsql/connectors"
	"github.com/streamsql/streamsql/engine"
	"github.com/streamsql/streamsql/types"
)

// bidColumns is the order of the columns the baselines read.
const (
	cAuction = iota
	cBidder
	cPrice
	cChannel
	cURL
	cDateTime
	cExtra
)

// Input says which events a baseline reads: the first Events events of
// the nexmark generator with its default options, except that
// EventsPerSecond, when > 0, sets the event-time rate (the connector's
// 'events-per-second'; tests lower it to get many windows from few
// events).
type Input struct {
	Events          int64
	EventsPerSecond float64
}

// options returns the nexmark options that select the input's events,
// beyond 'connector' and 'table'.
func (in Input) options() []catalog.Option {
	opts := []catalog.Option{{Key: "number-of-events", Value: strconv.FormatInt(in.Events, 10)}}
	if in.EventsPerSecond > 0 {
		opts = append(opts, eventRateOption(in.EventsPerSecond))
	}
	return opts
}

// eventRateOption is the nexmark option setting the event-time rate.
func eventRateOption(eventsPerSecond float64) catalog.Option {
	return catalog.Option{Key: "events-per-second", Value: strconv.FormatFloat(eventsPerSecond, 'g', -1, 64)}
}

// openBids returns the nexmark source of the input's bids, its splits and
// the width of its rows (the columns are in the order cAuction..cExtra).
func openBids(in Input) (connectors.Source, []connectors.Split, int, error) {
	ddl := `CREATE TABLE bid (auction BIGINT, bidder BIGINT, price BIGINT, channel VARCHAR, url VARCHAR,
  dateTime TIMESTAMP(3), extra VARCHAR) WITH ('connector' = 'nexmark', 'table' = 'bid'` + renderOptions(in.options()) + `)`
	eng := engine.New(engine.Options{Stdout: io.Discard, Stderr: io.Discard})
	if err := eng.Exec(ddl); err != nil {
		return nil, nil, 0, err
	}
	t := eng.Catalog().Table("bid")
	f := connectors.Lookup("nexmark")
	if t == nil || f == nil {
		return nil, nil, 0, fmt.Errorf("nexmark connector or bid table missing")
	}
	src, err := f.NewSource(t, &connectors.Env{Stdout: io.Discard, Stderr: io.Discard})
	if err != nil {
		return nil, nil, 0, err
	}
	splits, err := src.Splits(1)
	if err != nil {
		return nil, nil, 0, err
	}
	return src, splits, len(t.PhysicalColumns()), nil
}

// ReadBids drives the nexmark source's bid table over events events
// through the connector interface, one goroutine per split, calling fn
// with each batch read (fn is called concurrently, once per split
// goroutine at a time; it does not own the batch).
func ReadBids(ctx context.Context, events int64, fn func(split int, b *types.Batch)) error {
	return readBids(ctx, Input{Events: events}, fn)
}

func readBids(ctx context.Context, in Input, fn func(split int, b *types.Batch)) error {
	src, splits, width, err := openBids(in)
	if err != nil {
		return err
	}
	var wg sync.WaitGroup
	errs := make([]error, len(splits))
	for i, sp := range splits {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r, err := src.OpenSplit(ctx, sp, nil)
			if err != nil {
				errs[i] = err
				return
			}
			defer r.Close()
			b := types.NewBatch(width, 1024)
			for {
				b.Ops, b.Vals = b.Ops[:0], b.Vals[:0]
				err := r.Next(ctx, b)
				if b.Len() > 0 {
					fn(i, b)
				}
				if err == io.EOF {
					return
				}
				if err != nil {
					errs[i] = err
					return
				}
				if ctx.Err() != nil {
					errs[i] = ctx.Err()
					return
				}
			}
		}()
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	return nil
}

// serialBids reads the input's bids from one goroutine, one batch of
// each split in turn, as one source task of the engine does. Within a
// split dateTime ascends.
type serialBids struct {
	readers []connectors.SplitReader // nil once ended
	width   int
}

func openSerialBids(ctx context.Context, in Input) (*serialBids, error) {
	src, splits, width, err := openBids(in)
	if err != nil {
		return nil, err
	}
	s := &serialBids{readers: make([]connectors.SplitReader, len(splits)), width: width}
	for i, sp := range splits {
		if s.readers[i], err = src.OpenSplit(ctx, sp, nil); err != nil {
			s.close()
			return nil, err
		}
	}
	return s, nil
}

// splits is the number of splits read.
func (s *serialBids) splits() int { return len(s.readers) }

// each calls fn with every batch read (fn does not own it) and the index
// of its split, until every split has ended, then closes the readers.
func (s *serialBids) each(ctx context.Context, fn func(split int, b *types.Batch)) error {
	defer s.close()
	b := types.NewBatch(s.width, 1024)
	for live := len(s.readers); live > 0; {
		for i, r := range s.readers {
			if r == nil {
				continue
			}
			b.Ops, b.Vals = b.Ops[:0], b.Vals[:0]
			err := r.Next(ctx, b)
			if b.Len() > 0 {
				fn(i, b)
			}
			if err == io.EOF {
				r.Close()
				s.readers[i] = nil
				live--
				continue
			}
			if err != nil {
				return err
			}
		}
		if err := ctx.Err(); err != nil {
			return err
		}
	}
	return nil
}

func (s *serialBids) close() {
	for i, r := range s.readers {
		if r != nil {
			r.Close()
			s.readers[i] = nil
		}
	}
}

// baselines are the hand-written loops: each reads the same generator and
// does the query's work with plain Go code (no engine), and returns the
// number of result rows. q0-q2 keep a checksum so that the work is not
// optimised away; q5 and q7 build their result rows (see windows.go).
var baselines = map[string]func(ctx context.Context, in Input) (int64, error){
	// q0: pass every bid through.
	"q0": func(ctx context.Context, in Input) (int64, error) {
		return loop(ctx, in, func(row []types.Value, sum *uint64) bool {
			*sum += uint64(row[cAuction].Int() ^ row[cBidder].Int() ^ row[cPrice].Int() ^ row[cDateTime].Millis() ^ int64(len(row[cExtra].Str())))
			return true
		})
	},
	// q1: convert each price (0.908 * price as a DECIMAL with scale 3).
	"q1": func(ctx context.Context, in Input) (int64, error) {
		return loop(ctx, in, func(row []types.Value, sum *uint64) bool {
			p := types.DecimalValue(row[cPrice].Int()*908, 3)
			*sum += uint64(row[cAuction].Int() ^ row[cBidder].Int() ^ p.Unscaled() ^ row[cDateTime].Millis() ^ int64(len(row[cExtra].Str())))
			return true
		})
	},
	// q2: keep the bids with auction % 123 == 0.
	"q2": func(ctx context.Context, in Input) (int64, error) {
		return loop(ctx, in, func(row []types.Value, sum *uint64) bool {
			if row[cAuction].Int()%123 != 0 {
				return false
			}
			*sum += uint64(row[cAuction].Int() ^ row[cPrice].Int())
			return true
		})
	},
	// q5: hot items (HOP 10 s every 2 s, the auctions with the most bids).
	"q5": func(ctx context.Context, in Input) (int64, error) {
		rows, err := HotItems(ctx, in)
		return int64(len(rows)), err
	},
	// q6: per seller, the average final price of its last 11 closed auctions (q6.go).
	"q6": func(ctx context.Context, in Input) (int64, error) {
		rows, _, err := SellerAverages(ctx, in)
		return int64(len(rows)), err
	},
	// q7: the highest bids of each 10 s tumbling window.
	"q7": func(ctx context.Context, in Input) (int64, error) {
		rows, err := HighestBids(ctx, in)
		return int64(len(rows)), err
	},
}

// checksum keeps the baselines' results observable.
var checksum atomic.Uint64

func loop(ctx context.Context, in Input, fn func(row []types.Value, sum *uint64) bool) (int64, error) {
	var rows atomic.Int64
	err := readBids(ctx, in, func(_ int, b *types.Batch) {
		var sum uint64
		n := int64(0)
		for i := 0; i < b.Len(); i++ {
			if fn(b.Row(i), &sum) {
				n++
			}
		}
		rows.Add(n)
		checksum.Add(sum)
	})
	return rows.Load(), err
}
