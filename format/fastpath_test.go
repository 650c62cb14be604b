package format

import (
	"bytes"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/streamsql/streamsql/types"
)

// timestampEdgeCases are timestamp texts around the canonical form: leap
// days, every fraction width, separators, zones and offsets, fields out of
// range or of the wrong width, spaces, non-ASCII digits.
var timestampEdgeCases = []string{
	"2020-10-10 00:00:05", "2020-10-10 00:00:05.123", "2020-10-10T00:00:05.123", "2020-10-10t00:00:05.123",
	"2020-10-10 00:00:05Z", "2020-10-10 00:00:05.123z", "2020-10-10 00:00:05.1Z",
	"2020-10-10 00:00:05.", "2020-10-10 00:00:05.Z", "2020-10-10 00:00:05.1234567890",
	"2020-10-10 00:00:05.1", "2020-10-10 00:00:05.12", "2020-10-10 00:00:05.1234", "2020-10-10 00:00:05.12345",
	"2020-10-10 00:00:05.123456", "2020-10-10 00:00:05.1234567", "2020-10-10 00:00:05.12345678",
	"2020-10-10 00:00:05.123456789", "2020-10-10 00:00:05.999999999",
	// leap days and month lengths
	"2020-02-29 12:00:00", "2021-02-29 12:00:00", "1900-02-29 12:00:00", "2000-02-29 12:00:00",
	"0000-02-29 00:00:00", "2100-02-29 00:00:00", "2400-02-29 00:00:00", "2019-02-28 23:59:59.999",
	"2020-04-31 00:00:00", "2020-04-30 00:00:00", "2020-12-31 23:59:59.999", "2020-01-31 00:00:00",
	"2020-02-30 00:00:00", "2020-06-31 00:00:00", "2020-09-31 00:00:00", "2020-11-31 00:00:00",
	// fields out of range
	"2020-00-10 00:00:00", "2020-13-10 00:00:00", "2020-10-00 00:00:00", "2020-10-32 00:00:00",
	"2020-10-10 24:00:00", "2020-10-10 23:60:00", "2020-10-10 23:59:60", "2020-10-10 99:99:99",
	// before the epoch, first and last years
	"1969-12-31 23:59:59.999", "1969-12-31 23:59:59.9999", "1970-01-01 00:00:00", "0001-01-01 00:00:00",
	"0000-01-01 00:00:00", "9999-12-31 23:59:59.999999999", "1600-03-01 00:00:00",
	// offsets (the general path)
	"2020-10-10 02:00:05.123456+02:00", "2020-10-10 01:00:00-0130", "2020-10-10 01:00:00+02",
	"2020-10-10 01:00:00+2", "2020-10-10 01:00:00+19:00", "2020-10-10 01:00:00+02:60", "2020-10-10 01:00:00Z+01",
	// other widths and forms
	"2020-1-2 3:04", "2020-10-10 0:00:05", "2020-10-10 00:0:05", "2020-10-10 00:00:5", "2020-10-10 00:00",
	"2020-10-10", "2020-10-10 ", "2020-10-10 1", "20201010", "1602288005000", "-1", "+5", "99999999999999999999",
	"20-10-10 00:00:05", "02020-10-10 00:00:05", "2020/10/10 00:00:05", "2020-10-10_00:00:05",
	"2020-10-10  00:00:05", "2020-10-10 00-00-05", "2020-10-10 00:00:05 ", " 2020-10-10 00:00:05",
	"2020-10-10 00:00:05.123 ", "2020-10-10 00:00:05.123Zx", "2020-10-10 00:00:05.123ZZ",
	"2020-10-10 00:00:05,123", "2020-10-1O 00:00:05", "２０２０-10-10 00:00:05", "2020-10-10 00:00:0٥",
	"2020-10-10 00:00:05\x00", "2020-10-10 00:00:05.12\xff", "", " ", "yesterday",
}

// mutations returns s with each byte replaced by each of a few others,
// and every prefix of s.
func mutations(s string) []string {
	out := []string{}
	for i := range s {
		for _, c := range []byte("09-: T.Zz+x/\xff") {
			b := []byte(s)
			b[i] = c
			out = append(out, string(b))
		}
		out = append(out, s[:i])
	}
	return out
}

func sameResult(v1 int64, e1 error, v2 int64, e2 error) bool {
	if (e1 == nil) != (e2 == nil) {
		return false
	}
	if e1 != nil {
		return e1.Error() == e2.Error()
	}
	return v1 == v2
}

