package operators

import (
	"encoding/binary"
	"slices"

	"github.com/streamsql/streamsql/exec"
	"github.com/streamsql/streamsql/expr"
	"github.com/streamsql/streamsql/types"
)

// RankSortKey is one ORDER BY term of a Top-N: an expression bound against
// the input row; NULL sorts before every value.
type RankSortKey struct {
	Expr expr.Expr
	Desc bool
}

// TopNSpec configures a Top-N (ROW_NUMBER() OVER (PARTITION BY ... ORDER
// BY ...) filtered to the first Limit rows of each partition).
type TopNSpec struct {
	PartitionCols []int // the input is hash-partitioned on them
	Order         []RankSortKey
	Limit         int64 // >= 1
	// OutWidth is the number of input columns an output row keeps (input
	// columns after it, e.g. computed partition keys, are dropped).
	OutWidth int
	// EmitRank appends the row number (BIGINT) to output rows. Without it
	// a row keeps its output row while it stays in the first Limit, so
	// only rows entering and leaving them are emitted.
	EmitRank bool
	// InsertOnly is true when the input never retracts: a partition then
	// keeps only its first Limit rows (a row pushed out can never return).
	InsertOnly bool
}

// NewTopN returns a Top-N operator. State, per partition key: the
// partition's rows in sort order (only the first Limit with an insert-only
// input; all of them otherwise, since a retraction brings the next row
// into the first Limit). Rows that compare equal keep their arrival order.
//
// Each input row changes the first Limit rows of its partition by at most
// one row in and one row out; the operator emits the difference:
//
//   - with EmitRank, per row number whose row changed: -U (old row, n) then
//     +U (new row, n); +I (row, n) for a number that had no row; -D (row,
//     n) for a number that no longer has one;
//   - without, -D for the row that left (the input's op when it is the
//     retracted row itself) and +I for the row that entered.
//
// A retraction of a row that is not stored is ignored. Rows whose
// partition key holds NULL are ranked like any other (NULL is a key).
func NewTopN(spec TopNSpec) exec.Operator { return &topN{spec: spec} }

type topN struct {
	exec.Base
	spec   TopNSpec
	ctx    *exec.Context
	keys   keying
	parts  *store[*ranked]
	keyBuf []byte
	before []*rankedRow
	out    []types.Value
}

// ranked is one partition's rows in sort order.
type ranked struct {
	marks
	rows []*rankedRow
}

type rankedRow struct {
	vals []types.Value
	sort []types.Value // the sort keys (computed on first use, never serialised)
}

type rankedCodec struct{}

func (rankedCodec) Append(buf []byte, r *ranked) []byte {
	buf = binary.AppendUvarint(buf, uint64(len(r.rows)))
	for _, row := range r.rows {
		buf = types.AppendValues(buf, row.vals)
	}
	return buf
}

func (rankedCodec) Decode(buf []byte) (*ranked, error) {
	n, k := binary.Uvarint(buf)
	if k <= 0 || n > uint64(len(buf)) {
		return nil, errCorrupt
	}
	buf = buf[k:]
	r := &ranked{rows: make([]*rankedRow, n)}
	for i := range r.rows {
		vals, rest, err := types.DecodeValues(buf)
		if err != nil {
			return nil, err
		}
		r.rows[i] = &rankedRow{vals: vals}
		buf = rest
	}
	if len(buf) != 0 {
		return nil, errCorrupt
	}
	return r, nil
}

// ReleasesInput implements exec.InputReleaser: a stored row is a copy of the
// input row.
func (o *topN) ReleasesInput() bool { return true }

func (o *topN) Open(ctx *exec.Context) error {
	if o.spec.Limit < 1 {
		return errorf("top-n needs a limit of at least 1, got %d", o.spec.Limit)
	}
	o.ctx = ctx
	o.keys = newKeying(ctx, o.spec.PartitionCols)
	st, err := newStore(ctx.State, "partitions", rankedCodec{})
	if err != nil {
		return err
	}
	o.parts = st
	w := o.spec.OutWidth
	if o.spec.EmitRank {
		w++
	}
	o.out = make([]types.Value, w)
	return nil
}

// sortKeys computes (once) the sort keys of a row.
func (o *topN) sortKeys(r *rankedRow) ([]types.Value, error) {
	if r.sort == nil {
		r.sort = make([]types.Value, len(o.spec.Order))
		for i, k := range o.spec.Order {
			v, err := k.Expr.Eval(r.vals)
			if err != nil {
				r.sort = nil
				return nil, err
			}
			r.sort[i] = v
		}
	}
	return r.sort, nil
}

// compare orders two rows' sort keys.
func (o *topN) compare(a, b []types.Value) int {
	for i, k := range o.spec.Order {
		c := types.Compare(a[i], b[i])
		if k.Desc {
			c = -c
		}
		if c != 0 {
			return c
		}
	}
	return 0
}

