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
// or KindChangelog). Integers are unsigned varints unless said otherwise.
//
//	tag        string  "full-v1", "changelog-v1", "changelog-v2" or
//	           "changelog-v3" (length-prefixed)
//	kgStart    key groups the writer owned: [kgStart, kgEnd)
//	kgEnd
//	blocks     one block per (state, key group): a sequence of entries
//	             keyLen, key, valTag, val
//	index      nStates, then per state: nameLen, name, nGroups, then per
//	           group: kg, offset (from the payload's start), length, count
//	indexOff   8 bytes big-endian: the payload offset of index
//
// valTag says what an entry is. In "full-v1" and "changelog-v1" it is
// len(val)+1 for a value, or 0 for a deletion (changelog segments only; a
// full file holds no deletions). In "changelog-v2" and "-v3" it is 0 for a
// deletion, otherwise 1 + (len(val)<<1 | a): a = 0 for a value, a = 1 for
// an append, whose val is to be appended to the entry's encoded value as
// the segments before it left it (the entry must exist: an append never
// creates one). Only a value's Codec gives an append a meaning: one that
// implements TailCodec writes appends so that the concatenation decodes to
// the value as it was when the segment was written. "changelog-v3" is
// "changelog-v2" whose appends may be patches (PatchCodec): the layout is
// the same, the version tells builds whose Codecs read no patches to
// refuse the segment.
//
// Versions: FormatFull files are envelope version 1 with tag "full-v1".
// Changelog segments are version 1 with "changelog-v1", or version 2 with
// "changelog-v2" when they hold appends (the memory backend's deltas of
// values whose Codec writes tails), or version 3 with "changelog-v3" when
// some of them are patches; a segment without appends is always written
// as version 1, and one without patches as version 2, so that builds
// reading only up to those versions restore it.
// A build that reads only version 1 refuses a version 2 segment with
// storage.Open's message ("format version 2 is not supported (this build
// reads up to 1)"), and one that reads up to version 2 a version 3
// segment likewise. A value restored with appends keeps them in its
// bytes until it is written again: a full file written before that (of a
// state restored but not yet registered, or by the Pebble backend, which
// stores the bytes as restored) is version 1 but holds values that only a
// Codec that reads tails decodes.
//
// Values are encoded with the state's Codec. The index lets a reader at
// another parallelism take just the key groups it owns without decoding
// the others. States are sorted by name, groups by key group.
const (
	stateFileVersion = 1 // FormatFull files (and changelog segments without appends)
	// tailsVersion is the changelog segment version with appends.
	tailsVersion = 2
	// changelogVersion is the newest changelog segment version: the one
	// with appends that may be patches (see PatchCodec).
	changelogVersion    = 3
	tagFull             = "full-v1"
	tagChangelog        = "changelog-v1"
	tagChangelogTails   = "changelog-v2"
	tagChangelogPatches = "changelog-v3"
)

// changeKind is what an entry of a state file does to its key.
type changeKind uint8

const (
	changePut    changeKind = iota // the entry's value is val
	changeDelete                   // the entry goes
	changeAppend                   // val is appended to the entry's encoded value
)

// changelogTag is the tag of a changelog segment of envelope version v
// ("" for a version no build wrote).
func changelogTag(v uint16) string {
	switch v {
	case 1:
		return tagChangelog
	case 2:
		return tagChangelogTails
	case 3:
		return tagChangelogPatches
	}
	return ""
}

// spillThreshold is the size past which a state file being written goes
// to a local temporary file rather than staying in memory: a checkpoint
// of large keyed state then does not hold a second copy of the state. The
// file is the same, byte for byte, either way. It is also the largest
// buffer a backend keeps between checkpoints (fileBuffers), one per
// operator instance: at 32 MiB, Nexmark q9 and q20 peaked 45-55 MB
// higher, for no CPU time the runs could tell apart (BENCHMARKS.md).
var spillThreshold = 4 << 20