// TestTimestampFastPath checks that ParseTimestamp (which tries the
// canonical form first) returns what the general parser returns, value
// and error message, for edge cases and every one-byte mutation of
// canonical texts, with and without a date cache carried over from the
// previous text; and that every text the fast path accepts means what
// time.Parse says it means.
func TestTimestampFastPath(t *testing.T) {
	cases := append([]string(nil), timestampEdgeCases...)
	for _, s := range []string{"2020-02-29 23:59:59.123456789Z", "1999-12-31T00:00:00.5", "2020-10-10 00:00:05"} {
		cases = append(cases, mutations(s)...)
	}
	var dates dateCache
	fast := 0
	for _, s := range cases {
		want, wantErr := parseTimestampGeneral([]byte(s))
		got, err := ParseTimestamp([]byte(s))
		if !sameResult(got, err, want, wantErr) {
			t.Errorf("%q: ParseTimestamp %d, %v; general path %d, %v", s, got, err, want, wantErr)
		}
		// the cached path, after the previous case filled the cache
		if ms, ok := parseTimestampFast([]byte(s), &dates); ok {
			if wantErr != nil || ms != want {
				t.Errorf("%q: cached fast path %d; general path %d, %v", s, ms, want, wantErr)
			}
		}
		ms, ok := parseTimestampFast([]byte(s), nil)
		if !ok {
			continue
		}
		fast++
		if wantErr != nil || ms != want {
			t.Errorf("%q: fast path %d; general path %d, %v", s, ms, want, wantErr)
		}
		// independent check: time.Parse, fraction digits beyond milliseconds truncated
		text := strings.Map(func(r rune) rune {
			if r == 'T' || r == 't' {
				return ' '
			}
			return r
		}, strings.TrimRight(s, "Zz"))
		tm, perr := time.Parse("2006-01-02 15:04:05.999999999", text)
		if perr != nil {
			t.Errorf("%q: fast path accepts it, time.Parse says %v", s, perr)
			continue
		}
		if ref := tm.Unix()*1000 + int64(tm.Nanosecond()/1e6); ms != ref {
			t.Errorf("%q: fast path %d, time.Parse %d", s, ms, ref)
		}
	}
	if fast < 40 {
		t.Errorf("only %d cases took the fast path", fast)
	}
}

// TestDateFastPath does the same for DATE texts.
func TestDateFastPath(t *testing.T) {
	cases := []string{"2020-02-29", "2021-02-29", "1900-02-29", "2000-02-29", "0000-02-29", "2020-04-31",
		"2020-00-01", "2020-13-01", "2020-01-00", "2020-01-32", "2020-1-01", "2020-01-1", "20-01-01",
		"2020-01-01 ", " 2020-01-01", "18000", "-1", "2020/01/01", "9999-12-31", "0001-01-01"}
	cases = append(cases, mutations("2020-02-29")...)
	for _, s := range cases {
		want, wantErr := parseDateGeneral([]byte(s))
		got, err := ParseDate([]byte(s))
		if !sameResult(got, err, want, wantErr) {
			t.Errorf("%q: ParseDate %d, %v; general path %d, %v", s, got, err, want, wantErr)
		}
		if d, ok := parseDateFast([]byte(s)); ok {
			tm, perr := time.Parse("2006-01-02", s)
			if perr != nil || d != tm.Unix()/86400 {
				t.Errorf("%q: fast path %d; time.Parse %v, %v", s, d, tm, perr)
			}
		}
	}
}

// decodeResult renders what a decoder made of a record: the values with
// their kinds, or the error.
func decodeResult(d Decoder, schema types.Schema, rec string) string {
	row := make([]types.Value, len(schema))
	for i := range row {
		row[i] = types.StringValue("stale") // Decode must set every value
	}
	if err := d.Decode([]byte(rec), row); err != nil {
		if errors.Is(err, ErrSkipRecord) {
			return "skip"
		}
		return "error: " + err.Error()
	}
	var sb strings.Builder
	for i, v := range row {
		fmt.Fprintf(&sb, "%v:%q ", v.Kind(), types.Render(v, schema[i].Type))
	}
	return sb.String()
}

var decoderStateSchema = types.Schema{
	{Name: "word", Type: types.String}, {Name: "ts", Type: types.Timestamp}, {Name: "Name", Type: types.String},
	{Name: "n", Type: types.BigInt}, {Name: "dt", Type: types.Date},
}

