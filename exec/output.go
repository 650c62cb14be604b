package exec

import (
	"context"
	"slices"

	"github.com/streamsql/streamsql/state"
	"github.com/streamsql/streamsql/types"
)

// outEdge is one downstream edge of a task instance.
type outEdge struct {
	part    Partitioning
	keyCols []int
	targets []chan Message // by downstream instance (Forward/Global: the one target)
	// next, when set, is the task chained to this edge's one target: it
	// gets messages by a call (handOff), not through targets[0].
	next       *operatorTask
	pending    []*types.Batch // one per target
	maxPar     int
	downstream int // downstream parallelism
	rr         int // Rebalance cursor
	// owner, for Hash edges over several targets, is the target of each
	// key group (state.InstanceFor, looked up instead of divided out).
	owner []int32
	// scratch of emitHashed: the key hash of each row of a batch, and the
	// rows going to each target
	hashes []uint64
	sel    [][]int32
}

// hashTarget returns the target of row on Hash edge e (several targets).
func (e *outEdge) hashTarget(row []types.Value) int {
	return int(e.owner[state.KeyGroupOf(HashKey(row, e.keyCols), e.maxPar)])
}

// collector is a task's Output: it partitions emitted rows into per-target
// batches and sends them when full or when the task flushes.
//
// Contract: used from the task goroutine only. After the job context is
// cancelled, sends are abandoned and err is set; the task notices it at
// its next check.
type collector struct {
	ctx       context.Context
	width     int
	batchSize int
	rows      batchRows // room of the next batch (grows by append up to batchSize)
	edges     []*outEdge
	rowsOut   *Metrics
	unpub     int64 // rows emitted and not yet added to rowsOut (added at flush)
	err       error
	// busy, when set (operator tasks), hears when a send waits on a full
	// channel (see busyClock).
	busy *busyClock
}

func newCollector(ctx context.Context, width, batchSize int, m *Metrics) *collector {
	return &collector{ctx: ctx, width: width, batchSize: batchSize, rows: newBatchRows(batchSize), rowsOut: m}
}

func (c *collector) addEdge(part Partitioning, keyCols []int, targets []chan Message, maxPar int) *outEdge {
	e := &outEdge{part: part, keyCols: keyCols, targets: targets,
		pending: make([]*types.Batch, len(targets)), maxPar: maxPar, downstream: len(targets)}
	if part == Hash && len(targets) > 1 {
		e.owner = make([]int32, maxPar)
		for kg := range e.owner {
			e.owner[kg] = int32(state.InstanceFor(kg, maxPar, len(targets)))
		}
		e.sel = make([][]int32, len(targets))
	}
	c.edges = append(c.edges, e)
	return e
}

// Emit implements Output.
func (c *collector) Emit(op types.Op, row []types.Value) {
	for _, e := range c.edges {
		t := 0
		switch e.part {
		case Hash:
			if len(e.targets) == 1 {
				break
			}
			t = e.hashTarget(row)
		case Rebalance:
			t = e.rr
		}
		b := e.pending[t]
		if b == nil {
			b = types.GetBatch(c.width, c.rows.next)
			e.pending[t] = b
		}
		appendRow(b, op, row)
		if b.Len() >= c.batchSize {
			c.sendBatch(e, t)
			if e.part == Rebalance {
				e.rr = (e.rr + 1) % len(e.targets)
			}
		}
	}
	c.unpub++
}

// EmitBatch sends a whole batch on every edge; ownership of b passes to
// the collector. When every edge passes the batch through as a whole (it
// is not hash-partitioned over several targets and has no rows pending
// for its target), the last edge gets b itself; each other edge gets b
// lent for the call when it leads to a chained task whose operator only
// reads its input (InputBorrower), and a copy, made in one bulk copy,
// otherwise. Otherwise the rows go one by one through Emit and b goes back
// to the batch pool.
func (c *collector) EmitBatch(b *types.Batch) {
	if b.Len() == 0 {
		types.PutBatch(b)
		return
	}
	if !c.passesWhole() {
		if len(c.edges) == 1 && c.edges[0].owner != nil {
			c.emitHashed(c.edges[0], b)
		} else {
			for i := 0; i < b.Len(); i++ {
				c.Emit(b.Ops[i], b.Row(i))
			}
		}
		types.PutBatch(b)
		return
	}
	if c.rowsOut != nil {
		c.rowsOut.RowsOut.Add(int64(b.Len()))
	}
	for i, e := range c.edges {
		m := Message{Kind: MsgBatch, Batch: b}
		if i < len(c.edges)-1 {
			// The chained call returns before b goes on to the next edge.
			if e.next != nil && e.next.borrows {
				m.Borrowed = true
			} else {
				out := types.GetBatch(b.Width, b.Len())
				out.Ops = append(out.Ops[:0], b.Ops...)
				out.Vals = append(out.Vals[:0], b.Vals...)
				m.Batch = out
			}
		}
		c.deliver(e, e.rr, m)
		if e.part == Rebalance {
			e.rr = (e.rr + 1) % len(e.targets)
		}
	}
}

