package operators

import (
	"encoding/binary"
	"fmt"

	"github.com/streamsql/streamsql/state"
)

// marks is the bookkeeping a store keeps inside each of its entries. It is
// never serialised.
type marks struct {
	dirty bool // read for mutation since the last flush (listed in store.dirty)
	dead  bool // deleted from the store
	// known: inBackend says whether the backend holds the entry's key (a
	// serialising store learns it when it reads or writes the key; a
	// write back with the hint skips the backend's own lookup).
	known, inBackend bool
}

func (m *marks) mk() *marks { return m }

// entry is implemented by the pointer types kept in a store.
type entry interface{ mk() *marks }

// serialiseState makes every store go through a serialising map (Get
// decodes a fresh copy, Put encodes), as a disk backend does. Tests flip it
// to check that operators write back every mutation.
var serialiseState = false

// serialisedCacheEntries is the entry cache of the stores serialiseState
// makes (the memory backend has none of its own). Tests change it.
var serialisedCacheEntries = 4

// serialisedCacheBytes is the byte bound of the stores serialiseState
// makes (so that tests also evict and write back by size). Tests change it.
var serialisedCacheBytes int64 = 4096

// fixedBytes is an EntryCache of a fixed byte bound (serialiseState).
type fixedBytes int64

func (f fixedBytes) EntryCacheEntries() int { return serialisedCacheEntries }
func (f fixedBytes) EntryCacheBytes() int64 { return int64(f) }

// flushLimit bounds the number of entries a store keeps dirty between
// flushes, unless its cache keeps more.
const flushLimit = 1 << 15

// store is a keyed state map of pointer entries that amortises the Put
// that must follow an in-place mutation.
//
// Contract: get returns an entry for mutation and schedules its write-back;
// peek returns one for reading only; insert stores a new, fully built entry
// (for a key that is absent); remove deletes one. flush writes every
// scheduled entry back; the operator calls it at checkpoint barriers
// (SnapshotState), at Finish (finish, finishWith), and at the end of a
// batch (maybeFlush, which flushes once many entries are pending). Between
// flushes the entries returned by get stay valid and must not be used
// after remove.
//
// Pointers held across calls (e.g. an operator's hot index) stay valid
// until remove, or, when !shared, until the next flush or maybeFlush.
//
// With the memory backend (shared), Get returns the stored pointer, so the
// backend sees mutations at once and the write-back is the contract's Put.
//
// With a serialising backend (Pebble), the store keeps decoded entries in
// an entry cache, so that mutations accumulate on one copy and reads do not
// decode again: every entry returned since the last flush (dirty or not),
// and up to capacity clean entries across flushes (the backend's
// state.EntryCache size), evicted by CLOCK (an entry used since the hand
// last passed it gets a second chance). A flush writes the dirty entries
// back and keeps them as clean ones. The cache also records keys known to
// be absent. It stays coherent because every change of the state goes
// through the store (one store per state and operator instance); it starts
// empty on restore. A key the cache does not hold is read from the backend
// only when it may be there: while the cache holds every stored entry (the
// state was empty when the store opened and no stored entry was evicted
// since) it is not, and afterwards a Bloom filter of the stored keys the
// cache does not hold (gone) rules most new keys out. The backend's
// presence of each cached entry's key is known, so that write-backs and
// deletions pass it as a hint (state.KnownWriter) instead of making the
// backend look the key up.
type store[P entry] struct {
	name   string
	m      state.KeyedMap[P]
	known  state.KnownWriter[P] // m's writes with presence hints, when it has them
	codec  state.Codec[P]
	shared bool
	// !shared: the entry cache
	index    map[string]int32 // kg+key -> index in slots
	slots    []cacheSlot[P]
	free     []int32 // unused slots
	hand     int     // CLOCK hand over slots
	capacity int     // entries kept at a flush
	complete bool    // every stored entry is in the cache
	// gone (when !complete) holds every key the backend stores that the
	// cache does not hold (nil: not known; the backend is asked). It is
	// rebuilt from the backend's keys when it fills up.
	gone      *keyFilter
	goneTried bool            // a restored store tried to build gone
	ranger    state.KeyRanger // m's key listing, when it has one (builds gone)
	// finishing: the operator's Finish runs (see finishWith)
	finishing bool
	// The byte bound (when budget is not nil): the estimated memory of
	// the cached entries (bytes, the sum of the slots' sizes) is kept
	// under the backend's EntryCacheBytes, read at each trim (byteCap).
	budget  state.EntryCache
	sizer   state.ValueSizer // m's encoded sizes (nil: estimates only)
	bytes   int64
	byteCap int64
	// growth is what the pending entries grew by since the last flush,
	// as the operator reported it (grew); the flush measures them.
	growth int64
	// write-back schedule
	dirty []dirtyRef
	ptrs  []P
	arena []byte
	ckey  []byte
}