// stateFileWriter builds a state file: the storage envelope's header
// (filled in by sealed) and the payload. Calls: for each state (in any
// order) beginState, then groups in ascending order with their entries
// (beginGroup, put/del...), then sealed (or finish, for a payload kept in
// memory). Once the file passes spillThreshold it is written to a
// temporary file in dir (os.TempDir when empty) in chunks of about
// spillThreshold bytes, by a spiller's goroutine while the next chunk is
// encoded; a failure to create the file is reported by sealed, one to
// write it by sealedFile.store.
type stateFileWriter struct {
	// tails: the file is "changelog-v2" or "-v3" (entries use its
	// valTag, and appends may be written); otherwise "full-v1" or
	// "changelog-v1".
	tails bool
	// patches: the file is "changelog-v3" (its appends may be patches).
	patches bool
	buf     []byte       // the bytes not yet handed to spill (at first the reserved header)
	bufs    *fileBuffers // where buf came from and goes back to (nil: none)
	spill   *spiller     // nil until the file spills
	dir     string
	spilled int // bytes handed to spill
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
	return newStateFileWriterIn(nil, tag, kgs, sizeHint, dir)
}

// newStateFileWriterIn is newStateFileWriter whose buffer comes from bufs
// (nil: a new one), and goes back to it once the file no longer needs it
// (see fileBuffers).
func newStateFileWriterIn(bufs *fileBuffers, tag string, kgs KeyGroupRange, sizeHint int, dir string) *stateFileWriter {
	const least = storage.HeaderSize + storage.TrailerSize + 64
	c := max(min(max(sizeHint, 0)+least, spillThreshold), least)
	w := &stateFileWriter{buf: bufs.get(c)[:storage.HeaderSize], bufs: bufs, dir: dir,
		tails: tag == tagChangelogTails || tag == tagChangelogPatches, patches: tag == tagChangelogPatches}
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
	w.room(len(key) + len(val) + 2*binary.MaxVarintLen64)
	w.buf = appendBytes(w.buf, key)
	w.appendVal(val, false)
}

// putStr is put for a string key.
func (w *stateFileWriter) putStr(key string, val []byte) {
	w.room(len(key) + len(val) + 2*binary.MaxVarintLen64)
	w.buf = binary.AppendUvarint(w.buf, uint64(len(key)))
	w.buf = append(w.buf, key...)
	w.appendVal(val, false)
}

// appendStr adds an append of tail to the entry of key to the current
// group; only a "changelog-v2" or "-v3" writer takes one.
func (w *stateFileWriter) appendStr(key string, tail []byte) {
	if !w.tails {
		panic("state: an append written to a state file without appends") // a bug of the caller, not bad input
	}
	w.room(len(key) + len(tail) + 2*binary.MaxVarintLen64)
	w.buf = binary.AppendUvarint(w.buf, uint64(len(key)))
	w.buf = append(w.buf, key...)
	w.appendVal(tail, true)
}

// appendVal writes the valTag and val of an entry (a value, or an append)
// and counts the entry.
func (w *stateFileWriter) appendVal(val []byte, isAppend bool) {
	tag := uint64(len(val)) + 1
	if w.tails {
		tag = uint64(len(val))<<1 + 1
		if isAppend {
			tag++
		}
	}
	w.buf = binary.AppendUvarint(w.buf, tag)
	w.buf = append(w.buf, val...)
	w.cur.groups[len(w.cur.groups)-1].count++
}

// version is the envelope version of the file being written.
func (w *stateFileWriter) version() uint16 {
	if w.patches {
		return changelogVersion
	}
	if w.tails {
		return tailsVersion
	}
	return stateFileVersion
}

// del adds a deletion to the current group.
func (w *stateFileWriter) del(key []byte) {
	w.room(len(key) + binary.MaxVarintLen64 + 1)
	w.buf = appendBytes(w.buf, key)
	w.buf = append(w.buf, 0)
	w.cur.groups[len(w.cur.groups)-1].count++
}

// delStr is del for a string key.
func (w *stateFileWriter) delStr(key string) {
	w.room(len(key) + binary.MaxVarintLen64 + 1)
	w.buf = binary.AppendUvarint(w.buf, uint64(len(key)))
	w.buf = append(w.buf, key...)
	w.buf = append(w.buf, 0)
	w.cur.groups[len(w.cur.groups)-1].count++
}

