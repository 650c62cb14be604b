package operators

import (
	"encoding/binary"

	"github.com/streamsql/streamsql/exec"
	"github.com/streamsql/streamsql/state"
	"github.com/streamsql/streamsql/types"
)

// SetOpSpec configures INTERSECT [ALL] / EXCEPT [ALL].
type SetOpSpec struct {
	// Except selects EXCEPT; otherwise INTERSECT.
	Except bool
	// All keeps multiplicities (INTERSECT ALL, EXCEPT ALL); otherwise each
	// result row occurs at most once.
	All bool
	// Width is the number of columns of both inputs and of the output.
	Width int
}

// NewSetOp returns INTERSECT [ALL] or EXCEPT [ALL] of input 0 (left) and
// input 1 (right), both hash-partitioned on every column. Rows are keyed
// by the whole row (NULL equals NULL). Per distinct row it keeps how many
// times the row is in each input (l, r); the row's multiplicity in the
// result is
//
//	INTERSECT ALL  min(l, r)      INTERSECT  1 if l > 0 and r > 0
//	EXCEPT ALL     max(l - r, 0)  EXCEPT     1 if l > 0 and r = 0
//
// Inputs may be changelogs: +I/+U add one occurrence, -U/-D remove one (a
// removal of a row not present is ignored). Output is a changelog: each
// time a row's result multiplicity grows by one the operator emits +I,
// each time it shrinks by one -D. The row's state is deleted once both
// counts are zero.
//
// State "rows": whole-row key -> row values, l, r.
func NewSetOp(spec SetOpSpec) exec.Operator { return &setOp{spec: spec} }

type setOp struct {
	exec.Base
	spec   SetOpSpec
	ctx    *exec.Context
	key    keying
	rows   *store[*setOpEntry]
	keyBuf []byte
}

type setOpEntry struct {
	marks
	row []types.Value
	n   [2]int64
}

type setOpCodec struct{}

// setOpCodec encodes the two counts, then the row values.
func (setOpCodec) Append(buf []byte, e *setOpEntry) []byte {
	buf = binary.AppendVarint(buf, e.n[0])
	buf = binary.AppendVarint(buf, e.n[1])
	return types.AppendValues(buf, e.row)
}

func (setOpCodec) Decode(buf []byte) (*setOpEntry, error) {
	e := &setOpEntry{}
	for i := range e.n {
		v, k := binary.Varint(buf)
		if k <= 0 {
			return nil, errCorrupt
		}
		e.n[i], buf = v, buf[k:]
	}
	var err error
	if e.row, buf, err = types.DecodeValues(buf); err != nil {
		return nil, err
	}
	if len(buf) != 0 {
		return nil, errCorrupt
	}
	return e, nil
}

const setOpRowsState = "rows"

func (o *setOp) Open(ctx *exec.Context) error {
	o.ctx = ctx
	cols := make([]int, o.spec.Width)
	for i := range cols {
		cols[i] = i
	}
	o.key = newKeying(ctx, cols)
	var err error
	o.rows, err = newStore(ctx.State, setOpRowsState, state.Codec[*setOpEntry](setOpCodec{}))
	return err
}

// ReleasesInput implements exec.InputReleaser: rows are copied.
func (o *setOp) ReleasesInput() bool { return true }

// multiplicity is the number of times a row with counts n is in the result.
func (o *setOp) multiplicity(n [2]int64) int64 {
	l, r := n[0], n[1]
	switch {
	case !o.spec.Except && o.spec.All:
		return min(l, r)
	case !o.spec.Except:
		if l > 0 && r > 0 {
			return 1
		}
	case o.spec.All:
		return max(l-r, 0)
	default:
		if l > 0 && r == 0 {
			return 1
		}
	}
	return 0
}

func (o *setOp) ProcessBatch(input int, b *types.Batch) error {
	for i, n := 0, b.Len(); i < n; i++ {
		row := b.Row(i)
		kg, err := o.key.group(row)
		if err != nil {
			return err
		}
		o.keyBuf = o.key.appendKey(o.keyBuf[:0], row)
		retract := b.Ops[i].IsRetraction()
		e, ok := o.rows.get(kg, o.keyBuf)
		var before int64
		switch {
		case ok && retract && e.n[input] == 0, !ok && retract:
			continue // removal of a row not present
		case ok:
			before = o.multiplicity(e.n)
			if retract {
				e.n[input]--
			} else {
				e.n[input]++
			}
		default:
			e = &setOpEntry{row: o.key.keyValues(row)}
			e.n[input] = 1
			o.rows.insert(kg, o.keyBuf, e)
		}
		after := o.multiplicity(e.n)
		for ; before < after; before++ {
			o.ctx.Out.Emit(types.Insert, e.row)
		}
		for ; before > after; before-- {
			o.ctx.Out.Emit(types.Delete, e.row)
		}
		if e.n[0] == 0 && e.n[1] == 0 {
			o.rows.remove(kg, o.keyBuf, e)
		}
	}
	o.rows.maybeFlush()
	return nil
}

func (o *setOp) SnapshotState(int64) error { o.rows.flush(); return nil }
func (o *setOp) Finish() error             { o.rows.finish(); return nil }
