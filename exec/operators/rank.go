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
	probe  []types.Value // the sort keys of an input row
	// scratch holds a stored row decoded (rowOf), encBuf a row being
	// encoded.
	scratch []types.Value
	encBuf  []byte
}

// ranked is one partition's rows in sort order.
type ranked struct {
	marks
	rows []*rankedRow
}

type rankedRow struct {
	// enc is the row as types.AppendValues encodes it, as the state holds
	// it, in one immutable string (see the join's bagRow): decoded when
	// the row is needed (rowOf), its strings pointing into enc.
	enc string
	// sort holds the sort keys, computed from enc on first use (so that
	// they keep nothing of an input row alive); never serialised.
	sort []types.Value
}

type rankedCodec struct{}

func (rankedCodec) Append(buf []byte, r *ranked) []byte {
	buf = binary.AppendUvarint(buf, uint64(len(r.rows)))
	for _, row := range r.rows {
		buf = append(buf, row.enc...)
	}
	return buf
}

func (rankedCodec) Decode(buf []byte) (*ranked, error) {
	n, k := binary.Uvarint(buf)
	if k <= 0 || n > uint64(len(buf)) {
		return nil, errCorrupt
	}
	r := &ranked{rows: make([]*rankedRow, n)}
	// Decode must not keep buf: the rows are copied once for the whole
	// partition, and each row's enc is a substring of the copy (checked as
	// types.DecodeValues would decode it).
	rest := string(buf[k:])
	for i := range r.rows {
		after, err := types.SkipValues(rest)
		if err != nil {
			return nil, err
		}
		r.rows[i] = &rankedRow{enc: rest[:len(rest)-len(after)]}
		rest = after
	}
	if len(rest) != 0 {
		return nil, errCorrupt
	}
	return r, nil
}

// ReleasesInput implements exec.InputReleaser: a stored row is an encoded
// copy of the input row.
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
	o.probe = make([]types.Value, len(o.spec.Order))
	return nil
}

// encode returns the encoding of row for a stored rankedRow (one
// allocation).
func (o *topN) encode(row []types.Value) string {
	o.encBuf = types.AppendValues(o.encBuf[:0], row)
	return string(o.encBuf)
}

// rowOf decodes enc, a stored row, into o.scratch, which it returns
// (valid until the next call; its strings point into enc).
func (o *topN) rowOf(enc string) ([]types.Value, error) {
	n, _, err := types.ValuesLen(enc)
	if err != nil {
		return nil, err
	}
	if cap(o.scratch) < n {
		o.scratch = make([]types.Value, n)
	}
	row := o.scratch[:n]
	if _, err := types.DecodeValuesInto(row, enc); err != nil {
		return nil, err
	}
	return row, nil
}

// keysOf evaluates the sort keys of row into dst.
func (o *topN) keysOf(dst, row []types.Value) error {
	for i, k := range o.spec.Order {
		v, err := k.Expr.Eval(row)
		if err != nil {
			return err
		}
		dst[i] = v
	}
	return nil
}

// sortKeys computes (once) the sort keys of a stored row.
func (o *topN) sortKeys(r *rankedRow) ([]types.Value, error) {
	if r.sort == nil {
		row, err := o.rowOf(r.enc)
		if err != nil {
			return nil, err
		}
		sort := make([]types.Value, len(o.spec.Order))
		if err := o.keysOf(sort, row); err != nil {
			return nil, err
		}
		r.sort = sort
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
		keys := o.probe
		if err := o.keysOf(keys, row); err != nil {
			return err
		}
		p, ok := o.parts.peek(kg, o.keyBuf)
		if op.IsRetraction() {
			if !ok {
				continue
			}
			if err := o.retract(kg, p, row, keys, op, limit); err != nil {
				return err
			}
			continue
		}
		if !ok {
			p = &ranked{rows: []*rankedRow{{enc: o.encode(row)}}}
			o.parts.insert(kg, o.keyBuf, p)
			if err := o.emitDiff(nil, p.rows, types.Delete); err != nil {
				return err
			}
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
		p.rows = slices.Insert(p.rows, at, &rankedRow{enc: o.encode(row)})
		if o.spec.InsertOnly && len(p.rows) > limit {
			clear(p.rows[limit:])
			p.rows = p.rows[:limit]
		}
		if err := o.emitDiff(o.before, p.rows[:min(len(p.rows), limit)], types.Delete); err != nil {
			return err
		}
	}
	o.parts.maybeFlush()
	return nil
}

// retract removes one stored row equal to row, whose sort keys are keys
// (sort keys first, then every column), from partition p.
func (o *topN) retract(kg int, p *ranked, row, keys []types.Value, op types.Op, limit int) error {
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
		if sameStoredRow(p.rows[j].enc, row) {
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
	return o.emitDiff(o.before, p.rows[:min(len(p.rows), limit)], op)
}

// emitDiff emits the change from the first rows before to the first rows
// after (each at most limit long). gone is the op for a row that leaves
// without a replacement (-D, or the input's retraction op).
func (o *topN) emitDiff(before, after []*rankedRow, gone types.Op) error {
	if o.spec.EmitRank {
		for i := 0; i < max(len(before), len(after)); i++ {
			var err error
			switch {
			case i >= len(before):
				err = o.emit(types.Insert, after[i], i+1)
			case i >= len(after):
				err = o.emit(types.Delete, before[i], i+1)
			case before[i] != after[i]:
				if err = o.emit(types.UpdateBefore, before[i], i+1); err == nil {
					err = o.emit(types.UpdateAfter, after[i], i+1)
				}
			}
			if err != nil {
				return err
			}
		}
		return nil
	}
	for _, r := range before {
		if !slices.Contains(after, r) {
			if err := o.emit(gone, r, 0); err != nil {
				return err
			}
		}
	}
	for _, r := range after {
		if !slices.Contains(before, r) {
			if err := o.emit(types.Insert, r, 0); err != nil {
				return err
			}
		}
	}
	return nil
}

func (o *topN) emit(op types.Op, r *rankedRow, n int) error {
	return emitRanked(o.ctx, o.out, o.spec.OutWidth, o.spec.EmitRank, &o.scratch, r.enc, n, op)
}

// emitRanked emits the stored row enc, its first width columns, with its
// row number n when rank is set, through out (o.out of a Top-N); scratch
// is where it decodes the row.
func emitRanked(ctx *exec.Context, out []types.Value, width int, rank bool, scratch *[]types.Value, enc string, n int, op types.Op) error {
	cnt, _, err := types.ValuesLen(enc)
	if err != nil {
		return err
	}
	if cnt < width {
		return errorf("top-n state holds a row of %d columns, fewer than the %d it emits", cnt, width)
	}
	if cap(*scratch) < cnt {
		*scratch = make([]types.Value, cnt)
	}
	row := (*scratch)[:cnt]
	if _, err := types.DecodeValuesInto(row, enc); err != nil {
		return err
	}
	copy(out, row[:width])
	if rank {
		out[width] = types.IntValue(int64(n))
	}
	ctx.Out.Emit(op, out)
	return nil
}

func (o *topN) SnapshotState(int64) error {
	o.parts.flush()
	return nil
}

func (o *topN) Finish() error { return finishWith(o.SnapshotState, o.parts) }
