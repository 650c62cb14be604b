package state

import (
	"fmt"
	"hash/crc32"
	"io"
	"os"
	"path"
	"path/filepath"
	"strings"

	"github.com/streamsql/streamsql/checkpoint/storage"
)

// Snapshot writes the state as of now. Savepoints, and every snapshot
// when incremental checkpoints are off (or the target has no SharedDir),
// are one FormatFull file. Incremental checkpoints are FormatPebbleSST:
// see snapshotIncrementalAsync.
func (b *PebbleBackend) Snapshot(t SnapshotTarget) (*Handle, error) {
	finish, err := b.snapshotAsync(t)
	if err != nil {
		return nil, err
	}
	return finish()
}

// snapshotAsync captures the state (a Pebble snapshot, or a flushed Pebble
// checkpoint in the working directory); finish writes or uploads it.
func (b *PebbleBackend) snapshotAsync(t SnapshotTarget) (func() (*Handle, error), error) {
	stem := b.id.fileStem()
	if b.closed {
		return nil, fmt.Errorf("snapshot of %s: the backend is closed", stem)
	}
	if b.err != nil {
		return nil, fmt.Errorf("snapshot of %s: %w", stem, b.err)
	}
	if err := checkTarget(b.id, t); err != nil {
		return nil, err
	}
	var finish func() (*Handle, error)
	var err error
	if b.opts.Incremental && !t.Savepoint && t.SharedDir != "" {
		finish, err = b.snapshotIncrementalAsync(t)
	} else {
		finish, err = b.snapshotFullAsync(t)
	}
	if err != nil {
		return nil, fmt.Errorf("snapshot of %s: %w", stem, err)
	}
	return func() (*Handle, error) {
		h, err := finish()
		if err != nil {
			return nil, fmt.Errorf("snapshot of %s: %w", stem, err)
		}
		return h, nil
	}, nil
}

// CheckpointComplete makes the SST files of snapshot id the base that
// later incremental snapshots reuse. It may be called from any goroutine.
func (b *PebbleBackend) CheckpointComplete(id int64) { b.uploads.complete(id) }

// snapshotIncrementalAsync flushes the memtable and takes a Pebble
// checkpoint in the working directory; finish uploads it:
//
//   - every SST (or blob) file that the base does not hold goes to
//     <SharedDir>/<operatorID>-<instance>-<session>-<checkpoint id>-<file>
//     (Shared); the base is the set of files referenced by the latest
//     snapshot whose CheckpointComplete arrived, or by the handle this
//     backend was restored from directly;
//   - the other files (MANIFEST, OPTIONS, markers) and the index go to
//     <Dir>/<operatorID>-<instance>.pebble/.
//
// Only files under this checkpoint's SharedDir are reused: after a restore
// from another job's checkpoint, the first checkpoint uploads everything
// into this job's SharedDir, so that the new job never depends on (nor
// lets its checkpoint store delete) another job's files.
//
// Contract relied upon: the checkpoint store never deletes a shared file
// that a retained completed checkpoint references. Files uploaded for a
// checkpoint that never completed are not reused (the store may delete
// them); a file is uploaded again, under a new name, instead. Because SST
// files are immutable and never come back once compacted away, every file
// of the base that is still live is referenced by the latest completed
// checkpoint, which the store retains.
func (b *PebbleBackend) snapshotIncrementalAsync(t SnapshotTarget) (func() (*Handle, error), error) {
	if err := b.commitWrites(); err != nil {
		return nil, err
	}
	if err := b.db.Flush(); err != nil {
		return nil, fmt.Errorf("flushing: %w", err)
	}
	ck := filepath.Join(b.workDir, fmt.Sprintf("chk-%d", t.CheckpointID))
	if err := os.RemoveAll(ck); err != nil {
		return nil, err
	}
	if err := b.db.Checkpoint(ck); err != nil {
		return nil, fmt.Errorf("pebble checkpoint: %w", err)
	}
	x := &pebbleIndex{kgs: b.kgs}
	for _, ps := range b.catalogCopy() {
		x.states = append(x.states, indexState{name: ps.name, id: ps.id, count: ps.count})
	}
	return func() (*Handle, error) {
		defer os.RemoveAll(ck)
		return b.upload(t, ck, x)
	}, nil
}