// Targets implements RoutedOutput.
func (c *collector) Targets() int {
	if len(c.edges) != 1 || c.edges[0].owner == nil {
		return 0
	}
	return len(c.edges[0].targets)
}

// TargetOf implements RoutedOutput.
func (c *collector) TargetOf(row []types.Value) int { return c.edges[0].hashTarget(row) }

// EmitBatchTo implements RoutedOutput: b joins the rows pending for t
// (copied into t's pending batch when they fit in one batch together),
// or becomes t's pending batch itself once those went on; it goes on
// when full, as Emit's batches do. A batch larger than the job's batch
// size is cut into batches of that size, as Emit would cut its rows.
func (c *collector) EmitBatchTo(t int, b *types.Batch) {
	n := b.Len()
	if n == 0 {
		types.PutBatch(b)
		return
	}
	e := c.edges[0]
	c.unpub += int64(n)
	if n > c.batchSize {
		for i := 0; i < n; i++ {
			pb := e.pending[t]
			if pb == nil {
				pb = types.GetBatch(c.width, c.rows.next)
				e.pending[t] = pb
			}
			appendRow(pb, b.Ops[i], b.Row(i))
			if pb.Len() >= c.batchSize {
				c.sendBatch(e, t)
			}
		}
		types.PutBatch(b)
		return
	}
	if pb := e.pending[t]; pb != nil && pb.Len() > 0 {
		if pb.Len()+n <= c.batchSize {
			pb.Ops = append(pb.Ops, b.Ops...)
			pb.Vals = append(pb.Vals, b.Vals...)
			types.PutBatch(b)
			if pb.Len() >= c.batchSize {
				c.sendBatch(e, t)
			}
			return
		}
		c.sendBatch(e, t)
	}
	if pb := e.pending[t]; pb != nil {
		types.PutBatch(pb)
	}
	e.pending[t] = b
	if n >= c.batchSize {
		c.sendBatch(e, t)
	}
}

// emitHashed is Emit of every row of b for a collector whose one edge e
// is hash-partitioned over several targets, in passes over the whole
// batch instead of row by row: the key hashes of all rows (one pass per
// key column, types.HashColumn), then each row's target, collected as
// the rows of each target in order, then each target's rows copied into
// its pending batch in one loop. The pending batches are the ones Emit
// fills and are sent when full, so each target gets the rows Emit would
// have sent it, in the same order and batches.
func (c *collector) emitHashed(e *outEdge, b *types.Batch) {
	n := b.Len()
	if cap(e.hashes) < n {
		e.hashes = make([]uint64, n)
	}
	hs := e.hashes[:n]
	for i := range hs {
		hs[i] = types.HashSeed
	}
	for _, col := range e.keyCols {
		types.HashColumn(hs, b.Vals, b.Width, col)
	}
	for t := range e.sel {
		e.sel[t] = e.sel[t][:0]
	}
	owner, maxPar := e.owner, e.maxPar
	for i, h := range hs {
		t := owner[state.KeyGroupOf(h, maxPar)]
		e.sel[t] = append(e.sel[t], int32(i))
	}
	for t, sel := range e.sel {
		for len(sel) > 0 {
			pb := e.pending[t]
			if pb == nil {
				pb = types.GetBatch(c.width, c.rows.next)
				e.pending[t] = pb
			}
			k := min(len(sel), max(1, c.batchSize-len(pb.Ops)))
			appendRows(pb, b, sel[:k])
			if len(pb.Ops) >= c.batchSize {
				c.sendBatch(e, t)
			}
			sel = sel[k:]
		}
	}
	c.unpub += int64(n)
}

