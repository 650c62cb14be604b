package storage

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strings"
)

// Storage holds checkpoint files. Implementations must be safe for
// concurrent use.
type Storage interface {
	// Put writes an object atomically and durably. It keeps no
	// reference to data once it returns (the caller may reuse it).
	Put(p string, data []byte) error
	// PutFile moves a local file into the storage as object p (atomically
	// and durably); the local file is gone afterwards.
	PutFile(p string, local string) error
	// Get reads a whole object. A missing object gives an error wrapping fs.ErrNotExist.
	Get(p string) ([]byte, error)
	// Open streams an object.
	Open(p string) (io.ReadCloser, error)
	// List returns the object paths under prefix (recursively), sorted.
	List(prefix string) ([]string, error)
	// Delete removes an object; deleting a missing object is not an error.
	// Once Delete returns nil the removal is durable (for Local, the
	// directory is fsynced), so that a later deletion cannot become
	// visible before it.
	Delete(p string) error
	// DeletePrefix removes every object under prefix.
	DeletePrefix(prefix string) error
	// Size returns an object's size in bytes.
	Size(p string) (int64, error)
	// Root describes the storage for messages (a directory path or URL).
	Root() string
}

// Local is Storage on a local directory.
type Local struct {
	dir string
}

// NewLocal returns storage rooted at dir (created if missing).
func NewLocal(dir string) (*Local, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("checkpoint storage %s: %w", dir, err)
	}
	return &Local{dir: dir}, nil
}

func (l *Local) Root() string { return l.dir }

func (l *Local) full(p string) (string, error) {
	c := path.Clean("/" + p)
	if c == "/" {
		return "", fmt.Errorf("checkpoint storage: empty path")
	}
	return filepath.Join(l.dir, filepath.FromSlash(c[1:])), nil
}

func (l *Local) Put(p string, data []byte) error {
	dst, err := l.full(p)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
		return err
	}
	return writeAtomic(dst, func(w io.Writer) error {
		_, err := w.Write(data)
		return err
	})
}

func (l *Local) PutFile(p string, local string) error {
	dst, err := l.full(p)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
		return err
	}
	f, err := os.Open(local)
	if err != nil {
		return err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return err
	}
	f.Close()
	if err := os.Rename(local, dst); err != nil {
		// Another filesystem: copy, without holding the file in memory.
		if cerr := copyFile(dst, local); cerr != nil {
			return cerr
		}
		return os.Remove(local)
	}
	return syncDir(filepath.Dir(dst))
}

// copyFile copies local to dst atomically and durably, streaming.
func copyFile(dst, local string) error {
	src, err := os.Open(local)
	if err != nil {
		return err
	}
	defer src.Close()
	return writeAtomic(dst, func(w io.Writer) error {
		_, err := io.Copy(w, src)
		return err
	})
}

// writeAtomic makes dst hold what write writes, atomically and durably:
// through a temporary file beside dst (removed on failure), synced,
// renamed, then the directory synced.
func writeAtomic(dst string, write func(io.Writer) error) error {
	f, err := os.CreateTemp(filepath.Dir(dst), ".tmp-"+filepath.Base(dst)+"-*")
	if err != nil {
		return err
	}
	tmp := f.Name()
	ok := false
	defer func() {
		if !ok {
			f.Close()
			os.Remove(tmp)
		}
	}()
	if err := write(f); err != nil {
		return err
	}
	if err := f.Sync(); err != nil {
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	if err := os.Rename(tmp, dst); err != nil {
		return err
	}
	ok = true
	return syncDir(filepath.Dir(dst))
}

func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	if err := d.Sync(); err != nil && !errors.Is(err, os.ErrInvalid) {
		return err
	}
	return nil
}

func (l *Local) Get(p string) ([]byte, error) {
	f, err := l.full(p)
	if err != nil {
		return nil, err
	}
	return readFile(f)
}

func (l *Local) Open(p string) (io.ReadCloser, error) {
	f, err := l.full(p)
	if err != nil {
		return nil, err
	}
	return os.Open(f)
}

func (l *Local) Size(p string) (int64, error) {
	f, err := l.full(p)
	if err != nil {
		return 0, err
	}
	st, err := os.Stat(f)
	if err != nil {
		return 0, err
	}
	return st.Size(), nil
}

func (l *Local) List(prefix string) ([]string, error) {
	base := filepath.Join(l.dir, filepath.FromSlash(strings.TrimSuffix(prefix, "/")))
	var out []string
	err := filepath.WalkDir(base, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			if errors.Is(err, fs.ErrNotExist) {
				return nil
			}
			return err
		}
		if d.IsDir() || strings.HasPrefix(d.Name(), ".tmp-") {
			return nil
		}
		rel, err := filepath.Rel(l.dir, p)
		if err != nil {
			return err
		}
		out = append(out, filepath.ToSlash(rel))
		return nil
	})
	sort.Strings(out)
	return out, err
}

func (l *Local) Delete(p string) error {
	f, err := l.full(p)
	if err != nil {
		return err
	}
	if err := os.Remove(f); err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil
		}
		return err
	}
	return syncDir(filepath.Dir(f))
}

func (l *Local) DeletePrefix(prefix string) error {
	f, err := l.full(prefix)
	if err != nil {
		return err
	}
	return os.RemoveAll(f)
}
