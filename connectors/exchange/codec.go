package exchange

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"

	"github.com/streamsql/streamsql/types"
)

// Record values. The first byte tells what a record holds:
//
//	0..3  a row: the byte is its types.Op, then types.AppendValues(row)
//	0x10  a watermark: uvarint producer id, varint watermark
//	0x11  an end: uvarint producer id (the producer writes no more)
//	0x12  a status: uvarint producer id, a byte: 1 idle, 0 active again
//
// Readers before status records fail on one as on any unknown kind
// (naming it); a writer writes them when its input goes idle or active
// again, and once before its first rows.
const (
	tagWatermark byte = 0x10
	tagEnd       byte = 0x11
	tagStatus    byte = 0x12
)

// appendRow appends the value of a row record.
func appendRow(buf []byte, op types.Op, row []types.Value) []byte {
	buf = append(buf, byte(op))
	return types.AppendValues(buf, row)
}

// appendWatermark appends the value of a watermark record.
func appendWatermark(buf []byte, producer int, wm int64) []byte {
	buf = append(buf, tagWatermark)
	buf = binary.AppendUvarint(buf, uint64(producer))
	return binary.AppendVarint(buf, wm)
}

// appendStatus appends the value of a status record.
func appendStatus(buf []byte, producer int, idle bool) []byte {
	buf = append(buf, tagStatus)
	buf = binary.AppendUvarint(buf, uint64(producer))
	if idle {
		return append(buf, 1)
	}
	return append(buf, 0)
}

// appendEnd appends the value of an end record.
func appendEnd(buf []byte, producer int) []byte {
	buf = append(buf, tagEnd)
	return binary.AppendUvarint(buf, uint64(producer))
}

// record is a decoded record value: a row (its values are in the dst
// given to decodeRecord), a watermark, an end or a status.
type record struct {
	tag      byte // an op for a row, else tagWatermark, tagEnd or tagStatus
	producer int
	wm       int64
	idle     bool // tagStatus: the producer is idle (else active again)
}

func (r *record) isRow() bool { return r.tag <= byte(types.Delete) }

var errEmpty = errors.New("empty record value")

// decodeRecord decodes v. For a row, its values go to dst, whose length
// is the schema's width; string values are copies (they do not keep v
// alive). producers bounds the producer ids of control records.
func decodeRecord(v []byte, dst []types.Value, producers int) (record, error) {
	if len(v) == 0 {
		return record{}, errEmpty
	}
	r := record{tag: v[0]}
	switch {
	case r.isRow():
		rest, err := types.DecodeValuesInto(dst, string(v[1:]))
		if err != nil {
			return r, fmt.Errorf("row of %d columns: %w", len(dst), err)
		}
		if len(rest) != 0 {
			return r, fmt.Errorf("row of %d columns: %d bytes after the row", len(dst), len(rest))
		}
		return r, nil
	case r.tag == tagWatermark || r.tag == tagEnd || r.tag == tagStatus:
		p, n := binary.Uvarint(v[1:])
		if n <= 0 || p >= uint64(producers) {
			return r, fmt.Errorf("control record of an unknown producer (the topic has %d)", producers)
		}
		r.producer = int(p)
		rest := v[1+n:]
		switch r.tag {
		case tagEnd:
			r.wm = math.MaxInt64
		case tagStatus:
			if len(rest) == 0 || rest[0] > 1 {
				return r, errors.New("status record without a status")
			}
			r.idle, rest = rest[0] == 1, rest[1:]
		default:
			w, k := binary.Varint(rest)
			if k <= 0 {
				return r, errors.New("watermark record without a watermark")
			}
			r.wm, rest = w, rest[k:]
		}
		if len(rest) != 0 {
			return r, fmt.Errorf("control record with %d bytes too many", len(rest))
		}
		return r, nil
	}
	return r, fmt.Errorf("unknown record kind %#x", r.tag)
}

// producerState is what a reader knows of one producer of its partition.
type producerState struct {
	seen  bool  // a watermark or an end was read
	ended bool  // its end was read
	idle  bool  // its last status record said idle
	wm    int64 // its last watermark (MaxInt64 once ended)
}

// Position versions: 1 has no idle flag and no reported watermark (a
// reader's before status records); 2 has both; 3 adds, after the
// watermark, the hand-over offset (varint) below which control records
// are a previous unit layout's (written only while the reader has not
// reached it, so that positions stay version 2 otherwise).
const (
	positionV1       = 1
	positionVersion  = 2
	positionHandOver = 3
)

