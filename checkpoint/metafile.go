package checkpoint

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"strings"

	"github.com/streamsql/streamsql/checkpoint/storage"
	"github.com/streamsql/streamsql/state"
)

// DamagedError says a checkpoint or savepoint directory cannot be
// restored: its _metadata is unreadable, or a file it references is
// missing or does not have the recorded size.
type DamagedError struct {
	Dir    string // relative to the storage root
	Reason string // e.g. "_metadata: checksum mismatch", "agg-0.state is missing"
	Err    error  // the underlying error, if any (*storage.CorruptError, ...)
}

func (e *DamagedError) Error() string { return e.Dir + " is damaged: " + e.Reason }
func (e *DamagedError) Unwrap() error { return e.Err }

// IncompleteError says a directory holds no _metadata: the checkpoint was
// never completed (or it is not a checkpoint directory at all).
type IncompleteError struct {
	Dir string
}

func (e *IncompleteError) Error() string {
	return e.Dir + " has no " + MetadataFile + ": it is not a complete checkpoint or savepoint"
}

// encodeMetadata seals md for storage in dir/_metadata, with file paths
// made relative to dir. A savepoint must be self-contained: every file it
// references lies inside dir.
func encodeMetadata(md *Metadata, dir string) ([]byte, error) {
	rel, err := mapPaths(md, func(p string) (string, error) {
		if p == "" {
			return p, nil
		}
		r := relTo(dir, p)
		if md.Savepoint && (r == ".." || len(r) >= 3 && r[:3] == "../") {
			return "", fmt.Errorf("savepoint %d references %s outside its directory %s: a savepoint must be self-contained", md.CheckpointID, p, dir)
		}
		return r, nil
	})
	if err != nil {
		return nil, err
	}
	payload, err := json.Marshal(rel)
	if err != nil {
		return nil, err
	}
	return storage.Seal(storage.KindMetadata, MetadataVersion, payload), nil
}

// readMetadata reads dir/_metadata from st and returns it with paths
// relative to st's root. A missing file gives *IncompleteError, a damaged
// one *DamagedError. Files are not checked (see verifyFiles). When the
// metadata is intact but references files outside st's root, it returns
// the metadata together with a *DamagedError saying so.
func readMetadata(st storage.Storage, dir string) (*Metadata, error) {
	p := path.Join(dir, MetadataFile)
	payload, err := storage.Read(st, p, storage.KindMetadata, MetadataVersion)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil, &IncompleteError{Dir: dir}
		}
		var ce *storage.CorruptError
		if errors.As(err, &ce) {
			return nil, &DamagedError{Dir: dir, Reason: MetadataFile + ": " + ce.Reason, Err: err}
		}
		return nil, fmt.Errorf("reading %s: %w", Location(st, p), err)
	}
	var md Metadata
	if err := json.Unmarshal(payload, &md); err != nil {
		return nil, &DamagedError{Dir: dir, Reason: MetadataFile + ": unreadable: " + err.Error(), Err: err}
	}
	var outside string
	out, _ := mapPaths(&md, func(rel string) (string, error) {
		if rel == "" {
			return rel, nil
		}
		p, ok := resolve(dir, rel)
		if !ok && outside == "" {
			outside = rel
		}
		return p, nil
	})
	if outside != "" {
		return out, &DamagedError{Dir: dir, Reason: fmt.Sprintf("references %s, outside %s", outside, st.Root())}
	}
	return out, nil
}

// verifyFiles checks that every file md references exists in st with the
// recorded size (cheap: no file is read); dir (md's directory) shortens the
// paths in messages. A file missing, unreadable or of another size gives
// *DamagedError naming it.
func verifyFiles(st storage.Storage, dir string, md *Metadata) error {
	var bad error
	eachFile(md, func(p string, size int64, _ bool) {
		if bad != nil || p == "" {
			return
		}
		got, err := st.Size(p)
		name := fileName(dir, p)
		switch {
		case errors.Is(err, fs.ErrNotExist):
			bad = &DamagedError{Dir: dir, Reason: name + " is missing", Err: err}
		case err != nil:
			bad = &DamagedError{Dir: dir, Reason: name + " is unreadable: " + err.Error(), Err: err}
		case got != size:
			bad = &DamagedError{Dir: dir, Reason: fmt.Sprintf("%s has %d bytes, %d recorded", name, got, size)}
		}
	})
	return bad
}

// verifyContents reads every file md references and checks it is intact:
// state files and recorded channels by their envelope (size, CRC-32C,
// kind, version), a Pebble checkpoint's files against the sizes and
// CRC-32C recorded in its index (see state.VerifyHandle). It costs one
// read of the checkpoint; call it after verifyFiles, which finds missing
// files without reading anything. done is as for state.VerifyHandle (nil:
// read every file). Damage gives *DamagedError naming the file.
func verifyContents(st storage.Storage, dir string, md *Metadata, done map[string]bool) error {
	for _, op := range md.Operators {
		for _, t := range op.Tasks {
			if err := state.VerifyHandle(st, t.Keyed, done); err != nil {
				return damagedFile(st, dir, err)
			}
			for _, ch := range t.Channels {
				if done[ch.Path] {
					continue
				}
				if err := storage.Check(st, ch.Path, ch.Size, storage.KindChannel, channelFileVersion); err != nil {
					return damagedFile(st, dir, err)
				}
			}
		}
	}
	return nil
}

