package state

import (
	"encoding/binary"
	"fmt"
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

// stateFileWriter builds a state file payload. Calls: begin, then for each
// state (in any order) beginState, then groups in ascending order with
// their entries (beginGroup, put/del...), then finish.
type stateFileWriter struct {
	buf    []byte // storage.HeaderSize reserved bytes, then the payload
	states []writtenState
	cur    *writtenState
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

func newStateFileWriter(tag string, kgs KeyGroupRange, sizeHint int) *stateFileWriter {
	w := &stateFileWriter{buf: make([]byte, storage.HeaderSize, storage.HeaderSize+sizeHint+64)}
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
}

// putStr is put for a string key.
func (w *stateFileWriter) putStr(key string, val []byte) {
	w.buf = binary.AppendUvarint(w.buf, uint64(len(key)))
	w.buf = append(w.buf, key...)
	w.buf = binary.AppendUvarint(w.buf, uint64(len(val))+1)
	w.buf = append(w.buf, val...)
	w.cur.groups[len(w.cur.groups)-1].count++
}

// del adds a deletion to the current group.
func (w *stateFileWriter) del(key []byte) {
	w.buf = appendBytes(w.buf, key)
	w.buf = append(w.buf, 0)
	w.cur.groups[len(w.cur.groups)-1].count++
}

// delStr is del for a string key.
func (w *stateFileWriter) delStr(key string) {
	w.buf = binary.AppendUvarint(w.buf, uint64(len(key)))
	w.buf = append(w.buf, key...)
	w.buf = append(w.buf, 0)
	w.cur.groups[len(w.cur.groups)-1].count++
}

// finish appends the index and returns the payload (the bytes after the
// reserved header).
func (w *stateFileWriter) finish() []byte {
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
	}
	w.buf = binary.BigEndian.AppendUint64(w.buf, uint64(indexOff))
	return w.buf[storage.HeaderSize:]
}

// sealed finishes the payload and returns it in an envelope of kind
// (storage.Seal), built in place: the payload is not copied.
func (w *stateFileWriter) sealed(kind byte) []byte {
	w.finish()
	return storage.SealReserved(kind, stateFileVersion, w.buf)
}

// pos is the payload offset of the next byte written.
func (w *stateFileWriter) pos() int { return len(w.buf) - storage.HeaderSize }

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
