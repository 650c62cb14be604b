package state

import (
	"encoding/binary"
	"fmt"
	"slices"
	"unsafe"
)

// heapMap is the memory backend's KeyedMap: per owned key group, a Go map
// from key to a slot in dense key and value slices. Put on an existing key
// assigns the slot and allocates nothing; Range walks the slices.
type heapMap[V any] struct {
	kgs     KeyGroupRange
	groups  []*heapGroup[V] // by key group - kgs.Start; nil until used
	n       int
	codec   Codec[V]
	scratch []byte // encode's buffer
	// clock is the backend's current epoch in incremental mode (nil
	// otherwise): every change is stamped with it (see heapGroup.epochs).
	clock *uint32
	// tails is codec as a TailCodec, in incremental mode when it is one
	// (nil otherwise): deltas then write what was appended to a value.
	tails TailCodec[V]
	// patches is codec as a PatchCodec, when tails is one (nil otherwise).
	patches PatchCodec[V]
	// pending holds the tails deltaSize encoded, in the order of its
	// walk, for the writeDelta that follows it in the same snapshot (a
	// patch costs a lookup per changed value to encode): valid for clock
	// value pendingAt only.
	pending   []pendingTail
	pendBuf   []byte
	pendingAt uint32
}

// pendingTail is a tail deltaSize encoded: that of slot i of key group
// gi, pendBuf[start:end].
type pendingTail struct {
	gi, i      int32
	start, end int
	grown      int
	patch      bool
}

type heapGroup[V any] struct {
	index map[string]int32
	keys  []string
	vals  []V
	// encs caches each value's encoding for full snapshots: nil until a
	// snapshot encodes it, reset by every Put of the key. Values are
	// mutated in place by their owners, who Put them after mutating (the
	// KeyedMap contract), so a cached encoding is current until then. A
	// checkpoint thus re-encodes only what changed since the previous one.
	// In incremental mode it holds only what deltaSize encoded for the
	// coming delta (see encoded), and is dropped once that is written.
	// Either nil (nothing cached: no memory per entry) or as long as
	// keys; read and set through enc and setEnc.
	encs [][]byte
	// In incremental mode only (heapMap.clock set): epochs holds the
	// epoch of each slot's last Put (0 for a restored entry, which every
	// base holds), and dels the keys deleted with the epoch of their
	// deletion, until a completed checkpoint's base covers it (a key
	// inserted and deleted within one epoch, which no snapshot holds, is
	// not listed). A key is never both in a slot and in dels. born holds
	// the epoch in which each slot's key was inserted (0: restored; one
	// less for a key inserted again after a deletion dels listed): a
	// change of a key born after a base is growth of the state, not a
	// rewrite of what the base holds (see HashMapOptions.MaxDeltaRatio).
	epochs []uint32
	born   []uint32
	dels   map[string]uint32
}

// enc returns the cached encoding of slot i (nil: none).
func (g *heapGroup[V]) enc(i int) []byte {
	if g.encs == nil {
		return nil
	}
	return g.encs[i]
}

// setEnc caches e as the encoding of slot i (nil: none), making the cache
// when g has none.
func (g *heapGroup[V]) setEnc(i int, e []byte) {
	if g.encs == nil {
		if e == nil {
			return
		}
		g.encs = make([][]byte, len(g.keys), cap(g.keys))
	}
	g.encs[i] = e
}

// newHeapMap returns an empty map over the key groups kgs. The group
// array is allocated at the first access of a group, and each group at
// its own first access: a map holding a few keys (an operator's state in
// a short bounded query) costs those keys' groups, not every group.
func newHeapMap[V any](kgs KeyGroupRange, codec Codec[V], clock *uint32) *heapMap[V] {
	m := &heapMap[V]{kgs: kgs, codec: codec, clock: clock}
	if clock != nil {
		m.tails, _ = codec.(TailCodec[V])
		m.patches, _ = codec.(PatchCodec[V])
	}
	return m
}

func (m *heapMap[V]) stateKind() string { return "keyed-map" }

