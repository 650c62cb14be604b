package textsrc

import (
	"bytes"
	"fmt"
	"io"
)

// LineReader splits a byte stream into records ended by a delimiter byte
// (a line break by default), keeping track of stream offsets and line
// numbers (a line is ended by the delimiter byte, so a CSV record with a
// quoted line break spans two lines). In CSV mode a
// delimiter inside a quoted field does not end the record. It reads in
// large chunks into a buffer of its own, so a read error (such as a read
// deadline) loses nothing: the next call continues where it stopped.
//
// Not safe for concurrent use.
type LineReader struct {
	r          io.Reader
	buf        []byte
	start, end int   // unconsumed bytes are buf[start:end]
	off        int64 // stream offset of buf[start]
	scan       int   // bytes of the current record scanned so far (from start)
	scanDelims int64 // delimiters inside the scanned part of the current record
	lines      int64 // delimiters consumed before buf[start]; -1: unknown
	recLine    int64 // 1-based line of the last record returned; 0: unknown
	delim      byte
	stripCR    bool
	csv        bool
	fieldDelim byte
	quote      byte
	inQuote    bool
	fieldStart bool
	eof        bool
	limit      int64 // records starting after limit are not read; -1: no limit
}

// QuotedBreakError is returned by Next when the record crossing the limit
// (see SetLimit) holds a delimiter inside a quoted field at or after the
// limit: a reader starting after the limit, taking the first delimiter
// after it for the end of a record, would begin inside this record.
type QuotedBreakError struct {
	Offset       int64 // stream offset of the quoted delimiter
	RecordOffset int64 // stream offset of the record holding it
	Limit        int64
}

func (e *QuotedBreakError) Error() string {
	return fmt.Sprintf("the record at byte offset %d holds a quoted line break at byte offset %d, at or after the range end %d",
		e.RecordOffset, e.Offset, e.Limit)
}

// DefaultBufferSize is the initial buffer size of a LineReader; it grows
// to hold the longest record.
const DefaultBufferSize = 256 << 10

// NewLineReader reads records from r, whose first byte is at stream offset
// offset. delim ends a record; with '\n' a preceding '\r' is dropped too.
func NewLineReader(r io.Reader, offset int64, bufSize int, delim byte) *LineReader {
	if bufSize <= 0 {
		bufSize = DefaultBufferSize
	}
	return &LineReader{r: r, buf: make([]byte, bufSize), off: offset, delim: delim,
		stripCR: delim == '\n', fieldStart: true, limit: -1}
}

// SetLimit makes the reader stop (Next returns io.EOF) before the first
// record that starts after stream offset limit; the record that starts at
// or before limit and ends after it is returned whole. That record must
// not hold a delimiter inside a quoted field at or after limit: Next then
// returns a *QuotedBreakError instead (the record is consumed). This is
// how a reader of the byte range (s, limit] of a stream that starts at a
// record boundary finds every record starting in the range, and checks
// that the first delimiter at or after limit ends a record, so that the
// reader of the next range can start after it. A negative limit is no
// limit.
func (l *LineReader) SetLimit(limit int64) { l.limit = limit }

// SetCSV makes delimiters inside quoted fields part of the record (quote 0
// disables quoting).
func (l *LineReader) SetCSV(fieldDelim, quote byte) {
	l.csv = quote != 0
	l.fieldDelim, l.quote = fieldDelim, quote
}

// Offset returns the stream offset just after the last record returned.
func (l *LineReader) Offset() int64 { return l.off }

// SetLines sets how many lines the stream had before its first byte (the
// count a checkpointed position recorded; see Lines); -1 when unknown,
// then Line returns 0. Call it before the first Next.
func (l *LineReader) SetLines(n int64) { l.lines = n }

// Lines returns how many lines were consumed up to Offset (counting the
// lines before the stream start given to SetLines), or -1 when unknown.
// With Offset it is the reader's position.
func (l *LineReader) Lines() int64 { return l.lines }

// Line returns the 1-based line number at which the last record returned
// by Next starts, or 0 when unknown.
func (l *LineReader) Line() int64 { return l.recLine }

// Release drops the buffer (after the end of the stream).
func (l *LineReader) Release() { l.buf, l.start, l.end, l.scan = nil, 0, 0, 0 }