// cacheSlot is one entry of a store's cache.
type cacheSlot[P any] struct {
	key    string // kg+key, as in store.index
	p      P
	absent bool // the key is known to be absent (p is the zero value)
	ref    bool // used since the CLOCK hand last passed
	used   bool // false: on the free list
	// size estimates the slot's memory (only kept under a byte bound;
	// see store.bytes): measured when the entry is read from or written
	// to the backend, estimated for a new entry until its first flush.
	size int64
}

// The memory estimate of a cache slot: slotBytes plus its key (held by the
// slot and the index) plus, for an entry, decodedPerEncodedByte bytes per
// byte of its encoding (decoded rows take about three times their encoded
// size), or newEntryBytes for an entry never encoded yet. An entry type
// that knows its size better implements memSizer.
const (
	slotBytes             = 96
	decodedPerEncodedByte = 3
	newEntryBytes         = 256
)

// memSizer is implemented by entries that report the memory they hold.
type memSizer interface{ memSize() int }

// slotSize estimates the memory of a slot with key k holding p (absent:
// none) whose encoding is encoded bytes long (-1: not known).
func slotSize[P entry](k string, p P, absent bool, encoded int) int64 {
	n := int64(slotBytes + 2*len(k))
	if absent {
		return n
	}
	if ms, ok := any(p).(memSizer); ok {
		return n + int64(ms.memSize())
	}
	if encoded >= 0 {
		return n + int64(decodedPerEncodedByte*encoded)
	}
	return n + newEntryBytes
}

type dirtyRef struct {
	kg       int32
	off, end int32
}

func newStore[P entry](b state.Backend, name string, codec state.Codec[P]) (*store[P], error) {
	s := &store[P]{name: name, codec: codec}
	if serialiseState {
		inner, err := state.NewKeyedMap[[]byte](b, name, bytesCodec{})
		if err != nil {
			return nil, err
		}
		s.m = &codecMap[P]{inner: inner, codec: codec}
		s.capacity = serialisedCacheEntries
		if serialisedCacheBytes > 0 {
			s.budget, s.byteCap = fixedBytes(serialisedCacheBytes), serialisedCacheBytes
		}
	} else {
		m, err := state.NewKeyedMap(b, name, codec)
		if err != nil {
			return nil, err
		}
		s.m = m
		s.shared = b.Kind() == "hashmap"
		if c, ok := b.(state.EntryCache); ok {
			s.capacity = c.EntryCacheEntries()
			if s.byteCap = c.EntryCacheBytes(); s.byteCap > 0 {
				s.budget = c
			}
		}
	}
	if !s.shared {
		s.known, _ = s.m.(state.KnownWriter[P])
		s.ranger, _ = s.m.(state.KeyRanger)
		s.sizer, _ = s.m.(state.ValueSizer)
		s.index = make(map[string]int32)
		s.complete = s.m.Len() == 0
	}
	return s, nil
}

func (s *store[P]) cacheKey(kg int, key []byte) []byte {
	s.ckey = binary.BigEndian.AppendUint16(s.ckey[:0], uint16(kg))
	s.ckey = append(s.ckey, key...)
	return s.ckey
}

// cached returns the cache slot of key (valid until the cache changes).
func (s *store[P]) cached(kg int, key []byte) (*cacheSlot[P], bool) {
	i, ok := s.index[string(s.cacheKey(kg, key))]
	if !ok {
		return nil, false
	}
	sl := &s.slots[i]
	sl.ref = true
	return sl, true
}

// cache records p (or, when absent, the absence of key) as key's entry.
func (s *store[P]) cache(kg int, key []byte, p P, absent bool) {
	if i, ok := s.index[string(s.cacheKey(kg, key))]; ok {
		sl := &s.slots[i]
		if any(sl.p) != any(p) || sl.absent != absent {
			s.resize(sl, p, absent, -1)
		}
		sl.p, sl.absent, sl.ref = p, absent, true
		return
	}
	s.addSlot(kg, key, p, absent, -1)
}

