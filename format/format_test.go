package format

import (
	"errors"
	"math"
	"strings"
	"testing"

	"github.com/streamsql/streamsql/types"
)

var allTypes = types.Schema{
	{Name: "b", Type: types.Bool},
	{Name: "i8", Type: types.Type{Kind: types.KindInt, Precision: 8}},
	{Name: "i", Type: types.BigInt},
	{Name: "d", Type: types.Double},
	{Name: "dec", Type: types.DecimalType(10, 2)},
	{Name: "s", Type: types.String},
	{Name: "ts", Type: types.Timestamp},
	{Name: "dt", Type: types.Date},
	{Name: "iv", Type: types.Interval},
}

func ts(t testing.TB, s string) int64 {
	t.Helper()
	v, err := ParseTimestamp([]byte(s))
	if err != nil {
		t.Fatal(err)
	}
	return v
}

func sampleRows(t testing.TB) [][]types.Value {
	return [][]types.Value{
		{types.BoolValue(true), types.IntValue(-128), types.IntValue(math.MaxInt64), types.DoubleValue(1.5),
			types.DecimalValue(-12345, 2), types.StringValue("hello, \"world\"\nline2"),
			types.TimestampValue(ts(t, "2020-10-10 00:00:05.123")), types.DateValue(18000), types.IntervalValue(90061001)},
		{types.BoolValue(false), types.IntValue(127), types.IntValue(math.MinInt64), types.DoubleValue(-2.5e-300),
			types.DecimalValue(5, 2), types.StringValue(""),
			types.TimestampValue(-1), types.DateValue(-1), types.IntervalValue(-5)},
		make([]types.Value, len(allTypes)), // all NULL
		{types.Value{}, types.IntValue(0), types.Value{}, types.DoubleValue(math.Inf(1)),
			types.DecimalValue(0, 2), types.StringValue("NULL"), types.Value{}, types.DateValue(0), types.Value{}},
	}
}

func sameRow(a, b []types.Value) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i].IsNull() != b[i].IsNull() || a[i].Kind() != b[i].Kind() || !types.Equal(a[i], b[i]) {
			return false
		}
		if a[i].Kind() == types.KindString && a[i].Str() != b[i].Str() {
			return false
		}
	}
	return true
}

func roundTrip(t *testing.T, name string, opts map[string]string) {
	f, err := New(name, allTypes, opts)
	if err != nil {
		t.Fatal(err)
	}
	enc, dec := f.NewEncoder(), f.NewDecoder()
	for _, row := range sampleRows(t) {
		line := enc.AppendRow(nil, row)
		got := make([]types.Value, len(allTypes))
		if err := dec.Decode(line, got); err != nil {
			t.Fatalf("%s: decode %q: %v", name, line, err)
		}
		if !sameRow(row, got) {
			t.Errorf("%s: round trip of %q\n got  %v\n want %v", name, line, got, row)
		}
	}
}

func TestRoundTrip(t *testing.T) {
	roundTrip(t, "csv", nil)
	roundTrip(t, "csv", map[string]string{"csv.field-delimiter": "|", "csv.null-literal": "NULL"})
	roundTrip(t, "csv", map[string]string{"csv.field-delimiter": `\t`, "csv.quote-character": "'"})
	roundTrip(t, "json", nil)
}

func TestCSVEncode(t *testing.T) {
	f, _ := New("csv", allTypes, nil)
	got := string(f.NewEncoder().AppendRow(nil, sampleRows(t)[0]))
	want := "TRUE,-128,9223372036854775807,1.5,-123.45,\"hello, \"\"world\"\"\nline2\",2020-10-10 00:00:05.123,2019-04-14,+1 01:01:01.001"
	if got != want {
		t.Errorf("got  %s\nwant %s", got, want)
	}
	got = string(f.NewEncoder().AppendRow(nil, sampleRows(t)[2]))
	if got != ",,,,,,,," {
		t.Errorf("nulls: %q", got)
	}
}

func TestJSONEncode(t *testing.T) {
	f, _ := New("json", allTypes, nil)
	got := string(f.NewEncoder().AppendRow(nil, sampleRows(t)[0]))
	want := `{"b":true,"i8":-128,"i":9223372036854775807,"d":1.5,"dec":-123.45,"s":"hello, \"world\"\nline2","ts":"2020-10-10 00:00:05.123","dt":"2019-04-14","iv":"+1 01:01:01.001"}`
	if got != want {
		t.Errorf("got  %s\nwant %s", got, want)
	}
	got = string(f.NewEncoder().AppendRow(nil, sampleRows(t)[2]))
	if !strings.HasPrefix(got, `{"b":null,"i8":null,`) {
		t.Errorf("nulls: %s", got)
	}
}