// appendRows appends the rows of src at the indexes sel (in that order)
// to dst, which has src's width: room made once, then value by value
// (cheaper than a slice copy, a runtime call, for the few columns of a
// row).
func appendRows(dst, src *types.Batch, sel []int32) {
	w, n, k := src.Width, len(dst.Ops), len(sel)
	dst.Ops = slices.Grow(dst.Ops, k)[:n+k]
	dst.Vals = slices.Grow(dst.Vals, k*w)[:(n+k)*w]
	ops, sops := dst.Ops[n:n+k], src.Ops
	for r, i := range sel {
		ops[r] = sops[i]
	}
	vals, svals := dst.Vals[n*w:(n+k)*w], src.Vals
	switch w {
	case 1:
		for r, i := range sel {
			vals[r] = svals[i]
		}
	case 2:
		for r, i := range sel {
			s := svals[2*int(i) : 2*int(i)+2 : 2*int(i)+2]
			d := vals[2*r : 2*r+2 : 2*r+2]
			d[0], d[1] = s[0], s[1]
		}
	case 3:
		for r, i := range sel {
			s := svals[3*int(i) : 3*int(i)+3 : 3*int(i)+3]
			d := vals[3*r : 3*r+3 : 3*r+3]
			d[0], d[1], d[2] = s[0], s[1], s[2]
		}
	default:
		for r, i := range sel {
			s := svals[int(i)*w : int(i)*w+w : int(i)*w+w]
			d := vals[r*w : r*w+w : r*w+w]
			for j := range d {
				d[j] = s[j]
			}
		}
	}
}

// appendRow is b.Append(op, row), copying value by value when b has room:
// cheaper than Append's slice copy (a runtime call) for the few columns of
// a row.
func appendRow(b *types.Batch, op types.Op, row []types.Value) {
	n, w := len(b.Vals), len(row)
	if cap(b.Vals)-n < w {
		b.Append(op, row)
		return
	}
	dst := b.Vals[n : n+w : n+w]
	for j := range dst {
		dst[j] = row[j]
	}
	b.Vals = b.Vals[:n+w]
	b.Ops = append(b.Ops, op)
}

// passesWhole reports whether every edge can take a batch as a whole: it
// goes to one target (not hashed over several) with no rows pending.
func (c *collector) passesWhole() bool {
	for _, e := range c.edges {
		if e.part == Hash && len(e.targets) > 1 || e.pending[e.rr] != nil {
			return false
		}
	}
	return len(c.edges) > 0
}

func (c *collector) sendBatch(e *outEdge, t int) {
	b := e.pending[t]
	e.pending[t] = nil
	c.rows.filled(b.Len())
	c.deliver(e, t, Message{Kind: MsgBatch, Batch: b})
}

// deliver sends m to target t of edge e: by a call to a chained task,
// or on the target's channel.
func (c *collector) deliver(e *outEdge, t int, m Message) {
	if e.next != nil {
		c.handOff(e.next, m)
		return
	}
	c.send(e.targets[t], m)
}

func (c *collector) send(ch chan Message, m Message) {
	if c.err != nil {
		return
	}
	select {
	case ch <- m:
		return
	default:
	}
	if c.busy != nil {
		c.busy.blocked()
		defer c.busy.unblocked()
	}
	select {
	case ch <- m:
	case <-c.ctx.Done():
		c.err = c.ctx.Err()
	}
}

// flush sends every non-empty pending batch.
func (c *collector) flush() {
	if c.unpub != 0 {
		if c.rowsOut != nil {
			c.rowsOut.RowsOut.Add(c.unpub)
		}
		c.unpub = 0
	}
	for _, e := range c.edges {
		for t, b := range e.pending {
			if b != nil && b.Len() > 0 {
				c.sendBatch(e, t)
			}
		}
		if e.part == Rebalance {
			e.rr = (e.rr + 1) % len(e.targets)
		}
	}
}

// broadcast flushes, then sends m to every target of every edge.
func (c *collector) broadcast(m Message) {
	c.flush()
	for _, e := range c.edges {
		for t := range e.targets {
			c.deliver(e, t, m)
		}
	}
}
