package types

import (
	"errors"
	"math"
	"math/rand"
	"strings"
	"testing"
	"unsafe"
)

// sharedSample holds a value of every kind, with edge cases.
var sharedSample = []Value{NullValue(), BoolValue(true), BoolValue(false), IntValue(-42), IntValue(math.MinInt64),
	IntValue(math.MaxInt64), DoubleValue(2.5), DoubleValue(math.Copysign(0, -1)), DoubleValue(math.NaN()),
	DoubleValue(math.Inf(-1)), DecimalValue(-12345, 2), DecimalValue(7, 18), StringValue(""), StringValue("héllo"),
	StringValue(strings.Repeat("x", 300)), TimestampValue(1602288005123), TimestampValue(-1), DateValue(18545),
	IntervalValue(-2000)}

func TestDecodeValuesIntoRoundTrip(t *testing.T) {
	enc := string(AppendValues(nil, sharedSample)) + "tail"
	dst := make([]Value, len(sharedSample))
	rest, err := DecodeValuesInto(dst, enc)
	if err != nil || rest != "tail" {
		t.Fatalf("decode: %v, rest %q", err, rest)
	}
	for i, want := range sharedSample {
		got := dst[i]
		same := got == want
		if want.Kind() == KindDouble { // NaN != NaN: compare the bits
			same = got.Kind() == KindDouble && math.Float64bits(got.Double()) == math.Float64bits(want.Double())
		}
		if !same {
			t.Errorf("value %d: got %#v, want %#v", i, got, want)
		}
		if want.Kind() == KindString && got.Str() != want.Str() {
			t.Errorf("string %d: got %q, want %q", i, got.Str(), want.Str())
		}
	}
	// A string value is a substring of enc, not a copy.
	base := uintptr(unsafe.Pointer(unsafe.StringData(enc)))
	for i, v := range dst {
		if v.Kind() != KindString || v.Str() == "" {
			continue
		}
		p := uintptr(unsafe.Pointer(unsafe.StringData(v.Str())))
		if p < base || p+uintptr(len(v.Str())) > base+uintptr(len(enc)) {
			t.Errorf("string %d was copied out of the encoding", i)
		}
	}
	if n, vals, err := ValuesLen(enc); err != nil || n != len(sharedSample) || len(vals) != len(enc)-1 {
		t.Errorf("ValuesLen: %d, %d bytes, %v", n, len(vals), err)
	}
	if rest, err := SkipValues(enc); err != nil || rest != "tail" {
		t.Errorf("SkipValues: %v, rest %q", err, rest)
	}
	allocs := testing.AllocsPerRun(100, func() {
		if _, err := DecodeValuesInto(dst, enc); err != nil {
			t.Fatal(err)
		}
	})
	if allocs != 0 {
		t.Errorf("DecodeValuesInto allocates %.0f times a call", allocs)
	}
}

func TestDecodeValuesIntoCorrupt(t *testing.T) {
	enc := string(AppendValues(nil, sharedSample))
	dst := make([]Value, len(sharedSample))
	for n := 0; n < len(enc); n++ {
		if _, err := DecodeValuesInto(dst, enc[:n]); !errors.Is(err, ErrCorrupt) {
			t.Fatalf("truncated to %d bytes: got %v, want ErrCorrupt", n, err)
		}
		if _, err := SkipValues(enc[:n]); !errors.Is(err, ErrCorrupt) {
			t.Fatalf("SkipValues, truncated to %d bytes: got %v, want ErrCorrupt", n, err)
		}
	}
	if _, err := DecodeValuesInto(dst[1:], enc); !errors.Is(err, ErrCorrupt) || !strings.Contains(err.Error(), "19 values where 18") {
		t.Errorf("a list longer than dst: got %v", err)
	}
	if _, err := DecodeValuesInto(make([]Value, 20), enc); !errors.Is(err, ErrCorrupt) {
		t.Errorf("a list shorter than dst: got %v", err)
	}
	for _, bad := range []string{
		"\x04\x13\x02", // decimal scale 19
		"\x09\x00",     // unknown kind
		"\x05\x05ab",   // string longer than the input
		"\x02\xff\xff\xff\xff\xff\xff\xff\xff\xff\x7f",     // varint overflow
		"\x02\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\x01", // varint longer than 10 bytes
		"\x03\x00\x00\x00", // short double
	} {
		if _, _, err := DecodeValueString(bad); !errors.Is(err, ErrCorrupt) {
			t.Errorf("%q: got %v, want ErrCorrupt", bad, err)
		}
		if _, _, err := DecodeValue([]byte(bad)); !errors.Is(err, ErrCorrupt) {
			t.Errorf("DecodeValue %q: got %v, want ErrCorrupt", bad, err)
		}
	}
	// A list claiming more values than it has bytes.
	if _, _, err := ValuesLen("\x05\x00"); !errors.Is(err, ErrCorrupt) {
		t.Errorf("a list count beyond the input: got %v", err)
	}
}

// The string decoders accept exactly what the []byte decoders accept, and
// decode it alike.
func TestDecodeValueStringMatchesDecodeValue(t *testing.T) {
	r := rand.New(rand.NewSource(1))
	valid := AppendValues(nil, sharedSample)
	for i := 0; i < 20000; i++ {
		var buf []byte
		if i%2 == 0 {
			buf = make([]byte, r.Intn(12))
			r.Read(buf)
			if len(buf) > 0 {
				buf[0] %= 11 // mostly known kinds
			}
		} else { // a valid encoding with a byte changed
			buf = append([]byte(nil), valid...)
			buf[r.Intn(len(buf))] = byte(r.Intn(256))
			buf = buf[:r.Intn(len(buf)+1)]
		}
		v1, rest1, err1 := DecodeValue(buf)
		v2, rest2, err2 := DecodeValueString(string(buf))
		if (err1 == nil) != (err2 == nil) || err1 == nil && (string(rest1) != rest2 || !sameBits(v1, v2)) {
			t.Fatalf("%x: DecodeValue %#v %x %v, DecodeValueString %#v %x %v", buf, v1, rest1, err1, v2, rest2, err2)
		}
		vals, lrest1, lerr1 := DecodeValues(buf)
		lrest2, lerr2 := SkipValues(string(buf))
		if (lerr1 == nil) != (lerr2 == nil) || lerr1 == nil && string(lrest1) != lrest2 {
			t.Fatalf("%x: DecodeValues %v %v, SkipValues %v", buf, vals, lerr1, lerr2)
		}
		if lerr1 == nil {
			dst := make([]Value, len(vals))
			if _, err := DecodeValuesInto(dst, string(buf)); err != nil {
				t.Fatalf("%x: DecodeValuesInto: %v", buf, err)
			}
			for j := range vals {
				if !sameBits(vals[j], dst[j]) {
					t.Fatalf("%x: value %d: %#v vs %#v", buf, j, vals[j], dst[j])
				}
			}
		}
	}
}

func sameBits(a, b Value) bool {
	if a.Kind() == KindDouble && b.Kind() == KindDouble {
		return math.Float64bits(a.Double()) == math.Float64bits(b.Double())
	}
	return a == b
}
