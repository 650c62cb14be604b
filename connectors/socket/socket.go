package socket

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/streamsql/streamsql/catalog"
	"github.com/streamsql/streamsql/connectors"
	"github.com/streamsql/streamsql/connectors/internal/textsrc"
	"github.com/streamsql/streamsql/format"
	"github.com/streamsql/streamsql/types"
)

func options() []connectors.OptionSpec {
	return append([]connectors.OptionSpec{
		{Key: "hostname", Help: "server host name or address"},
		{Key: "host", Help: "alias of 'hostname'"},
		{Key: "port", Required: true, Help: "server port"},
		{Key: "format", Default: "text", Help: "text (the line is the single column), csv or json"},
		{Key: "byte-delimiter", Default: "10", Help: "record delimiter byte: a number 0..255, a character, or \\n, \\t, \\0"},
		{Key: "scan.bounded", Default: "false", Help: "end the source when the peer closes the connection"},
		{Key: "scan.wal", Default: "true", Help: "with checkpointing, log what is received so that a restore replays it exactly once"},
	}, textsrc.FormatOptions()...)
}

func init() {
	connectors.Register(&connectors.Factory{
		Name:      "socket",
		Options:   options(),
		NewSource: newSource,
		Validate: func(t *catalog.Table) error {
			_, err := newSource(t, nil) // does not connect
			return err
		},
	})
}

// DialTimeout bounds how long OpenSplit waits for the connection.
const DialTimeout = 5 * time.Second

// pollInterval is how long Next waits for data before returning empty.
const pollInterval = 100 * time.Millisecond

type source struct {
	t       *catalog.Table
	addr    string
	format  *format.Format
	policy  *textsrc.Policy
	delim   byte
	bounded bool
	walDir  string // where the write-ahead logs live; "" without a log
}

func newSource(t *catalog.Table, env *connectors.Env) (connectors.Source, error) {
	if err := connectors.ValidateOptions(t, &connectors.Factory{Name: "socket", Options: options()}); err != nil {
		return nil, err
	}
	host := t.Option("hostname")
	if host == "" {
		host = t.Option("host")
	}
	if host == "" {
		return nil, fmt.Errorf("table %s: connector 'socket' needs option 'hostname'", t.Name)
	}
	port, err := strconv.Atoi(strings.TrimSpace(t.Option("port")))
	if err != nil || port <= 0 || port > 65535 {
		return nil, fmt.Errorf("table %s: option 'port': expected a port number, got '%s'", t.Name, t.Option("port"))
	}
	s := &source{t: t, addr: net.JoinHostPort(host, strconv.Itoa(port)), delim: '\n'}
	if t.HasOption("byte-delimiter") {
		if s.delim, err = parseDelimiter(t.Option("byte-delimiter")); err != nil {
			return nil, fmt.Errorf("table %s: option 'byte-delimiter': %v", t.Name, err)
		}
	}
	if t.HasOption("scan.bounded") {
		if s.bounded, err = format.ParseBoolOption(t.Option("scan.bounded")); err != nil {
			return nil, fmt.Errorf("table %s: option 'scan.bounded': %v", t.Name, err)
		}
	}
	useWAL := true
	if t.HasOption("scan.wal") {
		if useWAL, err = format.ParseBoolOption(t.Option("scan.wal")); err != nil {
			return nil, fmt.Errorf("table %s: option 'scan.wal': %v", t.Name, err)
		}
	}
	if useWAL && env != nil && env.StateDir != "" {
		s.walDir = filepath.Join(env.StateDir, "socket")
	}
	if s.format, err = textsrc.NewFormat(t, "text"); err != nil {
		return nil, err
	}
	if s.policy, err = textsrc.NewPolicy(t, env); err != nil {
		return nil, err
	}
	return s, nil
}

func parseDelimiter(v string) (byte, error) {
	if n, err := strconv.Atoi(strings.TrimSpace(v)); err == nil {
		if n < 0 || n > 255 {
			return 0, fmt.Errorf("expected a byte value 0..255, got %d", n)
		}
		return byte(n), nil
	}
	switch v {
	case `\n`:
		return '\n', nil
	case `\t`:
		return '\t', nil
	case `\r`:
		return '\r', nil
	case `\0`:
		return 0, nil
	}
	if len(v) == 1 {
		return v[0], nil
	}
	return 0, fmt.Errorf("expected a byte value, a character or an escape such as \\n, got '%s'", v)
}

