package jdbc

import (
	"encoding/binary"
	"errors"
	"fmt"
	"path/filepath"

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
	// bytes estimates the memory the rows take (values, strings, index).
	bytes int64
}

// valueSize is the size of a types.Value; indexEntrySize estimates a
// key's map entry beyond the key's bytes.
const valueSize, indexEntrySize = 32, 48

func rowBytes(row []types.Value) int64 {
	n := int64(len(row)) * valueSize
	for _, v := range row {
		if v.Kind() == types.KindString {
			n += int64(len(v.Str()))
		}
	}
	return n
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
		b.bytes += rowBytes(row) + 1
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
		old := b.vals[i*b.width : (i+1)*b.width]
		b.bytes += rowBytes(row) - rowBytes(old)
		copy(old, row)
		return
	}
	b.index[string(k)] = len(b.ops)
	b.ops = append(b.ops, op)
	b.vals = append(b.vals, row...)
	b.bytes += rowBytes(row) + 1 + int64(len(k)) + indexEntrySize
}

// reset empties the buffer, keeping its memory unless it grew large.
func (b *buffer) reset() {
	b.bytes = 0
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

// A committable is what PreCommit(n) hands to the checkpoint: who wrote
// the rows of the checkpoint period, and a reference to the spill file
// that holds them (see spill.go), so that the checkpoint's metadata stays
// small whatever the number of rows. Encoding, all integers varints
// unless noted:
//
//	'J' 2                   magic and version (bytes)
//	job, sink, token        strings (uvarint length, bytes)
//	checkpoint id           varint
//	width, key width, rows  uvarints
//	file                    string: the spill file's name in the sink's spill directory
//	size, checksum          uvarints: the file's size and CRC-32C
//
// Version 1 (written by earlier releases) carried the rows themselves
// after the row count: an op byte and the row's values, or only its key's
// values for a Delete (see appendRow); it is still read, so that their
// checkpoints restore.
//
// A value is a kind byte and its payload (types.AppendValue): nothing for
// NULL, a byte for BOOLEAN, a varint for integers, timestamps (ms), dates
// (days) and intervals (ms), 8 bytes (little endian) for DOUBLE, a scale
// byte and a varint unscaled value for DECIMAL, a uvarint length and bytes
// for strings.
type committable struct {
	job, sink, token string
	id               int64
	rowCount         int64
	// file, size and sum name the spill file (version 2)
	file string
	size int64
	sum  uint32
	// rows are the rows of a version 1 committable (nil for version 2)
	rows *buffer
}

const (
	committableMagic             = 'J'
	committableInline            = 1
	committableVersion           = 2
	committableMaxFileNameLength = 255
)

// encodeCommittable describes the finished spill file sp.
func encodeCommittable(job, sink, token string, id int64, width, keyWidth int, sp *spillWriter) []byte {
	out := make([]byte, 0, 64+len(job)+len(sink)+len(token)+len(sp.name))
	out = append(out, committableMagic, committableVersion)
	for _, s := range []string{job, sink, token} {
		out = binary.AppendUvarint(out, uint64(len(s)))
		out = append(out, s...)
	}
	out = binary.AppendVarint(out, id)
	out = binary.AppendUvarint(out, uint64(width))
	out = binary.AppendUvarint(out, uint64(keyWidth))
	out = binary.AppendUvarint(out, uint64(sp.rows))
	out = binary.AppendUvarint(out, uint64(len(sp.name)))
	out = append(out, sp.name...)
	out = binary.AppendUvarint(out, uint64(sp.size))
	out = binary.AppendUvarint(out, uint64(sp.crc.Sum32()))
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
	if r.byte() != committableMagic {
		return nil, fmt.Errorf("not a committable of this sink")
	}
	version := r.byte()
	if version != committableInline && version != committableVersion {
		return nil, fmt.Errorf("a committable of a newer version (%d)", version)
	}
	c := &committable{job: r.string(), sink: r.string(), token: r.string(), id: r.varint()}
	w, kw, n := r.uvarint(), r.uvarint(), r.uvarint()
	if r.err != nil {
		return nil, r.err
	}
	if int(w) != width || int(kw) != len(key) {
		return nil, fmt.Errorf("it holds rows of %d columns with a key of %d, the table has %d columns and a key of %d: the table's definition changed", w, kw, width, len(key))
	}
	if n > 1<<62 {
		return nil, errDamaged
	}
	c.rowCount = int64(n)
	if version == committableVersion {
		c.file = r.string()
		size, sum := r.uvarint(), r.uvarint()
		if r.err != nil || len(r.b) != 0 || size > 1<<62 || sum > 1<<32-1 ||
			c.file == "" || len(c.file) > committableMaxFileNameLength || c.file != filepath.Base(c.file) || c.file[0] == '.' {
			return nil, errDamaged
		}
		c.size, c.sum = int64(size), uint32(sum)
		return c, nil
	}
	if n > uint64(len(raw)) {
		return nil, errDamaged
	}
	b := newBuffer(width, key)
	b.index = nil // decoded rows are compacted already
	b.ops = make([]types.Op, 0, n)
	b.vals = make([]types.Value, 0, int(n)*width)
	readRows(r, n, b)
	if r.err != nil || len(r.b) != 0 {
		return nil, errDamaged
	}
	c.rows = b
	return c, nil
}
