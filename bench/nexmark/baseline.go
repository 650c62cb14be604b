package nexmark

import (
	"context"
	"fmt"
	"io"
	"sync"
	"sync/atomic"

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

const bidTable = `CREATE TABLE bid (auction BIGINT, bidder BIGINT, price BIGINT, channel VARCHAR, url VARCHAR,
  dateTime TIMESTAMP(3), extra VARCHAR) WITH ('connector' = 'nexmark', 'table' = 'bid', 'number-of-events' = '%d')`

// ReadBids drives the nexmark source's bid table over events events
// through the connector interface, one goroutine per split, calling fn
// with each batch read (fn is called concurrently, once per split
// goroutine at a time).
func ReadBids(ctx context.Context, events int64, fn func(split int, b *types.Batch)) error {
	eng := engine.New(engine.Options{Stdout: io.Discard, Stderr: io.Discard})
	if err := eng.Exec(fmt.Sprintf(bidTable, events)); err != nil {
		return err
	}
	t := eng.Catalog().Table("bid")
	f := connectors.Lookup("nexmark")
	if t == nil || f == nil {
		return fmt.Errorf("nexmark connector or bid table missing")
	}
	src, err := f.NewSource(t, &connectors.Env{Stdout: io.Discard, Stderr: io.Discard})
	if err != nil {
		return err
	}
	splits, err := src.Splits(1)
	if err != nil {
		return err
	}
	width := len(t.PhysicalColumns())
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

// baselines are the hand-written loops: each reads the same generator and
// does the query's work per row, keeping a checksum so the work is not
// optimised away. They return the number of result rows.
var baselines = map[string]func(ctx context.Context, events int64) (int64, error){
	// q0: pass every bid through.
	"q0": func(ctx context.Context, events int64) (int64, error) {
		return loop(ctx, events, func(row []types.Value, sum *uint64) bool {
			*sum += uint64(row[cAuction].Int() ^ row[cBidder].Int() ^ row[cPrice].Int() ^ row[cDateTime].Millis() ^ int64(len(row[cExtra].Str())))
			return true
		})
	},
	// q1: convert each price (0.908 * price as a DECIMAL with scale 3).
	"q1": func(ctx context.Context, events int64) (int64, error) {
		return loop(ctx, events, func(row []types.Value, sum *uint64) bool {
			p := types.DecimalValue(row[cPrice].Int()*908, 3)
			*sum += uint64(row[cAuction].Int() ^ row[cBidder].Int() ^ p.Unscaled() ^ row[cDateTime].Millis() ^ int64(len(row[cExtra].Str())))
			return true
		})
	},
	// q2: keep the bids with auction % 123 == 0.
	"q2": func(ctx context.Context, events int64) (int64, error) {
		return loop(ctx, events, func(row []types.Value, sum *uint64) bool {
			if row[cAuction].Int()%123 != 0 {
				return false
			}
			*sum += uint64(row[cAuction].Int() ^ row[cPrice].Int())
			return true
		})
	},
}

// checksum keeps the baselines' results observable.
var checksum atomic.Uint64

func loop(ctx context.Context, events int64, fn func(row []types.Value, sum *uint64) bool) (int64, error) {
	var rows atomic.Int64
	err := ReadBids(ctx, events, func(_ int, b *types.Batch) {
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
