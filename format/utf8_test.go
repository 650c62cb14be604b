package format

import (
	"strings"
	"testing"

	"github.com/streamsql/streamsql/types"
)

// TestInvalidUTF8 checks that every decoder rejects a STRING value that is
// not valid UTF-8, naming the column and the first bad byte, in every form
// the value can take (plain, quoted with escapes, raw JSON text), and
// still accepts valid multi-byte text.
func TestInvalidUTF8(t *testing.T) {
	s := types.Schema{{Name: "id", Type: types.BigInt}, {Name: "name", Type: types.String}}
	csv, _ := New("csv", s, nil)
	json, _ := New("json", s, nil)
	text, _ := New("text", types.Schema{{Name: "line", Type: types.String}}, nil)
	for _, c := range []struct {
		f    *Format
		in   string
		want string // "" when the record is valid
	}{
		{csv, "1,caf\xc3\xa9", ""},
		{csv, "1,ab\xffc", "column name: invalid UTF-8: byte 0xff at position 3 of the value"},
		{csv, "1,\"a\"\"\xc3\"", "column name: invalid UTF-8: byte 0xc3"},
		{csv, "1,\"x,\xe2\x82\"", "column name: invalid UTF-8"},
		{json, `{"id": 1, "name": "caf` + "\xc3\xa9" + `\u00e9"}`, ""},
		{json, `{"id": 1, "name": "` + "\xff" + `"}`, "column name: invalid UTF-8: byte 0xff at position 1"},
		{json, `{"id": 1, "name": "a\n` + "\xc0\xaf" + `"}`, "column name: invalid UTF-8"},
		{json, `{"id": 1, "name": {"k": "` + "\xfe" + `"}}`, "column name: invalid UTF-8"},
		{json, `{"id": 1, "other": "` + "\xff" + `", "name": "ok"}`, ""}, // not a column
		{text, "\xed\xa0\x80", "column line: invalid UTF-8"},             // an encoded surrogate
		{text, "plain", ""},
	} {
		row := make([]types.Value, len(c.f.Schema))
		err := c.f.NewDecoder().Decode([]byte(c.in), row)
		switch {
		case c.want == "" && err != nil:
			t.Errorf("%s %q: %v", c.f.Name, c.in, err)
		case c.want != "" && (err == nil || !strings.Contains(err.Error(), c.want)):
			t.Errorf("%s %q: got %v, want %q", c.f.Name, c.in, err, c.want)
		}
	}
}
