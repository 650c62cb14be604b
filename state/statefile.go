package state

import (
	"encoding/binary"
	"fmt"
	"os"
	"sort"

	"github.com/streamsql/streamsql/checkpoint/storage"
)

// State files (FormatFull snapshots and changelog segments) share one
// payload layout inside the storage envelope (storage.Seal with KindState
// or KindChangelog, version 1). Integers are unsigned varints unless said
// otherwise.
//
//	tag        string  "full-v1" or "changelog-v1" (length-prefixed)
//	kgStart    key groups the writer owned: [kgStart, kgEnd)
//	kgEnd
//	blocks     one block per (state, key group): a sequence of entries
//	             keyLen, key, valTag, val
//	           where valTag is len(val)+1, or 0 for a deletion (changelog
//	           segments only; a full file holds no deletions)
//	index      nStates, then per state: nameLen, name, nGroups, then per
//	           group: kg, offset (from the payload's start), length, count
//	indexOff   8 bytes big-endian: the payload offset of index
//
// Values are encoded with the state's Codec. The index lets a reader at
// another parallelism take just the key groups it owns without decoding
// the others. States are sorted by name, groups by key group.
const (
	stateFileVersion = 1
	tagFull          = "full-v1"
	tagChangelog     = "changelog-v1"
)

// spillThreshold is the size past which a state file being written goes
// to a local temporary file rather than staying in memory: a checkpoint
// of large keyed state then does not hold a second copy of the state. The
// file is the same, byte for byte, either way.
var spillThreshold = 32 << 20

// stateFileWriter builds a state file: the storage envelope's header
// (filled in by sealed) and the payload. Calls: for each state (in any
// order) beginState, then groups in ascending order with their entries
// (beginGroup, put/del...), then sealed (or finish, for a payload kept in
// memory). Once the file passes spillThreshold it is written to a
// temporary file in dir (os.TempDir when empty) in chunks of about
// spillThreshold bytes; a failure to write it is reported by sealed.
type stateFileWriter struct {
	buf     []byte // the bytes not yet written to spill (at first the reserved header)
	spill   *os.File
	dir     string
	spilled int // bytes written to spill
	err     error
	states  []writtenState
	cur     *writtenState
}

type writtenState struct {
	name   string
	groups []writtenGroup
}

type writtenGroup struct {
	kg       int
	off, end int
	count    int
}

// newStateFileWriter starts a state file. sizeHint (the expected payload
// size) sizes the buffer, up to spillThreshold; dir is where a large file
// spills.
func newStateFileWriter(tag string, kgs KeyGroupRange, sizeHint int, dir string) *stateFileWriter {
	c := min(max(sizeHint, 0), spillThreshold) + storage.HeaderSize + 64
	w := &stateFileWriter{buf: make([]byte, storage.HeaderSize, c), dir: dir}
	w.buf = appendString(w.buf, tag)
	w.buf = binary.AppendUvarint(w.buf, uint64(kgs.Start))
	w.buf = binary.AppendUvarint(w.buf, uint64(kgs.End))
	return w
}

func (w *stateFileWriter) beginState(name string) {
	w.closeGroup()
	w.states = append(w.states, writtenState{name: name})
	w.cur = &w.states[len(w.states)-1]
}

// beginGroup starts the block of key group kg in the current state.
func (w *stateFileWriter) beginGroup(kg int) {
	w.closeGroup()
	w.cur.groups = append(w.cur.groups, writtenGroup{kg: kg, off: w.pos(), end: -1})
}

// lastGroup is the key group of the current state's last block, or -1.
func (w *stateFileWriter) lastGroup() int {
	if w.cur == nil || len(w.cur.groups) == 0 {
		return -1
	}
	return w.cur.groups[len(w.cur.groups)-1].kg
}

func (w *stateFileWriter) closeGroup() {
	if w.cur == nil || len(w.cur.groups) == 0 {
		return
	}
	g := &w.cur.groups[len(w.cur.groups)-1]
	if g.end < 0 {
		g.end = w.pos()
	}
}

