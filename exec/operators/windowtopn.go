package operators

import (
	"slices"

	"github.com/streamsql/streamsql/exec"
	"github.com/streamsql/streamsql/exec/window"
	"github.com/streamsql/streamsql/types"
)

// WindowTopNSpec configures a window Top-N: ROW_NUMBER() OVER (PARTITION
// BY window_start, window_end, ... ORDER BY ...) filtered to the first
// Limit rows, over an append-only input whose rows carry their window
// (a window aggregate's or a window table function's output). With Limit
// 1 and the time attribute as the only order key it is Flink's window
// deduplication.
type WindowTopNSpec struct {
	PartitionCols []int // include the window_start and window_end columns
	WindowEnd     int   // the window_end column
	Order         []RankSortKey
	Limit         int64 // >= 1
	OutWidth      int   // input columns an output row keeps
	EmitRank      bool  // append the row number (BIGINT)
	// TiesLast makes a row that compares equal to stored rows sort before
	// them, so that the latest of equal rows is kept (deduplication that
	// keeps the last row: ORDER BY rowtime DESC). Otherwise equal rows keep
	// their arrival order and the earliest is kept.
	TiesLast bool
}

// NewWindowTopN returns a window Top-N operator. State, per partition key
// (its window included): the partition's first Limit rows in sort order,
// and the event-time clock. When the watermark reaches a window's end - 1
// ms the operator emits the window's rows once, as +I in rank order (with
// their row number when EmitRank), and drops them: the output is
// append-only. A row whose window has already fired is late: dropped and
// counted in LateRowsDropped. A bounded input fires every window at its
// end (the final watermark).
func NewWindowTopN(spec WindowTopNSpec) exec.Operator { return &windowTopN{spec: spec} }

type windowTopN struct {
	exec.Base
	spec    WindowTopNSpec
	ctx     *exec.Context
	metrics *exec.Metrics
	keys    keying
	parts   *store[*ranked]
	clock   clock
	timers  *timers
	keyBuf  []byte
	out     []types.Value
	probe   []types.Value // the sort keys of an input row
	late    int64
	order   topN // the sort-key and row helpers of the Top-N (only spec.Order is set)
}

func (o *windowTopN) Open(ctx *exec.Context) error {
	if o.spec.Limit < 1 {
		return errorf("window top-n needs a limit of at least 1, got %d", o.spec.Limit)
	}
	o.ctx, o.metrics = ctx, metricsOf(ctx)
	o.keys = newKeying(ctx, o.spec.PartitionCols)
	o.order.spec.Order = o.spec.Order
	st, err := newStore(ctx.State, "window-partitions", rankedCodec{})
	if err != nil {
		return err
	}
	o.parts = st
	w := o.spec.OutWidth
	if o.spec.EmitRank {
		w++
	}
	o.out = make([]types.Value, w)
	o.probe = make([]types.Value, len(o.spec.Order))
	if err := o.clock.open(ctx); err != nil {
		return err
	}
	// Timers are not state: one per stored partition, at its window's end.
	o.timers = newTimers()
	var bad error
	o.parts.rangeAll(func(kg int, key string, p *ranked) bool {
		if len(p.rows) > 0 {
			row, err := o.order.rowOf(p.rows[0].enc)
			if err == nil && len(row) <= o.spec.WindowEnd {
				err = errorf("window top-n state holds a row of %d columns, without its window end (column %d)", len(row), o.spec.WindowEnd)
			}
			if err != nil {
				bad = err
				return false
			}
			o.timers.add(row[o.spec.WindowEnd].Millis(), kg, []byte(key))
		}
		return true
	})
	if bad != nil {
		return bad
	}
	o.timers.sortAll()
	return nil
}

// ReleasesInput implements exec.InputReleaser: stored rows are encoded
// copies.
func (o *windowTopN) ReleasesInput() bool { return true }

func (o *windowTopN) ProcessBatch(_ int, b *types.Batch) error {
	limit := int(min(o.spec.Limit, int64(1<<30)))
	for i, n := 0, b.Len(); i < n; i++ {
		row := b.Row(i)
		if b.Ops[i].IsRetraction() {
			return errorf("a window Top-N takes an append-only input, got a %s row", b.Ops[i])
		}
		ev := row[o.spec.WindowEnd]
		if ev.IsNull() {
			continue
		}
		kg, err := o.keys.group(row)
		if err != nil {
			return err
		}
		end := ev.Millis()
		if window.Fired(end, o.clock.at(kg)) {
			o.late++
			continue
		}
		o.keyBuf = o.keys.appendKey(o.keyBuf[:0], row)
		keys := o.probe
		if err := o.order.keysOf(keys, row); err != nil {
			return err
		}
		p, ok := o.parts.get(kg, o.keyBuf)
		if !ok {
			o.parts.insert(kg, o.keyBuf, &ranked{rows: []*rankedRow{{enc: o.order.encode(row)}}})
			o.timers.add(end, kg, o.keyBuf)
			continue
		}
		at, err := o.position(p, keys)
		if err != nil {
			return err
		}
		if at >= limit {
			continue // never among the first limit rows: the input only adds
		}
		p.rows = slices.Insert(p.rows, at, &rankedRow{enc: o.order.encode(row)})
		if len(p.rows) > limit {
			clear(p.rows[limit:])
			p.rows = p.rows[:limit]
		}
	}
	if o.late > 0 {
		o.metrics.LateRowsDropped.Add(o.late)
		o.late = 0
	}
	o.parts.maybeFlush()
	return nil
}

// position is where a new row goes among p's rows: after the rows equal
// to it in sort order, or before them with TiesLast.
func (o *windowTopN) position(p *ranked, keys []types.Value) (int, error) {
	if !o.spec.TiesLast {
		return o.order.insertAt(p, keys)
	}
	lo, hi := 0, len(p.rows)
	for lo < hi {
		m := (lo + hi) / 2
		mk, err := o.order.sortKeys(p.rows[m])
		if err != nil {
			return 0, err
		}
		if o.order.compare(mk, keys) < 0 {
			lo = m + 1
		} else {
			hi = m
		}
	}
	return lo, nil
}

func (o *windowTopN) ProcessWatermark(wm int64) error {
	if !o.clock.advance(wm) {
		return nil
	}
	for {
		if o.ctx.Stopped() {
			return nil
		}
		_, b, ok := o.timers.pop(wm, true)
		if !ok {
			break
		}
		for i := 0; i < b.len(); i++ {
			p, ok := o.parts.peek(b.kg(i), b.key(i))
			if !ok {
				continue
			}
			for r, row := range p.rows {
				if err := emitRanked(o.ctx, o.out, o.spec.OutWidth, o.spec.EmitRank, &o.order.scratch, row.enc, r+1, types.Insert); err != nil {
					return err
				}
			}
			o.parts.remove(b.kg(i), b.key(i), p)
		}
		o.timers.release(b)
	}
	o.parts.maybeFlush()
	return nil
}

func (o *windowTopN) SnapshotState(int64) error {
	o.parts.flush()
	o.clock.snapshot()
	return nil
}

func (o *windowTopN) Finish() error { return finishWith(o.SnapshotState, o.parts) }
