package types

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"
)

// ErrCorrupt is returned by the decoders for malformed input.
var ErrCorrupt = errors.New("corrupt encoded value")

// AppendValue appends the binary encoding of v (used in state, in-flight
// data of checkpoints and sink committables): its kind, then the payload
// (varint for integer-like kinds, 8 bytes for doubles, scale and varint for
// decimals, length-prefixed bytes for strings).
func AppendValue(buf []byte, v Value) []byte {
	buf = append(buf, byte(v.Kind()))
	switch v.Kind() {
	case KindNull:
	case KindBool:
		if v.Bool() {
			buf = append(buf, 1)
		} else {
			buf = append(buf, 0)
		}
	case KindDouble:
		buf = binary.LittleEndian.AppendUint64(buf, math.Float64bits(v.Double()))
	case KindDecimal:
		buf = append(buf, v.Scale())
		buf = binary.AppendVarint(buf, v.Unscaled())
	case KindString:
		buf = binary.AppendUvarint(buf, uint64(len(v.Str())))
		buf = append(buf, v.Str()...)
	default:
		buf = binary.AppendVarint(buf, v.Int())
	}
	return buf
}

// DecodeValue decodes a value written by AppendValue and returns the rest.
func DecodeValue(buf []byte) (Value, []byte, error) {
	if len(buf) == 0 {
		return Value{}, nil, ErrCorrupt
	}
	k := Kind(buf[0])
	buf = buf[1:]
	switch k {
	case KindNull:
		return NullValue(), buf, nil
	case KindBool:
		if len(buf) < 1 {
			return Value{}, nil, ErrCorrupt
		}
		return BoolValue(buf[0] != 0), buf[1:], nil
	case KindDouble:
		if len(buf) < 8 {
			return Value{}, nil, ErrCorrupt
		}
		return DoubleValue(math.Float64frombits(binary.LittleEndian.Uint64(buf))), buf[8:], nil
	case KindDecimal:
		if len(buf) < 1 {
			return Value{}, nil, ErrCorrupt
		}
		s := buf[0]
		i, n := binary.Varint(buf[1:])
		if n <= 0 || s > 18 {
			return Value{}, nil, ErrCorrupt
		}
		return DecimalValue(i, s), buf[1+n:], nil
	case KindString:
		l, n := binary.Uvarint(buf)
		if n <= 0 || uint64(len(buf)-n) < l {
			return Value{}, nil, ErrCorrupt
		}
		return StringValue(string(buf[n : n+int(l)])), buf[n+int(l):], nil
	case KindInt, KindTimestamp, KindDate, KindInterval:
		i, n := binary.Varint(buf)
		if n <= 0 {
			return Value{}, nil, ErrCorrupt
		}
		buf = buf[n:]
		switch k {
		case KindInt:
			return IntValue(i), buf, nil
		case KindTimestamp:
			return TimestampValue(i), buf, nil
		case KindDate:
			return DateValue(i), buf, nil
		default:
			return IntervalValue(i), buf, nil
		}
	}
	return Value{}, nil, fmt.Errorf("%w: value kind %d", ErrCorrupt, k)
}

// AppendValues appends a length-prefixed list of values.
func AppendValues(buf []byte, vals []Value) []byte {
	buf = binary.AppendUvarint(buf, uint64(len(vals)))
	for _, v := range vals {
		buf = AppendValue(buf, v)
	}
	return buf
}

// DecodeValues decodes a list written by AppendValues.
func DecodeValues(buf []byte) ([]Value, []byte, error) {
	n, k := binary.Uvarint(buf)
	if k <= 0 || n > uint64(len(buf)) {
		return nil, nil, ErrCorrupt
	}
	buf = buf[k:]
	vals := make([]Value, n)
	for i := range vals {
		var err error
		if vals[i], buf, err = DecodeValue(buf); err != nil {
			return nil, nil, err
		}
	}
	return vals, buf, nil
}