// group returns key group kg's map, creating it if it does not exist. A
// key group outside the owned range is a routing bug of the caller, not
// bad input: it panics.
func (m *heapMap[V]) group(kg int) *heapGroup[V] {
	i := m.groupIndex(kg)
	if m.groups == nil {
		m.groups = make([]*heapGroup[V], m.kgs.Len())
	}
	g := m.groups[i]
	if g == nil {
		g = &heapGroup[V]{index: make(map[string]int32)}
		m.groups[i] = g
	}
	return g
}

// reserve makes room for n entries in key group kg, when it holds none
// yet (a restore knows how many it will put).
func (m *heapMap[V]) reserve(kg, n int) {
	g := m.group(kg)
	if len(g.keys) > 0 || n <= 0 {
		return
	}
	g.index = make(map[string]int32, n)
	g.keys, g.vals, g.encs = make([]string, 0, n), make([]V, 0, n), nil
	if m.clock != nil {
		g.epochs = make([]uint32, 0, n)
		g.born = make([]uint32, 0, n)
	}
}

// existingGroup returns key group kg's map, or nil when it has none yet
// (reads do not create one). It panics as group does.
func (m *heapMap[V]) existingGroup(kg int) *heapGroup[V] {
	i := m.groupIndex(kg)
	if m.groups == nil {
		return nil
	}
	return m.groups[i]
}

func (m *heapMap[V]) groupIndex(kg int) int {
	i := kg - m.kgs.Start
	if i < 0 || i >= m.kgs.Len() {
		panic(fmt.Sprintf("state: key group %d outside owned range [%d,%d)", kg, m.kgs.Start, m.kgs.End))
	}
	return i
}

func (m *heapMap[V]) Get(kg int, key []byte) (V, bool) {
	if g := m.existingGroup(kg); g != nil {
		if i, ok := g.index[string(key)]; ok {
			return g.vals[i], true
		}
	}
	var zero V
	return zero, false
}

func (m *heapMap[V]) Put(kg int, key []byte, v V) {
	g := m.group(kg)
	if i, ok := g.index[string(key)]; ok {
		g.vals[i] = v
		g.setEnc(int(i), nil)
		if m.clock != nil {
			g.epochs[i] = *m.clock
		}
		return
	}
	m.insert(g, string(key), v)
}

// putRestored is Put into group g (which reserve made) of an entry
// restored from the checkpoint an incremental base holds (epoch 0), for
// a key that is already a string. A restore gives each key once: the
// entry goes in with one map assignment, not a lookup and an insert; a
// key given again (a damaged checkpoint) replaces the earlier entry, as
// Put would, found by a scan.
//
// It touches only g and does not count the entry: calls for different
// key groups may run at once, and the caller adds the entries to m.n
// afterwards.
func (m *heapMap[V]) putRestored(g *heapGroup[V], key string, v V) {
	n := len(g.index)
	i := int32(len(g.keys))
	g.index[key] = i
	if len(g.index) == n {
		i = int32(slices.Index(g.keys, key))
		g.index[key] = i
		g.vals[i] = v
		g.setEnc(int(i), nil)
		if m.clock != nil {
			g.epochs[i] = 0
		}
		return
	}
	g.keys = append(g.keys, key)
	g.vals = append(g.vals, v)
	if g.encs != nil {
		g.encs = append(g.encs, nil)
	}
	if m.clock != nil {
		g.epochs = append(g.epochs, 0)
		g.born = append(g.born, 0)
	}
}

// keyArena copies the keys of a restore into shared blocks of
// keyArenaBlock bytes, so that a restored key costs no allocation of its
// own. A block lives as long as any key in it: deleting most restored keys
// frees their blocks only once all of a block's keys are gone.
type keyArena struct{ buf []byte }

const (
	keyArenaBlock = 16 << 10
	keyArenaMax   = 256 // longer keys get an allocation of their own
)

// string returns k as a string in the arena. Bytes given out are never
// written again.
func (a *keyArena) string(k []byte) string {
	if len(k) == 0 || len(k) > keyArenaMax {
		return string(k)
	}
	if len(k) > cap(a.buf)-len(a.buf) {
		a.buf = make([]byte, 0, keyArenaBlock)
	}
	a.buf = append(a.buf, k...)
	s := a.buf[len(a.buf)-len(k):]
	return unsafe.String(unsafe.SliceData(s), len(s))
}

