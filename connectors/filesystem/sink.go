package filesystem

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/streamsql/streamsql/catalog"
	"github.com/streamsql/streamsql/connectors"
	"github.com/streamsql/streamsql/format"
	"github.com/streamsql/streamsql/types"
)

func newSink(t *catalog.Table, env *connectors.Env) (connectors.Sink, error) {
	f, err := validate(t)
	if err != nil {
		return nil, err
	}
	path := t.Option("path")
	dir := strings.HasSuffix(path, "/") || strings.HasSuffix(path, string(filepath.Separator))
	if st, err := os.Stat(path); err == nil && st.IsDir() {
		dir = true
	}
	return &sink{t: t, format: f, path: filepath.Clean(path), dir: dir}, nil
}

type sink struct {
	t      *catalog.Table
	format *format.Format
	path   string
	dir    bool
}

// AcceptsChangelog is false: files are append-only.
func (s *sink) AcceptsChangelog() bool { return false }

func (s *sink) Open(_ context.Context, instance, parallelism int) (connectors.SinkWriter, error) {
	w := &writer{s: s, enc: s.format.NewEncoder(), instance: instance}
	if s.dir {
		if err := os.MkdirAll(s.path, 0o755); err != nil {
			return nil, fmt.Errorf("table %s: %v", s.t.Name, err)
		}
		w.dir = s.path
		prefix := "part-" + strconv.Itoa(instance) + "-"
		suffix := "." + s.format.Extension()
		entries, err := os.ReadDir(s.path)
		if err != nil {
			return nil, fmt.Errorf("table %s: %v", s.t.Name, err)
		}
		for _, e := range entries {
			name := e.Name()
			if strings.HasPrefix(name, "."+prefix) && strings.HasSuffix(name, ".inprogress") {
				// left over by a writer that did not commit: never visible, drop it
				os.Remove(filepath.Join(s.path, name))
				continue
			}
			if n, ok := strings.CutPrefix(name, prefix); ok {
				if n, ok := strings.CutSuffix(n, suffix); ok {
					if k, err := strconv.Atoi(n); err == nil && k >= w.next {
						w.next = k + 1
					}
				}
			}
		}
		return w, nil
	}
	if parallelism > 1 {
		return nil, fmt.Errorf("table %s: 'path' '%s' is a single file, which only a sink of parallelism 1 can write (got %d); use a directory path ending with '/'", s.t.Name, s.path, parallelism)
	}
	w.dir = filepath.Dir(s.path)
	os.Remove(w.inProgress())
	return w, nil
}

type writer struct {
	s        *sink
	enc      format.Encoder
	instance int
	dir      string
	next     int // number of the next part file (directory mode)
	f        *os.File
	buf      []byte
	failed   error
}

const flushBytes = 256 << 10

func (w *writer) finalName() string {
	if w.s.dir {
		return filepath.Join(w.dir, fmt.Sprintf("part-%d-%d.%s", w.instance, w.next, w.s.format.Extension()))
	}
	return w.s.path
}

func (w *writer) inProgress() string {
	if w.s.dir {
		return filepath.Join(w.dir, fmt.Sprintf(".part-%d-%d.%s.inprogress", w.instance, w.next, w.s.format.Extension()))
	}
	return filepath.Join(w.dir, "."+filepath.Base(w.s.path)+".inprogress")
}

func (w *writer) fail(err error) error {
	w.failed = fmt.Errorf("table %s: %v", w.s.t.Name, err)
	return w.failed
}

func (w *writer) Write(b *types.Batch) error {
	if w.failed != nil {
		return w.failed
	}
	for _, op := range b.Ops {
		if op != types.Insert {
			return fmt.Errorf("table %s: the filesystem sink writes only inserted rows, the query produces %s rows: use a sink with a primary key", w.s.t.Name, op)
		}
	}
	if b.Len() == 0 {
		return nil
	}
	if w.f == nil {
		if err := os.MkdirAll(w.dir, 0o755); err != nil {
			return w.fail(err)
		}
		f, err := os.OpenFile(w.inProgress(), os.O_CREATE|os.O_TRUNC|os.O_WRONLY, 0o644)
		if err != nil {
			return w.fail(err)
		}
		w.f = f
	}
	for i := 0; i < b.Len(); i++ {
		w.buf = w.enc.AppendRow(w.buf, b.Row(i))
		w.buf = append(w.buf, '\n')
		if len(w.buf) >= flushBytes {
			if _, err := w.f.Write(w.buf); err != nil {
				return w.fail(err)
			}
			w.buf = w.buf[:0]
		}
	}
	return nil
}

// Flush commits the rows written since the previous Flush.
func (w *writer) Flush() error {
	if w.failed != nil {
		return w.failed
	}
	if w.f == nil {
		return nil
	}
	if len(w.buf) > 0 {
		if _, err := w.f.Write(w.buf); err != nil {
			return w.fail(err)
		}
		w.buf = w.buf[:0]
	}
	if err := w.f.Sync(); err != nil {
		return w.fail(err)
	}
	if err := w.f.Close(); err != nil {
		w.f = nil
		return w.fail(err)
	}
	w.f = nil
	tmp, final := w.inProgress(), w.finalName()
	if w.s.dir {
		if err := os.Rename(tmp, final); err != nil {
			return w.fail(err)
		}
		w.next++
	} else if err := commitFile(tmp, final); err != nil {
		return w.fail(err)
	}
	syncDir(w.dir)
	return nil
}

// commitFile renames tmp to final, or appends tmp to final when it exists.
func commitFile(tmp, final string) error {
	if _, err := os.Stat(final); errors.Is(err, os.ErrNotExist) {
		return os.Rename(tmp, final)
	}
	src, err := os.Open(tmp)
	if err != nil {
		return err
	}
	defer src.Close()
	dst, err := os.OpenFile(final, os.O_WRONLY|os.O_APPEND, 0)
	if err != nil {
		return err
	}
	if _, err := io.Copy(dst, src); err != nil {
		dst.Close()
		return err
	}
	if err := dst.Sync(); err != nil {
		dst.Close()
		return err
	}
	if err := dst.Close(); err != nil {
		return err
	}
	return os.Remove(tmp)
}

func syncDir(dir string) {
	if d, err := os.Open(dir); err == nil {
		d.Sync() // best effort: not every file system syncs directories
		d.Close()
	}
}

// Close discards whatever was written after the last Flush.
func (w *writer) Close() error {
	if w.f != nil {
		w.f.Close()
		w.f = nil
		os.Remove(w.inProgress())
	}
	w.buf = nil
	return nil
}