// resize re-estimates the size of slot sl as holding p (see slotSize)
// when the store has a byte bound.
func (s *store[P]) resize(sl *cacheSlot[P], p P, absent bool, encoded int) {
	if s.budget == nil {
		return
	}
	n := slotSize(sl.key, p, absent, encoded)
	s.bytes += n - sl.size
	sl.size = n
}

// addSlot caches p (or the absence of key) under key, which the cache does
// not hold; encoded is the size of p's encoding when known (-1: not).
func (s *store[P]) addSlot(kg int, key []byte, p P, absent bool, encoded int) {
	ck := s.cacheKey(kg, key)
	var i int32
	if n := len(s.free); n > 0 {
		i = s.free[n-1]
		s.free = s.free[:n-1]
	} else {
		i = int32(len(s.slots))
		s.slots = append(s.slots, cacheSlot[P]{})
	}
	k := string(ck)
	s.slots[i] = cacheSlot[P]{key: k, p: p, absent: absent, used: true}
	s.index[k] = i
	if s.budget != nil {
		s.slots[i].size = slotSize(k, p, absent, encoded)
		s.bytes += s.slots[i].size
	}
}

// encodedSize is the size of the encoding m last read or wrote (-1 when m
// does not say).
func (s *store[P]) encodedSize() int {
	if s.sizer == nil {
		return -1
	}
	return s.sizer.LastValueSize()
}

// load reads key, which the cache does not hold, from the backend (unless
// it is surely absent) and caches what it found.
func (s *store[P]) load(kg int, key []byte) (P, bool) {
	var zero P
	if s.surelyAbsent(kg, key) {
		return zero, false
	}
	p, ok := s.m.Get(kg, key)
	if !ok {
		s.addSlot(kg, key, zero, true, -1)
		return zero, false
	}
	mk := p.mk()
	mk.known, mk.inBackend = true, true
	s.addSlot(kg, key, p, false, s.encodedSize())
	return p, true
}

// surelyAbsent reports whether the backend certainly does not hold key,
// which the cache does not hold: the cache holds every stored entry, or
// the filter of the others does not have key.
func (s *store[P]) surelyAbsent(kg int, key []byte) bool {
	if s.complete {
		return true
	}
	if s.gone == nil && !s.goneTried {
		s.goneTried = true
		s.rebuildGone()
	}
	return s.filtered(kg, key)
}

// rebuildGone refills the filter of stored keys from the backend's keys
// (all of them: a superset of the ones the cache does not hold), sized for
// twice as many as there are now; without a way to list them it drops the
// filter.
func (s *store[P]) rebuildGone() {
	if s.ranger == nil {
		s.gone = nil
		return
	}
	f := newKeyFilter(2 * max(s.m.Len(), s.capacity))
	s.ranger.RangeKeys(func(kg int, key []byte) bool {
		f.add(keyHash(s.cacheKey(kg, key)))
		return true
	})
	s.gone = f
}

// get returns the entry for mutation.
func (s *store[P]) get(kg int, key []byte) (P, bool) {
	if s.shared {
		p, ok := s.m.Get(kg, key)
		if ok {
			s.schedule(kg, key, p)
		}
		return p, ok
	}
	if sl, ok := s.cached(kg, key); ok {
		p := sl.p
		if sl.absent {
			return p, false
		}
		s.schedule(kg, key, p)
		return p, true
	}
	p, ok := s.load(kg, key)
	if ok {
		s.schedule(kg, key, p)
	}
	return p, ok
}

// touch schedules the write-back of p, stored under key, which the caller
// is about to mutate. p must be the entry get or insert returned since the
// last flush.
func (s *store[P]) touch(kg int, key []byte, p P) {
	if p.mk().dirty {
		return
	}
	s.schedule(kg, key, p)
	if !s.shared {
		s.cache(kg, key, p, false)
	}
}

// schedule lists p for the next flush unless it is listed.
func (s *store[P]) schedule(kg int, key []byte, p P) {
	mk := p.mk()
	if mk.dirty {
		return
	}
	mk.dirty = true
	off := len(s.arena)
	s.arena = append(s.arena, key...)
	s.dirty = append(s.dirty, dirtyRef{kg: int32(kg), off: int32(off), end: int32(len(s.arena))})
	s.ptrs = append(s.ptrs, p)
}

