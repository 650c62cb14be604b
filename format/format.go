package format

import (
	"errors"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/streamsql/streamsql/types"
)

// Decoder parses records into rows. Not safe for concurrent use.
type Decoder interface {
	// Decode parses one record (without its line terminator) into row,
	// which has one value per schema column. Every value of row is set
	// (NULL where absent). rec is not retained after Decode returns.
	// It returns ErrSkipRecord for a record that holds no row (a blank line,
	// a comment), or a *DecodeError.
	Decode(rec []byte, row []types.Value) error
}

// Encoder renders rows. Not safe for concurrent use.
type Encoder interface {
	// AppendRow appends the encoding of row (one value per schema column)
	// to buf, without a line terminator, and returns the extended buffer.
	AppendRow(buf []byte, row []types.Value) []byte
}

// ErrSkipRecord is returned by Decode for a record that is not a row.
var ErrSkipRecord = errors.New("not a row")

// checkUTF8 returns a *DecodeError naming column col when the text of a
// STRING value is not valid UTF-8 (such text would be stored and fail
// later, in a sink that checks it). Decoders call it on STRING values
// only: other types are parsed, which rejects any non-ASCII byte.
func checkUTF8(text []byte, col string) error {
	if utf8.Valid(text) {
		return nil
	}
	i := 0
	for i < len(text) {
		r, n := utf8.DecodeRune(text[i:])
		if r == utf8.RuneError && n <= 1 {
			break
		}
		i += n
	}
	return &DecodeError{Column: col, Reason: fmt.Sprintf("invalid UTF-8: byte 0x%02x at position %d of the value", text[i], i+1)}
}

// DecodeError says why a record could not be decoded.
type DecodeError struct {
	Column string // the column being decoded, "" for a record-level error
	Reason string
}

func (e *DecodeError) Error() string {
	if e.Column == "" {
		return e.Reason
	}
	return "column " + e.Column + ": " + e.Reason
}

// Options are the codec settings taken from a table's WITH clause.
type Options struct {
	// CSV
	FieldDelimiter  byte   // 'csv.field-delimiter', default ','
	QuoteChar       byte   // 'csv.quote-character', default '"'; 0 when quoting is disabled
	NullLiteral     string // 'csv.null-literal'
	HasNullLiteral  bool
	IgnoreFirstLine bool // 'csv.ignore-first-line'
	AllowComments   bool // 'csv.allow-comments'
	// JSON
	FailOnMissingField bool // 'json.fail-on-missing-field'
}

// Format is a codec for one schema. It is immutable and may be shared.
type Format struct {
	Name    string // "csv", "json" or "text"
	Schema  types.Schema
	Options Options
}

// OptionDoc documents one format option.
type OptionDoc struct {
	Key, Default, Help string
}

// OptionDocs lists the options of every format (keys are prefixed by the
// format name: 'csv.' or 'json.').
func OptionDocs() []OptionDoc {
	return []OptionDoc{
		{"csv.field-delimiter", ",", "field delimiter character (one character; \\t for a tab)"},
		{"csv.quote-character", "\"", "quote character"},
		{"csv.disable-quote-character", "false", "disable quoting: fields are taken literally"},
		{"csv.null-literal", "", "text read and written as NULL (an empty unquoted field is always NULL)"},
		{"csv.ignore-first-line", "false", "skip the first line of each file (a header)"},
		{"csv.allow-comments", "false", "skip lines starting with '#'"},
		{"json.fail-on-missing-field", "false", "fail on a record lacking a column's field instead of reading NULL"},
	}
}

// Names lists the supported format names.
func Names() []string { return []string{"csv", "json", "text"} }