// put adds an entry to the current group.
func (w *stateFileWriter) put(key, val []byte) {
	w.buf = appendBytes(w.buf, key)
	w.buf = binary.AppendUvarint(w.buf, uint64(len(val))+1)
	w.buf = append(w.buf, val...)
	w.cur.groups[len(w.cur.groups)-1].count++
	w.maybeSpill()
}

// putStr is put for a string key.
func (w *stateFileWriter) putStr(key string, val []byte) {
	w.buf = binary.AppendUvarint(w.buf, uint64(len(key)))
	w.buf = append(w.buf, key...)
	w.buf = binary.AppendUvarint(w.buf, uint64(len(val))+1)
	w.buf = append(w.buf, val...)
	w.cur.groups[len(w.cur.groups)-1].count++
	w.maybeSpill()
}

// del adds a deletion to the current group.
func (w *stateFileWriter) del(key []byte) {
	w.buf = appendBytes(w.buf, key)
	w.buf = append(w.buf, 0)
	w.cur.groups[len(w.cur.groups)-1].count++
	w.maybeSpill()
}

// delStr is del for a string key.
func (w *stateFileWriter) delStr(key string) {
	w.buf = binary.AppendUvarint(w.buf, uint64(len(key)))
	w.buf = append(w.buf, key...)
	w.buf = append(w.buf, 0)
	w.cur.groups[len(w.cur.groups)-1].count++
	w.maybeSpill()
}

func (w *stateFileWriter) maybeSpill() {
	if len(w.buf) >= spillThreshold {
		w.flush()
	}
}

// flush writes buf to the spill file (creating it) and empties buf. After
// a failure the writer only counts bytes, so that offsets stay right, and
// sealed reports the error.
func (w *stateFileWriter) flush() {
	n := len(w.buf)
	if w.err == nil && w.spill == nil {
		f, err := os.CreateTemp(w.dir, "streamsql-statefile-*.tmp")
		if err != nil {
			w.err = fmt.Errorf("spilling a state file of more than %d bytes: %w", spillThreshold, err)
		}
		w.spill = f
	}
	if w.err == nil {
		if _, err := w.spill.Write(w.buf); err != nil {
			w.err = fmt.Errorf("spilling a state file to %s: %w", w.spill.Name(), err)
		}
	}
	if w.err != nil {
		w.discard()
	}
	w.spilled += n
	w.buf = w.buf[:0]
}

// discard closes and removes the spill file, if any.
func (w *stateFileWriter) discard() {
	if w.spill != nil {
		w.spill.Close()
		os.Remove(w.spill.Name())
		w.spill = nil
	}
}

// writeIndex appends the index.
func (w *stateFileWriter) writeIndex() {
	w.closeGroup()
	sort.Slice(w.states, func(i, j int) bool { return w.states[i].name < w.states[j].name })
	indexOff := w.pos()
	w.buf = binary.AppendUvarint(w.buf, uint64(len(w.states)))
	for _, s := range w.states {
		w.buf = appendString(w.buf, s.name)
		n := 0
		for _, g := range s.groups {
			if g.count > 0 {
				n++
			}
		}
		w.buf = binary.AppendUvarint(w.buf, uint64(n))
		for _, g := range s.groups {
			if g.count == 0 {
				continue
			}
			w.buf = binary.AppendUvarint(w.buf, uint64(g.kg))
			w.buf = binary.AppendUvarint(w.buf, uint64(g.off))
			w.buf = binary.AppendUvarint(w.buf, uint64(g.end-g.off))
			w.buf = binary.AppendUvarint(w.buf, uint64(g.count))
		}
		if len(w.buf) >= spillThreshold && w.spilled > 0 {
			w.flush()
		}
	}
	w.buf = binary.BigEndian.AppendUint64(w.buf, uint64(indexOff))
}

// finish appends the index and returns the payload (the bytes after the
// reserved header) of a file that stayed in memory; nil when it spilled.
func (w *stateFileWriter) finish() []byte {
	w.writeIndex()
	if w.spilled > 0 {
		w.discard()
		return nil
	}
	return w.buf[storage.HeaderSize:]
}

