package format

import (
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"unicode/utf16"
	"unicode/utf8"

	"github.com/streamsql/streamsql/types"
)

type jsonDecoder struct {
	schema      types.Schema
	exact       map[string]int // column name as declared -> index
	lower       map[string]int // lower-cased column name -> index
	failMissing bool
	seen        []uint32 // generation at which each column was last set
	gen         uint32
	keybuf      []byte
	scratch     []byte
	scalars     scalarParser
	strs        *interner
	known       []knownKey // by field position
}

func newJSONDecoder(f *Format) *jsonDecoder {
	d := &jsonDecoder{schema: f.Schema, exact: map[string]int{}, lower: map[string]int{},
		failMissing: f.Options.FailOnMissingField, strs: newInterner(len(f.Schema)),
		known: make([]knownKey, maxKnownKeys)}
	for i := len(f.Schema) - 1; i >= 0; i-- { // first declared wins on a clash
		d.exact[f.Schema[i].Name] = i
		d.lower[strings.ToLower(f.Schema[i].Name)] = i
	}
	if d.failMissing {
		d.seen = make([]uint32, len(f.Schema))
	}
	return d
}

func jsonErr(format string, a ...any) *DecodeError {
	return &DecodeError{Reason: "invalid JSON: " + fmt.Sprintf(format, a...)}
}

func skipWS(b []byte, i int) int {
	for i < len(b) && (b[i] == ' ' || b[i] == '\t' || b[i] == '\r' || b[i] == '\n') {
		i++
	}
	return i
}

func (d *jsonDecoder) Decode(rec []byte, row []types.Value) error {
	i := skipWS(rec, 0)
	if i == len(rec) {
		return ErrSkipRecord
	}
	if rec[i] != '{' {
		return jsonErr("expected an object at character %d", i+1)
	}
	clear(row)
	if d.failMissing {
		d.gen++
	}
	st := jsonState{rec: rec}
	nkey := 0 // fields seen so far
	i = skipWS(rec, i+1)
	if i < len(rec) && rec[i] == '}' {
		i++
	} else {
		for {
			if i >= len(rec) || rec[i] != '"' {
				return jsonErr("expected a field name at character %d", i+1)
			}
			j, esc, ok := scanString(rec, i)
			if !ok {
				return jsonErr("unterminated string at character %d", i+1)
			}
			key := rec[i+1 : j-1]
			if esc {
				var err error
				if d.keybuf, err = unescapeJSON(d.keybuf[:0], key); err != nil {
					return jsonErr("%v in the field name at character %d", err, i+1)
				}
				key = d.keybuf
			}
			col := d.lookupAt(nkey, key)
			nkey++
			i = skipWS(rec, j)
			if i >= len(rec) || rec[i] != ':' {
				return jsonErr("expected ':' at character %d", i+1)
			}
			i = skipWS(rec, i+1)
			var err error
			if col < 0 {
				i, err = skipValue(rec, i)
			} else {
				i, err = d.value(&st, i, col, row)
				if d.failMissing {
					d.seen[col] = d.gen
				}
			}
			if err != nil {
				return err
			}
			i = skipWS(rec, i)
			if i < len(rec) && rec[i] == ',' {
				i = skipWS(rec, i+1)
				continue
			}
			if i < len(rec) && rec[i] == '}' {
				i++
				break
			}
			return jsonErr("expected ',' or '}' at character %d", i+1)
		}
	}
	if i = skipWS(rec, i); i != len(rec) {
		return jsonErr("unexpected text after the object at character %d", i+1)
	}
	if d.failMissing {
		for c, g := range d.seen {
			if g != d.gen {
				return &DecodeError{Column: d.schema[c].Name, Reason: "missing field"}
			}
		}
	}
	return nil
}

// A record's fields mostly come in the same order as the previous
// record's: the decoder remembers, for each of the first maxKnownKeys
// field positions, the name last seen there and its column, and looks a
// name up in the maps only when it differs. A position whose name changed
// more than maxKeyChanges times keeps its last entry (its names then go
// through the maps).
const (
	maxKnownKeys  = 64
	maxKeyChanges = 8
)

