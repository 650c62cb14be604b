package state

import (
	"encoding/binary"
	"errors"
	"fmt"

	"github.com/cockroachdb/pebble/v2"
)

// pebbleMap is the pebble backend's KeyedMap. Get decodes a fresh value;
// Put encodes it. Writes go to the backend's write buffer. Len is a
// counter kept exact by knowing, on Put and Delete, whether the key is
// present. Errors are recorded in the backend (see Backend.Err).
//
// known caches whether keys are present (learnt by Get, Put and Delete),
// so that the usual sequences (Get then Put, Get miss then Put of a new
// entry, Put then Delete) look a key up once. It stays exact because every
// write to this state goes through this map once it is registered; it is
// cleared when it grows past knownMax.
type pebbleMap[V any] struct {
	b     *PebbleBackend
	ps    *pebbleState
	codec Codec[V]
	kbuf  []byte
	vbuf  []byte
	known map[string]bool
	// lastSize is the encoded size of the value the last Get found or
	// the last Put wrote (ValueSizer).
	lastSize int
}

// LastValueSize implements ValueSizer.
func (m *pebbleMap[V]) LastValueSize() int { return m.lastSize }

const knownMax = 1 << 16

func newPebbleMap[V any](b *PebbleBackend, name string, codec Codec[V]) (*pebbleMap[V], error) {
	if b.closed {
		return nil, fmt.Errorf("state %q: backend %s is closed", name, b.id.fileStem())
	}
	ps, err := b.stateFor(name)
	if err != nil {
		return nil, err
	}
	return &pebbleMap[V]{b: b, ps: ps, codec: codec, known: map[string]bool{}}, nil
}

func (m *pebbleMap[V]) stateKind() string { return "keyed-map" }

// key builds the database key. A key group outside the owned range is a
// routing bug of the caller: it panics, as the memory backend does.
func (m *pebbleMap[V]) key(kg int, key []byte) []byte {
	if !m.b.kgs.Contains(kg) {
		panic(fmt.Sprintf("state: key group %d outside owned range [%d,%d)", kg, m.b.kgs.Start, m.b.kgs.End))
	}
	m.kbuf = appendKey(m.kbuf[:0], m.ps.id, kg, key)
	return m.kbuf
}

// learn records whether k is present.
func (m *pebbleMap[V]) learn(k []byte, present bool) {
	if v, ok := m.known[string(k)]; ok {
		if v != present {
			m.known[string(k)] = present
		}
		return
	}
	if len(m.known) >= knownMax {
		clear(m.known)
	}
	m.known[string(k)] = present
}

// has reports whether k is present, from the cache or the database.
func (m *pebbleMap[V]) has(k []byte, kg int) (bool, error) {
	if v, ok := m.known[string(k)]; ok {
		return v, nil
	}
	had, err := m.b.exists(k)
	if err != nil {
		return false, fmt.Errorf("state %q: reading key group %d: %w", m.ps.name, kg, err)
	}
	return had, nil
}

func (m *pebbleMap[V]) Get(kg int, key []byte) (V, bool) {
	var zero V
	k := m.key(kg, key)
	if v, ok := m.known[string(k)]; ok && !v {
		return zero, false
	}
	val, closer, err := m.b.reader().Get(k)
	if errors.Is(err, pebble.ErrNotFound) {
		m.learn(k, false)
		return zero, false
	}
	if err != nil {
		m.b.fail(fmt.Errorf("state %q: reading key group %d: %w", m.ps.name, kg, err))
		return zero, false
	}
	m.lastSize = len(val)
	v, err := m.codec.Decode(val)
	closer.Close()
	if err != nil {
		m.b.fail(fmt.Errorf("state %q: key group %d: a stored value does not decode: %w", m.ps.name, kg, err))
		return zero, false
	}
	m.learn(k, true)
	return v, true
}

func (m *pebbleMap[V]) Put(kg int, key []byte, v V) {
	k := m.key(kg, key)
	had, err := m.has(k, kg)
	if err != nil {
		m.b.fail(err)
		return
	}
	m.vbuf = m.codec.Append(m.vbuf[:0], v)
	m.lastSize = len(m.vbuf)
	if err := m.b.writer().Set(k, m.vbuf, nil); err != nil {
		m.b.fail(fmt.Errorf("state %q: writing key group %d: %w", m.ps.name, kg, err))
		return
	}
	if !had {
		m.ps.count++
		m.learn(k, true)
	}
	m.b.wrote()
}

