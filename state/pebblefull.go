package state

import (
	"encoding/binary"
	"fmt"

	"github.com/cockroachdb/pebble/v2"
	"github.com/streamsql/streamsql/checkpoint/storage"
)

// snapshotFullAsync captures a Pebble snapshot and the catalog; finish
// writes every state of the catalog (registered or only restored) as one
// FormatFull file, <Dir>/<operatorID>-<instance>.state, the same file the
// memory backend writes.
func (b *PebbleBackend) snapshotFullAsync(t SnapshotTarget) (func() (*Handle, error), error) {
	if err := b.commitWrites(); err != nil {
		return nil, err
	}
	snap := b.db.NewSnapshot()
	catalog := b.catalogCopy()
	return func() (*Handle, error) {
		data, err := b.fullFile(snap, catalog)
		snap.Close()
		if err != nil {
			return nil, err
		}
		b.lastSize.Store(data.size)
		return writeFullFile(t.Storage, t.Dir, b.id, b.kgs, "pebble", data)
	}, nil
}

// fullFile encodes the states of catalog, read from snap, as a
// FormatFull file (sealed; spilled to the working directory when large).
func (b *PebbleBackend) fullFile(snap iterSource, catalog []pebbleState) (*sealedFile, error) {
	w := newStateFileWriter(tagFull, b.kgs, int(b.lastSize.Load()), b.workDir)
	for _, ps := range catalog {
		w.beginState(ps.name)
		err := eachEntry(snap, ps.id, b.kgs, func(kg int, key, val []byte) error {
			if kg != w.lastGroup() {
				w.beginGroup(kg)
			}
			w.put(key, val)
			return nil
		})
		if err != nil {
			w.discard()
			return nil, fmt.Errorf("state %q: %w", ps.name, err)
		}
	}
	return w.sealed(storage.KindState)
}

// iterSource is what eachEntry reads from (a DB or a snapshot).
type iterSource interface {
	NewIter(o *pebble.IterOptions) (*pebble.Iterator, error)
}

// eachEntry calls fn for every entry of state id in key groups kgs, in key
// order. key and val are valid only during the call.
func eachEntry(src iterSource, id uint16, kgs KeyGroupRange, fn func(kg int, key, val []byte) error) error {
	lo, hi := groupBounds(id, kgs)
	it, err := src.NewIter(&pebble.IterOptions{LowerBound: lo, UpperBound: hi})
	if err != nil {
		return err
	}
	for ok := it.First(); ok; ok = it.Next() {
		k := it.Key()
		val, err := it.ValueAndErr()
		if err != nil {
			it.Close()
			return err
		}
		if err := fn(int(binary.BigEndian.Uint16(k[2:4])), k[4:], val); err != nil {
			it.Close()
			return err
		}
	}
	if err := it.Error(); err != nil {
		it.Close()
		return err
	}
	return it.Close()
}

// loader writes restored entries into the database in large batches.
type loader struct {
	b     *PebbleBackend
	batch *pebble.Batch
	kbuf  []byte
}

const loadBatchBytes = 4 << 20

func (b *PebbleBackend) newLoader() *loader { return &loader{b: b, batch: b.db.NewBatch()} }

// put adds one entry of state name (keys are unique across a restore's
// handles, so every put is a new entry).
func (l *loader) put(name string, kg int, key, val []byte) error {
	ps, err := l.b.stateFor(name)
	if err != nil {
		return err
	}
	l.kbuf = appendKey(l.kbuf[:0], ps.id, kg, key)
	if err := l.batch.Set(l.kbuf, val, nil); err != nil {
		return err
	}
	ps.count++
	if l.batch.Len() >= loadBatchBytes {
		return l.flush()
	}
	return nil
}

func (l *loader) flush() error {
	if l.batch.Count() == 0 {
		return nil
	}
	if err := l.batch.Commit(pebble.NoSync); err != nil {
		return err
	}
	l.batch.Reset()
	return nil
}

func (l *loader) close() error {
	err := l.flush()
	l.batch.Close()
	return err
}