// encodePosition encodes a reader's position: a version byte, the next
// offset (8 bytes big-endian), the number of producers (uvarint), then per
// producer a flags byte (1: seen, 2: ended, 4: idle) and, when seen, its
// watermark (varint); last the watermark the reader reported (varint).
func encodePosition(offset int64, prods []producerState, wm, handOver int64) []byte {
	buf := make([]byte, 0, 30+len(prods)*4)
	v := byte(positionVersion)
	if handOver > offset {
		v = positionHandOver
	}
	buf = append(buf, v)
	buf = binary.BigEndian.AppendUint64(buf, uint64(offset))
	buf = binary.AppendUvarint(buf, uint64(len(prods)))
	for _, p := range prods {
		var f byte
		if p.seen {
			f |= 1
		}
		if p.ended {
			f |= 2
		}
		if p.idle {
			f |= 4
		}
		buf = append(buf, f)
		if p.seen {
			buf = binary.AppendVarint(buf, p.wm)
		}
	}
	buf = binary.AppendVarint(buf, wm)
	if v == positionHandOver {
		buf = binary.AppendVarint(buf, handOver)
	}
	return buf
}

// position is a decoded reader position.
type position struct {
	offset   int64
	prods    []producerState
	wm       int64
	hasWm    bool  // false for version 1: computed from the producers'
	handOver int64 // version 3: control records below it are skipped
}

// decodePosition decodes encodePosition's output, or a version 1
// position, for a topic of producers producers. hasWm is false for a
// version 1 position (the caller computes the watermark from the
// producers').
func decodePosition(pos []byte, producers int) (off int64, prods []producerState, wm int64, hasWm bool, err error) {
	p, err := decodePositionAny(pos)
	if err != nil {
		return 0, nil, 0, false, err
	}
	if len(p.prods) != producers {
		return 0, nil, 0, false, fmt.Errorf("the position records %d producers, the topic has %d", len(p.prods), producers)
	}
	return p.offset, p.prods, p.wm, p.hasWm, nil
}

// decodePositionAny decodes a position of versions 1 to 3 for any number
// of producers.
func decodePositionAny(pos []byte) (position, error) {
	off, prods, wm, hasWm, handOver, err := decodePositionRaw(pos)
	return position{offset: off, prods: prods, wm: wm, hasWm: hasWm, handOver: handOver}, err
}

func decodePositionRaw(pos []byte) (off int64, prods []producerState, wm int64, hasWm bool, handOver int64, err error) {
	if len(pos) < 9 {
		return 0, nil, 0, false, 0, errors.New("not a position of an exchange reader")
	}
	v := pos[0]
	if v != positionV1 && v != positionVersion && v != positionHandOver {
		return 0, nil, 0, false, 0, fmt.Errorf("a position of version %d; this reader reads versions %d to %d (a newer release wrote it)", v, positionV1, positionHandOver)
	}
	maxFlags := byte(3)
	if v >= positionVersion {
		maxFlags = 7
	}
	damaged := errors.New("damaged position")
	off = int64(binary.BigEndian.Uint64(pos[1:9]))
	rest := pos[9:]
	n, k := binary.Uvarint(rest)
	if k <= 0 || off < 0 {
		return 0, nil, 0, false, 0, damaged
	}
	if n > 1<<20 {
		return 0, nil, 0, false, 0, damaged
	}
	rest = rest[k:]
	prods = make([]producerState, n)
	for i := range prods {
		if len(rest) == 0 || rest[0] > maxFlags {
			return 0, nil, 0, false, 0, damaged
		}
		f := rest[0]
		rest = rest[1:]
		p := &prods[i]
		p.seen, p.ended, p.idle = f&1 != 0, f&2 != 0, f&4 != 0
		if p.seen {
			w, k := binary.Varint(rest)
			if k <= 0 {
				return 0, nil, 0, false, 0, damaged
			}
			p.wm, rest = w, rest[k:]
		} else {
			p.wm = math.MinInt64
		}
	}
	if v >= positionVersion {
		w, k := binary.Varint(rest)
		if k <= 0 {
			return 0, nil, 0, false, 0, damaged
		}
		wm, hasWm, rest = w, true, rest[k:]
	}
	if v == positionHandOver {
		h, k := binary.Varint(rest)
		if k <= 0 || h < 0 {
			return 0, nil, 0, false, 0, damaged
		}
		handOver, rest = h, rest[k:]
	}
	if len(rest) != 0 {
		return 0, nil, 0, false, 0, damaged
	}
	return off, prods, wm, hasWm, handOver, nil
}