// PutKnown implements KnownWriter.
func (m *pebbleMap[V]) PutKnown(kg int, key []byte, v V, present bool) {
	k := m.key(kg, key)
	m.vbuf = m.codec.Append(m.vbuf[:0], v)
	m.lastSize = len(m.vbuf)
	if err := m.b.writer().Set(k, m.vbuf, nil); err != nil {
		m.b.fail(fmt.Errorf("state %q: writing key group %d: %w", m.ps.name, kg, err))
		return
	}
	if !present {
		m.ps.count++
	}
	m.relearn(k, true)
	m.b.wrote()
}

// DeleteKnown implements KnownWriter.
func (m *pebbleMap[V]) DeleteKnown(kg int, key []byte, present bool) {
	if !present {
		return
	}
	k := m.key(kg, key)
	if err := m.b.writer().Delete(k, nil); err != nil {
		m.b.fail(fmt.Errorf("state %q: deleting in key group %d: %w", m.ps.name, kg, err))
		return
	}
	m.ps.count--
	m.relearn(k, false)
	m.b.wrote()
}

// relearn updates what known says of k, if it says anything (a caller
// that gives presence hints keeps its own record).
func (m *pebbleMap[V]) relearn(k []byte, present bool) {
	if v, ok := m.known[string(k)]; ok && v != present {
		m.known[string(k)] = present
	}
}

func (m *pebbleMap[V]) Delete(kg int, key []byte) {
	k := m.key(kg, key)
	had, err := m.has(k, kg)
	if err != nil {
		m.b.fail(err)
		return
	}
	if !had {
		return
	}
	if err := m.b.writer().Delete(k, nil); err != nil {
		m.b.fail(fmt.Errorf("state %q: deleting in key group %d: %w", m.ps.name, kg, err))
		return
	}
	m.ps.count--
	m.learn(k, false)
	m.b.wrote()
}

func (m *pebbleMap[V]) Len() int { return int(m.ps.count) }

// Range iterates the state in key order (key group, then key) over a
// point-in-time view, so fn may Delete the entry it is given.
func (m *pebbleMap[V]) Range(fn func(kg int, key string, v V) bool) {
	m.iterate(func(kg int, key []byte, it *pebble.Iterator) bool {
		val, err := it.ValueAndErr()
		if err != nil {
			m.b.fail(fmt.Errorf("state %q: reading key group %d: %w", m.ps.name, kg, err))
			return false
		}
		v, err := m.codec.Decode(val)
		if err != nil {
			m.b.fail(fmt.Errorf("state %q: key group %d: a stored value does not decode: %w", m.ps.name, kg, err))
			return true
		}
		return fn(kg, string(key), v)
	})
}

// RangeKeys implements KeyRanger: the keys in key order, without decoding
// the values.
func (m *pebbleMap[V]) RangeKeys(fn func(kg int, key []byte) bool) {
	m.iterate(func(kg int, key []byte, _ *pebble.Iterator) bool { return fn(kg, key) })
}

// iterate calls fn for every entry of the state in key order over a
// point-in-time view (fn may Delete the entry it is given), with the
// iterator positioned on it, until fn returns false. Errors fail the
// backend.
func (m *pebbleMap[V]) iterate(fn func(kg int, key []byte, it *pebble.Iterator) bool) {
	lo, hi := groupBounds(m.ps.id, m.b.kgs)
	m.b.ranging++
	defer func() { m.b.ranging-- }()
	it, err := m.b.reader().NewIter(&pebble.IterOptions{LowerBound: lo, UpperBound: hi})
	if err != nil {
		m.b.fail(fmt.Errorf("state %q: iterating: %w", m.ps.name, err))
		return
	}
	defer it.Close()
	for ok := it.First(); ok; ok = it.Next() {
		k := it.Key()
		if !fn(int(binary.BigEndian.Uint16(k[2:4])), k[4:], it) {
			return
		}
	}
	if err := it.Error(); err != nil {
		m.b.fail(fmt.Errorf("state %q: iterating: %w", m.ps.name, err))
	}
}
