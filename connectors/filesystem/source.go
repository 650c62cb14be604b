package filesystem

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"

	"github.com/streamsql/streamsql/catalog"
	"github.com/streamsql/streamsql/connectors"
	"github.com/streamsql/streamsql/connectors/internal/textsrc"
	"github.com/streamsql/streamsql/format"
	"github.com/streamsql/streamsql/types"
)

func options() []connectors.OptionSpec {
	return append([]connectors.OptionSpec{
		{Key: "path", Required: true, Help: "a file or a directory (directory sinks write part files into it)"},
		{Key: "format", Required: true, Help: "csv, json or text"},
		{Key: optSplitSize, Default: defaultSplitSize,
			Help: "source: cut files larger than this into byte ranges read in parallel (e.g. 64mb; 0: one split per file)"},
		{Key: optDefaultName, Default: DefaultPartitionName,
			Help: "directory value of a NULL, empty or blank partition column (tables PARTITIONED BY); read back as NULL"},
	}, textsrc.FormatOptions()...)
}

func init() {
	connectors.Register(&connectors.Factory{
		Name:      "filesystem",
		Options:   options(),
		NewSource: newSource,
		NewSink:   newSink,
		Validate: func(t *catalog.Table) error {
			_, err := newSource(t, nil) // touches no file
			return err
		},
	})
}

// optDefaultName is Flink's option naming the directory of NULL partition values.
const optDefaultName = "partition.default-name"

// validate checks t's options and returns the codec of its data files
// (for a partitioned table: of the columns that are not partition
// columns) and its partition layout (nil when it is not partitioned).
func validate(t *catalog.Table) (*format.Format, *layout, error) {
	if err := connectors.ValidateOptions(t, &connectors.Factory{Name: "filesystem", Options: options()}); err != nil {
		return nil, nil, err
	}
	if p := t.Option("path"); strings.Contains(p, "${") {
		// a script template (such as a benchmark's ${TMPDIR}) that was
		// run without substituting it: never write to such a path
		return nil, nil, fmt.Errorf("table %s: 'path' '%s' holds a placeholder '${...}' that was not substituted", t.Name, p)
	}
	l, err := newLayout(t)
	if err != nil {
		return nil, nil, err
	}
	if l == nil {
		if t.HasOption(optDefaultName) {
			return nil, nil, fmt.Errorf("table %s: option '%s' applies only to a table PARTITIONED BY (col, ...)", t.Name, optDefaultName)
		}
		f, err := textsrc.NewFormat(t, "")
		return f, nil, err
	}
	if t.Option("path") == "" {
		return nil, nil, fmt.Errorf("table %s: 'path' must name the directory of the partitions", t.Name)
	}
	data := *t
	data.Columns, data.ProctimeColumn, data.PartitionKeys, data.Watermark, data.PrimaryKey = l.dataSchema, -1, nil, nil, nil
	if name := strings.ToLower(t.Option("format")); (name == "text" || name == "raw") && len(l.dataSchema) != 1 {
		return nil, nil, fmt.Errorf("table %s: format '%s' needs exactly one column besides the partition columns (%s), the table has %d",
			t.Name, name, strings.Join(l.names, ", "), len(l.dataSchema))
	}
	f, err := textsrc.NewFormat(&data, "")
	return f, l, err
}

func newSource(t *catalog.Table, env *connectors.Env) (connectors.Source, error) {
	f, l, err := validate(t)
	if err != nil {
		return nil, err
	}
	p, err := textsrc.NewPolicy(t, env)
	if err != nil {
		return nil, err
	}
	size, err := splitSize(t)
	if err != nil {
		return nil, err
	}
	return &source{t: t, format: f, layout: l, policy: p, path: t.Option("path"), splitSize: size}, nil
}

type source struct {
	t         *catalog.Table
	format    *format.Format // codec of the data files
	layout    *layout        // nil when the table is not partitioned
	policy    *textsrc.Policy
	path      string
	splitSize int64 // files are cut into byte ranges of about this size; 0: not cut
}