func decode(t *testing.T, f *Format, line string) ([]types.Value, error) {
	t.Helper()
	row := make([]types.Value, len(f.Schema))
	err := f.NewDecoder().Decode([]byte(line), row)
	return row, err
}

func TestCSVDecode(t *testing.T) {
	s := types.Schema{{Name: "a", Type: types.BigInt}, {Name: "s", Type: types.String}, {Name: "p", Type: types.DecimalType(6, 3)}}
	f, _ := New("csv", s, map[string]string{"csv.null-literal": "\\N"})
	cases := []struct{ in, want, err string }{
		{`1,abc,1.5`, "1 abc 1.500", ""},
		{`,,`, "NULL NULL NULL", ""},
		{`\N,\N,\N`, "NULL NULL NULL", ""},
		{`"2","","3"`, "2  3.000", ""},
		{`,"\N",  -0.0005 `, `NULL \N -0.001`, ""},
		{` 7 ,a b,123.4564`, "7 a b 123.456", ""},
		{`1,"a""b",2`, `1 a"b 2.000`, ""},
		{`1,a"b,2`, `1 a"b 2.000`, ""},
		{`x,a,1`, "", `column a: invalid BIGINT "x"`},
		{`1,a`, "", "expected 3 fields, found 2"},
		{`1,a,2,3`, "", "expected 3 fields, found 4"},
		{`1,"abc,2`, "", "column s: unterminated quoted field"},
		{`1,"abc"d,2`, "", `column s: unexpected 'd' after a closing quote`},
		{`1,a,1000`, "", "column p: DECIMAL(6, 3) out of range: 1000"},
		{`99999999999999999999,a,1`, "", "column a: BIGINT out of range: 99999999999999999999"},
	}
	for _, c := range cases {
		row, err := decode(t, f, c.in)
		if c.err != "" {
			if err == nil || err.Error() != c.err {
				t.Errorf("%s: error %v, want %s", c.in, err, c.err)
			}
			continue
		}
		if err != nil {
			t.Errorf("%s: %v", c.in, err)
			continue
		}
		var parts []string
		for i, v := range row {
			parts = append(parts, types.Render(v, s[i].Type))
		}
		if got := strings.Join(parts, " "); got != c.want {
			t.Errorf("%s: got %q want %q", c.in, got, c.want)
		}
	}
	if _, err := decode(t, f, ""); !errors.Is(err, ErrSkipRecord) {
		t.Errorf("empty line: %v", err)
	}
	one, _ := New("csv", s[:1], nil)
	if row, err := decode(t, one, ""); err != nil || !row[0].IsNull() {
		t.Errorf("one column empty line: %v %v", row, err)
	}
	cm, _ := New("csv", s, map[string]string{"csv.allow-comments": "true"})
	if _, err := decode(t, cm, "# comment"); !errors.Is(err, ErrSkipRecord) {
		t.Errorf("comment: %v", err)
	}
	nq, _ := New("csv", s, map[string]string{"csv.disable-quote-character": "true"})
	if row, err := decode(t, nq, `1,"x",2`); err != nil || row[1].Str() != `"x"` {
		t.Errorf("no quoting: %v %v", row, err)
	}
}