// sealed finishes the file as an envelope of kind (storage.Seal). A file
// that stayed in memory is sealed in place (the payload is not copied); a
// spilled one gets its header now and its checksum when it is stored
// (sealedFile.store).
func (w *stateFileWriter) sealed(kind byte) (*sealedFile, error) {
	w.writeIndex()
	if w.spilled == 0 {
		data := storage.SealReserved(kind, stateFileVersion, w.buf)
		return &sealedFile{data: data, size: int64(len(data))}, nil
	}
	w.flush()
	if w.err != nil {
		return nil, w.err
	}
	f := w.spill
	w.spill = nil
	n := w.spilled - storage.HeaderSize
	if _, err := f.WriteAt(storage.Header(kind, stateFileVersion, int64(n)), 0); err != nil {
		f.Close()
		os.Remove(f.Name())
		return nil, fmt.Errorf("spilling a state file to %s: %w", f.Name(), err)
	}
	return &sealedFile{spill: f, size: int64(w.spilled) + storage.TrailerSize}, nil
}

// sealedFile is a sealed state file, in memory or in a local temporary
// file that still lacks its checksum.
type sealedFile struct {
	data  []byte
	spill *os.File
	size  int64 // the size of the sealed file
}

// store writes the file as object p of st (Put, or PutFile for a spilled
// file, after appending its checksum). A spilled file is gone afterwards,
// whether store succeeds or not.
func (s *sealedFile) store(st storage.Storage, p string) error {
	if s.spill == nil {
		return st.Put(p, s.data)
	}
	f := s.spill
	s.spill = nil
	name := f.Name()
	err := storage.AppendChecksum(f)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = st.PutFile(p, name)
	}
	if err != nil {
		os.Remove(name)
	}
	return err
}

// discard removes a spilled file that will not be stored.
func (s *sealedFile) discard() {
	if s != nil && s.spill != nil {
		s.spill.Close()
		os.Remove(s.spill.Name())
		s.spill = nil
	}
}

// pos is the payload offset of the next byte written.
func (w *stateFileWriter) pos() int { return w.spilled + len(w.buf) - storage.HeaderSize }

func appendString(b []byte, s string) []byte {
	b = binary.AppendUvarint(b, uint64(len(s)))
	return append(b, s...)
}

func appendBytes(b []byte, s []byte) []byte {
	b = binary.AppendUvarint(b, uint64(len(s)))
	return append(b, s...)
}

// stateFile is a parsed state file payload (its blocks still encoded).
type stateFile struct {
	path    string
	tag     string
	kgs     KeyGroupRange
	payload []byte
	states  []fileState
}

type fileState struct {
	name   string
	groups []fileGroup
}

type fileGroup struct {
	kg, off, end, count int
}

