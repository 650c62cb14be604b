package format

import (
	"bufio"
	"errors"
	"fmt"
	"os"
	"testing"
	"unicode/utf8"

	"github.com/streamsql/streamsql/types"
)

// fuzzSeeds returns typical records: the first lines of the bundled
// example data and the encodings of sampleRows in format f.
func fuzzSeeds(f *testing.F, name string) [][]byte {
	var out [][]byte
	if name == "csv" {
		if fh, err := os.Open("../examples/data/bids.csv"); err == nil {
			sc := bufio.NewScanner(fh)
			for i := 0; i < 20 && sc.Scan(); i++ {
				out = append(out, append([]byte(nil), sc.Bytes()...))
			}
			fh.Close()
		}
	}
	fm, err := New(name, allTypes, nil)
	if err != nil {
		f.Fatal(err)
	}
	enc := fm.NewEncoder()
	for _, row := range sampleRows(f) {
		out = append(out, enc.AppendRow(nil, row))
	}
	return out
}

// checkDecoded fails unless err is one a Decoder may return and, for a
// decoded row, every value is NULL or of its column's kind, and every
// string is valid UTF-8.
func checkDecoded(t *testing.T, schema types.Schema, rec []byte, row []types.Value, err error) {
	var de *DecodeError
	if err != nil {
		if !errors.Is(err, ErrSkipRecord) && !errors.As(err, &de) {
			t.Fatalf("%q: unexpected error type %T: %v", rec, err, err)
		}
		if err.Error() == "" {
			t.Fatalf("%q: empty error message", rec)
		}
		return
	}
	for i, v := range row {
		if v.IsNull() {
			continue
		}
		if v.Kind() != schema[i].Type.Kind {
			t.Fatalf("%q: column %s holds a %v value", rec, schema[i].Name, v.Kind())
		}
		if v.Kind() == types.KindString && !utf8.ValidString(v.Str()) {
			t.Fatalf("%q: column %s holds invalid UTF-8 %q", rec, schema[i].Name, v.Str())
		}
	}
}

// longLived holds a decoder per format and option set that lives across
// fuzz inputs, so that what a decoder remembers from record to record
// (interned strings, field order, the last timestamp's date and time) is
// exercised; its results must equal a fresh decoder's.
var longLived = map[string]Decoder{}

// checkSameAsLongLived decodes rec with the long-lived decoder of fm
// (key names fm's options) and fails unless the result equals the fresh
// decoder's (row and err).
func checkSameAsLongLived(t *testing.T, fm *Format, key string, rec []byte, row []types.Value, err error) {
	d := longLived[key]
	if d == nil {
		d = fm.NewDecoder()
		longLived[key] = d
	}
	row2 := make([]types.Value, len(row))
	err2 := d.Decode(rec, row2)
	if (err == nil) != (err2 == nil) || err != nil && err.Error() != err2.Error() {
		t.Fatalf("%q: fresh decoder %v, long-lived decoder %v", rec, err, err2)
	}
	if err == nil && !sameRow(row, row2) {
		t.Fatalf("%q: fresh decoder %v, long-lived decoder %v", rec, row, row2)
	}
}

// csvFuzzOptions maps a fuzzed byte to a set of CSV options.
func csvFuzzOptions(v uint8) map[string]string {
	o := map[string]string{}
	if v&1 != 0 {
		o["csv.null-literal"] = `\N`
	}
	if v&2 != 0 {
		o["csv.disable-quote-character"] = "true"
	}
	if v&4 != 0 {
		o["csv.field-delimiter"] = ";"
	}
	if v&8 != 0 {
		o["csv.allow-comments"] = "true"
	}
	return o
}

// FuzzCSVDecode feeds arbitrary records to the CSV decoder (under several
// option sets): it must never panic, return only ErrSkipRecord or a
// *DecodeError, decode only well-typed rows with valid UTF-8 strings, and
// decode as a decoder that saw the previous inputs does.
func FuzzCSVDecode(f *testing.F) {
	for _, s := range fuzzSeeds(f, "csv") {
		f.Add(s, uint8(0))
	}
	f.Add([]byte("\"a\"\"b\",\"\",x\xff"), uint8(0))
	f.Add([]byte(`# comment;\N;"q"`), uint8(13))
	f.Add([]byte(`1,1,1,1,1,word,2020-02-29 23:59:59.5,2020-02-29,1`), uint8(0))
	f.Add([]byte(`1,1,1,1,1,"word",2020-02-29T23:59:59.123456789Z,2020-02-29,1`), uint8(0))
	f.Add([]byte(`1,1,1,1,1,"wo""rd",2021-02-29 23:59:59,2021-02-29,1`), uint8(0))
	f.Add([]byte("1,1,1,1,1,w\xffrd,2020-02-29 23:59:60,2020-02-30,1"), uint8(1))
	f.Fuzz(func(t *testing.T, rec []byte, opts uint8) {
		fm, err := New("csv", allTypes, csvFuzzOptions(opts))
		if err != nil {
			t.Fatal(err)
		}
		row := make([]types.Value, len(allTypes))
		err = fm.NewDecoder().Decode(rec, row)
		checkDecoded(t, allTypes, rec, row, err)
		checkSameAsLongLived(t, fm, fmt.Sprint("csv", opts), rec, row, err)
	})
}

// FuzzJSONDecode does the same for the JSON decoder (with and without
// 'json.fail-on-missing-field').
func FuzzJSONDecode(f *testing.F) {
	for _, s := range fuzzSeeds(f, "json") {
		f.Add(s, false)
	}
	f.Add([]byte(`{"S": "\ud83d\ude00 \ud800", "i": "12", "x": [{"y": "}"}], "b": 1}`), false)
	f.Add([]byte(`{"s": {"k": [1, 2, "`+"\xff"+`"]}, "ts": 1602288005123, "dec": 1e3}`), true)
	f.Add([]byte(`{"s": "word", "ts": "2020-02-29 23:59:59.5", "dt": "2020-02-29"}`), false)
	f.Add([]byte(`{"ts": "2020-02-29T23:59:59.123456789Z", "s": "word", "dt": "2021-02-29"}`), false)
	f.Add([]byte(`{"S": "w\u006frd", "TS": "2020-02-29 24:00:00", "x": "word"}`), false)
	f.Add([]byte(`{"x": "word", "s": "w`+"\xff"+`rd", "ts": "2020-02-29 23:59:59"}`), false)
	f.Fuzz(func(t *testing.T, rec []byte, failMissing bool) {
		opts := map[string]string{}
		if failMissing {
			opts["json.fail-on-missing-field"] = "true"
		}
		fm, err := New("json", allTypes, opts)
		if err != nil {
			t.Fatal(err)
		}
		row := make([]types.Value, len(allTypes))
		err = fm.NewDecoder().Decode(rec, row)
		checkDecoded(t, allTypes, rec, row, err)
		checkSameAsLongLived(t, fm, fmt.Sprint("json", failMissing), rec, row, err)
	})
}
