package format

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"math/bits"

	"github.com/streamsql/streamsql/types"
)

type csvDecoder struct {
	schema   types.Schema
	delim    byte
	quote    byte // 0: quoting disabled
	null     string
	hasNull  bool
	comments bool
	scratch  []byte
	strs     *interner
	scalars  scalarParser
}

func newCSVDecoder(f *Format) *csvDecoder {
	o := f.Options
	return &csvDecoder{schema: f.Schema, delim: o.FieldDelimiter, quote: o.QuoteChar,
		null: o.NullLiteral, hasNull: o.HasNullLiteral, comments: o.AllowComments,
		strs: newInterner(len(f.Schema))}
}

func (d *csvDecoder) Decode(rec []byte, row []types.Value) error {
	n := len(d.schema)
	if len(rec) == 0 {
		if n == 1 {
			row[0] = types.Value{}
			return nil
		}
		return ErrSkipRecord
	}
	if d.comments && rec[0] == '#' {
		return ErrSkipRecord
	}
	var line string // rec as a string, made on the first string field
	haveLine := false
	col, i := 0, 0
	for {
		if col == n {
			return &DecodeError{Reason: fmt.Sprintf("expected %d fields, found %d", n, col+1+bytes.Count(rec[i:], []byte{d.delim}))}
		}
		var field []byte
		quoted, escaped := false, false
		start := i
		if d.quote != 0 && i < len(rec) && rec[i] == d.quote {
			quoted = true
			start = i + 1
			j := start
			for {
				k := bytes.IndexByte(rec[j:], d.quote)
				if k < 0 {
					return &DecodeError{Column: d.schema[col].Name, Reason: "unterminated quoted field"}
				}
				j += k
				if j+1 < len(rec) && rec[j+1] == d.quote {
					escaped = true
					j += 2
					continue
				}
				break
			}
			field = rec[start:j]
			i = j + 1
			if i < len(rec) && rec[i] != d.delim {
				return &DecodeError{Column: d.schema[col].Name, Reason: fmt.Sprintf("unexpected %q after a closing quote", rec[i])}
			}
		} else {
			k := indexByte(rec[i:], d.delim)
			if k < 0 {
				field = rec[i:]
				i = len(rec)
			} else {
				field = rec[i : i+k]
				i += k
			}
		}
		c := &d.schema[col]
		switch {
		case !quoted && (len(field) == 0 || d.hasNull && string(field) == d.null):
			row[col] = types.Value{}
		case c.Type.Kind == types.KindString:
			if escaped {
				if err := checkUTF8(field, c.Name); err != nil {
					return err
				}
				d.scratch = unescapeQuotes(d.scratch[:0], field, d.quote)
				row[col] = types.StringValue(string(d.scratch))
				break
			}
			str, res := d.strs.lookup(col, field)
			if res != internHit { // a hit was valid UTF-8 when it entered the table
				if err := checkUTF8(field, c.Name); err != nil {
					return err
				}
				if res == internMiss {
					str = d.strs.add(field)
				} else {
					if !haveLine {
						line, haveLine = string(rec), true
					}
					str = line[start : start+len(field)]
				}
			}
			row[col] = types.StringValue(str)
		default:
			if escaped {
				d.scratch = unescapeQuotes(d.scratch[:0], field, d.quote)
				field = d.scratch
			}
			v, err := d.scalars.parse(field, c.Type)
			if err != nil {
				return &DecodeError{Column: c.Name, Reason: err.Error()}
			}
			row[col] = v
		}
		col++
		if i >= len(rec) {
			break
		}
		i++ // the delimiter
	}
	if col != n {
		return &DecodeError{Reason: fmt.Sprintf("expected %d fields, found %d", n, col)}
	}
	return nil
}

// unescapeQuotes appends field with doubled quote characters made single.
func unescapeQuotes(dst, field []byte, q byte) []byte {
	for i := 0; i < len(field); i++ {
		dst = append(dst, field[i])
		if field[i] == q && i+1 < len(field) && field[i+1] == q {
			i++
		}
	}
	return dst
}

type csvEncoder struct {
	schema   types.Schema
	delim    byte
	quote    byte
	null     string
	hasNull  bool
	comments bool
	scratch  []byte
}