// fileSplit is the byte range [start, end) of a file (end -1: to the end
// of the file); its reader reads the records starting in the range (see
// doc.go).
type fileSplit struct {
	id         string // fileID for the first range, fileID/@start for the others
	fileID     string // the file's name (relative path in a partitioned table)
	path       string
	partition  []types.Value // values of the partition columns (partitioned tables)
	start, end int64
}

func (s *fileSplit) ID() string { return s.id }

func (s *source) Bounded() bool { return true }

// FirstSkippedRow returns the first bad row skipped (connectors.SkippedRowSampler).
func (s *source) FirstSkippedRow() *connectors.BadRowError { return s.policy.FirstSkipped() }

// Splits lists the byte ranges of the files to read (the same for any
// parallelism).
func (s *source) Splits(int) ([]connectors.Split, error) {
	files, err := s.files()
	if err != nil {
		return nil, err
	}
	return s.cut(files)
}

// files lists the files to read, each as one whole-file split.
func (s *source) files() ([]*fileSplit, error) {
	st, err := os.Stat(s.path)
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return nil, fmt.Errorf("table %s: path '%s' does not exist", s.t.Name, s.path)
		}
		return nil, fmt.Errorf("table %s: %v", s.t.Name, err)
	}
	if s.layout != nil {
		if !st.IsDir() {
			return nil, fmt.Errorf("table %s: path '%s' is a file, but a table PARTITIONED BY (%s) is a directory tree", s.t.Name, s.path, strings.Join(s.layout.names, ", "))
		}
		return s.partitionedSplits()
	}
	if !st.IsDir() {
		id := filepath.Base(s.path)
		return []*fileSplit{{id: id, fileID: id, path: s.path, end: -1}}, nil
	}
	entries, err := os.ReadDir(s.path) // sorted by name
	if err != nil {
		return nil, fmt.Errorf("table %s: %v", s.t.Name, err)
	}
	var out []*fileSplit
	for _, e := range entries {
		name := e.Name()
		if strings.HasPrefix(name, ".") || strings.HasPrefix(name, "_") || strings.HasSuffix(name, ".inprogress") {
			continue
		}
		full := filepath.Join(s.path, name)
		if !e.Type().IsRegular() {
			// follow symbolic links to regular files
			if fi, err := os.Stat(full); err != nil || !fi.Mode().IsRegular() {
				continue
			}
		}
		out = append(out, &fileSplit{id: name, fileID: name, path: full, end: -1})
	}
	return out, nil
}

func (s *source) OpenSplit(_ context.Context, sp connectors.Split, pos []byte) (connectors.SplitReader, error) {
	fs, ok := sp.(*fileSplit)
	if !ok {
		return nil, fmt.Errorf("table %s: split %s is not a file split", s.t.Name, sp.ID())
	}
	r := &reader{src: s, path: fs.path, rangeStart: fs.start, rangeEnd: fs.end, start: fs.start,
		lines: -1, skipHeader: s.format.Options.IgnoreFirstLine && fs.start == 0, width: len(s.format.Schema)}
	if fs.start == 0 {
		r.lines = 0
	}
	if s.layout != nil {
		if len(fs.partition) != s.layout.depth() {
			return nil, fmt.Errorf("table %s: split %s is not a file of the partition directories", s.t.Name, fs.id)
		}
		r.partition = fs.partition
		r.width = len(s.layout.keys) + len(s.layout.data)
	}
	st, err := os.Stat(fs.path)
	if err != nil {
		return nil, fmt.Errorf("table %s: %v", s.t.Name, err)
	}
	if pos != nil {
		var lines int64 = -1 // unknown: counted only to report a bad row
		switch len(pos) {
		case 16:
			lines = int64(binary.BigEndian.Uint64(pos[8:]))
		case 8: // written before positions held a line count
		default:
			return nil, fmt.Errorf("table %s: invalid position of split %s", s.t.Name, fs.id)
		}
		r.start = int64(binary.BigEndian.Uint64(pos))
		if r.start < 0 || r.start > st.Size() {
			return nil, fmt.Errorf("table %s: file %s is shorter (%d bytes) than the position to resume from (%d)", s.t.Name, fs.path, st.Size(), r.start)
		}
		if r.start < fs.start {
			return nil, fmt.Errorf("table %s: the position to resume split %s from (byte %d) lies before its byte range [%d, ...)", s.t.Name, fs.id, r.start, fs.start)
		}
		if lines < -1 {
			return nil, fmt.Errorf("table %s: invalid position of split %s (line count %d)", s.t.Name, fs.id, lines)
		}
		r.lines = lines
		r.skipHeader = r.skipHeader && r.start == 0
	}
	return r, nil
}