// New builds a format. name is "csv", "json" or "text" (also "raw");
// opts maps lower-cased option keys to values (options of other formats
// are an error).
func New(name string, schema types.Schema, opts map[string]string) (*Format, error) {
	f := &Format{Name: strings.ToLower(name), Schema: schema}
	if f.Name == "raw" {
		f.Name = "text"
	}
	switch f.Name {
	case "csv", "json":
	case "text":
		if len(schema) != 1 {
			return nil, fmt.Errorf("format 'text' needs exactly one column, the table has %d", len(schema))
		}
	default:
		return nil, fmt.Errorf("unknown format '%s' (known: %s)", name, strings.Join(Names(), ", "))
	}
	o := Options{FieldDelimiter: ',', QuoteChar: '"'}
	quoteSet, noQuote := false, false
	keys := make([]string, 0, len(opts))
	for k := range opts {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		v := opts[k]
		prefix, _, ok := strings.Cut(k, ".")
		if !ok || (prefix != "csv" && prefix != "json") {
			continue
		}
		if prefix != f.Name {
			return nil, fmt.Errorf("option '%s' does not apply to format '%s'", k, f.Name)
		}
		var err error
		switch k {
		case "csv.field-delimiter":
			o.FieldDelimiter, err = parseChar(v)
		case "csv.quote-character":
			o.QuoteChar, err = parseChar(v)
			quoteSet = true
		case "csv.disable-quote-character":
			noQuote, err = ParseBoolOption(v)
		case "csv.null-literal":
			o.NullLiteral, o.HasNullLiteral = v, true
		case "csv.ignore-first-line":
			o.IgnoreFirstLine, err = ParseBoolOption(v)
		case "csv.allow-comments":
			o.AllowComments, err = ParseBoolOption(v)
		case "json.fail-on-missing-field":
			o.FailOnMissingField, err = ParseBoolOption(v)
		case "csv.ignore-parse-errors", "json.ignore-parse-errors":
			_, err = ParseBoolOption(v)
		default:
			return nil, fmt.Errorf("format '%s' has no option '%s'", f.Name, k)
		}
		if err != nil {
			return nil, fmt.Errorf("option '%s': %v", k, err)
		}
	}
	if noQuote {
		if quoteSet {
			return nil, fmt.Errorf("options 'csv.quote-character' and 'csv.disable-quote-character' exclude each other")
		}
		o.QuoteChar = 0
	}
	if o.QuoteChar != 0 && o.QuoteChar == o.FieldDelimiter {
		return nil, fmt.Errorf("the CSV quote character and field delimiter must differ")
	}
	if o.FieldDelimiter == '\n' || o.FieldDelimiter == '\r' || o.QuoteChar == '\n' || o.QuoteChar == '\r' {
		return nil, fmt.Errorf("the CSV field delimiter and quote character cannot be a line break")
	}
	f.Options = o
	return f, nil
}

// Extension returns the file name extension of the format ("csv", "json", "txt").
func (f *Format) Extension() string {
	if f.Name == "text" {
		return "txt"
	}
	return f.Name
}

// NewDecoder returns a decoder for f.
func (f *Format) NewDecoder() Decoder {
	switch f.Name {
	case "csv":
		return newCSVDecoder(f)
	case "json":
		return newJSONDecoder(f)
	}
	return &textDecoder{typ: f.Schema[0].Type, col: f.Schema[0].Name}
}

// NewEncoder returns an encoder for f.
func (f *Format) NewEncoder() Encoder {
	switch f.Name {
	case "csv":
		return newCSVEncoder(f)
	case "json":
		return newJSONEncoder(f)
	}
	return &textEncoder{typ: f.Schema[0].Type}
}

// ParseBoolOption parses an option value 'true' or 'false' (any case).
func ParseBoolOption(v string) (bool, error) {
	switch strings.ToLower(strings.TrimSpace(v)) {
	case "true":
		return true, nil
	case "false":
		return false, nil
	}
	return false, fmt.Errorf("expected 'true' or 'false', got '%s'", v)
}

// parseChar parses a one-character option: a single byte, or an escape
// such as \t, or a unicode escape \u0009 of an ASCII character.
func parseChar(v string) (byte, error) {
	switch {
	case len(v) == 1:
		return v[0], nil
	case v == `\t`:
		return '\t', nil
	case v == `\\`:
		return '\\', nil
	case v == `\|`:
		return '|', nil
	case len(v) == 6 && (strings.HasPrefix(v, `\u`) || strings.HasPrefix(v, `\U`)):
		n, err := strconv.ParseUint(v[2:], 16, 16)
		if err == nil && n < 128 {
			return byte(n), nil
		}
	}
	return 0, fmt.Errorf("expected a single ASCII character, got '%s'", v)
}
