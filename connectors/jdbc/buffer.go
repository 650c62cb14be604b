package jdbc

import (
	"encoding/binary"
	"errors"
	"fmt"

	"github.com/streamsql/streamsql/types"
)

// buffer holds the rows not yet written. With a primary key it is
// compacted: one entry per key, holding the last operation for that key
// (Insert meaning "upsert this row", Delete meaning "delete this key");
// -U rows are ignored (the +U that follows upserts). Without a key it is
// the list of inserted rows in arrival order.
type buffer struct {
	width   int
	key     []int // column indexes of the primary key; nil: append-only
	ops     []types.Op
	vals    []types.Value // row i is vals[i*width : (i+1)*width]
	index   map[string]int
	scratch []byte
}

func newBuffer(width int, key []int) *buffer {
	b := &buffer{width: width, key: key}
	if key != nil {
		b.index = map[string]int{}
	}
	return b
}

func (b *buffer) len() int { return len(b.ops) }

func (b *buffer) row(i int) []types.Value { return b.vals[i*b.width : (i+1)*b.width] }

// add records one changelog row (the values are copied).
func (b *buffer) add(op types.Op, row []types.Value) {
	if b.key == nil {
		b.ops = append(b.ops, types.Insert)
		b.vals = append(b.vals, row...)
		return
	}
	switch op {
	case types.UpdateBefore:
		return
	case types.Insert, types.UpdateAfter:
		op = types.Insert
	default:
		op = types.Delete
	}
	k := b.scratch[:0]
	for _, c := range b.key {
		k = types.AppendKey(k, row[c])
	}
	b.scratch = k
	if i, ok := b.index[string(k)]; ok {
		b.ops[i] = op
		copy(b.vals[i*b.width:(i+1)*b.width], row)
		return
	}
	b.index[string(k)] = len(b.ops)
	b.ops = append(b.ops, op)
	b.vals = append(b.vals, row...)
}

// reset empties the buffer, keeping its memory unless it grew large.
func (b *buffer) reset() {
	if cap(b.vals) > 1<<20 {
		b.vals, b.ops = nil, nil
		if b.index != nil {
			b.index = map[string]int{}
		}
		return
	}
	clear(b.vals)
	b.vals = b.vals[:0]
	b.ops = b.ops[:0]
	clear(b.index)
}

// A committable is what PreCommit(n) hands to the checkpoint: the rows of
// the checkpoint period, compacted, with who wrote them. Encoding
// (version 1), all integers varints unless noted:
//
//	'J' 1                   magic and version (bytes)
//	job, sink, token        strings (uvarint length, bytes)
//	checkpoint id           varint
//	width, key width, rows  uvarints
//	rows                    op byte; then the row's values, or only its
//	                        key's values for a Delete
//
// A value is a kind byte and its payload: nothing for NULL, a byte for
// BOOLEAN, a varint for integers, timestamps (ms), dates (days) and
// intervals (ms), 8 bytes (little endian) for DOUBLE, a scale byte and a
// varint unscaled value for DECIMAL, a uvarint length and bytes for
// strings.
type committable struct {
	job, sink, token string
	id               int64
	rows             *buffer
}

const committableMagic, committableVersion = 'J', 1

func encodeCommittable(job, sink, token string, id int64, b *buffer) []byte {
	out := make([]byte, 0, 64+len(b.vals)*9)
	out = append(out, committableMagic, committableVersion)
	for _, s := range []string{job, sink, token} {
		out = binary.AppendUvarint(out, uint64(len(s)))
		out = append(out, s...)
	}
	out = binary.AppendVarint(out, id)
	out = binary.AppendUvarint(out, uint64(b.width))
	out = binary.AppendUvarint(out, uint64(len(b.key)))
	out = binary.AppendUvarint(out, uint64(b.len()))
	for i, op := range b.ops {
		out = append(out, byte(op))
		row := b.row(i)
		if op == types.Delete && b.key != nil {
			for _, c := range b.key {
				out = types.AppendValue(out, row[c])
			}
			continue
		}
		for _, v := range row {
			out = types.AppendValue(out, v)
		}
	}
	return out
}

var errDamaged = errors.New("damaged")

type reader struct {
	b   []byte
	err error
}

func (r *reader) byte() byte {
	if r.err != nil || len(r.b) == 0 {
		r.err = errDamaged
		return 0
	}
	c := r.b[0]
	r.b = r.b[1:]
	return c
}

func (r *reader) uvarint() uint64 {
	if r.err != nil {
		return 0
	}
	u, n := binary.Uvarint(r.b)
	if n <= 0 {
		r.err = errDamaged
		return 0
	}
	r.b = r.b[n:]
	return u
}

func (r *reader) varint() int64 {
	if r.err != nil {
		return 0
	}
	v, n := binary.Varint(r.b)
	if n <= 0 {
		r.err = errDamaged
		return 0
	}
	r.b = r.b[n:]
	return v
}

func (r *reader) string() string {
	n := r.uvarint()
	if r.err != nil || n > uint64(len(r.b)) {
		r.err = errDamaged
		return ""
	}
	s := string(r.b[:n])
	r.b = r.b[n:]
	return s
}

func (r *reader) value() types.Value {
	if r.err != nil {
		return types.Value{}
	}
	v, rest, err := types.DecodeValue(r.b)
	if err != nil {
		r.err = errDamaged
		return types.Value{}
	}
	r.b = rest
	return v
}

// decodeCommittable reads a committable for a table of width columns and
// primary key key.
func decodeCommittable(raw []byte, width int, key []int) (*committable, error) {
	r := &reader{b: raw}
	if r.byte() != committableMagic || r.byte() != committableVersion {
		return nil, fmt.Errorf("not a committable of this sink (or of a newer version)")
	}
	c := &committable{job: r.string(), sink: r.string(), token: r.string(), id: r.varint()}
	w, kw, n := r.uvarint(), r.uvarint(), r.uvarint()
	if r.err != nil {
		return nil, r.err
	}
	if int(w) != width || int(kw) != len(key) {
		return nil, fmt.Errorf("it holds rows of %d columns with a key of %d, the table has %d columns and a key of %d: the table's definition changed", w, kw, width, len(key))
	}
	if n > uint64(len(raw)) {
		return nil, errDamaged
	}
	b := newBuffer(width, key)
	b.index = nil // decoded rows are compacted already
	b.ops = make([]types.Op, 0, n)
	b.vals = make([]types.Value, 0, int(n)*width)
	row := make([]types.Value, width)
	for i := uint64(0); i < n && r.err == nil; i++ {
		op := types.Op(r.byte())
		clear(row)
		switch {
		case op == types.Delete && key != nil:
			for _, k := range key {
				row[k] = r.value()
			}
		case op == types.Insert:
			for j := range row {
				row[j] = r.value()
			}
		default:
			r.err = errDamaged
		}
		b.ops = append(b.ops, op)
		b.vals = append(b.vals, row...)
	}
	if r.err != nil || len(r.b) != 0 {
		return nil, errDamaged
	}
	c.rows = b
	return c, nil
}