// insertAt is the position of a new row: after every row that sorts
// before it or equal to it.
func (o *topN) insertAt(p *ranked, keys []types.Value) (int, error) {
	lo, hi := 0, len(p.rows)
	for lo < hi {
		m := (lo + hi) / 2
		mk, err := o.sortKeys(p.rows[m])
		if err != nil {
			return 0, err
		}
		if o.compare(mk, keys) <= 0 {
			lo = m + 1
		} else {
			hi = m
		}
	}
	return lo, nil
}

func (o *topN) ProcessBatch(_ int, b *types.Batch) error {
	limit := int(min(o.spec.Limit, int64(1<<30)))
	for i, n := 0, b.Len(); i < n; i++ {
		row := b.Row(i)
		op := b.Ops[i]
		kg, err := o.keys.group(row)
		if err != nil {
			return err
		}
		o.keyBuf = o.keys.appendKey(o.keyBuf[:0], row)
		nr := &rankedRow{vals: row}
		keys, err := o.sortKeys(nr)
		if err != nil {
			return err
		}
		p, ok := o.parts.peek(kg, o.keyBuf)
		if op.IsRetraction() {
			if !ok {
				continue
			}
			if err := o.retract(kg, p, nr, keys, op, limit); err != nil {
				return err
			}
			continue
		}
		if !ok {
			nr.vals = slices.Clone(row)
			p = &ranked{rows: []*rankedRow{nr}}
			o.parts.insert(kg, o.keyBuf, p)
			o.emitDiff(nil, p.rows, types.Delete)
			continue
		}
		at, err := o.insertAt(p, keys)
		if err != nil {
			return err
		}
		if at >= limit && o.spec.InsertOnly {
			continue // sorts after the first limit rows: never among them
		}
		o.parts.touch(kg, o.keyBuf, p)
		o.before = append(o.before[:0], p.rows[:min(len(p.rows), limit)]...)
		nr.vals = slices.Clone(row)
		p.rows = slices.Insert(p.rows, at, nr)
		if o.spec.InsertOnly && len(p.rows) > limit {
			clear(p.rows[limit:])
			p.rows = p.rows[:limit]
		}
		o.emitDiff(o.before, p.rows[:min(len(p.rows), limit)], types.Delete)
	}
	o.parts.maybeFlush()
	return nil
}

// retract removes one stored row equal to nr (sort keys first, then every
// column) from partition p.
func (o *topN) retract(kg int, p *ranked, nr *rankedRow, keys []types.Value, op types.Op, limit int) error {
	at, err := o.insertAt(p, keys)
	if err != nil {
		return err
	}
	// Rows equal in sort order sit just before the insert position.
	found := -1
	for j := at - 1; j >= 0; j-- {
		jk, err := o.sortKeys(p.rows[j])
		if err != nil {
			return err
		}
		if o.compare(jk, keys) != 0 {
			break
		}
		if sameRow(p.rows[j].vals, nr.vals) {
			found = j
			break
		}
	}
	if found < 0 {
		return nil
	}
	o.parts.touch(kg, o.keyBuf, p)
	o.before = append(o.before[:0], p.rows[:min(len(p.rows), limit)]...)
	p.rows = slices.Delete(p.rows, found, found+1)
	if len(p.rows) == 0 {
		o.parts.remove(kg, o.keyBuf, p)
	}
	o.emitDiff(o.before, p.rows[:min(len(p.rows), limit)], op)
	return nil
}

// emitDiff emits the change from the first rows before to the first rows
// after (each at most limit long). gone is the op for a row that leaves
// without a replacement (-D, or the input's retraction op).
func (o *topN) emitDiff(before, after []*rankedRow, gone types.Op) {
	if o.spec.EmitRank {
		for i := 0; i < max(len(before), len(after)); i++ {
			switch {
			case i >= len(before):
				o.emit(types.Insert, after[i], i+1)
			case i >= len(after):
				o.emit(types.Delete, before[i], i+1)
			case before[i] != after[i]:
				o.emit(types.UpdateBefore, before[i], i+1)
				o.emit(types.UpdateAfter, after[i], i+1)
			}
		}
		return
	}
	for _, r := range before {
		if !slices.Contains(after, r) {
			o.emit(gone, r, 0)
		}
	}
	for _, r := range after {
		if !slices.Contains(before, r) {
			o.emit(types.Insert, r, 0)
		}
	}
}

func (o *topN) emit(op types.Op, r *rankedRow, n int) {
	copy(o.out, r.vals[:o.spec.OutWidth])
	if o.spec.EmitRank {
		o.out[o.spec.OutWidth] = types.IntValue(int64(n))
	}
	o.ctx.Out.Emit(op, o.out)
}

func (o *topN) SnapshotState(int64) error {
	o.parts.flush()
	return nil
}

func (o *topN) Finish() error { return finishWith(o.SnapshotState, o.parts) }