// peek returns the entry for reading only.
func (s *store[P]) peek(kg int, key []byte) (P, bool) {
	if s.shared {
		return s.m.Get(kg, key)
	}
	if sl, ok := s.cached(kg, key); ok {
		return sl.p, !sl.absent
	}
	return s.load(kg, key)
}

// insert stores a new, fully built entry under key, which must be absent.
// To mutate p later the caller calls touch (or get) first.
func (s *store[P]) insert(kg int, key []byte, p P) {
	if s.shared {
		s.m.Put(kg, key, p)
		return
	}
	// The flush writes it; whether the backend holds key is known when the
	// cache knows key is absent or holds every stored entry.
	mk := p.mk()
	sl, ok := s.cached(kg, key)
	mk.known, mk.inBackend = ok && sl.absent || !ok && s.surelyAbsent(kg, key), false
	if ok && !sl.absent {
		// a replaced entry: it is dead, and its key's presence carries over
		old := sl.p.mk()
		old.dead = true
		mk.known, mk.inBackend = old.known, old.inBackend
	}
	s.schedule(kg, key, p)
	if ok {
		s.resize(sl, p, false, -1)
		sl.p, sl.absent = p, false
	} else {
		s.addSlot(kg, key, p, false, -1)
	}
}

// remove deletes key, whose current entry is p (a non-nil entry the
// store returned).
func (s *store[P]) remove(kg int, key []byte, p P) {
	p.mk().dead = true
	if s.shared {
		s.m.Delete(kg, key)
		return
	}
	sl, ok := s.cached(kg, key)
	switch {
	case ok && sl.absent:
		return
	case ok && s.known != nil && sl.p.mk().known:
		mk := sl.p.mk()
		mk.dead = true
		s.known.DeleteKnown(kg, key, mk.inBackend)
	case !ok && s.surelyAbsent(kg, key):
	default:
		if ok {
			sl.p.mk().dead = true
		}
		s.m.Delete(kg, key)
	}
	var zero P
	switch {
	case s.filtered(kg, key):
		// nothing needs to remember the absence
		if ok {
			s.dropSlot(s.index[string(s.cacheKey(kg, key))])
		}
	case ok:
		s.resize(sl, zero, true, -1)
		sl.p, sl.absent = zero, true
	default:
		s.addSlot(kg, key, zero, true, -1)
	}
}

// filtered reports whether the backend's keys that the cache does not
// hold are known without key: the cache holds every stored entry, or the
// filter of evicted keys does not have key.
func (s *store[P]) filtered(kg int, key []byte) bool {
	return s.complete || s.gone != nil && !s.gone.has(keyHash(s.cacheKey(kg, key)))
}

// dropSlot removes slot i from the cache.
func (s *store[P]) dropSlot(i int32) {
	s.bytes -= s.slots[i].size
	delete(s.index, s.slots[i].key)
	s.slots[i] = cacheSlot[P]{}
	s.free = append(s.free, i)
}

// flush writes every entry obtained by get since the last flush back, then
// trims the cache to its capacity. During the operator's Finish a
// serialising store leaves the write-back pending (see finishWith).
func (s *store[P]) flush() {
	if s.finishing && !s.shared {
		return
	}
	for i, d := range s.dirty {
		p := s.ptrs[i]
		mk := p.mk()
		mk.dirty = false
		if mk.dead {
			continue
		}
		key := s.arena[d.off:d.end]
		if s.known != nil && mk.known {
			s.known.PutKnown(int(d.kg), key, p, mk.inBackend)
		} else {
			s.m.Put(int(d.kg), key, p)
		}
		mk.known, mk.inBackend = true, true
		if s.budget != nil {
			// measure the entry as written
			if i, ok := s.index[string(s.cacheKey(int(d.kg), key))]; ok {
				s.resize(&s.slots[i], p, false, s.encodedSize())
			}
		}
	}
	clear(s.ptrs)
	s.ptrs = s.ptrs[:0]
	s.dirty = s.dirty[:0]
	s.arena = s.arena[:0]
	s.growth = 0 // the written entries were measured
	if !s.shared {
		s.readByteCap()
		s.evict(s.capacity)
	}
}

// readByteCap reads the byte bound (it changes as states of the job's
// budget come and go).
func (s *store[P]) readByteCap() {
	if s.budget != nil {
		s.byteCap = s.budget.EntryCacheBytes()
	}
}

