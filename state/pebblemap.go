package state

import (
	"encoding/binary"
	"errors"
	"fmt"

	"github.com/cockroachdb/pebble/v2"
)

// pebbleMap is the pebble backend's KeyedMap. Get decodes a fresh value;
// Put encodes it. Len is a counter kept exact by checking, on Put and
// Delete, whether the key is present. Errors are recorded in the backend
// (see Backend.Err).
//
// present caches keys known to be in the database (found by Get, or
// written by Put), so that the usual Get-mutate-Put sequence checks
// presence once. It stays exact because every write to this state goes
// through this map once it is registered; it is cleared when it grows
// past presentMax.
type pebbleMap[V any] struct {
	b       *PebbleBackend
	ps      *pebbleState
	codec   Codec[V]
	kbuf    []byte
	vbuf    []byte
	present map[string]struct{}
}

const presentMax = 1 << 16

func (m *pebbleMap[V]) remember(k []byte) {
	if len(m.present) >= presentMax {
		clear(m.present)
	}
	m.present[string(k)] = struct{}{}
}

func newPebbleMap[V any](b *PebbleBackend, name string, codec Codec[V]) (*pebbleMap[V], error) {
	if b.closed {
		return nil, fmt.Errorf("state %q: backend %s is closed", name, b.id.fileStem())
	}
	ps, err := b.stateFor(name)
	if err != nil {
		return nil, err
	}
	return &pebbleMap[V]{b: b, ps: ps, codec: codec, present: map[string]struct{}{}}, nil
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

func (m *pebbleMap[V]) Get(kg int, key []byte) (V, bool) {
	var zero V
	k := m.key(kg, key)
	val, closer, err := m.b.db.Get(k)
	if errors.Is(err, pebble.ErrNotFound) {
		return zero, false
	}
	if err != nil {
		m.b.fail(fmt.Errorf("state %q: reading key group %d: %w", m.ps.name, kg, err))
		return zero, false
	}
	v, err := m.codec.Decode(val)
	closer.Close()
	if err != nil {
		m.b.fail(fmt.Errorf("state %q: key group %d: a stored value does not decode: %w", m.ps.name, kg, err))
		return zero, false
	}
	m.remember(k)
	return v, true
}

func (m *pebbleMap[V]) Put(kg int, key []byte, v V) {
	k := m.key(kg, key)
	_, had := m.present[string(k)]
	if !had {
		var err error
		if had, err = m.b.exists(k); err != nil {
			m.b.fail(fmt.Errorf("state %q: reading key group %d: %w", m.ps.name, kg, err))
			return
		}
	}
	m.vbuf = m.codec.Append(m.vbuf[:0], v)
	if err := m.b.db.Set(k, m.vbuf, pebble.NoSync); err != nil {
		m.b.fail(fmt.Errorf("state %q: writing key group %d: %w", m.ps.name, kg, err))
		return
	}
	if !had {
		m.ps.count++
		m.remember(k)
	}
}

func (m *pebbleMap[V]) Delete(kg int, key []byte) {
	k := m.key(kg, key)
	_, had := m.present[string(k)]
	if had {
		delete(m.present, string(k))
	} else {
		var err error
		if had, err = m.b.exists(k); err != nil {
			m.b.fail(fmt.Errorf("state %q: reading key group %d: %w", m.ps.name, kg, err))
			return
		}
	}
	if !had {
		return
	}
	if err := m.b.db.Delete(k, pebble.NoSync); err != nil {
		m.b.fail(fmt.Errorf("state %q: deleting in key group %d: %w", m.ps.name, kg, err))
		return
	}
	m.ps.count--
}

func (m *pebbleMap[V]) Len() int { return int(m.ps.count) }

// Range iterates the state in key order (key group, then key) over a
// point-in-time view, so fn may Delete the entry it is given.
func (m *pebbleMap[V]) Range(fn func(kg int, key string, v V) bool) {
	lo, hi := groupBounds(m.ps.id, m.b.kgs)
	it, err := m.b.db.NewIter(&pebble.IterOptions{LowerBound: lo, UpperBound: hi})
	if err != nil {
		m.b.fail(fmt.Errorf("state %q: iterating: %w", m.ps.name, err))
		return
	}
	defer it.Close()
	for ok := it.First(); ok; ok = it.Next() {
		k := it.Key()
		kg := int(binary.BigEndian.Uint16(k[2:4]))
		val, err := it.ValueAndErr()
		if err != nil {
			m.b.fail(fmt.Errorf("state %q: reading key group %d: %w", m.ps.name, kg, err))
			return
		}
		v, err := m.codec.Decode(val)
		if err != nil {
			m.b.fail(fmt.Errorf("state %q: key group %d: a stored value does not decode: %w", m.ps.name, kg, err))
			continue
		}
		if !fn(kg, string(k[4:]), v) {
			return
		}
	}
	if err := it.Error(); err != nil {
		m.b.fail(fmt.Errorf("state %q: iterating: %w", m.ps.name, err))
	}
}