// channelFileVersion is the envelope version of recorded channel files
// (written by the runtime's unaligned checkpoints).
const channelFileVersion = 1

// damagedFile turns an error met while checking a file of the checkpoint
// in dir into a *DamagedError whose reason names the file.
func damagedFile(st storage.Storage, dir string, err error) error {
	var ce *storage.CorruptError
	var pe *fs.PathError
	switch {
	case errors.As(err, &ce):
		return &DamagedError{Dir: dir, Reason: fileName(dir, ce.Path) + ": " + ce.Reason, Err: err}
	case errors.As(err, &pe) && errors.Is(err, fs.ErrNotExist):
		return &DamagedError{Dir: dir, Reason: fileName(dir, storagePath(st, pe.Path)) + " is missing", Err: err}
	case errors.As(err, &pe):
		return &DamagedError{Dir: dir, Reason: fileName(dir, storagePath(st, pe.Path)) + " is unreadable: " + pe.Err.Error(), Err: err}
	}
	return &DamagedError{Dir: dir, Reason: err.Error(), Err: err}
}

// storagePath turns a local filesystem path of a Local storage back into
// a path relative to its root (for messages); other paths are returned
// as they are.
func storagePath(st storage.Storage, p string) string {
	if l, ok := st.(*storage.Local); ok && filepath.IsAbs(p) {
		if rel, err := filepath.Rel(l.Root(), p); err == nil && !strings.HasPrefix(rel, "..") {
			return filepath.ToSlash(rel)
		}
	}
	return p
}

// fileName renders file p (relative to the storage root) for a message
// about the checkpoint in dir: relative to dir when it lies below it
// ("agg-0.state"), else p itself ("job/shared/x.sst").
func fileName(dir, p string) string {
	name := relTo(dir, p)
	if strings.HasPrefix(name, "../") {
		return p
	}
	return name
}

// loadDir reads and verifies the checkpoint or savepoint in dir: its
// _metadata, then that every file it references exists with its recorded
// size, then every file's contents (verifyContents).
func loadDir(st storage.Storage, dir string) (*Metadata, error) {
	md, err := readMetadata(st, dir)
	if err != nil {
		return nil, err
	}
	if err := verifyFiles(st, dir, md); err != nil {
		return nil, err
	}
	if err := verifyContents(st, dir, md, nil); err != nil {
		return nil, err
	}
	md.Storage, md.Dir = st, dir
	return md, nil
}

// Load reads the checkpoint or savepoint at p in st: its directory or its
// _metadata file, relative to st's root ("" or "." for the root itself).
// Every file it references must exist with its recorded size and be
// intact (it is read, see verifyContents); a damaged one gives
// *DamagedError, a directory without _metadata *IncompleteError. Paths in the result are relative to st's root
// (Metadata.Storage is st).
func Load(st storage.Storage, p string) (*Metadata, error) {
	dir := path.Clean(p)
	if path.Base(dir) == MetadataFile {
		dir = path.Dir(dir)
	}
	if dir == "/" || path.IsAbs(dir) {
		dir = dir[1:]
	}
	return loadDir(st, dir)
}

// LoadLocal reads the checkpoint or savepoint at a local filesystem path
// (its directory or its _metadata file), for --restore PATH and
// execution.savepoint.path. It returns the storage the metadata's paths
// are relative to (rooted at the directory's parent, so that a
// checkpoint's shared files resolve; also in Metadata.Storage), with the
// verified metadata.
func LoadLocal(fsPath string) (storage.Storage, *Metadata, error) {
	dir := filepath.Clean(fsPath)
	if filepath.Base(dir) == MetadataFile {
		dir = filepath.Dir(dir)
	}
	abs, err := filepath.Abs(dir)
	if err != nil {
		return nil, nil, err
	}
	fi, err := os.Stat(abs)
	if err != nil {
		return nil, nil, fmt.Errorf("no checkpoint or savepoint at %s: %w", fsPath, err)
	}
	if !fi.IsDir() {
		return nil, nil, fmt.Errorf("%s is neither a checkpoint or savepoint directory nor its %s file", fsPath, MetadataFile)
	}
	parent := filepath.Dir(abs)
	if parent == abs {
		return nil, nil, fmt.Errorf("%s is not a checkpoint or savepoint directory", fsPath)
	}
	st, err := storage.NewLocal(parent)
	if err != nil {
		return nil, nil, err
	}
	md, err := loadDir(st, filepath.Base(abs))
	if err != nil {
		return nil, nil, err
	}
	return st, md, nil
}