func newCSVEncoder(f *Format) *csvEncoder {
	o := f.Options
	return &csvEncoder{schema: f.Schema, delim: o.FieldDelimiter, quote: o.QuoteChar,
		null: o.NullLiteral, hasNull: o.HasNullLiteral, comments: o.AllowComments}
}

func (e *csvEncoder) AppendRow(buf []byte, row []types.Value) []byte {
	for i, v := range row {
		if i > 0 {
			buf = append(buf, e.delim)
		}
		if v.IsNull() {
			buf = append(buf, e.null...)
			continue
		}
		start := len(buf)
		if v.Kind() == types.KindString {
			buf = append(buf, v.Str()...)
		} else {
			buf = types.AppendRender(buf, v, e.schema[i].Type)
		}
		if e.quote == 0 || !e.needsQuote(buf[start:], i) {
			continue
		}
		e.scratch = append(e.scratch[:0], buf[start:]...)
		buf = append(buf[:start], e.quote)
		for _, c := range e.scratch {
			if c == e.quote {
				buf = append(buf, c)
			}
			buf = append(buf, c)
		}
		buf = append(buf, e.quote)
	}
	return buf
}

func (e *csvEncoder) needsQuote(f []byte, col int) bool {
	if len(f) == 0 || e.hasNull && string(f) == e.null || col == 0 && e.comments && f[0] == '#' {
		return true
	}
	return hasAnyOf4(f, e.delim, e.quote, '\n', '\r')
}

// hasAnyOf4 reports whether b holds a, c, d or e: 8 bytes at a time (a
// sink quotes-checks every string field of every row), with the
// zero-byte test of indexByte.
func hasAnyOf4(b []byte, a, c, d, e byte) bool {
	const lo, hi = 0x0101010101010101, 0x8080808080808080
	pa, pc, pd, pe := lo*uint64(a), lo*uint64(c), lo*uint64(d), lo*uint64(e)
	i := 0
	for ; i+8 <= len(b); i += 8 {
		x := binary.LittleEndian.Uint64(b[i:])
		xa, xc, xd, xe := x^pa, x^pc, x^pd, x^pe
		if ((xa-lo)&^xa|(xc-lo)&^xc|(xd-lo)&^xd|(xe-lo)&^xe)&hi != 0 {
			return true
		}
	}
	for ; i < len(b); i++ {
		if x := b[i]; x == a || x == c || x == d || x == e {
			return true
		}
	}
	return false
}

type textDecoder struct {
	typ types.Type
	col string
}

func (d *textDecoder) Decode(rec []byte, row []types.Value) error {
	if d.typ.Kind == types.KindString {
		if err := checkUTF8(rec, d.col); err != nil {
			return err
		}
		row[0] = types.StringValue(string(rec))
		return nil
	}
	v, err := parseScalar(rec, d.typ)
	if err != nil {
		return &DecodeError{Column: d.col, Reason: err.Error()}
	}
	row[0] = v
	return nil
}

type textEncoder struct{ typ types.Type }

func (e *textEncoder) AppendRow(buf []byte, row []types.Value) []byte {
	if row[0].IsNull() {
		return buf
	}
	return types.AppendRender(buf, row[0], e.typ)
}

// indexByte is bytes.IndexByte for fields, which are mostly short: it
// looks at 8 bytes at a time in the first 64 bytes without a call.
func indexByte(b []byte, c byte) int {
	const lo, hi = 0x0101010101010101, 0x8080808080808080
	pat := lo * uint64(c)
	i := 0
	for ; i+8 <= len(b); i += 8 {
		if i == 64 {
			if k := bytes.IndexByte(b[i:], c); k >= 0 {
				return i + k
			}
			return -1
		}
		x := binary.LittleEndian.Uint64(b[i:]) ^ pat
		if t := (x - lo) &^ x & hi; t != 0 {
			// the lowest flagged byte is the first zero byte of x
			return i + bits.TrailingZeros64(t)>>3
		}
	}
	if i < len(b) && len(b) >= 8 {
		// the last 8 bytes, overlapping bytes already looked at (which
		// hold no c, so the lowest flagged byte is again the first c)
		i = len(b) - 8
		x := binary.LittleEndian.Uint64(b[i:]) ^ pat
		if t := (x - lo) &^ x & hi; t != 0 {
			return i + bits.TrailingZeros64(t)>>3
		}
		return -1
	}
	for ; i < len(b); i++ {
		if b[i] == c {
			return i
		}
	}
	return -1
}