type split struct{}

func (split) ID() string { return "socket" }

func (s *source) Bounded() bool { return s.bounded }

// FirstSkippedRow returns the first bad row skipped (connectors.SkippedRowSampler).
func (s *source) FirstSkippedRow() *connectors.BadRowError { return s.policy.FirstSkipped() }
func (s *source) Splits(int) ([]connectors.Split, error)   { return []connectors.Split{split{}}, nil }

func (s *source) OpenSplit(ctx context.Context, sp connectors.Split, pos []byte) (connectors.SplitReader, error) {
	start, lines, err := decodePosition(pos)
	if err != nil {
		return nil, fmt.Errorf("table %s: %v", s.t.Name, err)
	}
	d := net.Dialer{Timeout: DialTimeout}
	conn, err := d.DialContext(ctx, "tcp", s.addr)
	if err != nil {
		return nil, fmt.Errorf("table %s: cannot connect to %s: %v", s.t.Name, s.addr, err)
	}
	r := &reader{src: s, conn: conn, width: len(s.format.Schema)}
	var in io.Reader = conn
	if s.walDir != "" {
		id := split{}.ID()
		if sp != nil {
			id = sp.ID()
		}
		if in, err = r.openLog(walBase(s.t.Name, id), pos != nil, start); err != nil {
			conn.Close()
			return nil, err
		}
	}
	lr := textsrc.NewLineReader(in, start, 64<<10, s.delim)
	lr.SetLines(lines)
	r.dec = textsrc.NewDecoder(lr, s.format, s.policy, "socket", s.addr, &r.skipped)
	return r, nil
}

// A position is the stream offset after the last record returned (the
// log offset, with a write-ahead log) and the number of lines (records
// ended by the delimiter byte) before it, 8 bytes each, big-endian. Line
// numbers count from the start of the log, or of the first connection
// without one.
func encodePosition(off, lines int64) []byte {
	return binary.BigEndian.AppendUint64(binary.BigEndian.AppendUint64(nil, uint64(off)), uint64(lines))
}

// decodePosition reads a position; nil is the start of the stream. A
// position of only the offset (written by earlier versions) has an
// unknown line count (-1): bad rows are then located by offset alone.
func decodePosition(pos []byte) (off, lines int64, err error) {
	switch {
	case pos == nil:
		return 0, 0, nil
	case len(pos) == 8:
		off, lines = int64(binary.BigEndian.Uint64(pos)), -1
	case len(pos) == 16:
		off, lines = int64(binary.BigEndian.Uint64(pos)), int64(binary.BigEndian.Uint64(pos[8:]))
	default:
		return 0, 0, fmt.Errorf("invalid position of the socket split")
	}
	if off < 0 || lines < -1 {
		return 0, 0, fmt.Errorf("invalid position of the socket split")
	}
	return off, lines, nil
}

// openLog opens the split's write-ahead log and returns the stream to read
// records from: the log from start (when restoring) and then the socket.
// A record cut off at the end of the log (the connection it came from is
// gone) is dropped from the log: it was never returned, and the new
// connection cannot complete it.
func (r *reader) openLog(base string, restore bool, start int64) (io.Reader, error) {
	s := r.src
	l, err := openWAL(s.walDir, base, restore, start)
	if err != nil {
		return nil, fmt.Errorf("table %s: %v", s.t.Name, err)
	}
	if l.end > start {
		scan := &walReader{l: l, off: start, end: l.end}
		lines := textsrc.NewLineReader(endless{scan}, start, 64<<10, s.delim)
		textsrc.SetRecordSyntax(lines, s.format)
		for err == nil {
			_, _, err = lines.Next()
		}
		scan.close()
		if err != errLogEnd {
			l.close()
			return nil, fmt.Errorf("table %s: %v", s.t.Name, l.fail(err))
		}
		if err := l.truncate(lines.Offset()); err != nil {
			l.close()
			return nil, fmt.Errorf("table %s: %v", s.t.Name, err)
		}
	}
	r.log = l
	r.stream = &walStream{replay: &walReader{l: l, off: start, end: l.end}, conn: r.conn, log: l}
	return r.stream, nil
}

