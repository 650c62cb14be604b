package filesystem

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"

	"github.com/streamsql/streamsql/catalog"
	"github.com/streamsql/streamsql/connectors"
	"github.com/streamsql/streamsql/format"
	"github.com/streamsql/streamsql/types"
)

func newSink(t *catalog.Table, env *connectors.Env) (connectors.Sink, error) {
	f, err := validate(t)
	if err != nil {
		return nil, err
	}
	path := t.Option("path")
	dir := strings.HasSuffix(path, "/") || strings.HasSuffix(path, string(filepath.Separator))
	if st, err := os.Stat(path); err == nil && st.IsDir() {
		dir = true
	}
	return &sink{t: t, format: f, path: filepath.Clean(path), dir: dir}, nil
}

var _ connectors.TwoPhaseCommitWriter = (*writer)(nil)

type sink struct {
	t      *catalog.Table
	format *format.Format
	path   string
	dir    bool
}

// AcceptsChangelog is false: files are append-only.
func (s *sink) AcceptsChangelog() bool { return false }

// Open starts the writer of one instance and deletes the in-progress files
// that earlier attempts of this instance left (never pre-committed, so
// never needed). Pending files are kept: Recover decides about them.
func (s *sink) Open(_ context.Context, instance, parallelism int) (connectors.SinkWriter, error) {
	w := &writer{s: s, enc: s.format.NewEncoder(), instance: instance, parallelism: max(parallelism, 1), token: newToken()}
	if s.dir {
		if err := os.MkdirAll(s.path, 0o755); err != nil {
			return nil, fmt.Errorf("table %s: %v", s.t.Name, err)
		}
		w.dir = s.path
		entries, err := os.ReadDir(s.path)
		if err != nil {
			return nil, fmt.Errorf("table %s: %v", s.t.Name, err)
		}
		for _, e := range entries {
			name := e.Name()
			if k, kind, ok := w.parseHidden(name); ok && kind == hiddenInProgress && w.cleans(k) {
				// left over by a writer that did not pre-commit: never visible, drop it
				os.Remove(filepath.Join(s.path, name))
				continue
			}
			if seq, ok := w.committedSeq(name); ok && seq >= w.next {
				w.next = seq + 1
			}
		}
		return w, nil
	}
	if parallelism > 1 {
		return nil, fmt.Errorf("table %s: 'path' '%s' is a single file, which only a sink of parallelism 1 can write (got %d); use a directory path ending with '/'", s.t.Name, s.path, parallelism)
	}
	w.dir = filepath.Dir(s.path)
	if entries, err := os.ReadDir(w.dir); err == nil {
		for _, e := range entries {
			if _, kind, ok := w.parseHidden(e.Name()); ok && kind == hiddenInProgress {
				os.Remove(filepath.Join(w.dir, e.Name()))
			}
		}
	}
	if st, err := os.Stat(s.path); err == nil {
		w.nextOffset = st.Size()
	}
	return w, nil
}