type reader struct {
	src        *source
	path       string
	rangeStart int64 // the split's byte range [rangeStart, rangeEnd)
	rangeEnd   int64 // -1: to the end of the file
	start      int64 // offset to start reading from (rangeStart, when > 0, is not a record start)
	lines      int64 // line breaks before start; -1: unknown
	skipHeader bool
	width      int           // physical columns of the table
	partition  []types.Value // partitioned tables: the file's partition values
	f          *os.File
	dec        *textsrc.Decoder
	done       bool
	skipped    atomic.Int64
	// counted caches the last count of lines before an offset (lineAt).
	countedOff, countedLines int64
	// firstOff is where reading began (a record start, unless a quoted
	// CSV field holds the line break before it); startChecked: checked.
	firstOff     int64
	startChecked bool
}

func (r *reader) open() error {
	f, err := os.Open(r.path)
	if err != nil {
		return fmt.Errorf("table %s: %v", r.src.t.Name, err)
	}
	if r.start > 0 && r.start == r.rangeStart {
		// the range starts inside the record that begins before it
		// (which the previous range reads): begin after its line break
		if r.start, err = nextRecordStart(f, r.start); err != nil {
			f.Close()
			return r.readErr(err)
		}
		r.lines = -1
	}
	if r.start > 0 {
		if _, err := f.Seek(r.start, io.SeekStart); err != nil {
			f.Close()
			return fmt.Errorf("table %s: %v", r.src.t.Name, err)
		}
	}
	r.f = f
	r.firstOff = r.start
	lines := textsrc.NewLineReader(f, r.start, 0, '\n')
	lines.SetLines(r.lines)
	lines.SetLimit(r.rangeEnd)
	r.dec = textsrc.NewDecoder(lines, r.src.format, r.src.policy, "file", r.path, &r.skipped)
	if r.lines < 0 {
		r.dec.LineAt = r.lineAt
	}
	if l := r.src.layout; l != nil {
		r.dec.Dec = &partDecoder{inner: r.dec.Dec, l: l, vals: r.partition, scratch: make([]types.Value, len(l.data))}
	}
	if r.skipHeader {
		r.skipHeader = false
		if _, _, err := lines.Next(); err != nil && err != io.EOF {
			return r.recordErr(err)
		}
	}
	return nil
}

// lineAt returns the 1-based line of the record starting at offset off
// by counting the line breaks before it (a reader that began mid-file
// does not know its line number); 0 when the file cannot be read.
// Called for bad rows only, at increasing offsets: each count continues
// the previous one.
func (r *reader) lineAt(off int64) int64 {
	if off < r.countedOff {
		r.countedOff, r.countedLines = 0, 0
	}
	n, err := countLines(r.path, r.countedOff, off)
	if err != nil {
		return 0
	}
	r.countedOff, r.countedLines = off, r.countedLines+n
	return r.countedLines + 1
}

func (r *reader) readErr(err error) error {
	return fmt.Errorf("table %s: reading %s: %v", r.src.t.Name, r.path, err)
}

