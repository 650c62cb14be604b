package socket

import (
	"errors"
	"fmt"
	"hash/fnv"
	"io"
	"net"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
)

// The write-ahead log of a socket split is a sequence of segment files
// <dir>/<base>-<start>.wal, where start (20 digits) is the log offset of the
// segment's first byte; a segment ends where the next one starts. Log
// offsets count every byte received from the socket since the log was
// started, so they never change when old segments are deleted.

// segmentBytes is the size past which SnapshotPosition starts a new
// segment (so that old data can be deleted segment by segment).
var segmentBytes int64 = 8 << 20

type walSeg struct {
	start int64
	path  string
}

type walLog struct {
	dir, base string
	segs      []walSeg // ascending start; the last one is appended to
	f         *os.File // the last segment, open for appending
	end       int64    // log offset after the last byte
	dirty     bool     // appended since the last sync
	snaps     map[int64]int64
	done      int64 // position of the last completed checkpoint (or of the restore)
}

// walError is a failure of the log itself (not of the socket).
type walError struct {
	path string
	err  error
}

func (e *walError) Error() string { return fmt.Sprintf("write-ahead log %s: %v", e.path, e.err) }

// walBase returns the file name stem of the log of a split: stable for a
// table and split, readable, and distinct for names that differ only in
// characters a file name should not hold.
func walBase(table, split string) string {
	clean := func(s string) string {
		s = strings.ToLower(s)
		var b strings.Builder
		changed := false
		for _, c := range s {
			if c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '_' {
				b.WriteRune(c)
			} else {
				b.WriteByte('_')
				changed = true
			}
		}
		if changed {
			h := fnv.New32a()
			h.Write([]byte(s))
			fmt.Fprintf(&b, "_%08x", h.Sum32())
		}
		return b.String()
	}
	return clean(table) + "-" + clean(split)
}

func (l *walLog) segPath(start int64) string {
	return filepath.Join(l.dir, fmt.Sprintf("%s-%020d.wal", l.base, start))
}

func (l *walLog) fail(err error) error {
	if err == nil {
		return nil
	}
	var we *walError
	if errors.As(err, &we) {
		return err
	}
	p := l.dir
	if len(l.segs) > 0 {
		p = l.segs[len(l.segs)-1].path
	}
	return &walError{path: p, err: err}
}

// listSegments returns the log's segments, ascending, and the log's end.
func (l *walLog) listSegments() ([]walSeg, int64, error) {
	entries, err := os.ReadDir(l.dir)
	if err != nil {
		return nil, 0, err
	}
	var segs []walSeg
	for _, e := range entries {
		rest, ok := strings.CutPrefix(e.Name(), l.base+"-")
		if !ok {
			continue
		}
		rest, ok = strings.CutSuffix(rest, ".wal")
		if !ok || len(rest) != 20 {
			continue
		}
		start, err := strconv.ParseInt(rest, 10, 64)
		if err != nil || start < 0 {
			continue
		}
		segs = append(segs, walSeg{start: start, path: filepath.Join(l.dir, e.Name())})
	}
	sort.Slice(segs, func(i, j int) bool { return segs[i].start < segs[j].start })
	var end int64
	for i, s := range segs {
		st, err := os.Stat(s.path)
		if err != nil {
			return nil, 0, err
		}
		if i+1 < len(segs) && s.start+st.Size() != segs[i+1].start {
			return nil, 0, fmt.Errorf("segment %s holds %d bytes, but the next segment starts at offset %d", s.path, st.Size(), segs[i+1].start)
		}
		end = s.start + st.Size()
	}
	return segs, end, nil
}

// openWAL opens the log of a split. Without restore it deletes any old log
// and starts an empty one at offset 0. With restore it keeps the log,
// which must hold the offset pos (a log that does not exist yet starts at
// pos).
func openWAL(dir, base string, restore bool, pos int64) (*walLog, error) {
	l := &walLog{dir: dir, base: base, snaps: map[int64]int64{}, done: pos}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, l.fail(err)
	}
	segs, end, err := l.listSegments()
	if err != nil {
		return nil, l.fail(err)
	}
	if !restore {
		for _, s := range segs {
			if err := os.Remove(s.path); err != nil {
				return nil, l.fail(err)
			}
		}
		segs, end = nil, 0
	}
	if len(segs) == 0 {
		segs, end = []walSeg{{start: pos, path: l.segPath(pos)}}, pos
	} else if pos < segs[0].start {
		return nil, &walError{path: segs[0].path, err: fmt.Errorf("the log starts at offset %d and no longer holds the position to resume from (%d)", segs[0].start, pos)}
	} else if pos > end {
		return nil, &walError{path: segs[len(segs)-1].path, err: fmt.Errorf("the log ends at offset %d, before the position to resume from (%d)", end, pos)}
	}
	l.segs, l.end = segs, end
	if err := l.openLast(); err != nil {
		return nil, err
	}
	syncDir(dir)
	return l, nil
}

func (l *walLog) openLast() error {
	f, err := os.OpenFile(l.segs[len(l.segs)-1].path, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return l.fail(err)
	}
	l.f = f
	return nil
}