type knownKey struct {
	name    string
	col     int // -1: not a column
	changes int
}

// lookupAt returns the column of field name key, the n-th field of the record.
func (d *jsonDecoder) lookupAt(n int, key []byte) int {
	if n < len(d.known) {
		k := &d.known[n]
		if k.changes > 0 && k.name == string(key) {
			return k.col
		}
		if k.changes < maxKeyChanges {
			name := string(key) // before lookup, which may change key
			k.name, k.col = name, d.lookup(key)
			k.changes++
			return k.col
		}
	}
	return d.lookup(key)
}

func (d *jsonDecoder) lookup(key []byte) int {
	if c, ok := d.exact[string(key)]; ok {
		return c
	}
	d.keybuf = d.keybuf[:0]
	for _, c := range key {
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		d.keybuf = append(d.keybuf, c)
	}
	if c, ok := d.lower[string(d.keybuf)]; ok {
		return c
	}
	return -1
}

// jsonState holds the record being decoded and, once made, its string
// copy (string fields share it).
type jsonState struct {
	rec      []byte
	line     string
	haveLine bool
}

func (s *jsonState) sub(from, to int) string {
	if !s.haveLine {
		s.line, s.haveLine = string(s.rec), true
	}
	return s.line[from:to]
}

// value decodes the JSON value at rec[i] into row[col] and returns the index after it.
func (d *jsonDecoder) value(st *jsonState, i, col int, row []types.Value) (int, error) {
	rec := st.rec
	c := &d.schema[col]
	t := c.Type
	if i >= len(rec) {
		return i, jsonErr("expected a value at character %d", i+1)
	}
	colErr := func(err error) error { return &DecodeError{Column: c.Name, Reason: err.Error()} }
	switch b := rec[i]; {
	case b == '"':
		j, esc, ok := scanString(rec, i)
		if !ok {
			return i, jsonErr("unterminated string at character %d", i+1)
		}
		content := rec[i+1 : j-1]
		if esc {
			var err error
			if d.scratch, err = unescapeJSON(d.scratch[:0], content); err != nil {
				return i, jsonErr("%v at character %d", err, i+1)
			}
			content = d.scratch
		}
		if t.Kind == types.KindString {
			str, res := d.strs.lookup(col, content)
			if res != internHit {
				if err := checkUTF8(content, c.Name); err != nil {
					return i, err
				}
			}
			switch {
			case res == internMiss:
				str = d.strs.add(content)
			case res == internSkip && esc:
				str = string(content)
			case res == internSkip:
				str = st.sub(i+1, j-1)
			}
			row[col] = types.StringValue(str)
			return j, nil
		}
		v, err := d.scalars.parse(content, t)
		if err != nil {
			return i, colErr(err)
		}
		row[col] = v
		return j, nil
	case b == 'n':
		if !hasLiteral(rec, i, "null") {
			return i, jsonErr("invalid value at character %d", i+1)
		}
		row[col] = types.Value{}
		return i + 4, nil
	case b == 't' || b == 'f':
		lit := "true"
		if b == 'f' {
			lit = "false"
		}
		if !hasLiteral(rec, i, lit) {
			return i, jsonErr("invalid value at character %d", i+1)
		}
		switch t.Kind {
		case types.KindBool:
			row[col] = types.BoolValue(b == 't')
		case types.KindString:
			row[col] = types.StringValue(lit)
		default:
			return i, colErr(fmt.Errorf("expected a %s, got %s", t.Nullable(), lit))
		}
		return i + len(lit), nil
	case b == '-' || b >= '0' && b <= '9':
		j := i + 1
		for j < len(rec) && isNumChar(rec[j]) {
			j++
		}
		num := rec[i:j]
		var err error
		switch t.Kind {
		case types.KindInt:
			var v int64
			v, err = ParseInt(num, t)
			row[col] = types.IntValue(v)
		case types.KindDouble:
			var v float64
			v, err = ParseDouble(num)
			row[col] = types.DoubleValue(v)
		case types.KindDecimal:
			var v int64
			v, err = ParseDecimal(num, t.Precision, t.Scale)
			row[col] = types.DecimalValue(v, t.Scale)
		case types.KindString:
			row[col] = types.StringValue(st.sub(i, j))
		case types.KindTimestamp, types.KindDate, types.KindInterval, types.KindBool:
			var v types.Value
			if t.Kind != types.KindBool && !isInteger(num) {
				err = fmt.Errorf("expected an integer for %s, got %s", t.Nullable(), num)
			} else {
				v, err = parseScalar(num, t)
			}
			row[col] = v
		default:
			err = fmt.Errorf("cannot read a value of type %s", t)
		}
		if err != nil {
			return i, colErr(err)
		}
		return j, nil
	case b == '{' || b == '[':
		j, err := skipValue(rec, i)
		if err != nil {
			return i, err
		}
		if t.Kind != types.KindString {
			what := "an object"
			if b == '[' {
				what = "an array"
			}
			return i, colErr(fmt.Errorf("expected a %s, got %s", t.Nullable(), what))
		}
		if err := checkUTF8(rec[i:j], c.Name); err != nil {
			return i, err
		}
		row[col] = types.StringValue(st.sub(i, j))
		return j, nil
	}
	return i, jsonErr("invalid value at character %d", i+1)
}

