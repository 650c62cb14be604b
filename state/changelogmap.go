package state

import (
	"encoding/binary"
	"sort"
)

// logMap is changelog mode's KeyedMap: it writes through to the inner
// backend's map and stamps each changed key with the current epoch, so
// that a checkpoint can write every key changed since the last completed
// checkpoint with its value as of the checkpoint.
type logMap[V any] struct {
	b     *ChangelogBackend
	name  string
	inner KeyedMap[V]
	codec Codec[V]
	dirty dirtySet
	kbuf  []byte
}

// changeWriter is what ChangelogBackend needs of its maps.
type changeWriter interface {
	// writeChanges writes the keys changed in epochs after `after` as
	// state name; it returns how many it wrote.
	writeChanges(w *stateFileWriter, name string, after uint64) int
	// dropUpTo forgets the changes of epochs up to upTo.
	dropUpTo(upTo uint64)
}

func newLogMap[V any](b *ChangelogBackend, name string, inner KeyedMap[V], codec Codec[V]) *logMap[V] {
	return &logMap[V]{b: b, name: name, inner: inner, codec: codec}
}

func (m *logMap[V]) stateKind() string { return "keyed-map" }

func (m *logMap[V]) Get(kg int, key []byte) (V, bool) { return m.inner.Get(kg, key) }
func (m *logMap[V]) Len() int                         { return m.inner.Len() }

func (m *logMap[V]) Put(kg int, key []byte, v V) {
	m.inner.Put(kg, key, v)
	m.mark(kg, key)
}

func (m *logMap[V]) Delete(kg int, key []byte) {
	n := m.inner.Len()
	m.inner.Delete(kg, key)
	if m.inner.Len() != n {
		m.mark(kg, key)
	}
}

func (m *logMap[V]) Range(fn func(kg int, key string, v V) bool) {
	// fn calls m.Delete (not the inner map's), which records deletions.
	m.inner.Range(fn)
}

func (m *logMap[V]) mark(kg int, key []byte) {
	m.kbuf = binary.BigEndian.AppendUint16(m.kbuf[:0], uint16(kg))
	m.kbuf = append(m.kbuf, key...)
	m.dirty.mark(m.kbuf, m.b.epoch)
}

func (m *logMap[V]) writeChanges(w *stateFileWriter, name string, after uint64) int {
	idx := m.dirty.after(after)
	if len(idx) == 0 {
		return 0
	}
	sort.Slice(idx, func(i, j int) bool { return m.dirty.keys[idx[i]] < m.dirty.keys[idx[j]] })
	w.beginState(name)
	var kb, vb []byte
	for _, i := range idx {
		k := m.dirty.keys[i]
		kg := int(k[0])<<8 | int(k[1])
		if kg != w.lastGroup() {
			w.beginGroup(kg)
		}
		kb = append(kb[:0], k[2:]...)
		if v, ok := m.inner.Get(kg, kb); ok {
			vb = m.codec.Append(vb[:0], v)
			w.put(kb, vb)
		} else {
			w.del(kb)
		}
	}
	return len(idx)
}

func (m *logMap[V]) dropUpTo(upTo uint64) { m.dirty.dropUpTo(upTo) }

// dirtySet maps changed keys (key group, 2 bytes, then key) to the epoch
// of their last change. Marking a key already present allocates nothing.
type dirtySet struct {
	index  map[string]int32
	keys   []string
	epochs []uint64
}

func (d *dirtySet) mark(k []byte, epoch uint64) {
	if i, ok := d.index[string(k)]; ok {
		d.epochs[i] = epoch
		return
	}
	if d.index == nil {
		d.index = map[string]int32{}
	}
	s := string(k)
	d.index[s] = int32(len(d.keys))
	d.keys = append(d.keys, s)
	d.epochs = append(d.epochs, epoch)
}

// after lists the slots changed in epochs after e.
func (d *dirtySet) after(e uint64) []int {
	var out []int
	for i, ep := range d.epochs {
		if ep > e {
			out = append(out, i)
		}
	}
	return out
}

// dropUpTo removes the keys whose last change is in an epoch up to e.
func (d *dirtySet) dropUpTo(e uint64) {
	j := 0
	for i, k := range d.keys {
		if d.epochs[i] <= e {
			delete(d.index, k)
			continue
		}
		d.keys[j], d.epochs[j] = k, d.epochs[i]
		d.index[k] = int32(j)
		j++
	}
	clear(d.keys[j:])
	d.keys, d.epochs = d.keys[:j], d.epochs[:j]
}

// LastValueSize implements ValueSizer (0 over an inner map without it).
func (m *logMap[V]) LastValueSize() int {
	if vs, ok := m.inner.(ValueSizer); ok {
		return vs.LastValueSize()
	}
	return 0
}

// PutKnown implements KnownWriter (over an inner map without it, as Put).
func (m *logMap[V]) PutKnown(kg int, key []byte, v V, present bool) {
	if kw, ok := m.inner.(KnownWriter[V]); ok {
		kw.PutKnown(kg, key, v, present)
	} else {
		m.inner.Put(kg, key, v)
	}
	m.mark(kg, key)
}

// DeleteKnown implements KnownWriter (over an inner map without it, as
// Delete).
func (m *logMap[V]) DeleteKnown(kg int, key []byte, present bool) {
	kw, ok := m.inner.(KnownWriter[V])
	if !ok {
		m.Delete(kg, key)
		return
	}
	if present {
		kw.DeleteKnown(kg, key, true)
		m.mark(kg, key)
	}
}

// RangeKeys implements KeyRanger (over an inner map without it, through
// Range).
func (m *logMap[V]) RangeKeys(fn func(kg int, key []byte) bool) {
	if kr, ok := m.inner.(KeyRanger); ok {
		kr.RangeKeys(fn)
		return
	}
	m.inner.Range(func(kg int, key string, _ V) bool { return fn(kg, []byte(key)) })
}