// growLimit is the size up to which a state file's buffer grows by
// copying: past it, a file whose buffer is full is written on to the
// spill file rather than copied into a larger buffer (a buffer sized for
// a larger file, from its size hint or reused, holds up to
// spillThreshold in memory).
const growLimit = 4 << 20

// room makes room in buf for n more bytes before an entry is appended,
// so that appending never reallocates (and copies) a large buffer. A file
// stays in buf while it fits in it and is within spillThreshold; past
// that, buf is written to the spill file, in chunks of up to its
// capacity, and reused. buf grows (doubling) only up to growLimit (and
// spillThreshold), or for a single entry larger than it.
func (w *stateFileWriter) room(n int) {
	if len(w.buf)+n > spillThreshold && len(w.buf) > 0 {
		w.flush()
	}
	if len(w.buf)+n <= cap(w.buf) {
		return
	}
	limit := min(growLimit, spillThreshold)
	if len(w.buf) > 0 && cap(w.buf) >= limit {
		w.flush()
		if n <= cap(w.buf) {
			return
		}
	}
	c := max(min(2*cap(w.buf), limit), len(w.buf)+n)
	nb := make([]byte, len(w.buf), c)
	copy(nb, w.buf)
	w.buf = nb
}

// flush hands buf to the spiller (creating the spill file) and takes an
// empty buffer for the next chunk. When the file cannot be created the
// writer only counts bytes, so that offsets stay right, and sealed
// reports the error.
func (w *stateFileWriter) flush() {
	n := len(w.buf)
	if w.err == nil && w.spill == nil {
		f, err := createSpillFile(w.dir)
		if err != nil {
			w.err = fmt.Errorf("spilling a state file of more than %d bytes: %w", spillThreshold, err)
		} else {
			w.spill = startSpiller(f)
		}
	}
	w.spilled += n
	if w.spill == nil {
		w.buf = w.buf[:0]
		return
	}
	w.buf = w.spill.write(w.buf)
}