func isNumChar(c byte) bool {
	return c >= '0' && c <= '9' || c == '.' || c == 'e' || c == 'E' || c == '+' || c == '-'
}

func hasLiteral(b []byte, i int, lit string) bool {
	if len(b)-i < len(lit) || string(b[i:i+len(lit)]) != lit {
		return false
	}
	j := i + len(lit)
	return j == len(b) || !(b[j] >= 'a' && b[j] <= 'z' || b[j] >= '0' && b[j] <= '9')
}

// scanString scans the string starting with the quote at b[i]; it returns
// the index after the closing quote and whether the string has escapes.
func scanString(b []byte, i int) (int, bool, bool) {
	for j := i + 1; j < len(b); j++ {
		switch b[j] {
		case '"':
			return j + 1, false, true
		case '\\':
			return scanEscapedString(b, j)
		}
	}
	return len(b), false, false
}

// scanEscapedString is scanString from the first backslash, at b[j].
func scanEscapedString(b []byte, j int) (int, bool, bool) {
	for j += 2; j < len(b); j++ {
		switch b[j] {
		case '"':
			return j + 1, true, true
		case '\\':
			j++
		}
	}
	return len(b), true, false
}

// skipValue returns the index after the JSON value at b[i].
func skipValue(b []byte, i int) (int, error) {
	if i >= len(b) {
		return i, jsonErr("expected a value at character %d", i+1)
	}
	switch b[i] {
	case '"':
		j, _, ok := scanString(b, i)
		if !ok {
			return i, jsonErr("unterminated string at character %d", i+1)
		}
		return j, nil
	case '{', '[':
		depth := 0
		for j := i; j < len(b); j++ {
			switch b[j] {
			case '"':
				k, _, ok := scanString(b, j)
				if !ok {
					return i, jsonErr("unterminated string at character %d", j+1)
				}
				j = k - 1
			case '{', '[':
				depth++
			case '}', ']':
				depth--
				if depth == 0 {
					return j + 1, nil
				}
			}
		}
		return i, jsonErr("unterminated %s at character %d", map[byte]string{'{': "object", '[': "array"}[b[i]], i+1)
	}
	j := i
	for j < len(b) && (isNumChar(b[j]) || b[j] >= 'a' && b[j] <= 'z') {
		j++
	}
	tok := b[i:j]
	if j == i || !(string(tok) == "true" || string(tok) == "false" || string(tok) == "null" || isNumChar(tok[0]) && tok[0] != '.' && tok[0] != 'e' && tok[0] != 'E' && tok[0] != '+') {
		return i, jsonErr("invalid value at character %d", i+1)
	}
	return j, nil
}

var errEscape = errors.New("invalid escape")

