package operators

import (
	"encoding/binary"

	"github.com/streamsql/streamsql/exec/agg"
	"github.com/streamsql/streamsql/types"
)

// overCodec encodes a partition: key, timer, sequence numbers, per frame
// its start and accumulators, the history and the waiting rows.
type overCodec struct{}

func (overCodec) Append(buf []byte, e *overEntry) []byte {
	buf = types.AppendValues(buf, e.key)
	armed := int64(0)
	if e.armed {
		armed = 1
	}
	buf = binary.AppendVarint(buf, armed)
	buf = binary.AppendVarint(buf, e.timer)
	buf = binary.AppendVarint(buf, e.base)
	buf = binary.AppendVarint(buf, e.next)
	buf = binary.AppendUvarint(buf, uint64(len(e.accs)))
	for i := range e.accs {
		buf = binary.AppendVarint(buf, e.starts[i])
		buf = agg.AppendAcc(buf, &e.accs[i])
	}
	buf = types.AppendValues(buf, e.hist)
	buf = types.AppendValues(buf, e.pend)
	buf = binary.AppendUvarint(buf, uint64(len(e.pendTs)))
	for _, ts := range e.pendTs {
		buf = binary.AppendVarint(buf, ts)
	}
	return buf
}

func (overCodec) Decode(buf []byte) (*overEntry, error) {
	e := &overEntry{}
	var err error
	if e.key, buf, err = types.DecodeValues(buf); err != nil {
		return nil, err
	}
	var ints [4]int64
	for i := range ints {
		v, k := binary.Varint(buf)
		if k <= 0 {
			return nil, errCorrupt
		}
		ints[i], buf = v, buf[k:]
	}
	e.armed, e.timer, e.base, e.next = ints[0] == 1, ints[1], ints[2], ints[3]
	nf, k := binary.Uvarint(buf)
	if k <= 0 || nf > uint64(len(buf)) {
		return nil, errCorrupt
	}
	buf = buf[k:]
	e.accs = make([]agg.Acc, nf)
	e.starts = make([]int64, nf)
	for i := range e.accs {
		v, k := binary.Varint(buf)
		if k <= 0 {
			return nil, errCorrupt
		}
		e.starts[i], buf = v, buf[k:]
		if buf, err = agg.DecodeAcc(buf, &e.accs[i]); err != nil {
			return nil, err
		}
	}
	if e.hist, buf, err = types.DecodeValues(buf); err != nil {
		return nil, err
	}
	if e.pend, buf, err = types.DecodeValues(buf); err != nil {
		return nil, err
	}
	np, k := binary.Uvarint(buf)
	if k <= 0 || np > uint64(len(buf)) {
		return nil, errCorrupt
	}
	buf = buf[k:]
	e.pendTs = make([]int64, np)
	for i := range e.pendTs {
		v, k := binary.Varint(buf)
		if k <= 0 {
			return nil, errCorrupt
		}
		e.pendTs[i], buf = v, buf[k:]
	}
	if len(buf) != 0 {
		return nil, errCorrupt
	}
	return e, nil
}
