package agg

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"

	"github.com/streamsql/streamsql/types"
)

// ErrCorrupt is returned by the decoders for malformed input.
var ErrCorrupt = errors.New("agg: corrupt encoded state")

// AppendValue appends the state encoding of v: its kind, then the payload
// (varint for integer-like kinds, 8 bytes for doubles, scale and varint for
// decimals, length-prefixed bytes for strings).
func AppendValue(buf []byte, v types.Value) []byte {
	buf = append(buf, byte(v.Kind()))
	switch v.Kind() {
	case types.KindNull:
	case types.KindBool:
		if v.Bool() {
			buf = append(buf, 1)
		} else {
			buf = append(buf, 0)
		}
	case types.KindDouble:
		buf = binary.LittleEndian.AppendUint64(buf, math.Float64bits(v.Double()))
	case types.KindDecimal:
		buf = append(buf, v.Scale())
		buf = binary.AppendVarint(buf, v.Unscaled())
	case types.KindString:
		buf = binary.AppendUvarint(buf, uint64(len(v.Str())))
		buf = append(buf, v.Str()...)
	default:
		buf = binary.AppendVarint(buf, v.Int())
	}
	return buf
}

// DecodeValue decodes a value written by AppendValue and returns the rest.
func DecodeValue(buf []byte) (types.Value, []byte, error) {
	if len(buf) == 0 {
		return types.Value{}, nil, ErrCorrupt
	}
	k := types.Kind(buf[0])
	buf = buf[1:]
	switch k {
	case types.KindNull:
		return types.NullValue(), buf, nil
	case types.KindBool:
		if len(buf) < 1 {
			return types.Value{}, nil, ErrCorrupt
		}
		return types.BoolValue(buf[0] != 0), buf[1:], nil
	case types.KindDouble:
		if len(buf) < 8 {
			return types.Value{}, nil, ErrCorrupt
		}
		return types.DoubleValue(math.Float64frombits(binary.LittleEndian.Uint64(buf))), buf[8:], nil
	case types.KindDecimal:
		if len(buf) < 1 {
			return types.Value{}, nil, ErrCorrupt
		}
		s := buf[0]
		i, n := binary.Varint(buf[1:])
		if n <= 0 {
			return types.Value{}, nil, ErrCorrupt
		}
		return types.DecimalValue(i, s), buf[1+n:], nil
	case types.KindString:
		l, n := binary.Uvarint(buf)
		if n <= 0 || uint64(len(buf)-n) < l {
			return types.Value{}, nil, ErrCorrupt
		}
		return types.StringValue(string(buf[n : n+int(l)])), buf[n+int(l):], nil
	case types.KindInt, types.KindTimestamp, types.KindDate, types.KindInterval:
		i, n := binary.Varint(buf)
		if n <= 0 {
			return types.Value{}, nil, ErrCorrupt
		}
		buf = buf[n:]
		switch k {
		case types.KindInt:
			return types.IntValue(i), buf, nil
		case types.KindTimestamp:
			return types.TimestampValue(i), buf, nil
		case types.KindDate:
			return types.DateValue(i), buf, nil
		default:
			return types.IntervalValue(i), buf, nil
		}
	}
	return types.Value{}, nil, fmt.Errorf("%w: value kind %d", ErrCorrupt, k)
}

// AppendValues appends a length-prefixed list of values.
func AppendValues(buf []byte, vals []types.Value) []byte {
	buf = binary.AppendUvarint(buf, uint64(len(vals)))
	for _, v := range vals {
		buf = AppendValue(buf, v)
	}
	return buf
}

// DecodeValues decodes a list written by AppendValues.
func DecodeValues(buf []byte) ([]types.Value, []byte, error) {
	n, k := binary.Uvarint(buf)
	if k <= 0 || n > uint64(len(buf)) {
		return nil, nil, ErrCorrupt
	}
	buf = buf[k:]
	vals := make([]types.Value, n)
	for i := range vals {
		var err error
		if vals[i], buf, err = DecodeValue(buf); err != nil {
			return nil, nil, err
		}
	}
	return vals, buf, nil
}

// Slot flags.
const (
	flagFSum = 1 << iota
	flagSet
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
		buf = append(buf, fl)
		buf = binary.AppendVarint(buf, s.N)
		buf = binary.AppendVarint(buf, s.Sum)
		if fl&flagFSum != 0 {
			buf = binary.LittleEndian.AppendUint64(buf, math.Float64bits(s.FSum))
		}
		buf = AppendValue(buf, s.Ext)
		if s.Set != nil {
			buf = binary.AppendUvarint(buf, uint64(len(s.Set.m)))
			for _, k := range s.Set.sortedKeys() {
				e := s.Set.m[k]
				buf = AppendValue(buf, e.V)
				buf = binary.AppendVarint(buf, e.N)
			}
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
		if fl&flagFSum != 0 {
			if len(buf) < 8 {
				return nil, ErrCorrupt
			}
			s.FSum = math.Float64frombits(binary.LittleEndian.Uint64(buf))
			buf = buf[8:]
		}
		var err error
		if s.Ext, buf, err = DecodeValue(buf); err != nil {
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
				if v, buf, err = DecodeValue(buf); err != nil {
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
