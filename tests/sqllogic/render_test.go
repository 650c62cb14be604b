package sqllogic

import (
	"math"
	"reflect"
	"testing"

	"github.com/streamsql/streamsql/types"
)

func TestRenderValue(t *testing.T) {
	dec := func(u int64, s uint8) types.Value { return types.DecimalValue(u, s) }
	dbl := types.DoubleValue
	cases := []struct {
		v      types.Value
		t      types.Type
		letter byte
		want   string
	}{
		// NULL under every letter.
		{null, types.BigInt, 'I', "NULL"},
		{null, types.Double, 'R', "NULL"},
		{null, types.String, 'T', "NULL"},
		{null, types.Timestamp, 'T', "NULL"},

		// I
		{I(42), types.BigInt, 'I', "42"},
		{I(-7), types.BigInt, 'I', "-7"},
		{types.BoolValue(true), types.Bool, 'I', "1"},
		{types.BoolValue(false), types.Bool, 'I', "0"},
		{dec(25000, 4), types.DecimalType(20, 4), 'I', "2"},
		{dec(-25000, 4), types.DecimalType(20, 4), 'I', "-2"},
		{dec(183333, 4), types.DecimalType(20, 4), 'I', "18"},
		{dbl(2.99), types.Double, 'I', "2"},
		{dbl(-2.99), types.Double, 'I', "-2"},
		{dbl(1e19), types.Double, 'I', "10000000000000000000"},
		{S("17"), types.String, 'I', "17"},
		{S(" 17.9 "), types.String, 'I', "17"},
		// Text as sqlite3_column_int converts it: the leading integer, else 0.
		{S("abc"), types.String, 'I', "0"},
		{S(""), types.String, 'I', "0"},
		{S("12abc"), types.String, 'I', "12"},
		{S("-3.7"), types.String, 'I', "-3"},
		{S("1e3"), types.String, 'I', "1"},
		{S("+8"), types.String, 'I', "8"},
		{TS("2020-10-10 00:00:05.000"), types.Timestamp, 'I', "2020-10-10 00:00:05.000"},

		// R
		{I(2), types.BigInt, 'R', "2.000"},
		{I(-2), types.BigInt, 'R', "-2.000"},
		{dec(25, 1), types.DecimalType(10, 1), 'R', "2.500"},
		{dec(133333, 4), types.DecimalType(20, 4), 'R', "13.333"},
		{dec(66667, 4), types.DecimalType(20, 4), 'R', "6.667"},
		{dec(6665, 4), types.DecimalType(20, 4), 'R', "0.667"},   // half away from zero
		{dec(-6665, 4), types.DecimalType(20, 4), 'R', "-0.667"}, // half away from zero
		{dec(-4, 4), types.DecimalType(20, 4), 'R', "0.000"},     // never -0.000
		{dec(7, 0), types.DecimalType(10, 0), 'R', "7.000"},
		{dbl(2.5), types.Double, 'R', "2.500"},
		{dbl(1.0 / 3), types.Double, 'R', "0.333"},
		{dbl(-0.0001), types.Double, 'R', "0.000"},
		{dbl(math.Inf(1)), types.Double, 'R', "+Inf"},
		{types.BoolValue(true), types.Bool, 'R', "1.000"},
		{S("2.5"), types.String, 'R', "2.500"},
		// Text as sqlite3_column_double converts it: the leading number, else 0.
		{S("x"), types.String, 'R', "0.000"},
		{S(" 1.25abc"), types.String, 'R', "1.250"},
		{S("-3e2x"), types.String, 'R', "-300.000"},
		{S("7e"), types.String, 'R', "7.000"},
		{S(".5"), types.String, 'R', "0.500"},

		// T
		{S("hello world"), types.String, 'T', "hello world"},
		{S(""), types.String, 'T', "(empty)"},
		{S("a\tb\nc\x7f"), types.String, 'T', "a@b@c@"},
		{S("naïve"), types.String, 'T', "naïve"},
		{I(5), types.BigInt, 'T', "5"},
		{dec(25000, 4), types.DecimalType(20, 4), 'T', "2.5000"},
		{TS("2020-10-10 00:00:05.000"), types.Timestamp, 'T', "2020-10-10 00:00:05.000"},
		{TS("1969-12-31 23:59:57.250"), types.Timestamp, 'T', "1969-12-31 23:59:57.250"},
		{types.BoolValue(true), types.Bool, 'T', "TRUE"},
		{S(""), types.String, 'B', "(empty)"},
	}
	for _, c := range cases {
		if got := RenderValue(c.v, c.t, c.letter); got != c.want {
			t.Errorf("RenderValue(%v, %v, %c) = %q, want %q", c.v, c.t, c.letter, got, c.want)
		}
	}
}