var csvStateRecords = []string{
	"hello,2020-10-10 00:00:05.123,world,1,2020-10-10",
	"hello,2020-10-10 00:00:05.124,world,2,2020-10-10",
	`"hello",2020-10-10T00:00:05Z,"wor""ld",3,2020-10-11`,
	`"he,llo","2020-10-10 00:00:05.123","",4,"2020-02-29"`,
	" hello , 2020-10-10 00:00:05.123 , world ,5, 2020-10-10 ",
	"héllo,2020-02-29 23:59:59.999999,wörld 😀,6,2020-02-29",
	"héllo,2021-02-29 23:59:59,wörld,7,2021-02-28",
	"h\xffllo,2020-10-10 00:00:05,world,8,2020-10-10",
	"hello,2020-10-10 00:00:05,w\xc3,9,2020-10-10",
	`"a""b",2020-10-10 01:00:00+02:00,"a""b",10,18000`,
	"a\"b,2020-10-10 01:00:00-0130,x,11,-1",
	",,,,",
	`"","","","",""`,
	"hello,2020-10-10 00:00:05.123,world,1",
	"hello,2020-10-10 00:00:05.123,world,1,2020-10-10,extra",
	"hello,2020-10-10 24:00:00,world,1,2020-10-10",
	"hello,2020-10-10 00:00:05.1234567890,world,1,2020-10-10",
	"hello,1602288005123,world,1,2020-10-10",
	"012345678901234567890123456789012,2020-10-10 00:00:05,0123456789012345678901234567890123456789,1,2020-10-10",
	`"unterminated,2020-10-10 00:00:05,world,1,2020-10-10`,
	`"hello"x,2020-10-10 00:00:05,world,1,2020-10-10`,
}

var jsonStateRecords = []string{
	`{"word": "hello", "ts": "2020-10-10 00:00:05.123", "Name": "world", "n": 1, "dt": "2020-10-10"}`,
	`{"word": "hello", "ts": "2020-10-10 00:00:05.124", "Name": "world", "n": 2, "dt": "2020-10-10"}`,
	`{"ts": "2020-10-10T00:00:05Z", "word": "hello", "n": 3, "name": "world"}`,
	`{"WORD": "hello", "TS": 1602288005123, "NAME": "x", "N": "4", "DT": 18000}`,
	`{"word": "h\u00e9llo", "ts": " 2020-10-10 00:00:05 ", "Name": "w\"o\\rld\n", "n": 5}`,
	`{"w\u006frd": "hello", "t\u0073": "2020-02-29 23:59:59.999999", "Name": "😀", "other": {"word": "x"}}`,
	`{"word": "héllo", "ts": "2021-02-29 00:00:00", "Name": "wörld"}`,
	`{"word": "h` + "\xff" + `llo", "ts": "2020-10-10 00:00:05"}`,
	`{"word": "hello", "ts": "2020-10-10 00:00:05", "Name": "w` + "\xc3" + `"}`,
	`{"word": ["hello", 1], "ts": null, "Name": 12.50, "n": null, "dt": "2020-02-29"}`,
	`{"word": true, "Name": false, "ts": "2020-10-10 01:00:00+02:00", "n": -7}`,
	`{"x": 1, "y": 2, "word": "hello", "z": 3}`,
	`{"word": "hello", "word": "bye"}`,
	`{}`,
	`  `,
	`{"word": "hello", "ts": "2020-10-10 00:00:05"`,
	`{"word": "hello", "ts": 1.5}`,
	`{"word": "012345678901234567890123456789012", "Name": "0123456789012345678901234567890123456789"}`,
	`{"word": "hello", "ts": "2020-10-10 00:00:05", "n": 99999999999999999999}`,
	`{"word": "a\ud800b", "Name": "\u0000"}`,
	`{"word": "bad \q escape"}`,
}

// TestDecoderStateKeepsResults decodes records with one long-lived
// decoder (whose interned strings, remembered field order and last date
// carry over from record to record) in several orders and repetitions, and
// compares every result with that of a fresh decoder.
func TestDecoderStateKeepsResults(t *testing.T) {
	for _, c := range []struct {
		name string
		opts map[string]string
		recs []string
	}{
		{"csv", nil, csvStateRecords},
		{"csv", map[string]string{"csv.null-literal": "world"}, csvStateRecords},
		{"csv", map[string]string{"csv.quote-character": "\xa9"}, []string{"é,1,x,1,2020-01-01", "\xa9\xc3\xa9\xa9\xa9,1,x,1,2020-01-01", "\xa9é\xa9,1,é,1,2020-01-01",
			"\xa9\xe2\xa9\xa9\xa9,1,x,1,2020-01-01", "\xe2\xa9,1,x,1,2020-01-01", "x,1,\xe2\xa9,1,2020-01-01"}},
		{"json", nil, jsonStateRecords},
		{"json", map[string]string{"json.fail-on-missing-field": "true"}, jsonStateRecords},
	} {
		f, err := New(c.name, decoderStateSchema, c.opts)
		if err != nil {
			t.Fatal(err)
		}
		long := f.NewDecoder()
		// forward, backward, and each record many times in a row
		var order []int
		for i := range c.recs {
			order = append(order, i)
		}
		for i := range c.recs {
			order = append(order, len(c.recs)-1-i)
		}
		for i := range c.recs {
			for range 3 {
				order = append(order, i)
			}
		}
		for _, i := range order {
			rec := c.recs[i]
			want := decodeResult(f.NewDecoder(), f.Schema, rec)
			if got := decodeResult(long, f.Schema, rec); got != want {
				t.Errorf("%s %v %q:\n long-lived decoder %s\n fresh decoder      %s", c.name, c.opts, rec, got, want)
			}
		}
	}
}

