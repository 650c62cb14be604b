package types

import (
	"errors"
	"testing"
)

func TestValueCodecRoundTrip(t *testing.T) {
	row := []Value{NullValue(), BoolValue(true), IntValue(-42), DoubleValue(2.5), DecimalValue(-12345, 2),
		StringValue("héllo"), TimestampValue(1602288005123), DateValue(18545), IntervalValue(-2000)}
	buf := AppendValues(nil, row)
	got, rest, err := DecodeValues(buf)
	if err != nil || len(rest) != 0 {
		t.Fatalf("decode: %v, %d bytes left", err, len(rest))
	}
	for i := range row {
		if got[i] != row[i] {
			t.Errorf("value %d: got %#v, want %#v", i, got[i], row[i])
		}
	}
	for n := 0; n < len(buf); n++ {
		if _, _, err := DecodeValues(buf[:n]); !errors.Is(err, ErrCorrupt) {
			t.Fatalf("truncated to %d bytes: got %v, want ErrCorrupt", n, err)
		}
	}
	if _, _, err := DecodeValue([]byte{byte(KindDecimal), 19, 2}); !errors.Is(err, ErrCorrupt) {
		t.Errorf("a decimal scale above 18 must be rejected, got %v", err)
	}
}
