package textsrc

import (
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/streamsql/streamsql/catalog"
	"github.com/streamsql/streamsql/connectors"
	"github.com/streamsql/streamsql/format"
	"github.com/streamsql/streamsql/types"
)

// IgnoreParseErrorKeys are the option keys that switch a table to skipping
// bad rows.
var IgnoreParseErrorKeys = []string{"format.ignore-parse-errors", "csv.ignore-parse-errors", "json.ignore-parse-errors"}

// FormatOptions lists the format options and the parse-error options, for
// a Factory's Options.
func FormatOptions() []connectors.OptionSpec {
	var out []connectors.OptionSpec
	for _, d := range format.OptionDocs() {
		out = append(out, connectors.OptionSpec{Key: d.Key, Default: d.Default, Help: d.Help})
	}
	for _, k := range IgnoreParseErrorKeys {
		out = append(out, connectors.OptionSpec{Key: k, Default: "false",
			Help: "skip (and count) rows that cannot be parsed instead of failing the job"})
	}
	return out
}

// NewFormat builds the codec of table t from its 'format' option (def
// when absent) and format options, for the table's physical columns.
func NewFormat(t *catalog.Table, def string) (*format.Format, error) {
	name := t.Option("format")
	if name == "" {
		name = def
	}
	if name == "" {
		return nil, fmt.Errorf("table %s: connector '%s' needs option 'format' (%s)", t.Name, t.Connector(), strings.Join(format.Names(), ", "))
	}
	f, err := format.New(name, t.PhysicalColumns(), t.OptionMap())
	if err != nil {
		return nil, fmt.Errorf("table %s: %v", t.Name, err)
	}
	return f, nil
}

// SampleSize is how many skipped rows of a table are logged (Env.Warn).
const SampleSize = 5

// Policy is a table's parse-error policy, shared by its splits.
type Policy struct {
	Table  string
	Ignore bool
	env    *connectors.Env // where samples are logged (nil: nowhere)
	mu     sync.Mutex
	logged int
	first  *connectors.BadRowError // the first row skipped
}

// NewPolicy reads t's parse-error options.
func NewPolicy(t *catalog.Table, env *connectors.Env) (*Policy, error) {
	p := &Policy{Table: t.Name}
	p.env = env
	for _, k := range IgnoreParseErrorKeys {
		if !t.HasOption(k) {
			continue
		}
		b, err := format.ParseBoolOption(t.Option(k))
		if err != nil {
			return nil, fmt.Errorf("table %s: option '%s': %v", t.Name, k, err)
		}
		p.Ignore = p.Ignore || b
	}
	return p, nil
}

// BadRow applies the policy to a record that failed to decode; at says
// where the record is (Kind, Source, Line, Offset, Unit; the rest is
// filled in here). It returns the *connectors.BadRowError that fails the
// job or, when bad rows are skipped, nil after counting the row in skipped
// (and writing it to Stderr if it is one of the table's first SampleSize).
// Split readers call it from their own goroutines.
func (p *Policy) BadRow(at connectors.BadRowError, rec []byte, reason error, skipped *atomic.Int64) error {
	row := rec
	if len(row) > 1024 {
		row = row[:1024]
	}
	e := &at
	e.Table, e.Row, e.Reason = p.Table, string(row), reason.Error()
	if !p.Ignore {
		return e
	}
	skipped.Add(1)
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.first == nil {
		p.first = e
	}
	if p.env != nil && p.logged <= SampleSize {
		if p.logged < SampleSize {
			p.env.Warn(fmt.Sprintf("skipped %v", e))
		} else {
			p.env.Warn(fmt.Sprintf("table %s: more bad rows skipped; they are counted but not logged", p.Table))
		}
		p.logged++
	}
	return nil
}

// FirstSkipped returns the first row skipped under the policy (nil when
// none was); sources return it as connectors.SkippedRowSampler.
func (p *Policy) FirstSkipped() *connectors.BadRowError {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.first
}

// Decoder turns the records of a LineReader into rows under a policy.
type Decoder struct {
	Lines   *LineReader
	Dec     format.Decoder
	Policy  *Policy
	Kind    string        // what Source names in messages: "file", "socket"
	Source  string        // file path, host:port
	Skipped *atomic.Int64 // counts skipped bad rows
	// LineAt, when set, returns the 1-based line of the record starting
	// at the given offset when the LineReader does not know it (a reader
	// that started mid-stream without a line count): called only for bad
	// rows, so that the normal path never counts lines. 0: unknown.
	LineAt func(offset int64) int64
}

// SetRecordSyntax makes lines split records as format f needs (CSV: a
// delimiter inside a quoted field does not end a record).
func SetRecordSyntax(lines *LineReader, f *format.Format) {
	if f.Name == "csv" {
		lines.SetCSV(f.Options.FieldDelimiter, f.Options.QuoteChar)
	}
}

// NewDecoder combines a line reader (set to CSV mode when f is CSV), f's
// decoder and a policy; kind and source name the input in bad-row
// messages ("file", path); skipped bad rows are counted in skipped.
func NewDecoder(lines *LineReader, f *format.Format, p *Policy, kind, source string, skipped *atomic.Int64) *Decoder {
	SetRecordSyntax(lines, f)
	return &Decoder{Lines: lines, Dec: f.NewDecoder(), Policy: p, Kind: kind, Source: source, Skipped: skipped}
}

// Fill decodes records into b (as Insert rows) until b holds limit rows,
// then returns nil. When no complete record is buffered it returns the
// LineReader's error (io.EOF, a read deadline, ...), possibly after
// appending rows; a bad row under the failing policy returns a
// *connectors.BadRowError.
func (d *Decoder) Fill(b *types.Batch, limit int) error {
	for b.Len() < limit {
		rec, off, err := d.Lines.Next()
		if err != nil {
			return err
		}
		row := b.AppendEmpty(types.Insert)
		if err := d.Dec.Decode(rec, row); err != nil {
			clear(row)
			b.Ops = b.Ops[:len(b.Ops)-1]
			b.Vals = b.Vals[:len(b.Vals)-b.Width]
			if errors.Is(err, format.ErrSkipRecord) {
				continue
			}
			line := d.Lines.Line()
			if line == 0 && d.LineAt != nil {
				line = d.LineAt(off)
			}
			at := connectors.BadRowError{Kind: d.Kind, Source: d.Source, Line: line, Offset: off, Unit: "byte offset"}
			if err := d.Policy.BadRow(at, rec, err, d.Skipped); err != nil {
				return err
			}
		}
	}
	return nil
}

// Limit returns how many rows a reader should put in b: its capacity, or
// DefaultBatchRows more when it has no spare capacity.
func Limit(b *types.Batch) int {
	if c := cap(b.Ops); c > b.Len() {
		return c
	}
	return b.Len() + DefaultBatchRows
}

// DefaultBatchRows is the batch size used when the caller's batch has no
// spare capacity.
const DefaultBatchRows = 1024

// CheckWidth returns an error when b's width does not match the table.
func CheckWidth(t *catalog.Table, b *types.Batch, width int) error {
	if b.Width != width {
		return fmt.Errorf("table %s: batch width %d does not match the %d physical columns", t.Name, b.Width, width)
	}
	return nil
}