func TestJSONDecode(t *testing.T) {
	s := types.Schema{{Name: "Id", Type: types.BigInt}, {Name: "name", Type: types.String},
		{Name: "price", Type: types.DecimalType(18, 4)}, {Name: "ts", Type: types.Timestamp},
		{Name: "ok", Type: types.Bool}, {Name: "d", Type: types.Double}}
	f, _ := New("json", s, nil)
	cases := []struct{ in, want, err string }{
		{`{"id": 1, "name": "x", "price": 12.34567, "ts": "2020-10-10 00:00:05.5", "ok": true, "d": 1e3}`,
			"1|x|12.3457|2020-10-10 00:00:05.500|TRUE|1000", ""},
		{` { "ID" : "7" , "price":"0.00005", "ts": 1602288005000, "extra": {"a": [1, "}", {"b": null}]}, "name": {"k": [1,2]} } `,
			`7|{"k": [1,2]}|0.0001|2020-10-10 00:00:05.000|NULL|NULL`, ""},
		{`{"name":"a\"b\\c\u00e9\ud83d\ude00\n","ts":"2020-10-10T00:00:05Z","d":-0.5,"ok":null}`,
			"NULL|a\"b\\c\u00e9\U0001F600\n|NULL|2020-10-10 00:00:05.000|NULL|-0.5", ""},
		{`{"ts":"2020-10-10T02:00:05.123456+02:00","name":12.50,"price":-1e2}`,
			"NULL|12.50|-100.0000|2020-10-10 00:00:05.123|NULL|NULL", ""},
		{`{}`, "NULL|NULL|NULL|NULL|NULL|NULL", ""},
		{`{"id": 1.5}`, "", `column Id: invalid BIGINT "1.5"`},
		{`{"id": true}`, "", `column Id: expected a BIGINT, got true`},
		{`{"ts": "yesterday"}`, "", `column ts: invalid TIMESTAMP "yesterday" (expected 'YYYY-MM-DD HH:MM:SS[.fff]' or epoch milliseconds)`},
		{`{"id": 1`, "", "invalid JSON: expected ',' or '}' at character 9"},
		{`{"id": 1} x`, "", "invalid JSON: unexpected text after the object at character 11"},
		{`[1]`, "", "invalid JSON: expected an object at character 1"},
		{`{"id": nul}`, "", "invalid JSON: invalid value at character 8"},
	}
	for _, c := range cases {
		row, err := decode(t, f, c.in)
		if c.err != "" {
			if err == nil || err.Error() != c.err {
				t.Errorf("%s: error %v, want %s", c.in, err, c.err)
			}
			continue
		}
		if err != nil {
			t.Errorf("%s: %v", c.in, err)
			continue
		}
		var parts []string
		for i, v := range row {
			parts = append(parts, types.Render(v, s[i].Type))
		}
		if got := strings.Join(parts, "|"); got != c.want {
			t.Errorf("%s:\n got  %q\n want %q", c.in, got, c.want)
		}
	}
	if _, err := decode(t, f, "  "); !errors.Is(err, ErrSkipRecord) {
		t.Errorf("blank: %v", err)
	}
	strict, _ := New("json", s, map[string]string{"json.fail-on-missing-field": "true"})
	if _, err := decode(t, strict, `{"id":1,"name":null,"price":1,"ts":0,"ok":false}`); err == nil || err.Error() != "column d: missing field" {
		t.Errorf("missing field: %v", err)
	}
}

func TestParseDecimal(t *testing.T) {
	cases := []struct {
		in    string
		p, s  uint8
		want  int64
		error bool
	}{
		{"1.005", 10, 2, 101, false},
		{"-1.005", 10, 2, -101, false},
		{"1.004", 10, 2, 100, false},
		{"0.1", 18, 18, 100000000000000000, false},
		{"123456789012345678", 18, 0, 123456789012345678, false},
		{"1234567890123456789", 18, 0, 0, true},
		{"12e-3", 5, 3, 12, false},
		{"1.2E+2", 5, 1, 1200, false},
		{".5", 3, 0, 1, false},
		{"5.", 3, 0, 5, false},
		{"0.000000000000000000000001", 5, 2, 0, false},
		{"1e2000", 5, 2, 0, true},
		{"0e2000", 5, 2, 0, false},
		{"1e-2000", 5, 2, 0, false},
		{"99.995", 4, 2, 0, true},
		{"abc", 4, 2, 0, true},
		{"1.2.3", 4, 2, 0, true},
		{"-", 4, 2, 0, true},
	}
	for _, c := range cases {
		got, err := ParseDecimal([]byte(c.in), c.p, c.s)
		if (err != nil) != c.error || !c.error && got != c.want {
			t.Errorf("%s DECIMAL(%d,%d): got %d, %v; want %d (error %v)", c.in, c.p, c.s, got, err, c.want, c.error)
		}
	}
}

func TestParseTimestamp(t *testing.T) {
	cases := map[string]string{
		"2020-10-10 00:00:05":           "2020-10-10 00:00:05.000",
		"2020-10-10T00:00:05.1Z":        "2020-10-10 00:00:05.100",
		"2020-02-29 23:59:59.999999999": "2020-02-29 23:59:59.999",
		"1969-12-31 23:59:59.999":       "1969-12-31 23:59:59.999",
		"2020-1-2 3:04":                 "2020-01-02 03:04:00.000",
		"2020-10-10":                    "2020-10-10 00:00:00.000",
		"2020-10-10 01:00:00-0130":      "2020-10-10 02:30:00.000",
		"1602288005000":                 "2020-10-10 00:00:05.000",
		"-1":                            "1969-12-31 23:59:59.999",
		"1600-03-01 00:00:00":           "1600-03-01 00:00:00.000",
	}
	for in, want := range cases {
		ms, err := ParseTimestamp([]byte(in))
		if err != nil {
			t.Errorf("%s: %v", in, err)
			continue
		}
		if got := string(types.AppendTimestamp(nil, ms, 3)); got != want {
			t.Errorf("%s: got %s want %s", in, got, want)
		}
	}
	for _, bad := range []string{"2020-13-01", "2021-02-29", "2020-10-10 24:00:00", "2020-10-10 00:00:00.", "2020-10-10x", "20201010", "2020-10-10 1"} {
		if _, err := ParseTimestamp([]byte(bad)); err == nil && bad != "20201010" {
			t.Errorf("%s: expected an error", bad)
		}
	}
}

