package state

import (
	"errors"

	"github.com/cockroachdb/pebble/v2"
)

// The pebble backend buffers the writes of its maps in an indexed batch:
// a Put or Delete is an insert into the batch, reads go through the batch
// to the database, and the batch is committed to the database when it
// reaches writeBufferBytes or writeBufferOps (well under the size at which
// Pebble would turn it into a memtable of its own) and before anything
// reads the database directly (snapshots, compaction; Close discards it).
const (
	writeBufferBytes = 256 << 10
	writeBufferOps   = 4096
)

// reader is what the maps read from: the write buffer (which reads
// through to the database) or the database.
func (b *PebbleBackend) reader() pebble.Reader {
	if b.wb != nil {
		return b.wb
	}
	return b.db
}

// writer returns the write buffer, creating it if needed.
func (b *PebbleBackend) writer() *pebble.Batch {
	if b.wb == nil {
		b.wb = b.db.NewIndexedBatch()
	}
	return b.wb
}

// wrote commits the buffer once it is large, unless a Range iterates it.
func (b *PebbleBackend) wrote() {
	if b.wb != nil && b.ranging == 0 && (b.wb.Len() >= writeBufferBytes || b.wb.Count() >= writeBufferOps) {
		if err := b.commitWrites(); err != nil {
			b.fail(err)
		}
	}
}

// commitWrites applies the buffered writes to the database.
func (b *PebbleBackend) commitWrites() error {
	if b.wb == nil {
		return nil
	}
	wb := b.wb
	b.wb = nil
	err := wb.Commit(pebble.NoSync)
	if cerr := wb.Close(); err == nil {
		err = cerr
	}
	return err
}

// exists reports whether k is present (buffered writes included).
func (b *PebbleBackend) exists(k []byte) (bool, error) {
	_, closer, err := b.reader().Get(k)
	if errors.Is(err, pebble.ErrNotFound) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	closer.Close()
	return true, nil
}
