package format

import (
	"bufio"
	"errors"
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
// *DecodeError, and decode only well-typed rows with valid UTF-8 strings.
func FuzzCSVDecode(f *testing.F) {
	for _, s := range fuzzSeeds(f, "csv") {
		f.Add(s, uint8(0))
	}
	f.Add([]byte("\"a\"\"b\",\"\",x\xff"), uint8(0))
	f.Add([]byte(`# comment;\N;"q"`), uint8(13))
	f.Fuzz(func(t *testing.T, rec []byte, opts uint8) {
		fm, err := New("csv", allTypes, csvFuzzOptions(opts))
		if err != nil {
			t.Fatal(err)
		}
		row := make([]types.Value, len(allTypes))
		err = fm.NewDecoder().Decode(rec, row)
		checkDecoded(t, allTypes, rec, row, err)
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
	})
}