func TestOptions(t *testing.T) {
	s := types.Schema{{Name: "a", Type: types.String}, {Name: "b", Type: types.String}}
	for _, c := range []struct {
		name string
		opts map[string]string
		err  string
	}{
		{"xml", nil, "unknown format 'xml' (known: csv, json, text)"},
		{"json", map[string]string{"csv.field-delimiter": ";"}, "option 'csv.field-delimiter' does not apply to format 'json'"},
		{"csv", map[string]string{"csv.field-delimiter": ";;"}, "option 'csv.field-delimiter': expected a single ASCII character, got ';;'"},
		{"csv", map[string]string{"csv.ignore-first-line": "yes"}, "option 'csv.ignore-first-line': expected 'true' or 'false', got 'yes'"},
		{"csv", map[string]string{"csv.bogus": "1"}, "format 'csv' has no option 'csv.bogus'"},
		{"csv", map[string]string{"csv.quote-character": ","}, "the CSV quote character and field delimiter must differ"},
		{"text", nil, "format 'text' needs exactly one column, the table has 2"},
	} {
		_, err := New(c.name, s, c.opts)
		if err == nil || err.Error() != c.err {
			t.Errorf("%s %v: got %v want %s", c.name, c.opts, err, c.err)
		}
	}
}

func TestText(t *testing.T) {
	f, _ := New("text", types.Schema{{Name: "line", Type: types.String}}, nil)
	row, err := decode(t, f, "  a, \"b\" ")
	if err != nil || row[0].Str() != "  a, \"b\" " {
		t.Errorf("%v %v", row, err)
	}
	g, _ := New("raw", types.Schema{{Name: "n", Type: types.BigInt}}, nil)
	if row, err := decode(t, g, " 42 "); err != nil || row[0].Int() != 42 {
		t.Errorf("%v %v", row, err)
	}
	if _, err := decode(t, g, "x"); err == nil || err.Error() != `column n: invalid BIGINT "x"` {
		t.Errorf("%v", err)
	}
}

func BenchmarkCSVDecode(b *testing.B) {
	s := types.Schema{{Name: "auction", Type: types.BigInt}, {Name: "bidder", Type: types.BigInt},
		{Name: "price", Type: types.DecimalType(12, 2)}, {Name: "channel", Type: types.String},
		{Name: "ts", Type: types.Timestamp}}
	f, _ := New("csv", s, nil)
	d := f.NewDecoder()
	line := []byte("1000,2001,123.45,Google,2020-10-10 00:00:05.123")
	row := make([]types.Value, len(s))
	b.ReportAllocs()
	for b.Loop() {
		if err := d.Decode(line, row); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkJSONDecode(b *testing.B) {
	s := types.Schema{{Name: "auction", Type: types.BigInt}, {Name: "bidder", Type: types.BigInt},
		{Name: "price", Type: types.DecimalType(12, 2)}, {Name: "channel", Type: types.String},
		{Name: "ts", Type: types.Timestamp}, {Name: "d", Type: types.Double}}
	f, _ := New("json", s, nil)
	d := f.NewDecoder()
	line := []byte(`{"auction": 1000, "bidder": 2001, "price": 123.45, "channel": "Google", "ts": "2020-10-10 00:00:05.123", "d": 0.25, "extra": [1,2]}`)
	row := make([]types.Value, len(s))
	b.ReportAllocs()
	for b.Loop() {
		if err := d.Decode(line, row); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkCSVEncode(b *testing.B) {
	s := types.Schema{{Name: "auction", Type: types.BigInt}, {Name: "price", Type: types.DecimalType(12, 2)},
		{Name: "channel", Type: types.String}, {Name: "ts", Type: types.Timestamp}}
	f, _ := New("csv", s, nil)
	e := f.NewEncoder()
	row := []types.Value{types.IntValue(1000), types.DecimalValue(12345, 2), types.StringValue("Google"), types.TimestampValue(1602288005123)}
	var buf []byte
	b.ReportAllocs()
	for b.Loop() {
		buf = e.AppendRow(buf[:0], row)
	}
}