// truncate drops the log's bytes from offset off on.
func (l *walLog) truncate(off int64) error {
	if off >= l.end {
		return nil
	}
	l.f.Close()
	l.f = nil
	for len(l.segs) > 1 && l.segs[len(l.segs)-1].start >= off {
		if err := os.Remove(l.segs[len(l.segs)-1].path); err != nil {
			return l.fail(err)
		}
		l.segs = l.segs[:len(l.segs)-1]
	}
	last := l.segs[len(l.segs)-1]
	if err := os.Truncate(last.path, off-last.start); err != nil {
		return l.fail(err)
	}
	l.end = off
	return l.openLast()
}

func (l *walLog) append(p []byte) error {
	n, err := l.f.Write(p)
	l.end += int64(n)
	l.dirty = true
	return l.fail(err)
}

// sync makes the log durable, and starts a new segment when the current
// one is large.
func (l *walLog) sync() error {
	if l.dirty {
		if err := l.f.Sync(); err != nil {
			return l.fail(err)
		}
		l.dirty = false
	}
	last := l.segs[len(l.segs)-1]
	if l.end-last.start >= segmentBytes {
		if err := l.f.Close(); err != nil {
			return l.fail(err)
		}
		l.segs = append(l.segs, walSeg{start: l.end, path: l.segPath(l.end)})
		if err := l.openLast(); err != nil {
			return err
		}
		syncDir(l.dir)
	}
	return nil
}

// completed records that the checkpoint whose position was off completed:
// the segments wholly before the previously completed checkpoint's
// position are deleted (one older checkpoint stays restorable).
func (l *walLog) completed(off int64) {
	keep := l.done
	l.done = max(l.done, off)
	for len(l.segs) > 1 && l.segs[1].start <= keep {
		if err := os.Remove(l.segs[0].path); err != nil && !errors.Is(err, os.ErrNotExist) {
			return // retried at the next completion
		}
		l.segs = l.segs[1:]
	}
}

func (l *walLog) close() error {
	if l.f == nil {
		return nil
	}
	err := l.f.Close()
	l.f = nil
	return err
}

// walReader reads the log from off up to end.
type walReader struct {
	l        *walLog
	off, end int64
	f        *os.File
	fEnd     int64 // log offset where f's segment (or the range) ends
}

func (r *walReader) Read(p []byte) (int, error) {
	if r.off >= r.end {
		return 0, io.EOF
	}
	if r.f == nil {
		i := sort.Search(len(r.l.segs), func(i int) bool { return r.l.segs[i].start > r.off }) - 1
		if i < 0 {
			return 0, &walError{path: r.l.segs[0].path, err: fmt.Errorf("offset %d is before the log", r.off)}
		}
		s := r.l.segs[i]
		f, err := os.Open(s.path)
		if err != nil {
			return 0, &walError{path: s.path, err: err}
		}
		if _, err := f.Seek(r.off-s.start, io.SeekStart); err != nil {
			f.Close()
			return 0, &walError{path: s.path, err: err}
		}
		r.f, r.fEnd = f, r.end
		if i+1 < len(r.l.segs) {
			r.fEnd = min(r.fEnd, r.l.segs[i+1].start)
		}
	}
	n, err := r.f.Read(p[:min(int64(len(p)), r.fEnd-r.off)])
	r.off += int64(n)
	if r.off == r.fEnd {
		r.close()
	}
	if n > 0 {
		return n, nil
	}
	if err == nil || err == io.EOF {
		err = io.ErrUnexpectedEOF
	}
	return 0, &walError{path: r.l.dir, err: err}
}

func (r *walReader) close() {
	if r.f != nil {
		r.f.Close()
		r.f = nil
	}
}

// errLogEnd ends the scan of the log's tail without ending the stream.
var errLogEnd = errors.New("end of the log")

// endless turns the end of a reader into errLogEnd.
type endless struct{ r io.Reader }

func (e endless) Read(p []byte) (int, error) {
	n, err := e.r.Read(p)
	if err == io.EOF {
		err = errLogEnd
	}
	return n, err
}

// walStream is what a logging reader's records are split from: first the
// log from the restored position to its end, then the socket, whose every
// chunk is appended to the log before it is returned.
type walStream struct {
	replay *walReader // nil once replayed
	conn   net.Conn
	log    *walLog
	err    error // a failure of the log: sticky
}

func (s *walStream) Read(p []byte) (int, error) {
	if s.err != nil {
		return 0, s.err
	}
	if s.replay != nil {
		n, err := s.replay.Read(p)
		if n > 0 {
			return n, nil
		}
		if err != io.EOF {
			s.err = err
			return 0, err
		}
		s.replay.close()
		s.replay = nil
	}
	n, err := s.conn.Read(p)
	if n > 0 {
		if werr := s.log.append(p[:n]); werr != nil {
			s.err = werr
			return 0, werr
		}
	}
	return n, err
}

func syncDir(dir string) {
	if d, err := os.Open(dir); err == nil {
		d.Sync() // best effort: not every file system syncs directories
		d.Close()
	}
}