// upload stores the Pebble checkpoint in directory ck (see
// snapshotIncrementalAsync) and records its shared files as pending.
func (b *PebbleBackend) upload(t SnapshotTarget, ck string, x *pebbleIndex) (*Handle, error) {
	entries, err := os.ReadDir(ck)
	if err != nil {
		return nil, err
	}
	stem := b.id.fileStem()
	privDir := path.Join(t.Dir, stem+".pebble")
	// As the memory backend: build on what the store committed before
	// this checkpoint was triggered (see SnapshotTarget.Committed).
	b.uploads.complete(t.Committed)
	base := b.uploads.base()
	shared := map[string]indexFile{}
	var size, written int64
	for _, e := range entries {
		name := e.Name()
		local := filepath.Join(ck, name)
		info, err := os.Stat(local)
		if err != nil {
			return nil, err
		}
		isShared := isSharedFile(name)
		if f, ok := base[name]; ok && isShared && f.ref.Size == info.Size() && under(f.ref.Path, t.SharedDir) {
			x.files = append(x.files, f)
			shared[name] = f
			size += f.ref.Size
			continue
		}
		crc, err := fileCRC(local)
		if err != nil {
			return nil, err
		}
		f := indexFile{local: name, crc: crc, ref: FileRef{Size: info.Size(), Shared: isShared}}
		if isShared {
			f.ref.Path = path.Join(t.SharedDir, fmt.Sprintf("%s-%s-%d-%s", stem, b.session, t.CheckpointID, name))
			shared[name] = f
		} else {
			f.ref.Path = path.Join(privDir, name)
		}
		if err := t.Storage.PutFile(f.ref.Path, local); err != nil {
			return nil, fmt.Errorf("uploading %s: %w", f.ref.Path, err)
		}
		x.files = append(x.files, f)
		size += f.ref.Size
		written += f.ref.Size
	}
	indexPath := path.Join(privDir, pebbleIndexName)
	data := storage.Seal(storage.KindState, stateFileVersion, x.encode())
	if err := t.Storage.Put(indexPath, data); err != nil {
		return nil, fmt.Errorf("writing %s: %w", indexPath, err)
	}
	size += int64(len(data))
	written += int64(len(data))
	h := &Handle{
		OperatorID: b.id.operatorID, Instance: b.id.instance, KeyGroups: b.kgs,
		Backend: b.Kind(), Format: FormatPebbleSST,
		Files: []FileRef{{Path: indexPath, Size: int64(len(data))}},
		Size:  size, IncrementalSize: written,
	}
	for _, f := range x.files {
		h.Files = append(h.Files, f.ref)
	}
	b.uploads.record(t.CheckpointID, shared)
	return h, nil
}

// under reports whether path p is inside directory dir.
func under(p, dir string) bool {
	return dir != "" && strings.HasPrefix(p, strings.TrimSuffix(dir, "/")+"/")
}

// isSharedFile reports whether a Pebble checkpoint file is immutable data
// (uploaded once and shared by later checkpoints).
func isSharedFile(name string) bool {
	return strings.HasSuffix(name, ".sst") || strings.HasSuffix(name, ".blob")
}

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

func fileCRC(p string) (uint32, error) {
	f, err := os.Open(p)
	if err != nil {
		return 0, err
	}
	defer f.Close()
	h := crc32.New(castagnoli)
	if _, err := io.Copy(h, f); err != nil {
		return 0, err
	}
	return h.Sum32(), nil
}

// uploadTracker remembers which local SST files are in storage and may be
// referenced without uploading them again (local name -> stored copy).
type uploadTracker = baseTracker[map[string]indexFile]

// sharedFiles returns the shared files of a directly restored handle by
// local name: the base its next snapshots build on.
func sharedFiles(files []indexFile) map[string]indexFile {
	out := map[string]indexFile{}
	for _, f := range files {
		if f.ref.Shared {
			out[f.local] = f
		}
	}
	return out
}
