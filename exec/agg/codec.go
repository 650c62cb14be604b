package agg

import (
	"encoding/binary"
	"math"

	"github.com/streamsql/streamsql/types"
)

// ErrCorrupt is returned by the decoders for malformed input. It is the
// sentinel of types' value codec, which encodes the values inside states.
var ErrCorrupt = types.ErrCorrupt

// Slot flags. A flag adds an optional field, so states written before a
// flag existed decode unchanged: flagCarry (the high word of a SUM beyond
// int64, see Slot) is absent from every state whose sums fit an int64.
const (
	flagFSum = 1 << iota
	flagSet
	flagCarry
)

// AppendAcc appends the encoding of a.
func AppendAcc(buf []byte, a *Acc) []byte {
	buf = binary.AppendVarint(buf, a.Rows)
	buf = binary.AppendUvarint(buf, uint64(len(a.Slots)))
	for i := range a.Slots {
		s := &a.Slots[i]
		var fl byte
		if s.FSum != 0 {
			fl |= flagFSum
		}
		if s.Set != nil {
			fl |= flagSet
		}
		if s.Carry != 0 {
			fl |= flagCarry
		}
		buf = append(buf, fl)
		buf = binary.AppendVarint(buf, s.N)
		buf = binary.AppendVarint(buf, s.Sum)
		if fl&flagCarry != 0 {
			buf = binary.AppendVarint(buf, s.Carry)
		}
		if fl&flagFSum != 0 {
			buf = binary.LittleEndian.AppendUint64(buf, math.Float64bits(s.FSum))
		}
		buf = types.AppendValue(buf, s.Ext)
		if s.Set != nil {
			buf = binary.AppendUvarint(buf, uint64(s.Set.Len()))
			s.Set.Each(func(v types.Value, n int64) {
				buf = types.AppendValue(buf, v)
				buf = binary.AppendVarint(buf, n)
			})
		}
	}
	return buf
}

// DecodeAcc decodes an accumulator written by AppendAcc into a and returns the rest.
func DecodeAcc(buf []byte, a *Acc) ([]byte, error) {
	var n int
	if a.Rows, n = binary.Varint(buf); n <= 0 {
		return nil, ErrCorrupt
	}
	buf = buf[n:]
	ns, n := binary.Uvarint(buf)
	if n <= 0 || ns > uint64(len(buf)) {
		return nil, ErrCorrupt
	}
	buf = buf[n:]
	a.Slots = make([]Slot, ns)
	var kbuf []byte
	for i := range a.Slots {
		s := &a.Slots[i]
		if len(buf) < 1 {
			return nil, ErrCorrupt
		}
		fl := buf[0]
		buf = buf[1:]
		if s.N, n = binary.Varint(buf); n <= 0 {
			return nil, ErrCorrupt
		}
		buf = buf[n:]
		if s.Sum, n = binary.Varint(buf); n <= 0 {
			return nil, ErrCorrupt
		}
		buf = buf[n:]
		if fl&flagCarry != 0 {
			if s.Carry, n = binary.Varint(buf); n <= 0 {
				return nil, ErrCorrupt
			}
			buf = buf[n:]
		}
		if fl&flagFSum != 0 {
			if len(buf) < 8 {
				return nil, ErrCorrupt
			}
			s.FSum = math.Float64frombits(binary.LittleEndian.Uint64(buf))
			buf = buf[8:]
		}
		var err error
		if s.Ext, buf, err = types.DecodeValue(buf); err != nil {
			return nil, err
		}
		if fl&flagSet != 0 {
			cnt, n := binary.Uvarint(buf)
			if n <= 0 || cnt > uint64(len(buf)) {
				return nil, ErrCorrupt
			}
			buf = buf[n:]
			s.Set = NewValueSet()
			for j := uint64(0); j < cnt; j++ {
				var v types.Value
				if v, buf, err = types.DecodeValue(buf); err != nil {
					return nil, err
				}
				c, n := binary.Varint(buf)
				if n <= 0 {
					return nil, ErrCorrupt
				}
				buf = buf[n:]
				s.Set.add(&kbuf, v, c)
			}
		}
	}
	return buf, nil
}

// Clone returns a deep copy of a.
func (a *Acc) Clone() Acc {
	c := Acc{Rows: a.Rows, Slots: make([]Slot, len(a.Slots))}
	copy(c.Slots, a.Slots)
	for i := range c.Slots {
		c.Slots[i].Set = c.Slots[i].Set.Clone()
	}
	return c
}