func (m *heapMap[V]) insert(g *heapGroup[V], key string, v V) {
	m.insertUncounted(g, key, v)
	m.n++
}

// insertUncounted is insert without counting the entry in m.n.
func (m *heapMap[V]) insertUncounted(g *heapGroup[V], key string, v V) {
	g.index[key] = int32(len(g.keys))
	g.keys = append(g.keys, key)
	g.vals = append(g.vals, v)
	if g.encs != nil {
		g.encs = append(g.encs, nil)
	}
	if m.clock != nil {
		born := *m.clock
		if _, deleted := g.dels[key]; deleted {
			// deleted since a snapshot that holds it: born before this
			// epoch, so that deleting it again is recorded (see Delete)
			delete(g.dels, key)
			born--
		}
		g.epochs = append(g.epochs, *m.clock)
		g.born = append(g.born, born)
	}
}

func (m *heapMap[V]) Delete(kg int, key []byte) {
	g := m.existingGroup(kg)
	if g == nil {
		return
	}
	i, ok := g.index[string(key)]
	if !ok {
		return
	}
	// A key born in this epoch is in no snapshot (each snapshot ends an
	// epoch), so no delta needs its deletion: only older keys are kept.
	if m.clock != nil && g.born[i] < *m.clock {
		if g.dels == nil {
			g.dels = map[string]uint32{}
		}
		g.dels[g.keys[i]] = *m.clock
	}
	delete(g.index, string(key))
	last := int32(len(g.keys) - 1)
	if i != last {
		g.keys[i], g.vals[i] = g.keys[last], g.vals[last]
		if g.encs != nil {
			g.encs[i] = g.encs[last]
		}
		if m.clock != nil {
			g.epochs[i] = g.epochs[last]
			g.born[i] = g.born[last]
		}
		g.index[g.keys[i]] = i
	}
	var zero V
	g.keys[last], g.vals[last] = "", zero
	g.keys, g.vals = g.keys[:last], g.vals[:last]
	if g.encs != nil {
		g.encs[last] = nil
		g.encs = g.encs[:last]
	}
	if m.clock != nil {
		g.epochs = g.epochs[:last]
		g.born = g.born[:last]
	}
	m.n--
}

func (m *heapMap[V]) Len() int { return m.n }

// Range walks each group's slots from the last to the first, so that a
// Delete of the current entry (which moves the last slot into its place)
// neither skips nor repeats an entry.
func (m *heapMap[V]) Range(fn func(kg int, key string, v V) bool) {
	for gi := range m.groups {
		g := m.groups[gi]
		if g == nil {
			continue
		}
		for i := len(g.keys) - 1; i >= 0; i-- {
			if i >= len(g.keys) {
				continue
			}
			if !fn(m.kgs.Start+gi, g.keys[i], g.vals[i]) {
				return
			}
		}
	}
}

// snapshotInto writes the map's entries, encoded with its Codec, as state
// name into w. Only entries Put since the previous snapshot are encoded;
// the others reuse their cached encoding (see heapGroup.encs). mark (an
// incremental checkpoint's new base) marks every value written (see
// TailCodec).
func (m *heapMap[V]) snapshotInto(w *stateFileWriter, name string, mark bool) {
	mark = mark && m.tails != nil
	if m.clock != nil {
		m.dropPending() // the tails deltaSize kept: a full file writes values whole
	}
	w.beginState(name)
	for gi := range m.groups {
		g := m.groups[gi]
		if g == nil {
			continue
		}
		if len(g.keys) == 0 {
			continue
		}
		w.beginGroup(m.kgs.Start + gi)
		for i, k := range g.keys {
			w.putStr(k, m.encoded(g, i))
			if mark {
				m.tails.MarkWritten(g.vals[i])
			}
		}
		if m.clock != nil {
			g.encs = nil // all written: none is kept (see encoded)
		}
	}
}