// overBytes reports whether the cache is over its byte bound.
func (s *store[P]) overBytes() bool { return s.budget != nil && s.bytes+s.growth > s.byteCap }

// budgeted reports whether the store has a byte bound (an operator then
// reports the growth of its entries with grew).
func (s *store[P]) budgeted() bool { return s.budget != nil }

// grew tells a store with a byte bound that entries it returned since the
// last flush (get, insert) now hold about n more bytes (negative: fewer).
// An operator whose entries grow without bound (bags of rows) calls it, so
// that the store writes them back and evicts them before the next flush
// would have measured them.
func (s *store[P]) grew(n int) {
	if s.budget != nil {
		s.growth += int64(n)
	}
}

// finish is the store's part of the operator's Finish: the memory
// backend's entries are put; a serialising store's write-back stays
// pending (see finishWith).
func (s *store[P]) finish() {
	if s.shared {
		s.flush()
	}
}

func (s *store[P]) setFinishing(on bool) { s.finishing = on }

// finishing is implemented by every store.
type finishing interface{ setFinishing(on bool) }

// finishWith runs snapshot, the operator's SnapshotState, as its Finish,
// with the write-back of serialising stores left pending: nothing reads
// the state after Finish (the job's final checkpoint was taken before the
// inputs ended, and the backend is closed next), so writing it to disk
// would be wasted. The entries stay scheduled, so a later flush would
// still write them.
func finishWith(snapshot func(int64) error, stores ...finishing) error {
	for _, st := range stores {
		st.setFinishing(true)
	}
	defer func() {
		for _, st := range stores {
			st.setFinishing(false)
		}
	}()
	return snapshot(0)
}

// needsFlush reports whether many entries are pending: flushLimit, or as
// many as the cache keeps.
func (s *store[P]) needsFlush() bool {
	limit := max(flushLimit, s.capacity)
	return len(s.dirty) >= limit || len(s.arena) >= 64*limit
}

// maybeFlush flushes when many entries are pending, and otherwise trims
// the cache's clean entries to its capacity; under a byte bound it also
// flushes when the pending entries alone pass the bound (they cannot be
// evicted before they are written back).
func (s *store[P]) maybeFlush() {
	if s.pressed() {
		s.flush()
	}
}

// pressed reports whether maybeFlush would flush now: many entries are
// pending, or (after trimming the clean ones) the cache is over its byte
// bound while entries are pending. It never flushes: the entries returned
// by get and insert since the last flush stay valid (trim evicts clean
// entries only). An operator that holds such entries across batches
// (groupAgg's mini-batch) calls it instead of maybeFlush, and when it
// reports true lets go of them and calls maybeFlush.
func (s *store[P]) pressed() bool {
	if s.needsFlush() {
		return true
	}
	s.trim()
	return s.overBytes() && len(s.dirty) > 0
}

// trim evicts clean entries while the cache is over its capacity or its
// byte bound (the entries returned by get since the last flush stay, so
// it keeps room for as many as are scheduled).
func (s *store[P]) trim() {
	if s.shared {
		return
	}
	s.readByteCap()
	if n := max(s.capacity, len(s.dirty)); len(s.index) > n || s.overBytes() {
		s.evict(n)
	}
}

// forget notes that the cache no longer holds the stored entry of key
// (kg+key).
func (s *store[P]) forget(key string) {
	if s.complete {
		s.complete = false
		s.gone = newKeyFilter(2 * max(s.m.Len(), s.capacity))
	}
	if s.gone == nil {
		return
	}
	s.gone.add(keyHashString(key))
	if s.gone.full() {
		s.rebuildGone()
	}
}

// evict drops clean cache entries (CLOCK) until at most n remain and the
// cache is within its byte bound, or every one left is dirty.
func (s *store[P]) evict(n int) {
	left := len(s.index)
	for scanned := 0; (left > n || s.overBytes()) && scanned < 2*len(s.slots); scanned++ {
		if s.hand >= len(s.slots) {
			s.hand = 0
		}
		i := s.hand
		s.hand++
		sl := &s.slots[i]
		if !sl.used || !sl.absent && sl.p.mk().dirty {
			continue
		}
		if sl.ref {
			sl.ref = false
			continue
		}
		if !sl.absent {
			s.forget(sl.key)
		}
		s.dropSlot(int32(i))
		left--
	}
	if left == 0 {
		// nothing cached: start the slots afresh
		clear(s.slots)
		s.slots, s.free, s.hand = s.slots[:0], s.free[:0], 0
		s.bytes = 0
	}
}