// Next returns the next record (without its delimiter; valid until the
// next call) and the stream offset of its first byte. When no complete
// record is available it returns the read error: io.EOF at the end of the
// stream (a last record without a delimiter is returned first), or any
// other error of the underlying reader, after which Next may be called
// again.
func (l *LineReader) Next() ([]byte, int64, error) {
	if l.limit >= 0 && l.off > l.limit {
		return nil, l.off, io.EOF
	}
	for {
		if rec, off, ok := l.scanRecord(); ok {
			return rec, off, l.checkLimit(rec, off)
		}
		if l.eof {
			if l.start < l.end {
				rec, off := l.take(l.end-l.start, l.end-l.start)
				return rec, off, l.checkLimit(rec, off)
			}
			return nil, l.off, io.EOF
		}
		if err := l.fill(); err != nil {
			if err == io.EOF {
				l.eof = true
				continue
			}
			return nil, l.off, err
		}
	}
}

// checkLimit returns a *QuotedBreakError when rec, starting at off and
// just consumed, crosses the limit with a quoted delimiter at or after it
// (rec holds no delimiter but quoted ones).
func (l *LineReader) checkLimit(rec []byte, off int64) error {
	if l.limit < 0 || off > l.limit || l.off <= l.limit {
		return nil
	}
	from := l.limit - off
	if from >= int64(len(rec)) {
		return nil
	}
	if i := bytes.IndexByte(rec[from:], l.delim); i >= 0 {
		return &QuotedBreakError{Offset: off + from + int64(i), RecordOffset: off, Limit: l.limit}
	}
	return nil
}

// take returns the record of length n from start and consumes n+skip bytes.
func (l *LineReader) take(n, consumed int) ([]byte, int64) {
	rec := l.buf[l.start : l.start+n]
	off := l.off
	l.start += consumed
	l.off += int64(consumed)
	if l.lines >= 0 {
		l.recLine = l.lines + 1
		l.lines += l.scanDelims
		if consumed > n {
			l.lines++ // the delimiter ending the record
		}
	}
	l.scan, l.scanDelims = 0, 0
	l.inQuote, l.fieldStart = false, true
	if l.stripCR && len(rec) > 0 && rec[len(rec)-1] == '\r' {
		rec = rec[:len(rec)-1]
	}
	return rec, off
}

func (l *LineReader) scanRecord() ([]byte, int64, bool) {
	for {
		from := l.start + l.scan
		p := bytes.IndexByte(l.buf[from:l.end], l.delim)
		if p < 0 {
			return nil, 0, false
		}
		if l.csv {
			seg := l.buf[from : from+p]
			if l.inQuote || bytes.IndexByte(seg, l.quote) >= 0 {
				l.quoteState(seg, from)
				if l.inQuote {
					// the delimiter is quoted content
					l.fieldStart = false
					l.scan += p + 1
					l.scanDelims++
					continue
				}
			}
		}
		rec, off := l.take(l.scan+p, l.scan+p+1)
		return rec, off, true
	}
}

// quoteState advances the CSV quoting state over seg = buf[from:from+len(seg)]
// (the byte after seg is a record delimiter, so peeking one byte past a
// quote at the end of seg is safe and never sees a quote).
func (l *LineReader) quoteState(seg []byte, from int) {
	q, d := l.quote, l.fieldDelim
	for i := 0; i < len(seg); i++ {
		c := seg[i]
		switch {
		case l.inQuote:
			if c == q {
				if l.buf[from+i+1] == q {
					i++
				} else {
					l.inQuote = false
				}
			}
		case c == d:
			l.fieldStart = true
		case c == q && l.fieldStart:
			l.inQuote, l.fieldStart = true, false
		default:
			l.fieldStart = false
		}
	}
}

func (l *LineReader) fill() error {
	if l.buf == nil {
		l.buf = make([]byte, DefaultBufferSize)
	}
	if l.start > 0 {
		n := copy(l.buf, l.buf[l.start:l.end])
		l.start, l.end = 0, n
	}
	if l.end == len(l.buf) {
		nb := make([]byte, 2*len(l.buf))
		copy(nb, l.buf[:l.end])
		l.buf = nb
	}
	for tries := 0; ; tries++ {
		n, err := l.r.Read(l.buf[l.end:])
		l.end += n
		if n > 0 {
			return nil
		}
		if err != nil {
			return err
		}
		if tries > 100 {
			return io.ErrNoProgress
		}
	}
}