func TestSortRowsAndChunk(t *testing.T) {
	rows := [][]string{{"b", "1"}, {"a", "2"}, {"a", "10"}, {"NULL", "3"}, {"a b", "0"}}
	SortRows(rows)
	want := [][]string{{"NULL", "3"}, {"a", "10"}, {"a", "2"}, {"a b", "0"}, {"b", "1"}}
	if !reflect.DeepEqual(rows, want) {
		t.Errorf("SortRows = %q", rows)
	}
	if got := chunk([]string{"1", "2", "3", "4", "5"}, 2); !reflect.DeepEqual(got, [][]string{{"1", "2"}, {"3", "4"}, {"5"}}) {
		t.Errorf("chunk = %q", got)
	}
	if got := RowLines(want); !reflect.DeepEqual(got, []string{"NULL 3", "a 10", "a 2", "a b 0", "b 1"}) {
		t.Errorf("RowLines = %q", got)
	}
}

func TestParseHashLine(t *testing.T) {
	n, h, ok := parseHashLine([]string{"12 values hashing to 0123456789ABCDEF0123456789abcdef"})
	if !ok || n != 12 || h != "0123456789abcdef0123456789abcdef" {
		t.Errorf("got %d %q %v", n, h, ok)
	}
	for _, bad := range [][]string{
		{"12 values hashing to 0123"},
		{"x values hashing to 0123456789abcdef0123456789abcdef"},
		{"12 values hashing to 0123456789abcdef0123456789abcdef", "1"},
		{},
	} {
		if _, _, ok := parseHashLine(bad); ok {
			t.Errorf("parseHashLine(%q) accepted", bad)
		}
	}
}

func TestDiffTruncates(t *testing.T) {
	var a, b []string
	for i := 0; i < 1000; i++ {
		a = append(a, "x")
	}
	d := Diff(a, b, "expected", "actual")
	if len(d) > 2000 || !reflect.DeepEqual(d[len(d)-21:], "... (diff truncated)\n") {
		t.Errorf("diff not truncated: %d bytes, ends %q", len(d), d[len(d)-30:])
	}
}

// TextToInt follows sqlite3_column_int of a TEXT value: the leading integer
// (after white space and an optional sign), 0 without digits, saturating.
func TestTextToInt(t *testing.T) {
	cases := []struct {
		s    string
		want int64
	}{
		{"42", 42}, {"  -17", -17}, {"\t+5x", 5}, {"3.99", 3}, {"-0.5", 0}, {"2e5", 2},
		{"abc", 0}, {"", 0}, {"-", 0}, {" - 4", 0},
		{"9223372036854775807", math.MaxInt64}, {"9223372036854775808", math.MaxInt64},
		{"-9223372036854775808", math.MinInt64}, {"-99999999999999999999999", math.MinInt64},
		{"123456789012345678901234567890", math.MaxInt64},
	}
	for _, c := range cases {
		if got := TextToInt(c.s); got != c.want {
			t.Errorf("TextToInt(%q) = %d, want %d", c.s, got, c.want)
		}
	}
}

func TestTextToFloat(t *testing.T) {
	cases := []struct {
		s    string
		want float64
	}{
		{"2.5", 2.5}, {"  -1e3", -1000}, {"+.25x", 0.25}, {"4.", 4}, {"1e+2", 100}, {"1e-", 1},
		{"abc", 0}, {"", 0}, {".", 0}, {"-", 0}, {"e5", 0}, {"1e400", math.Inf(1)},
	}
	for _, c := range cases {
		if got := TextToFloat(c.s); got != c.want {
			t.Errorf("TextToFloat(%q) = %v, want %v", c.s, got, c.want)
		}
	}
}