// discard stops the spiller, if any, and removes its file.
func (w *stateFileWriter) discard() {
	if w.spill != nil {
		w.spill.close()
		w.spill.wait()
		w.spill.remove()
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
// spilled one gets its header and checksum (computed as its chunks were
// written) when it is stored (sealedFile.store).
func (w *stateFileWriter) sealed(kind byte) (*sealedFile, error) {
	w.writeIndex()
	if w.spilled == 0 {
		if len(w.buf)+storage.TrailerSize > cap(w.buf) {
			w.buf = append(w.buf, make([]byte, storage.TrailerSize)...)[:len(w.buf)]
		}
		data := storage.SealReserved(kind, w.version(), w.buf)
		w.buf = nil
		return &sealedFile{data: data, size: int64(len(data)), bufs: w.bufs}, nil
	}
	w.flush()
	w.bufs.put(w.buf)
	w.buf = nil
	if w.err != nil {
		return nil, w.err
	}
	sp := w.spill
	w.spill = nil
	sp.close()
	n := w.spilled - storage.HeaderSize
	return &sealedFile{spill: sp, header: storage.Header(kind, w.version(), int64(n)),
		bufs: w.bufs, size: int64(w.spilled) + storage.TrailerSize}, nil
}

// sealedFile is a sealed state file, in memory or in a local temporary
// file that a spiller may still be writing and that still lacks its
// header and checksum.
type sealedFile struct {
	data   []byte
	bufs   *fileBuffers // data, or the spiller's buffers, go back there once stored (nil: none)
	spill  *spiller
	header []byte // a spilled file's header, written over its reserved bytes by store
	size   int64  // the size of the sealed file
}

// store writes the file as object p of st (Put, or PutFile for a spilled
// file, after appending its checksum). It may be called once: a spilled
// file is gone afterwards, and a file kept in memory has given its buffer
// back, whether store succeeds or not; a second call fails.
func (s *sealedFile) store(st storage.Storage, p string) error {
	if s.spill == nil {
		if s.data == nil {
			return fmt.Errorf("writing %s: the state file was already stored once", p)
		}
		err := st.Put(p, s.data)
		s.bufs.put(s.data) // Put keeps no reference to it (storage.Storage)
		s.data, s.bufs = nil, nil
		return err
	}
	sp := s.spill
	s.spill = nil
	bufs, err := sp.wait()
	for _, b := range bufs {
		s.bufs.put(b)
	}
	f := sp.f
	name := f.Name()
	if err == nil {
		err = storage.SealWritten(f, s.header, sp.crc)
	}
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
		s.spill.wait()
		s.spill.remove()
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
// payload. A file with appends is for eachChange: each reports an append
// as damage.
func (f *stateFile) each(kgs KeyGroupRange, fn func(state string, kg int, key, val []byte, del bool) error) error {
	return f.eachChange(kgs, func(state string, kg int, key, val []byte, kind changeKind) error {
		if kind == changeAppend {
			return &storage.CorruptError{Path: f.path, Reason: fmt.Sprintf("state %q: key group %d: an append where only values and deletions are read", state, kg)}
		}
		return fn(state, kg, key, val, kind == changeDelete)
	})
}

// eachBlock calls fn for the block of every state and key group of kgs
// in a "full-v1" file, with its entry count, once checkBlock has found it
// sound: data points into the payload.
func (f *stateFile) eachBlock(kgs KeyGroupRange, fn func(state string, kg int, data []byte, count int)) error {
	if f.tag != tagFull {
		return &storage.CorruptError{Path: f.path, Reason: fmt.Sprintf("holds %q where a full snapshot is read", f.tag)}
	}
	for _, s := range f.states {
		for _, g := range s.groups {
			if !kgs.Contains(g.kg) {
				continue
			}
			data := f.payload[g.off:g.end:g.end]
			if reason := checkBlock(data, g.count); reason != "" {
				return &storage.CorruptError{Path: f.path, Reason: fmt.Sprintf("state %q: key group %d: %s", s.name, g.kg, reason)}
			}
			fn(s.name, g.kg, data, g.count)
		}
	}
	return nil
}

// checkBlock checks that data holds exactly count entries of a "full-v1"
// block (values, no deletions) and says what is wrong ("" when nothing).
// It is the check eachChange makes, without calling anything per entry.
func checkBlock(data []byte, count int) string {
	off := 0
	for i := 0; i < count; i++ {
		k, n := binary.Uvarint(data[off:])
		if n <= 0 || k > uint64(len(data)-off-n) {
			return fmt.Sprintf("entry %d is damaged", i)
		}
		off += n + int(k)
		t, n := binary.Uvarint(data[off:])
		if n <= 0 || (t > 0 && t-1 > uint64(len(data)-off-n)) {
			return fmt.Sprintf("entry %d is damaged", i)
		}
		if t == 0 {
			return "deletion in a full snapshot"
		}
		off += n + int(t-1)
	}
	if off != len(data) {
		return "block length does not match its entries"
	}
	return ""
}

// eachChange is each with the kind of every entry: a value, a deletion
// (val nil) or an append (changelog segments of version 2 only).
func (f *stateFile) eachChange(kgs KeyGroupRange, fn func(state string, kg int, key, val []byte, kind changeKind) error) error {
	tails := f.tag == tagChangelogTails || f.tag == tagChangelogPatches
	for _, s := range f.states {
		for _, g := range s.groups {
			if !kgs.Contains(g.kg) {
				continue
			}
			r := reader{b: f.payload[:g.end], off: g.off}
			for i := 0; i < g.count; i++ {
				key := r.bytes()
				tag := r.u64()
				kind, n := changePut, uint64(0)
				switch {
				case tag == 0:
					kind = changeDelete
				case tails:
					n = (tag - 1) >> 1
					if (tag-1)&1 == 1 {
						kind = changeAppend
					}
				default:
					n = tag - 1
				}
				var val []byte
				if kind != changeDelete {
					if n > uint64(len(r.b)) {
						r.err = errShort
					} else {
						val = r.take(int(n))
					}
				}
				if r.err != nil {
					return &storage.CorruptError{Path: f.path, Reason: fmt.Sprintf("state %q: key group %d: entry %d is damaged", s.name, g.kg, i)}
				}
				if kind == changeDelete && f.tag == tagFull {
					return &storage.CorruptError{Path: f.path, Reason: fmt.Sprintf("state %q: key group %d: deletion in a full snapshot", s.name, g.kg)}
				}
				if err := fn(s.name, g.kg, key, val, kind); err != nil {
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