// unescapeJSON appends the unescaped content of a JSON string to dst.
func unescapeJSON(dst, s []byte) ([]byte, error) {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c != '\\' {
			dst = append(dst, c)
			continue
		}
		i++
		if i >= len(s) {
			return dst, errEscape
		}
		switch s[i] {
		case '"', '\\', '/':
			dst = append(dst, s[i])
		case 'b':
			dst = append(dst, '\b')
		case 'f':
			dst = append(dst, '\f')
		case 'n':
			dst = append(dst, '\n')
		case 'r':
			dst = append(dst, '\r')
		case 't':
			dst = append(dst, '\t')
		case 'u':
			r, ok := hex4(s, i+1)
			if !ok {
				return dst, errEscape
			}
			i += 4
			if utf16.IsSurrogate(r) {
				if r2, ok := hex4(s, i+3); ok && i+2 < len(s) && s[i+1] == '\\' && s[i+2] == 'u' {
					if dec := utf16.DecodeRune(r, r2); dec != utf8.RuneError {
						r = dec
						i += 6
					}
				}
			}
			dst = utf8.AppendRune(dst, r)
		default:
			return dst, errEscape
		}
	}
	return dst, nil
}

func hex4(s []byte, i int) (rune, bool) {
	if i+4 > len(s) {
		return 0, false
	}
	var r rune
	for _, c := range s[i : i+4] {
		switch {
		case c >= '0' && c <= '9':
			c -= '0'
		case c >= 'a' && c <= 'f':
			c = c - 'a' + 10
		case c >= 'A' && c <= 'F':
			c = c - 'A' + 10
		default:
			return 0, false
		}
		r = r<<4 | rune(c)
	}
	return r, true
}

type jsonEncoder struct {
	schema types.Schema
	keys   [][]byte // `{"a":` for the first column, `,"b":` for the others
}

func newJSONEncoder(f *Format) *jsonEncoder {
	e := &jsonEncoder{schema: f.Schema, keys: make([][]byte, len(f.Schema))}
	for i, c := range f.Schema {
		k := []byte{','}
		if i == 0 {
			k[0] = '{'
		}
		k = AppendJSONString(k, c.Name)
		e.keys[i] = append(k, ':')
	}
	return e
}

func (e *jsonEncoder) AppendRow(buf []byte, row []types.Value) []byte {
	if len(row) == 0 {
		return append(buf, "{}"...)
	}
	for i, v := range row {
		buf = append(buf, e.keys[i]...)
		switch v.Kind() {
		case types.KindNull:
			buf = append(buf, "null"...)
		case types.KindBool:
			if v.Bool() {
				buf = append(buf, "true"...)
			} else {
				buf = append(buf, "false"...)
			}
		case types.KindInt:
			buf = strconv.AppendInt(buf, v.Int(), 10)
		case types.KindDouble:
			f := v.Double()
			if math.IsNaN(f) || math.IsInf(f, 0) {
				buf = append(buf, '"')
				buf = strconv.AppendFloat(buf, f, 'g', -1, 64)
				buf = append(buf, '"')
			} else {
				buf = strconv.AppendFloat(buf, f, 'g', -1, 64)
			}
		case types.KindDecimal:
			buf = types.AppendRender(buf, v, e.schema[i].Type)
		case types.KindString:
			buf = AppendJSONString(buf, v.Str())
		default:
			buf = append(buf, '"')
			buf = types.AppendRender(buf, v, e.schema[i].Type)
			buf = append(buf, '"')
		}
	}
	return append(buf, '}')
}

const hexDigits = "0123456789abcdef"

// AppendJSONString appends s as a quoted JSON string.
func AppendJSONString(buf []byte, s string) []byte {
	buf = append(buf, '"')
	start := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= 0x20 && c != '"' && c != '\\' {
			continue
		}
		buf = append(buf, s[start:i]...)
		switch c {
		case '"', '\\':
			buf = append(buf, '\\', c)
		case '\n':
			buf = append(buf, '\\', 'n')
		case '\r':
			buf = append(buf, '\\', 'r')
		case '\t':
			buf = append(buf, '\\', 't')
		default:
			buf = append(buf, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&15])
		}
		start = i + 1
	}
	buf = append(buf, s[start:]...)
	return append(buf, '"')
}