// rangeAll calls fn for every stored entry, after a flush. The entries it
// gives are fresh copies on a serialising backend, not the cached ones.
func (s *store[P]) rangeAll(fn func(kg int, key string, p P) bool) {
	s.flush()
	s.m.Range(fn)
}

// copyTo copies the store's content into another backend through its
// codec (what a checkpoint and a restore do).
func (s *store[P]) copyTo(dst state.Backend) error {
	s.flush()
	var err error
	if cm, ok := s.m.(*codecMap[P]); ok {
		out, e := state.NewKeyedMap[[]byte](dst, s.name, bytesCodec{})
		if e != nil {
			return e
		}
		cm.inner.Range(func(kg int, key string, v []byte) bool {
			out.Put(kg, []byte(key), append([]byte(nil), v...))
			return true
		})
		return nil
	}
	out, err := state.NewKeyedMap(dst, s.name, s.codec)
	if err != nil {
		return err
	}
	s.m.Range(func(kg int, key string, p P) bool {
		var d P
		if d, err = s.codec.Decode(s.codec.Append(nil, p)); err != nil {
			return false
		}
		out.Put(kg, []byte(key), d)
		return true
	})
	return err
}

// codecMap serialises every value, as a disk backend does.
type codecMap[P any] struct {
	inner    state.KeyedMap[[]byte]
	codec    state.Codec[P]
	lastSize int
}

// LastValueSize implements state.ValueSizer.
func (c *codecMap[P]) LastValueSize() int { return c.lastSize }

func (c *codecMap[P]) Get(kg int, key []byte) (P, bool) {
	b, ok := c.inner.Get(kg, key)
	if !ok {
		var zero P
		return zero, false
	}
	c.lastSize = len(b)
	p, err := c.codec.Decode(b)
	if err != nil {
		panic(err) // tests only
	}
	return p, true
}
func (c *codecMap[P]) Put(kg int, key []byte, v P) {
	b := c.codec.Append(nil, v)
	c.lastSize = len(b)
	c.inner.Put(kg, key, b)
}
func (c *codecMap[P]) Delete(kg int, key []byte) { c.inner.Delete(kg, key) }

// PutKnown and DeleteKnown check the store's presence hints (a wrong one
// would make a Pebble state's Len wrong).
func (c *codecMap[P]) PutKnown(kg int, key []byte, v P, present bool) {
	c.checkHint(kg, key, present)
	c.Put(kg, key, v)
}
func (c *codecMap[P]) DeleteKnown(kg int, key []byte, present bool) {
	c.checkHint(kg, key, present)
	c.Delete(kg, key)
}
func (c *codecMap[P]) RangeKeys(fn func(kg int, key []byte) bool) {
	c.inner.Range(func(kg int, key string, _ []byte) bool { return fn(kg, []byte(key)) })
}
func (c *codecMap[P]) checkHint(kg int, key []byte, present bool) {
	if _, ok := c.inner.Get(kg, key); ok != present {
		panic(fmt.Sprintf("store: key %q of key group %d: presence hint %v, stored %v", key, kg, present, ok)) // tests only
	}
}
func (c *codecMap[P]) Len() int { return c.inner.Len() }
func (c *codecMap[P]) Range(fn func(kg int, key string, v P) bool) {
	c.inner.Range(func(kg int, key string, b []byte) bool {
		p, err := c.codec.Decode(b)
		if err != nil {
			panic(err)
		}
		return fn(kg, key, p)
	})
}

type bytesCodec struct{}

func (bytesCodec) Append(buf []byte, v []byte) []byte { return append(buf, v...) }
func (bytesCodec) Decode(buf []byte) ([]byte, error)  { return append([]byte(nil), buf...), nil }

// int64Codec encodes an int64 state value.
type int64Codec struct{}

func (int64Codec) Append(buf []byte, v int64) []byte { return binary.AppendVarint(buf, v) }
func (int64Codec) Decode(buf []byte) (int64, error) {
	v, n := binary.Varint(buf)
	if n <= 0 {
		return 0, errCorrupt
	}
	return v, nil
}
