package operators

import (
	"encoding/binary"

	"github.com/streamsql/streamsql/state"
)

// marks is the bookkeeping a store keeps inside each of its entries. It is
// never serialised.
type marks struct {
	dirty bool // read for mutation since the last flush (listed in store.dirty)
	dead  bool // deleted from the store
}

func (m *marks) mk() *marks { return m }

// entry is implemented by the pointer types kept in a store.
type entry interface{ mk() *marks }

// serialiseState makes every store go through a serialising map (Get
// decodes a fresh copy, Put encodes), as a disk backend does. Tests flip it
// to check that operators write back every mutation.
var serialiseState = false

// flushLimit bounds the number of entries a store keeps dirty between
// flushes.
const flushLimit = 1 << 15

// store is a keyed state map of pointer entries that amortises the Put
// that must follow an in-place mutation.
//
// Contract: get returns an entry for mutation and schedules its write-back;
// peek returns one for reading only; insert stores a new, fully built entry;
// remove deletes one. flush writes every scheduled entry back with Put; the
// operator calls it at checkpoint barriers (SnapshotState), at Finish, and
// at the end of a batch once many entries are pending (maybeFlush). Between
// flushes the entries returned by get stay valid and must not be used after
// remove.
//
// Pointers held across calls (e.g. an operator's hot index) stay valid
// until remove, or, when !shared, until the next flush.
//
// With the memory backend (shared), Get returns the stored pointer, so the
// backend sees mutations at once and the write-back is the contract's Put.
// With a serialising backend, get keeps the decoded entry in a cache until
// the flush, so that mutations accumulate on one copy.
type store[P entry] struct {
	name   string
	m      state.KeyedMap[P]
	codec  state.Codec[P]
	shared bool
	cache  map[string]P // !shared: entries returned by get since the last flush, by kg+key
	dirty  []dirtyRef
	ptrs   []P
	arena  []byte
	ckey   []byte
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
	} else {
		m, err := state.NewKeyedMap(b, name, codec)
		if err != nil {
			return nil, err
		}
		s.m = m
		s.shared = b.Kind() == "hashmap"
	}
	if !s.shared {
		s.cache = make(map[string]P)
	}
	return s, nil
}

func (s *store[P]) cacheKey(kg int, key []byte) []byte {
	s.ckey = binary.BigEndian.AppendUint16(s.ckey[:0], uint16(kg))
	s.ckey = append(s.ckey, key...)
	return s.ckey
}

// get returns the entry for mutation.
func (s *store[P]) get(kg int, key []byte) (P, bool) {
	if !s.shared {
		if p, ok := s.cache[string(s.cacheKey(kg, key))]; ok {
			return p, true
		}
	}
	p, ok := s.m.Get(kg, key)
	if !ok {
		return p, false
	}
	s.touch(kg, key, p)
	return p, true
}

// touch schedules the write-back of p, stored under key, which the caller
// is about to mutate. p must be the entry get or insert returned since the
// last flush.
func (s *store[P]) touch(kg int, key []byte, p P) {
	mk := p.mk()
	if mk.dirty {
		return
	}
	mk.dirty = true
	off := len(s.arena)
	s.arena = append(s.arena, key...)
	s.dirty = append(s.dirty, dirtyRef{kg: int32(kg), off: int32(off), end: int32(len(s.arena))})
	s.ptrs = append(s.ptrs, p)
	if !s.shared {
		s.cache[string(s.cacheKey(kg, key))] = p
	}
}

// peek returns the entry for reading only.
func (s *store[P]) peek(kg int, key []byte) (P, bool) {
	if !s.shared {
		if p, ok := s.cache[string(s.cacheKey(kg, key))]; ok {
			return p, true
		}
	}
	return s.m.Get(kg, key)
}

// insert stores a new, fully built entry. To mutate p later the caller
// calls touch (or get) first.
func (s *store[P]) insert(kg int, key []byte, p P) {
	s.m.Put(kg, key, p)
	if !s.shared {
		// keep the live copy, so that p stays the one entry for key
		s.touch(kg, key, p)
	}
}

// remove deletes key, whose current entry is p (or nil).
func (s *store[P]) remove(kg int, key []byte, p P) {
	if any(p) != nil {
		p.mk().dead = true
	}
	if !s.shared {
		delete(s.cache, string(s.cacheKey(kg, key)))
	}
	s.m.Delete(kg, key)
}

// flush writes every entry obtained by get since the last flush back.
func (s *store[P]) flush() {
	for i, d := range s.dirty {
		p := s.ptrs[i]
		mk := p.mk()
		mk.dirty = false
		if !mk.dead {
			s.m.Put(int(d.kg), s.arena[d.off:d.end], p)
		}
	}
	clear(s.ptrs)
	s.ptrs = s.ptrs[:0]
	s.dirty = s.dirty[:0]
	s.arena = s.arena[:0]
	if !s.shared {
		clear(s.cache)
	}
}

// maybeFlush flushes when many entries are pending.
func (s *store[P]) maybeFlush() {
	if len(s.dirty) >= flushLimit || len(s.arena) >= 64*flushLimit {
		s.flush()
	}
}

// rangeAll calls fn for every stored entry (after a flush).
func (s *store[P]) rangeAll(fn func(kg int, key string, p P) bool) { s.m.Range(fn) }

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
	inner state.KeyedMap[[]byte]
	codec state.Codec[P]
}

func (c *codecMap[P]) Get(kg int, key []byte) (P, bool) {
	b, ok := c.inner.Get(kg, key)
	if !ok {
		var zero P
		return zero, false
	}
	p, err := c.codec.Decode(b)
	if err != nil {
		panic(err) // tests only
	}
	return p, true
}
func (c *codecMap[P]) Put(kg int, key []byte, v P) { c.inner.Put(kg, key, c.codec.Append(nil, v)) }
func (c *codecMap[P]) Delete(kg int, key []byte)   { c.inner.Delete(kg, key) }
func (c *codecMap[P]) Len() int                    { return c.inner.Len() }
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