// TestInternerPausesAndResumes feeds a STRING column values that never
// repeat (the column's lookups pause, longer and longer) and then a few
// repeated ones: every value stays right, and the repeated ones come from
// the table again once lookups resume.
func TestInternerPausesAndResumes(t *testing.T) {
	f, _ := New("csv", types.Schema{{Name: "s", Type: types.String}, {Name: "n", Type: types.BigInt}}, nil)
	d := f.NewDecoder().(*csvDecoder)
	row := make([]types.Value, 2)
	const unique = 12 * internPause
	for i := range unique + internPause + 2*internWindow {
		s := fmt.Sprintf("v%d", i)
		if i >= unique {
			s = fmt.Sprintf("r%d", i%8)
		}
		if err := d.Decode([]byte(s+",1"), row); err != nil || row[0].Str() != s {
			t.Fatalf("record %d: %v %v", i, row, err)
		}
		if i == internWindow && d.strs.cols[0].paused == 0 {
			t.Fatalf("lookups not paused after %d distinct values", internWindow)
		}
		if i == unique-1 && d.strs.cols[0].nextPause != internPause {
			t.Fatalf("the pause did not grow to %d values: next pause %d", internPause, d.strs.cols[0].nextPause)
		}
	}
	if d.strs.cols[0].paused != 0 {
		t.Fatalf("lookups still paused")
	}
	for i := range 8 {
		s := fmt.Sprintf("r%d", i)
		if _, res := d.strs.lookup(0, []byte(s)); res != internHit {
			t.Errorf("%s: not in the table after lookups resumed", s)
		}
	}
}

// TestInternerDistinguishesTexts takes texts of every length up to beyond
// internMaxLen that differ from each other in one byte or only in length:
// a slot of the table holds each text and no other, and one decoder
// decoding all of them twice over decodes every value as itself.
func TestInternerDistinguishesTexts(t *testing.T) {
	f, _ := New("csv", types.Schema{{Name: "s", Type: types.String}}, nil)
	d := f.NewDecoder()
	var texts []string
	for n := 1; n <= internMaxLen+8; n++ {
		base := strings.Repeat("x", n)
		texts = append(texts, base)
		for p := range n {
			b := []byte(base)
			b[p] = 'y'
			texts = append(texts, string(b))
		}
	}
	for _, a := range texts {
		k0, k1 := internKey([]byte(a))
		e := internSlot{s: a, k0: k0, k1: k1}
		for _, b := range texts {
			k0, k1 := internKey([]byte(b))
			if e.holds(k0, k1, []byte(b)) != (a == b) {
				t.Fatalf("a slot of %q holds %q: %v", a, b, a != b)
			}
		}
	}
	row := make([]types.Value, 1)
	for round := range 2 {
		for _, s := range texts {
			if err := d.Decode([]byte(s), row); err != nil || row[0].Str() != s {
				t.Fatalf("round %d: %q decoded as %q, %v", round, s, row[0].Str(), err)
			}
		}
	}
}

// TestIndexByte compares indexByte with bytes.IndexByte for every length
// up to beyond its word loop and every position of the byte, with other
// bytes around it that differ from it by one bit or a borrow.
func TestIndexByte(t *testing.T) {
	for _, c := range []byte{',', ';', '\t', 0, 0x80, 0xff, '|'} {
		for n := 0; n <= 100; n++ {
			for p := -1; p < n; p++ {
				b := make([]byte, n)
				for i := range b {
					b[i] = []byte{c ^ 1, c + 1, c - 1, c ^ 0x80, 'a'}[i%5]
				}
				if p >= 0 {
					b[p] = c
					if p+1 < n {
						b[p+1] = c // a second one after the first
					}
				}
				if got, want := indexByte(b, c), bytes.IndexByte(b, c); got != want {
					t.Fatalf("byte %#x in %q: %d, want %d", c, b, got, want)
				}
			}
		}
	}
}