// recordErr reports an error of the record splitter: a quoted line break
// past the end of the byte range, or a read error.
func (r *reader) recordErr(err error) error {
	var qb *textsrc.QuotedBreakError
	if errors.As(err, &qb) {
		return fmt.Errorf("table %s: file %s: a quoted CSV field holds a line break at byte offset %d (in the record starting at byte offset %d), "+
			"so the byte range of the file starting at %d cannot find where its first record begins; "+
			"set '%s' = '0' for table %s to read each file as one split (or larger than the file)",
			r.src.t.Name, r.path, qb.Offset, qb.RecordOffset, qb.Limit, optSplitSize, r.src.t.Name)
	}
	return r.readErr(err)
}

func (r *reader) Next(ctx context.Context, b *types.Batch) error {
	if r.done {
		return io.EOF
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	if err := textsrc.CheckWidth(r.src.t, b, r.width); err != nil {
		return err
	}
	if r.f == nil {
		if err := r.open(); err != nil {
			return err
		}
	}
	n := b.Len()
	err := r.dec.Fill(b, textsrc.Limit(b))
	switch {
	case err == nil:
		return nil
	case err == io.EOF:
		r.finish()
		if b.Len() > n {
			return nil
		}
		return io.EOF
	default:
		var bad *connectors.BadRowError
		if errors.As(err, &bad) {
			if serr := r.checkStart(); serr != nil {
				return serr
			}
			return err
		}
		return r.recordErr(err)
	}
}

// checkStart is called before a bad row of a range that began reading
// mid-file is reported: in a CSV file with quoting, the row may be bad
// only because the line break before firstOff is inside a quoted field
// (the range before fails on that too, but maybe after this one). It
// splits the file's records from offset 0 up to firstOff and returns the
// error naming the quoted line break when firstOff is not a record start,
// nil otherwise (or when the check does not apply, or was done).
func (r *reader) checkStart() error {
	if r.startChecked || r.rangeStart == 0 || r.src.format.Name != "csv" || r.src.format.Options.QuoteChar == 0 {
		return nil
	}
	r.startChecked = true
	f, err := os.Open(r.path)
	if err != nil {
		return nil // the bad row is reported
	}
	defer f.Close()
	lines := textsrc.NewLineReader(f, 0, 0, '\n')
	textsrc.SetRecordSyntax(lines, r.src.format)
	var recOff int64
	for lines.Offset() < r.firstOff {
		_, off, err := lines.Next()
		if err != nil {
			return nil // cannot tell: the bad row is reported
		}
		recOff = off
	}
	if lines.Offset() == r.firstOff {
		return nil
	}
	// the record holding the line break before firstOff runs past it
	return fmt.Errorf("table %s: file %s: a quoted CSV field holds a line break at byte offset %d (in the record starting at byte offset %d), "+
		"where the byte range of the file starting at %d began reading; "+
		"set '%s' = '0' for table %s to read each file as one split (or larger than the file)",
		r.src.t.Name, r.path, r.firstOff-1, recOff, r.rangeStart, optSplitSize, r.src.t.Name)
}

func (r *reader) finish() {
	r.done = true
	if r.f != nil {
		r.f.Close()
		r.f = nil
	}
	r.dec.Lines.Release()
}

// Position returns the byte offset after the last row returned and the
// number of line breaks before it (8 bytes each, big-endian; the count is
// all ones when unknown, in a range that began mid-file), so that a
// restored reader numbers lines as this one did. Before the first read
// the offset is the range's start. A position of only the offset
// (written by earlier versions) is accepted by OpenSplit.
func (r *reader) Position() []byte {
	off, lines := r.start, r.lines
	if r.dec != nil {
		off, lines = r.dec.Lines.Offset(), r.dec.Lines.Lines()
	}
	return binary.BigEndian.AppendUint64(binary.BigEndian.AppendUint64(nil, uint64(off)), uint64(lines))
}

// SkippedRows returns the number of bad rows skipped.
func (r *reader) SkippedRows() int64 { return r.skipped.Load() }

func (r *reader) Close() error {
	if r.f != nil {
		err := r.f.Close()
		r.f = nil
		return err
	}
	return nil
}
