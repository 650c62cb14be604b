package types

import (
	"encoding/binary"
	"fmt"
	"math"
)

// The decoders of this file read the encoding of AppendValue and
// AppendValues held in a string, without copying: a decoded string value is
// a substring of the input, sharing its bytes (and keeping all of them
// alive while it lives). They let a row be kept in its encoded form (one
// allocation holding every value and every string) and be decoded into
// reused []Value whenever it is needed, at the cost of a few comparisons
// per value and no allocation.
//
// Contract: the bytes of the input string must never change while a value
// decoded from it lives. A string made by the language (a conversion from
// []byte, a strings.Builder, a substring of either) satisfies it by
// construction; one made with unsafe.String over a byte slice does only as
// long as that slice is never written again.
//
// They accept exactly what DecodeValue and DecodeValues accept and decode
// it to the same values (codec_shared_test.go checks both on random
// input).

// DecodeValueString is DecodeValue reading a string: a string value is a
// substring of enc (see the contract above).
func DecodeValueString(enc string) (Value, string, error) {
	if len(enc) == 0 {
		return Value{}, "", ErrCorrupt
	}
	k := Kind(enc[0])
	enc = enc[1:]
	switch k {
	case KindNull:
		return NullValue(), enc, nil
	case KindBool:
		if len(enc) < 1 {
			return Value{}, "", ErrCorrupt
		}
		return BoolValue(enc[0] != 0), enc[1:], nil
	case KindDouble:
		if len(enc) < 8 {
			return Value{}, "", ErrCorrupt
		}
		bits := uint64(enc[0]) | uint64(enc[1])<<8 | uint64(enc[2])<<16 | uint64(enc[3])<<24 |
			uint64(enc[4])<<32 | uint64(enc[5])<<40 | uint64(enc[6])<<48 | uint64(enc[7])<<56
		return DoubleValue(math.Float64frombits(bits)), enc[8:], nil
	case KindDecimal:
		if len(enc) < 1 {
			return Value{}, "", ErrCorrupt
		}
		s := enc[0]
		i, n := varintString(enc[1:])
		if n <= 0 || s > 18 {
			return Value{}, "", ErrCorrupt
		}
		return DecimalValue(i, s), enc[1+n:], nil
	case KindString:
		l, n := uvarintString(enc)
		if n <= 0 || uint64(len(enc)-n) < l {
			return Value{}, "", ErrCorrupt
		}
		return StringValue(enc[n : n+int(l)]), enc[n+int(l):], nil
	case KindInt, KindTimestamp, KindDate, KindInterval:
		i, n := varintString(enc)
		if n <= 0 {
			return Value{}, "", ErrCorrupt
		}
		enc = enc[n:]
		switch k {
		case KindInt:
			return IntValue(i), enc, nil
		case KindTimestamp:
			return TimestampValue(i), enc, nil
		case KindDate:
			return DateValue(i), enc, nil
		default:
			return IntervalValue(i), enc, nil
		}
	}
	return Value{}, "", fmt.Errorf("%w: value kind %d", ErrCorrupt, k)
}

// ValuesLen reads the length of a list written by AppendValues at the
// start of enc and returns it with the rest of enc (the list's values,
// then whatever follows the list).
func ValuesLen(enc string) (int, string, error) {
	n, k := uvarintString(enc)
	if k <= 0 || n > uint64(len(enc)) {
		return 0, "", ErrCorrupt
	}
	return int(n), enc[k:], nil
}

// DecodeValuesInto decodes a list written by AppendValues at the start of
// enc into dst, whose length must be the list's (else the error says both),
// and returns what follows the list. String values are substrings of enc
// (see the contract above). On error, dst holds meaningless values.
func DecodeValuesInto(dst []Value, enc string) (string, error) {
	n, enc, err := ValuesLen(enc)
	if err != nil {
		return "", err
	}
	if n != len(dst) {
		return "", fmt.Errorf("%w: a list of %d values where %d are expected", ErrCorrupt, n, len(dst))
	}
	for i := range dst {
		if dst[i], enc, err = DecodeValueString(enc); err != nil {
			return "", err
		}
	}
	return enc, nil
}

// SkipValues checks the list written by AppendValues at the start of enc
// as DecodeValues would decode it, and returns what follows it.
func SkipValues(enc string) (string, error) {
	n, enc, err := ValuesLen(enc)
	if err != nil {
		return "", err
	}
	for ; n > 0; n-- {
		if _, enc, err = DecodeValueString(enc); err != nil {
			return "", err
		}
	}
	return enc, nil
}

// uvarintString is binary.Uvarint reading a string.
func uvarintString(s string) (uint64, int) {
	var x uint64
	var shift uint
	for i := 0; i < len(s); i++ {
		if i == binary.MaxVarintLen64 {
			return 0, -(i + 1) // overflow
		}
		b := s[i]
		if b < 0x80 {
			if i == binary.MaxVarintLen64-1 && b > 1 {
				return 0, -(i + 1) // overflow
			}
			return x | uint64(b)<<shift, i + 1
		}
		x |= uint64(b&0x7f) << shift
		shift += 7
	}
	return 0, 0
}

// varintString is binary.Varint reading a string.
func varintString(s string) (int64, int) {
	ux, n := uvarintString(s)
	x := int64(ux >> 1)
	if ux&1 != 0 {
		x = ^x
	}
	return x, n
}