// encoded returns the encoding of slot i of g for a snapshot. With full
// snapshots it is cached (see heapGroup.encs), so that the next snapshot
// does not encode the value again unless it is Put. In incremental mode
// nothing is kept once written: a delta writes only what changed since
// the previous checkpoint, and only the occasional new base writes the
// rest, so a cache would double the state's memory to save little; the
// result is then valid only until the next encoded call (the writer
// copies it). A value deltaSize encoded for the coming delta is used and
// released.
func (m *heapMap[V]) encoded(g *heapGroup[V], i int) []byte {
	enc := g.enc(i)
	if m.clock == nil {
		if enc == nil {
			enc = m.encode(g.vals[i])
			g.setEnc(i, enc)
		}
		return enc
	}
	if enc != nil {
		g.encs[i] = nil
		return enc
	}
	m.scratch = m.codec.Append(m.scratch[:0], g.vals[i])
	return m.scratch
}

// encode returns v's encoding in a slice of its own, of its exact size
// (one allocation; it stays cached in heapGroup.encs).
func (m *heapMap[V]) encode(v V) []byte {
	m.scratch = m.codec.Append(m.scratch[:0], v)
	enc := make([]byte, len(m.scratch)) // not nil, even when empty: nil means not encoded
	copy(enc, m.scratch)
	return enc
}

// encodeChanged encodes the entries Put since the previous snapshot and
// returns the number of bytes snapshotInto will write (an upper bound),
// so that the snapshot buffer is allocated once. In incremental mode it
// encodes nothing and counts only keys and what is already encoded (the
// caller also sizes the buffer by the previous snapshot's size).
func (m *heapMap[V]) encodeChanged() int {
	size := 0
	for gi := range m.groups {
		g := m.groups[gi]
		if g == nil {
			continue
		}
		if len(g.keys) > 0 {
			size += 16
		}
		for i, k := range g.keys {
			if m.clock != nil {
				// Incremental mode keeps no encodings (see encoded): the
				// caller's size hint covers the values.
				size += len(k) + len(g.enc(i)) + 2*binary.MaxVarintLen32
				continue
			}
			if g.enc(i) == nil {
				g.setEnc(i, m.encode(g.vals[i]))
			}
			size += len(k) + len(g.encs[i]) + 2*binary.MaxVarintLen32
		}
	}
	return size
}

// heapSnapshotter is what HashMapBackend.Snapshot needs of a registered state.
type heapSnapshotter interface {
	encodeChanged() int
	// snapshotInto writes every entry as state name; mark: as an
	// incremental checkpoint's base (values are marked written).
	snapshotInto(w *stateFileWriter, name string, mark bool)
	applyEncoded(kg int, key, val []byte, kind changeKind) error
	// In incremental mode: writeDelta writes as state name the entries
	// put and the keys deleted in epochs after `after` and returns how
	// many it wrote and how many bytes of them are growth, with tails (a
	// "changelog-v2" or "-v3" w) writing appends for values whose Codec
	// gives a tail (patches only in "-v3"); deltaSize estimates what it would write (see
	// heapMap.deltaSize); dropDeletions forgets the deletions of epochs
	// up to upTo.
	writeDelta(w *stateFileWriter, name string, after uint32, tails bool) (n, grown int)
	deltaSize(after uint32, tails bool) mapDeltaSize
	dropDeletions(upTo uint32)
}

// applyEncoded applies a change whose value is encoded with the map's
// Codec: a value, a deletion, or an append to the entry's encoding (the
// entry is encoded, the tail appended, and the result decoded).
func (m *heapMap[V]) applyEncoded(kg int, key, val []byte, kind changeKind) error {
	switch kind {
	case changeDelete:
		m.Delete(kg, key)
		return nil
	case changeAppend:
		cur, ok := m.Get(kg, key)
		if !ok {
			return fmt.Errorf("key group %d: an append to key %q, which the state does not hold", kg, key)
		}
		val = append(m.codec.Append(nil, cur), val...)
	}
	v, err := m.codec.Decode(val)
	if err != nil {
		return err
	}
	m.Put(kg, key, v)
	return nil
}