var _ connectors.CheckpointedReader = (*reader)(nil)

type reader struct {
	src     *source
	conn    net.Conn
	dec     *textsrc.Decoder
	log     *walLog    // nil without a write-ahead log
	stream  *walStream // with a write-ahead log
	width   int
	pending error // error to return on the next call (after rows were returned)
	skipped atomic.Int64
}

func (r *reader) Next(ctx context.Context, b *types.Batch) error {
	if r.pending != nil {
		return r.pending
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	if err := textsrc.CheckWidth(r.src.t, b, r.width); err != nil {
		return err
	}
	deadline := time.Now().Add(pollInterval)
	if d, ok := ctx.Deadline(); ok && d.Before(deadline) {
		deadline = d
	}
	if err := r.conn.SetReadDeadline(deadline); err != nil {
		return r.fail(fmt.Errorf("table %s: %s: %v", r.src.t.Name, r.src.addr, err))
	}
	// a cancellation interrupts a blocked read at once
	stop := context.AfterFunc(ctx, func() { r.conn.SetReadDeadline(time.Now()) })
	defer stop()
	n := b.Len()
	err := r.dec.Fill(b, textsrc.Limit(b))
	switch {
	case err == nil:
		return nil
	case errors.Is(err, os.ErrDeadlineExceeded):
		if cerr := ctx.Err(); cerr != nil && b.Len() == n {
			return cerr
		}
		return nil
	case err == io.EOF:
		if r.src.bounded {
			err = io.EOF
		} else {
			err = fmt.Errorf("table %s: the connection to %s was closed by the peer", r.src.t.Name, r.src.addr)
		}
	default:
		var bad *connectors.BadRowError
		var we *walError
		switch {
		case errors.As(err, &bad):
		case errors.As(err, &we):
			err = fmt.Errorf("table %s: %v", r.src.t.Name, err)
		default:
			err = fmt.Errorf("table %s: reading from %s: %v", r.src.t.Name, r.src.addr, err)
		}
	}
	r.pending = err
	if b.Len() > n {
		return nil
	}
	return err
}

func (r *reader) fail(err error) error {
	r.pending = err
	return err
}

// Position returns the stream offset (the log offset, with a write-ahead
// log) after the last record returned.
func (r *reader) Position() []byte {
	return encodePosition(r.dec.Lines.Offset(), r.dec.Lines.Lines())
}

// SnapshotPosition makes the write-ahead log durable and returns the
// position; without a log it is Position.
func (r *reader) SnapshotPosition(checkpointID int64) ([]byte, error) {
	off := r.dec.Lines.Offset()
	if r.log != nil {
		if err := r.log.sync(); err != nil {
			return nil, r.fail(fmt.Errorf("table %s: %v", r.src.t.Name, err))
		}
		r.log.snaps[checkpointID] = off
	}
	return encodePosition(off, r.dec.Lines.Lines()), nil
}

// CheckpointComplete deletes log segments that no restore can need any
// more: those before the position of the checkpoint that completed before
// this one.
func (r *reader) CheckpointComplete(checkpointID int64) {
	if r.log == nil {
		return
	}
	off, ok := r.log.snaps[checkpointID]
	if !ok {
		return
	}
	for id := range r.log.snaps {
		if id <= checkpointID {
			delete(r.log.snaps, id)
		}
	}
	r.log.completed(off)
}

// SkippedRows returns the number of bad rows skipped.
func (r *reader) SkippedRows() int64 { return r.skipped.Load() }

func (r *reader) Close() error {
	var err error
	if r.conn != nil {
		err = r.conn.Close()
		r.conn = nil
	}
	if r.log != nil {
		if r.stream.replay != nil {
			r.stream.replay.close()
		}
		if lerr := r.log.close(); err == nil {
			err = lerr
		}
		r.log = nil
	}
	return err
}