// newToken returns a random name part that tells the files of one writer
// (one Open) from those of any other attempt.
func newToken() string {
	var b [8]byte
	rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

type writer struct {
	s           *sink
	enc         format.Encoder
	instance    int
	parallelism int
	token       string
	dir         string
	next        int   // sequence number of the next part file (directory mode)
	nextOffset  int64 // single-file mode: offset in the file of the next pre-committed part
	parts       int   // single-file mode: parts pre-committed by this writer
	f           *os.File
	size        int64 // bytes written to f
	buf         []byte
	uncommitted []committable // pre-committed, not yet committed, in order
	swept       bool          // leftovers of other attempts were deleted
	failed      error
}

// committable describes one pre-committed file: the hidden pending file
// and where its content goes. Names are relative to the sink's directory
// (the directory of 'path' in single-file mode).
type committable struct {
	V          int    `json:"v"`
	Pending    string `json:"pending"`
	Final      string `json:"final"`
	Instance   int    `json:"instance"`
	Seq        int    `json:"seq"`
	Checkpoint int64  `json:"checkpoint"`
	Size       int64  `json:"size"`
	// Append (single-file mode): the pending file's content goes to the
	// final file at Offset.
	Append bool  `json:"append,omitempty"`
	Offset int64 `json:"offset,omitempty"`
}

const committableVersion = 1

const flushBytes = 256 << 10

const (
	hiddenInProgress = iota
	hiddenPending
)

// File names (directory mode, instance i, extension ext):
//
//	part-<i>-<seq>.<ext>                              committed
//	.part-<i>-<token>.<ext>.inprogress                being written
//	.part-<i>-<seq>.<ext>.chk-<n>.<token>.pending     pre-committed at checkpoint n
//
// Single-file mode ('path' names file F):
//
//	F                                   committed content
//	.F.<token>.inprogress               being written
//	.F.<k>.chk-<n>.<token>.pending      part k of the writer, pre-committed at checkpoint n

func (w *writer) ext() string { return w.s.format.Extension() }

func (w *writer) inProgress() string {
	if w.s.dir {
		return filepath.Join(w.dir, fmt.Sprintf(".part-%d-%s.%s.inprogress", w.instance, w.token, w.ext()))
	}
	return filepath.Join(w.dir, fmt.Sprintf(".%s.%s.inprogress", filepath.Base(w.s.path), w.token))
}

// parseHidden recognises the in-progress and pending files of this sink
// and returns the instance that wrote them.
func (w *writer) parseHidden(name string) (instance, kind int, ok bool) {
	switch {
	case strings.HasSuffix(name, ".inprogress"):
		kind = hiddenInProgress
	case strings.HasSuffix(name, ".pending"):
		kind = hiddenPending
	default:
		return 0, 0, false
	}
	if !w.s.dir {
		return 0, kind, strings.HasPrefix(name, "."+filepath.Base(w.s.path)+".")
	}
	rest, found := strings.CutPrefix(name, ".part-")
	if !found {
		return 0, 0, false
	}
	i := 0
	for i < len(rest) && rest[i] >= '0' && rest[i] <= '9' {
		i++
	}
	if i == 0 || i == len(rest) || rest[i] != '-' {
		return 0, 0, false
	}
	k, err := strconv.Atoi(rest[:i])
	if err != nil {
		return 0, 0, false
	}
	return k, kind, true
}

// committedSeq parses part-<instance>-<seq>.<ext>.
func (w *writer) committedSeq(name string) (int, bool) {
	n, ok := strings.CutPrefix(name, "part-"+strconv.Itoa(w.instance)+"-")
	if !ok {
		return 0, false
	}
	n, ok = strings.CutSuffix(n, "."+w.ext())
	if !ok {
		return 0, false
	}
	seq, err := strconv.Atoi(n)
	return seq, err == nil && seq >= 0
}

// cleans reports whether this writer removes the leftovers of instance k:
// its own, and those of instances that no longer exist at the current
// parallelism (k mod parallelism == instance).
func (w *writer) cleans(k int) bool {
	return k == w.instance || (k >= w.parallelism && k%w.parallelism == w.instance)
}

func (w *writer) fail(err error) error {
	w.failed = fmt.Errorf("table %s: %v", w.s.t.Name, err)
	return w.failed
}

func (w *writer) Write(b *types.Batch) error {
	if w.failed != nil {
		return w.failed
	}
	for _, op := range b.Ops {
		if op != types.Insert {
			return fmt.Errorf("table %s: the filesystem sink writes only inserted rows, the query produces %s rows: use a sink with a primary key", w.s.t.Name, op)
		}
	}
	if b.Len() == 0 {
		return nil
	}
	if w.f == nil {
		if err := os.MkdirAll(w.dir, 0o755); err != nil {
			return w.fail(err)
		}
		f, err := os.OpenFile(w.inProgress(), os.O_CREATE|os.O_TRUNC|os.O_WRONLY, 0o644)
		if err != nil {
			return w.fail(err)
		}
		w.f, w.size = f, 0
	}
	for i := 0; i < b.Len(); i++ {
		w.buf = w.enc.AppendRow(w.buf, b.Row(i))
		w.buf = append(w.buf, '\n')
		if len(w.buf) >= flushBytes {
			if err := w.writeBuf(); err != nil {
				return w.fail(err)
			}
		}
	}
	return nil
}

func (w *writer) writeBuf() error {
	n, err := w.f.Write(w.buf)
	w.size += int64(n)
	w.buf = w.buf[:0]
	return err
}

// closeInProgress writes the buffer, syncs and closes the in-progress
// file; it returns its path, or "" when nothing was written.
func (w *writer) closeInProgress() (string, error) {
	if w.f == nil {
		return "", nil
	}
	f := w.f
	w.f = nil
	if len(w.buf) > 0 {
		n, err := f.Write(w.buf)
		w.size += int64(n)
		w.buf = w.buf[:0]
		if err != nil {
			f.Close()
			return "", err
		}
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return "", err
	}
	if err := f.Close(); err != nil {
		return "", err
	}
	return f.Name(), nil
}

// Flush commits the rows written since the previous Flush at once (jobs
// without checkpoints; a TwoPhaseCommitWriter's runtime never calls it).
func (w *writer) Flush() error {
	if w.failed != nil {
		return w.failed
	}
	tmp, err := w.closeInProgress()
	if err != nil {
		return w.fail(err)
	}
	if tmp == "" {
		return nil
	}
	if w.s.dir {
		final := filepath.Join(w.dir, fmt.Sprintf("part-%d-%d.%s", w.instance, w.next, w.ext()))
		if err := os.Rename(tmp, final); err != nil {
			return w.fail(err)
		}
		w.next++
	} else {
		if err := appendFile(tmp, w.s.path); err != nil {
			return w.fail(err)
		}
		w.nextOffset += w.size
	}
	syncDir(w.dir)
	return nil
}

// PreCommit closes the in-progress file (synced) and renames it to a
// hidden pending file named after the checkpoint. The committables are
// those of every pre-committed file not committed yet, oldest first: the
// new one, and any of an earlier checkpoint that did not complete, so that
// committing checkpoint n commits everything written before barrier n.
func (w *writer) PreCommit(checkpointID int64) ([][]byte, error) {
	if w.failed != nil {
		return nil, w.failed
	}
	tmp, err := w.closeInProgress()
	if err != nil {
		return nil, w.fail(err)
	}
	if tmp != "" {
		c := committable{V: committableVersion, Instance: w.instance, Checkpoint: checkpointID, Size: w.size}
		if w.s.dir {
			c.Seq = w.next
			c.Final = fmt.Sprintf("part-%d-%d.%s", w.instance, w.next, w.ext())
			c.Pending = fmt.Sprintf(".%s.chk-%d.%s.pending", c.Final, checkpointID, w.token)
		} else {
			c.Seq = w.parts
			c.Final = filepath.Base(w.s.path)
			c.Pending = fmt.Sprintf(".%s.%d.chk-%d.%s.pending", c.Final, w.parts, checkpointID, w.token)
			c.Append, c.Offset = true, w.nextOffset
		}
		if err := os.Rename(tmp, filepath.Join(w.dir, c.Pending)); err != nil {
			return nil, w.fail(err)
		}
		syncDir(w.dir)
		if w.s.dir {
			w.next++
		} else {
			w.parts++
			w.nextOffset += c.Size
		}
		w.uncommitted = append(w.uncommitted, c)
	}
	if len(w.uncommitted) == 0 {
		return nil, nil
	}
	out := make([][]byte, len(w.uncommitted))
	for i, c := range w.uncommitted {
		out[i], _ = json.Marshal(c)
	}
	return out, nil
}

func (w *writer) decode(raw [][]byte) ([]committable, error) {
	out := make([]committable, 0, len(raw))
	for _, r := range raw {
		var c committable
		if err := json.Unmarshal(r, &c); err != nil || c.V != committableVersion || c.Pending == "" || c.Final == "" ||
			strings.ContainsAny(c.Pending+c.Final, `/\`) {
			return nil, fmt.Errorf("table %s: invalid filesystem sink committable %q", w.s.t.Name, r)
		}
		out = append(out, c)
	}
	// appends must happen in file order
	key := func(c committable) int64 {
		if c.Append {
			return c.Offset
		}
		return -1
	}
	sort.SliceStable(out, func(i, j int) bool { return key(out[i]) < key(out[j]) })
	return out, nil
}

// Commit renames pending files into place (directory mode) or appends them
// to the file at their offset (single-file mode). Committing a committable
// again is a no-op.
func (w *writer) Commit(raw [][]byte) error {
	if err := w.commit(raw); err != nil {
		return err
	}
	if !w.swept {
		// A checkpoint completed after this writer opened, so every
		// instance has recovered what it restored: the pending files of
		// other attempts that are left are garbage.
		if err := w.sweep(nil); err != nil {
			return err
		}
	}
	return nil
}

func (w *writer) commit(raw [][]byte) error {
	cs, err := w.decode(raw)
	if err != nil {
		return err
	}
	for _, c := range cs {
		if err := w.commitOne(c); err != nil {
			return fmt.Errorf("table %s: committing %s: %v", w.s.t.Name, c.Final, err)
		}
		for i, u := range w.uncommitted {
			if u.Pending == c.Pending {
				w.uncommitted = append(w.uncommitted[:i], w.uncommitted[i+1:]...)
				break
			}
		}
	}
	if len(cs) > 0 {
		syncDir(w.dir)
	}
	return nil
}

func (w *writer) commitOne(c committable) error {
	pending, final := filepath.Join(w.dir, c.Pending), filepath.Join(w.dir, c.Final)
	if !c.Append {
		err := os.Rename(pending, final)
		if errors.Is(err, os.ErrNotExist) {
			if _, serr := os.Stat(final); serr == nil {
				return nil // committed before
			}
			return fmt.Errorf("neither the pending file %s nor the committed file exists", c.Pending)
		}
		return err
	}
	return appendAt(pending, final, c.Offset, c.Size)
}

// appendAt makes final hold the content of pending at offset off, then
// removes pending. It is idempotent and repairs what an interrupted
// attempt left: when final already extends past off, the bytes there are
// kept if they equal pending's (committed before, possibly in part) and
// replaced otherwise (written by an attempt after the restored checkpoint).
func appendAt(pending, final string, off, size int64) error {
	src, err := os.Open(pending)
	if errors.Is(err, os.ErrNotExist) {
		if st, serr := os.Stat(final); serr == nil && st.Size() >= off+size {
			return nil // committed before
		}
		return fmt.Errorf("the pending file %s is missing and the file does not hold its %d bytes at offset %d", filepath.Base(pending), size, off)
	}
	if err != nil {
		return err
	}
	defer src.Close()
	var have int64
	st, err := os.Stat(final)
	switch {
	case errors.Is(err, os.ErrNotExist) && off == 0:
		src.Close()
		return os.Rename(pending, final)
	case errors.Is(err, os.ErrNotExist):
	case err != nil:
		return err
	default:
		have = st.Size()
	}
	if have < off {
		return fmt.Errorf("the file has %d bytes, fewer than the offset %d of this part: an earlier part is missing", have, off)
	}
	dst, err := os.OpenFile(final, os.O_RDWR, 0)
	if err != nil {
		return err
	}
	defer dst.Close()
	from := int64(0) // bytes of pending already in place
	if have > off {
		n := min(have-off, size)
		same, err := sameBytes(io.NewSectionReader(dst, off, n), io.LimitReader(src, n))
		if err != nil {
			return err
		}
		if same {
			from = n
		} else if err := dst.Truncate(off); err != nil {
			return err
		}
	}
	if from < size {
		if have > off+from {
			if err := dst.Truncate(off + from); err != nil {
				return err
			}
		}
		if _, err := src.Seek(from, io.SeekStart); err != nil {
			return err
		}
		if _, err := dst.Seek(off+from, io.SeekStart); err != nil {
			return err
		}
		if _, err := io.Copy(dst, src); err != nil {
			return err
		}
		if err := dst.Sync(); err != nil {
			return err
		}
	}
	if err := dst.Close(); err != nil {
		return err
	}
	src.Close()
	return os.Remove(pending)
}

func sameBytes(a, b io.Reader) (bool, error) {
	ba, bb := make([]byte, 64<<10), make([]byte, 64<<10)
	for {
		na, ea := io.ReadFull(a, ba)
		nb, eb := io.ReadFull(b, bb)
		if !bytes.Equal(ba[:na], bb[:nb]) {
			return false, nil
		}
		if ea == io.EOF || ea == io.ErrUnexpectedEOF || eb == io.EOF || eb == io.ErrUnexpectedEOF {
			return (ea != nil) == (eb != nil), nil
		}
		if ea != nil {
			return false, ea
		}
		if eb != nil {
			return false, eb
		}
	}
}

// Recover commits the committables of the restored checkpoint and deletes
// every other in-progress or pending file of this instance (left by
// attempts after that checkpoint). The sequence of part files continues
// after the restored ones, so a replay produces the same file names.
func (w *writer) Recover(raw [][]byte) error {
	cs, err := w.decode(raw)
	if err != nil {
		return err
	}
	if err := w.commit(raw); err != nil {
		return err
	}
	keep := map[string]bool{}
	mine := false
	var maxSeq int
	var end int64
	for _, c := range cs {
		keep[c.Pending] = true
		if c.Append {
			end = max(end, c.Offset+c.Size)
		} else if c.Instance == w.instance {
			if !mine || c.Seq > maxSeq {
				maxSeq = c.Seq
			}
			mine = true
		}
	}
	if mine {
		// the restored checkpoint, not what later attempts committed,
		// decides the numbering
		w.next = maxSeq + 1
	}
	if !w.s.dir && len(cs) > 0 {
		w.nextOffset = end
	}
	return w.sweepOwn(keep)
}

// sweepOwn deletes this instance's pending files of other attempts.
func (w *writer) sweepOwn(keep map[string]bool) error {
	return w.sweepIf(keep, func(k int) bool { return k == w.instance })
}

// sweep deletes the pending and in-progress files of other attempts of
// the instances this writer cleans.
func (w *writer) sweep(keep map[string]bool) error {
	w.swept = true
	return w.sweepIf(keep, w.cleans)
}

func (w *writer) sweepIf(keep map[string]bool, which func(int) bool) error {
	entries, err := os.ReadDir(w.dir)
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return nil
		}
		return fmt.Errorf("table %s: %v", w.s.t.Name, err)
	}
	for _, e := range entries {
		name := e.Name()
		k, _, ok := w.parseHidden(name)
		if !ok || !which(k) || keep[name] || strings.Contains(name, w.token) {
			continue
		}
		if err := os.Remove(filepath.Join(w.dir, name)); err != nil && !errors.Is(err, os.ErrNotExist) {
			return fmt.Errorf("table %s: %v", w.s.t.Name, err)
		}
	}
	return nil
}

// appendFile renames tmp to final, or appends tmp to final when it exists.
func appendFile(tmp, final string) error {
	if _, err := os.Stat(final); errors.Is(err, os.ErrNotExist) {
		return os.Rename(tmp, final)
	}
	src, err := os.Open(tmp)
	if err != nil {
		return err
	}
	defer src.Close()
	dst, err := os.OpenFile(final, os.O_WRONLY|os.O_APPEND, 0)
	if err != nil {
		return err
	}
	if _, err := io.Copy(dst, src); err != nil {
		dst.Close()
		return err
	}
	if err := dst.Sync(); err != nil {
		dst.Close()
		return err
	}
	if err := dst.Close(); err != nil {
		return err
	}
	return os.Remove(tmp)
}

func syncDir(dir string) {
	if d, err := os.Open(dir); err == nil {
		d.Sync() // best effort: not every file system syncs directories
		d.Close()
	}
}

// Close discards whatever was written after the last Flush or PreCommit;
// pending files stay for Commit or Recover.
func (w *writer) Close() error {
	if w.f != nil {
		w.f.Close()
		w.f = nil
		os.Remove(w.inProgress())
	}
	w.buf = nil
	return nil
}
