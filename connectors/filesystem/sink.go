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
	"path"
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
	f, l, err := validate(t)
	if err != nil {
		return nil, err
	}
	path := t.Option("path")
	dir := l != nil || strings.HasSuffix(path, "/") || strings.HasSuffix(path, string(filepath.Separator))
	if st, err := os.Stat(path); err == nil && st.IsDir() {
		dir = true
	}
	return &sink{t: t, format: f, layout: l, path: filepath.Clean(path), dir: dir}, nil
}

var _ connectors.TwoPhaseCommitWriter = (*writer)(nil)

type sink struct {
	t      *catalog.Table
	format *format.Format // codec of the data files (without the partition columns)
	layout *layout        // nil when the table is not partitioned
	path   string
	dir    bool // directory mode (always when partitioned)
}

// AcceptsChangelog is false: files are append-only.
func (s *sink) AcceptsChangelog() bool { return false }

// Open starts the writer of one instance and deletes the in-progress files
// that earlier attempts of this instance left (never pre-committed, so
// never needed). Pending files are kept: Recover decides about them.
//
// In directory mode it looks at every partition directory (the table's
// directory when it is not partitioned): the numbering of this instance's
// part files continues after the highest one committed there.
func (s *sink) Open(_ context.Context, instance, parallelism int) (connectors.SinkWriter, error) {
	w := &writer{s: s, enc: s.format.NewEncoder(), instance: instance, parallelism: max(parallelism, 1), token: newToken(),
		files: map[string]*partFile{}}
	if s.layout != nil {
		w.scratch = make([]types.Value, len(s.layout.data))
	}
	if s.dir {
		if st, err := os.Stat(s.path); err == nil && !st.IsDir() {
			return nil, fmt.Errorf("table %s: 'path' '%s' is a file, but a table PARTITIONED BY (%s) writes a directory tree", s.t.Name, s.path, strings.Join(s.layout.names, ", "))
		}
		if err := os.MkdirAll(s.path, 0o755); err != nil {
			return nil, fmt.Errorf("table %s: %v", s.t.Name, err)
		}
		w.dir = s.path
		err := w.eachDir(func(rel, dir string, entries []os.DirEntry) error {
			for _, e := range entries {
				name := e.Name()
				if k, kind, ok := w.parseHidden(name); ok && kind == hiddenInProgress && w.cleans(k) {
					// left over by a writer that did not pre-commit: never visible, drop it
					os.Remove(filepath.Join(dir, name))
					continue
				}
				if seq, ok := w.committedSeq(name); ok && seq >= w.next {
					w.next = seq + 1
				}
			}
			return nil
		})
		if err != nil {
			return nil, err
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
	next        int   // sequence number of the next part file (directory mode, all partitions)
	nextOffset  int64 // single-file mode: offset in the file of the next pre-committed part
	parts       int   // single-file mode: parts pre-committed by this writer
	// files are the in-progress files written since the last PreCommit or
	// Flush, by partition directory ("" when the table is not partitioned).
	files    map[string]*partFile
	handles  int   // files with an open handle
	buffered int64 // bytes in the files' buffers
	// the partition of the previous row (partitioned tables), to skip
	// rendering its directory again
	lastKey     []types.Value
	last        *partFile
	scratch     []types.Value // data columns of a row
	rel         []byte        // partition directory being built
	render      []byte        // partition value being rendered
	spare       [][]byte      // buffers of closed files, for reuse
	uncommitted []committable // pre-committed, not yet committed, in order
	swept       bool          // leftovers of other attempts were deleted
	failed      error
}

// partFile is the in-progress file of one partition directory.
type partFile struct {
	rel  string   // partition directory relative to the sink's directory, '/'-separated
	path string   // the in-progress file
	f    *os.File // nil while closed (too many partitions open at once)
	size int64    // bytes written to the file
	buf  []byte   // rows not yet written
}

// maxHandles bounds the in-progress files a writer keeps open; beyond it a
// partition's file is opened for each write of its buffer. maxBuffered
// bounds the bytes buffered over all partitions of a writer.
const (
	maxHandles  = 32
	maxBuffered = 4 << 20
)

// committable describes one pre-committed file: the hidden pending file
// and where its content goes. Names are relative to the partition
// directory Partition, itself relative to the sink's directory (the
// directory of 'path' in single-file mode).
type committable struct {
	V          int    `json:"v"`
	Partition  string `json:"partition,omitempty"` // '/'-separated; "" when not partitioned
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

// File names (directory mode, instance i, extension ext), in the sink's
// directory or, for a partitioned table, in each partition directory
// '<col1>=<v1>/.../<colN>=<vN>/' below it:
//
//	part-<i>-<seq>.<ext>                              committed
//	.part-<i>-<token>.<ext>.inprogress                being written
//	.part-<i>-<seq>.<ext>.chk-<n>.<token>.pending     pre-committed at checkpoint n
//
// seq counts over all the partitions an instance writes.
//
// Single-file mode ('path' names file F):
//
//	F                                   committed content
//	.F.<token>.inprogress               being written
//	.F.<k>.chk-<n>.<token>.pending      part k of the writer, pre-committed at checkpoint n

func (w *writer) ext() string { return w.s.format.Extension() }

// inProgress returns the path of the in-progress file of partition rel.
func (w *writer) inProgress(rel string) string {
	if w.s.dir {
		return filepath.Join(w.partDir(rel), fmt.Sprintf(".part-%d-%s.%s.inprogress", w.instance, w.token, w.ext()))
	}
	return filepath.Join(w.dir, fmt.Sprintf(".%s.%s.inprogress", filepath.Base(w.s.path), w.token))
}

// partDir returns the directory of partition rel.
func (w *writer) partDir(rel string) string {
	if rel == "" {
		return w.dir
	}
	return filepath.Join(w.dir, filepath.FromSlash(rel))
}

// eachDir calls fn with the entries of every partition directory under
// the sink's directory (the directory itself when the table is not
// partitioned), in no particular order. Directories that vanish meanwhile
// are skipped.
func (w *writer) eachDir(fn func(rel, dir string, entries []os.DirEntry) error) error {
	depth := 0
	if w.s.layout != nil {
		depth = w.s.layout.depth()
	}
	var walk func(rel string, level int) error
	walk = func(rel string, level int) error {
		dir := w.partDir(rel)
		entries, err := os.ReadDir(dir)
		if err != nil {
			if errors.Is(err, os.ErrNotExist) {
				return nil
			}
			return fmt.Errorf("table %s: %v", w.s.t.Name, err)
		}
		if level == depth {
			return fn(rel, dir, entries)
		}
		for _, e := range entries {
			if e.IsDir() && !strings.HasPrefix(e.Name(), ".") {
				if err := walk(path.Join(rel, e.Name()), level+1); err != nil {
					return err
				}
			}
		}
		return nil
	}
	return walk("", 0)
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
	l := w.s.layout
	for i := 0; i < b.Len(); i++ {
		row := b.Row(i)
		pf := w.last
		if l != nil && (pf == nil || !l.sameKeys(w.lastKey, row)) {
			w.rel, w.render = l.appendRel(w.rel[:0], w.render, row)
			pf = w.files[string(w.rel)]
			w.lastKey = w.lastKey[:0]
			for _, k := range l.keys {
				w.lastKey = append(w.lastKey, row[k])
			}
		}
		if pf == nil {
			var err error
			if pf, err = w.create(string(w.rel)); err != nil {
				return w.fail(err)
			}
		}
		w.last = pf
		n := len(pf.buf)
		if l != nil {
			row = l.project(row, w.scratch)
		}
		pf.buf = w.enc.AppendRow(pf.buf, row)
		pf.buf = append(pf.buf, '\n')
		w.buffered += int64(len(pf.buf) - n)
		if len(pf.buf) >= flushBytes {
			if err := w.writeBuf(pf); err != nil {
				return w.fail(err)
			}
		}
		if w.buffered >= maxBuffered {
			for _, f := range w.files {
				if err := w.writeBuf(f); err != nil {
					return w.fail(err)
				}
			}
		}
	}
	return nil
}

// create starts the in-progress file of partition rel ("" when the table
// is not partitioned).
func (w *writer) create(rel string) (*partFile, error) {
	pf := &partFile{rel: rel, path: w.inProgress(rel)}
	if n := len(w.spare); n > 0 {
		pf.buf, w.spare = w.spare[n-1], w.spare[:n-1]
	}
	if err := os.MkdirAll(filepath.Dir(pf.path), 0o755); err != nil {
		return nil, err
	}
	f, err := os.OpenFile(pf.path, os.O_CREATE|os.O_TRUNC|os.O_WRONLY, 0o644)
	if err != nil {
		return nil, err
	}
	if w.handles < maxHandles {
		pf.f = f
		w.handles++
	} else if err := f.Close(); err != nil {
		return nil, err
	}
	w.files[rel] = pf
	return pf, nil
}

// writeBuf writes the buffer of pf to its file.
func (w *writer) writeBuf(pf *partFile) error {
	if len(pf.buf) == 0 {
		return nil
	}
	f := pf.f
	if f == nil {
		var err error
		if f, err = os.OpenFile(pf.path, os.O_WRONLY|os.O_APPEND, 0); err != nil {
			return err
		}
	}
	n, err := f.Write(pf.buf)
	pf.size += int64(n)
	w.buffered -= int64(len(pf.buf))
	pf.buf = pf.buf[:0]
	if pf.f == nil {
		if cerr := f.Close(); err == nil {
			err = cerr
		}
		// A file without a handle (beyond maxHandles partitions) gives
		// its buffer back: the writer keeps buffers for at most
		// maxHandles files plus maxHandles spares, whatever the number
		// of partitions between two checkpoints.
		w.release(pf)
	}
	return err
}

// release takes pf's buffer away from it, keeping it as a spare when it
// is not too large and spares are missing.
func (w *writer) release(pf *partFile) {
	if cap(pf.buf) > 0 && cap(pf.buf) <= 2*flushBytes && len(w.spare) < maxHandles {
		w.spare = append(w.spare, pf.buf[:0])
	}
	pf.buf = nil
}

// closeInProgress writes the buffer of pf, syncs and closes its file, and
// forgets it.
func (w *writer) closeInProgress(pf *partFile) error {
	delete(w.files, pf.rel)
	w.last, w.lastKey = nil, w.lastKey[:0]
	w.buffered -= int64(len(pf.buf))
	f := pf.f
	if f != nil {
		pf.f = nil
		w.handles--
	} else {
		var err error
		if f, err = os.OpenFile(pf.path, os.O_WRONLY|os.O_APPEND, 0); err != nil {
			return err
		}
	}
	if len(pf.buf) > 0 {
		n, err := f.Write(pf.buf)
		pf.size += int64(n)
		if err != nil {
			f.Close()
			return err
		}
	}
	w.release(pf)
	if err := f.Sync(); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// pendingFiles returns the in-progress files in the order of their
// partition directories, which fixes the order of their numbers.
func (w *writer) pendingFiles() []*partFile {
	out := make([]*partFile, 0, len(w.files))
	for _, pf := range w.files {
		out = append(out, pf)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].rel < out[j].rel })
	return out
}

// syncDirs syncs the partition directories of rels and their parents up
// to the sink's directory, so that new directories are durable too.
func (w *writer) syncDirs(rels []string) {
	done := map[string]bool{}
	for _, rel := range rels {
		for {
			if !done[rel] {
				done[rel] = true
				syncDir(w.partDir(rel))
			}
			if rel == "" {
				break
			}
			rel = path.Dir(rel)
			if rel == "." {
				rel = ""
			}
		}
	}
}

// Flush commits the rows written since the previous Flush at once (jobs
// without checkpoints; a TwoPhaseCommitWriter's runtime never calls it).
func (w *writer) Flush() error {
	if w.failed != nil {
		return w.failed
	}
	var rels []string
	for _, pf := range w.pendingFiles() {
		if err := w.closeInProgress(pf); err != nil {
			return w.fail(err)
		}
		rels = append(rels, pf.rel)
		if w.s.dir {
			final := filepath.Join(w.partDir(pf.rel), fmt.Sprintf("part-%d-%d.%s", w.instance, w.next, w.ext()))
			if err := os.Rename(pf.path, final); err != nil {
				return w.fail(err)
			}
			w.next++
		} else {
			if err := appendFile(pf.path, w.s.path); err != nil {
				return w.fail(err)
			}
			w.nextOffset += pf.size
		}
	}
	w.syncDirs(rels)
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
	var rels []string
	for _, pf := range w.pendingFiles() {
		if err := w.closeInProgress(pf); err != nil {
			return nil, w.fail(err)
		}
		c := committable{V: committableVersion, Partition: pf.rel, Instance: w.instance, Checkpoint: checkpointID, Size: pf.size}
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
		if err := os.Rename(pf.path, filepath.Join(w.partDir(pf.rel), c.Pending)); err != nil {
			return nil, w.fail(err)
		}
		rels = append(rels, pf.rel)
		if w.s.dir {
			w.next++
		} else {
			w.parts++
			w.nextOffset += c.Size
		}
		w.uncommitted = append(w.uncommitted, c)
	}
	w.syncDirs(rels)
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
			strings.ContainsAny(c.Pending+c.Final, `/\`) || !w.s.layout.validRel(c.Partition) {
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
	var rels []string
	for _, c := range cs {
		if err := w.commitOne(c); err != nil {
			return fmt.Errorf("table %s: committing %s: %v", w.s.t.Name, path.Join(c.Partition, c.Final), err)
		}
		rels = append(rels, c.Partition)
		for i, u := range w.uncommitted {
			if u.Pending == c.Pending && u.Partition == c.Partition {
				w.uncommitted = append(w.uncommitted[:i], w.uncommitted[i+1:]...)
				break
			}
		}
	}
	w.syncDirs(rels)
	return nil
}

func (w *writer) commitOne(c committable) error {
	dir := w.partDir(c.Partition)
	pending, final := filepath.Join(dir, c.Pending), filepath.Join(dir, c.Final)
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
		keep[path.Join(c.Partition, c.Pending)] = true
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

// keep holds the names to spare, prefixed by their partition directory
// ('<rel>/<name>').
func (w *writer) sweepIf(keep map[string]bool, which func(int) bool) error {
	return w.eachDir(func(rel, dir string, entries []os.DirEntry) error {
		for _, e := range entries {
			name := e.Name()
			k, _, ok := w.parseHidden(name)
			if !ok || !which(k) || keep[path.Join(rel, name)] || strings.Contains(name, w.token) {
				continue
			}
			if err := os.Remove(filepath.Join(dir, name)); err != nil && !errors.Is(err, os.ErrNotExist) {
				return fmt.Errorf("table %s: %v", w.s.t.Name, err)
			}
		}
		return nil
	})
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
	for rel, pf := range w.files {
		if pf.f != nil {
			pf.f.Close()
			pf.f = nil
		}
		os.Remove(pf.path)
		delete(w.files, rel)
	}
	w.handles, w.buffered, w.last = 0, 0, nil
	return nil
}
