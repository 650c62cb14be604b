package state

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/streamsql/streamsql/checkpoint/storage"
)

// Restore loads the key groups this instance owns from handles, then
// applies their changelog segments. It must be called once, before any
// NewKeyedMap.
//
// When exactly one handle holds this instance's key groups and it is a
// FormatPebbleSST handle of exactly the same key-group range (a restart at
// the same parallelism), its files are downloaded into the working
// directory and opened as the database; with incremental checkpoints its
// shared files become the base of the next snapshot. Otherwise (another
// parallelism, or FormatFull handles) the entries of the owned key groups
// are copied into the fresh database.
func (b *PebbleBackend) Restore(st storage.Storage, handles []*Handle) error {
	stem := b.id.fileStem()
	if b.closed || b.restored || len(b.states_) > 0 || len(b.catalog) > 0 {
		return fmt.Errorf("restore of %s: Restore must come first and only once", stem)
	}
	b.restored = true
	if err := checkHandles(handles, b.kgs); err != nil {
		return err
	}
	var rel []*Handle
	for _, h := range handles {
		if overlaps(h, b.kgs) {
			rel = append(rel, h)
		}
	}
	var err error
	if len(rel) == 1 && rel[0].Format == FormatPebbleSST && rel[0].KeyGroups == b.kgs {
		err = b.restoreDirect(st, rel[0])
	} else {
		err = b.restoreCopy(st, rel)
	}
	if err == nil {
		err = applyChangelog(st, b, handles)
	}
	if err != nil {
		return fmt.Errorf("restore of %s: %w", stem, err)
	}
	return nil
}

// restoreDirect replaces the empty database by the downloaded checkpoint.
func (b *PebbleBackend) restoreDirect(st storage.Storage, h *Handle) error {
	x, err := readPebbleIndex(st, h)
	if err != nil {
		return err
	}
	if err := b.db.Close(); err != nil {
		return err
	}
	b.db = nil
	err = b.replaceDB(func() error { return download(st, x, b.dbDir) })
	if err != nil {
		return err
	}
	for _, s := range x.states {
		b.catalog[s.name] = &pebbleState{name: s.name, id: s.id, count: s.count}
		b.nextID = max(b.nextID, int(s.id)+1)
	}
	if b.opts.Incremental {
		b.uploads.seed(sharedFiles(x.files))
	}
	return nil
}

// replaceDB empties the database directory, fills it with fill and opens
// it. On failure it opens an empty database instead, so that the backend
// stays usable (and closable).
func (b *PebbleBackend) replaceDB(fill func() error) error {
	err := os.RemoveAll(b.dbDir)
	if err == nil {
		err = os.MkdirAll(b.dbDir, 0o755)
	}
	if err == nil {
		err = fill()
	}
	if err == nil {
		b.db, err = b.openDB(b.dbDir, false)
		if err != nil {
			err = fmt.Errorf("opening the restored database: %w", err)
		}
	}
	if err != nil {
		os.RemoveAll(b.dbDir)
		if db, oerr := b.openDB(b.dbDir, false); oerr == nil {
			b.db = db
		}
		return err
	}
	return nil
}

// restoreCopy copies the owned entries of handles into the database.
func (b *PebbleBackend) restoreCopy(st storage.Storage, handles []*Handle) error {
	l := b.newLoader()
	put := func(_, state string, kg int, key, val []byte) error { return l.put(state, kg, key, val) }
	for _, h := range handles {
		var err error
		switch h.Format {
		case FormatFull:
			err = readFullHandle(st, h, b.kgs, put)
		case FormatPebbleSST:
			err = readPebbleHandle(st, h, b.kgs, b.workDir, put)
		}
		if err != nil {
			l.close()
			return err
		}
	}
	return l.close()
}

// readPebbleHandle calls fn for every entry of a FormatPebbleSST handle in
// key groups kgs: it downloads the files into a temporary directory under
// tmpParent (the system's when empty) and reads them as a read-only
// database. key and val are valid only during fn.
func readPebbleHandle(st storage.Storage, h *Handle, kgs KeyGroupRange, tmpParent string, fn func(file, state string, kg int, key, val []byte) error) error {
	x, err := readPebbleIndex(st, h)
	if err != nil {
		return err
	}
	tmp, err := os.MkdirTemp(tmpParent, "restore-*")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	if err := download(st, x, tmp); err != nil {
		return err
	}
	db, err := (*PebbleBackend)(nil).openDB(tmp, true)
	if err != nil {
		return fmt.Errorf("opening the checkpoint of %s (index %s): %w", fmt.Sprintf("%s-%d", h.OperatorID, h.Instance), h.Files[0].Path, err)
	}
	defer db.Close()
	owned := kgs.Intersect(x.kgs)
	file := h.Files[0].Path
	for _, s := range x.states {
		err := eachEntry(db, s.id, owned, func(kg int, key, val []byte) error {
			return fn(file, s.name, kg, key, val)
		})
		if err != nil {
			return fmt.Errorf("reading state %q of the checkpoint indexed by %s: %w", s.name, file, err)
		}
	}
	return nil
}

// download copies every file of an index into dir, checking sizes and
// checksums.
func download(st storage.Storage, x *pebbleIndex, dir string) error {
	for _, f := range x.files {
		if err := downloadFile(st, f, filepath.Join(dir, f.local)); err != nil {
			return err
		}
	}
	return nil
}

func downloadFile(st storage.Storage, f indexFile, dst string) error {
	rc, err := st.Open(f.ref.Path)
	if err != nil {
		return fmt.Errorf("reading state file %s: %w", f.ref.Path, err)
	}
	defer rc.Close()
	out, err := os.Create(dst)
	if err != nil {
		return err
	}
	err = storage.CopyChecked(f.ref.Path, out, rc, f.ref.Size, f.crc)
	if cerr := out.Close(); err == nil {
		err = cerr
	}
	return err
}