// parseStateFile checks the layout of a state file payload read from path
// and reads its index. Damage is reported as *storage.CorruptError naming
// path.
func parseStateFile(path string, payload []byte, wantTag string) (*stateFile, error) {
	bad := func(format string, args ...any) error {
		return &storage.CorruptError{Path: path, Reason: fmt.Sprintf(format, args...)}
	}
	f := &stateFile{path: path, payload: payload}
	r := reader{b: payload}
	f.tag = r.str()
	if r.err != nil {
		return nil, bad("no format tag")
	}
	if f.tag != wantTag {
		return nil, bad("holds %q, expected %q", f.tag, wantTag)
	}
	f.kgs.Start, f.kgs.End = r.int(), r.int()
	if r.err != nil || f.kgs.Start > f.kgs.End || f.kgs.End > maxKeyGroups {
		return nil, bad("bad key-group range")
	}
	bodyStart := r.off
	if len(payload) < bodyStart+8 {
		return nil, bad("no index")
	}
	indexOff := binary.BigEndian.Uint64(payload[len(payload)-8:])
	if indexOff < uint64(bodyStart) || indexOff > uint64(len(payload)-8) {
		return nil, bad("index offset %d out of range", indexOff)
	}
	r = reader{b: payload[:len(payload)-8], off: int(indexOff)}
	n := r.int()
	if n > len(payload) {
		return nil, bad("index lists %d states", n)
	}
	for i := 0; i < n && r.err == nil; i++ {
		s := fileState{name: r.str()}
		ng := r.int()
		if ng > f.kgs.Len() {
			return nil, bad("state %q lists %d key groups, the file holds %d", s.name, ng, f.kgs.Len())
		}
		prev := -1
		for j := 0; j < ng && r.err == nil; j++ {
			g := fileGroup{kg: r.int()}
			g.off = r.int()
			g.end = g.off + r.int()
			g.count = r.int()
			if r.err != nil {
				break
			}
			if !f.kgs.Contains(g.kg) || g.kg <= prev {
				return nil, bad("state %q: key group %d out of order or outside [%d,%d)", s.name, g.kg, f.kgs.Start, f.kgs.End)
			}
			if g.off < bodyStart || g.end < g.off || g.end > int(indexOff) {
				return nil, bad("state %q: key group %d: block out of range", s.name, g.kg)
			}
			prev = g.kg
			s.groups = append(s.groups, g)
		}
		f.states = append(f.states, s)
	}
	if r.err != nil || r.off != len(r.b) {
		return nil, bad("damaged index")
	}
	return f, nil
}

// each calls fn for every entry of the key groups in kgs, state by state,
// in file order. val is nil for a deletion. key and val point into the
// payload.
func (f *stateFile) each(kgs KeyGroupRange, fn func(state string, kg int, key, val []byte, del bool) error) error {
	for _, s := range f.states {
		for _, g := range s.groups {
			if !kgs.Contains(g.kg) {
				continue
			}
			r := reader{b: f.payload[:g.end], off: g.off}
			for i := 0; i < g.count; i++ {
				key := r.bytes()
				tag := r.int()
				var val []byte
				if tag > 0 {
					val = r.take(tag - 1)
				}
				if r.err != nil {
					return &storage.CorruptError{Path: f.path, Reason: fmt.Sprintf("state %q: key group %d: entry %d is damaged", s.name, g.kg, i)}
				}
				if tag == 0 && f.tag == tagFull {
					return &storage.CorruptError{Path: f.path, Reason: fmt.Sprintf("state %q: key group %d: deletion in a full snapshot", s.name, g.kg)}
				}
				if err := fn(s.name, g.kg, key, val, tag == 0); err != nil {
					return err
				}
			}
			if r.off != g.end {
				return &storage.CorruptError{Path: f.path, Reason: fmt.Sprintf("state %q: key group %d: block length does not match its entries", s.name, g.kg)}
			}
		}
	}
	return nil
}

// maxKeyGroups bounds key groups (the pebble backend stores them in 2
// bytes); Flink's bound on max parallelism is lower (32768).
const maxKeyGroups = 1 << 16

// reader decodes varint-framed data; the first failure sticks in err.
type reader struct {
	b   []byte
	off int
	err error
}

var errShort = fmt.Errorf("truncated")

func (r *reader) int() int {
	if r.err != nil {
		return 0
	}
	v, n := binary.Uvarint(r.b[r.off:])
	if n <= 0 || v > uint64(len(r.b))+maxKeyGroups {
		r.err = errShort
		return 0
	}
	r.off += n
	return int(v)
}

// u64 reads a varint without the size plausibility check of int.
func (r *reader) u64() uint64 {
	if r.err != nil {
		return 0
	}
	v, n := binary.Uvarint(r.b[r.off:])
	if n <= 0 {
		r.err = errShort
		return 0
	}
	r.off += n
	return v
}

func (r *reader) take(n int) []byte {
	if r.err != nil {
		return nil
	}
	if n < 0 || n > len(r.b)-r.off {
		r.err = errShort
		return nil
	}
	s := r.b[r.off : r.off+n : r.off+n]
	r.off += n
	return s
}

func (r *reader) bytes() []byte { return r.take(r.int()) }
func (r *reader) str() string   { return string(r.bytes()) }
