package storage

import (
	"bytes"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"sort"
	"strings"
	"sync"
)

// Memory is Storage held in memory, for tests and fuzzing (no fsync, no
// files). It is safe for concurrent use. The zero value is not usable:
// call NewMemory.
type Memory struct {
	mu   sync.Mutex
	objs map[string][]byte
}

// NewMemory returns an empty in-memory storage.
func NewMemory() *Memory { return &Memory{objs: map[string][]byte{}} }

func (m *Memory) Root() string { return "mem:" }

func cleanPath(p string) (string, error) {
	c := path.Clean("/" + p)
	if c == "/" {
		return "", fmt.Errorf("checkpoint storage: empty path")
	}
	return c[1:], nil
}

func notExist(op, p string) error { return &fs.PathError{Op: op, Path: p, Err: fs.ErrNotExist} }

func (m *Memory) Put(p string, data []byte) error {
	c, err := cleanPath(p)
	if err != nil {
		return err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	m.objs[c] = bytes.Clone(data)
	return nil
}

func (m *Memory) PutFile(p string, local string) error {
	data, err := os.ReadFile(local)
	if err != nil {
		return err
	}
	if err := m.Put(p, data); err != nil {
		return err
	}
	return os.Remove(local)
}

func (m *Memory) Get(p string) ([]byte, error) {
	c, err := cleanPath(p)
	if err != nil {
		return nil, err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	data, ok := m.objs[c]
	if !ok {
		return nil, notExist("open", p)
	}
	return bytes.Clone(data), nil
}

func (m *Memory) Open(p string) (io.ReadCloser, error) {
	data, err := m.Get(p)
	if err != nil {
		return nil, err
	}
	return io.NopCloser(bytes.NewReader(data)), nil
}

func (m *Memory) Size(p string) (int64, error) {
	c, err := cleanPath(p)
	if err != nil {
		return 0, err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	data, ok := m.objs[c]
	if !ok {
		return 0, notExist("stat", p)
	}
	return int64(len(data)), nil
}

// List returns the objects under directory prefix, as Local does.
func (m *Memory) List(prefix string) ([]string, error) {
	dir := strings.TrimSuffix(prefix, "/")
	m.mu.Lock()
	defer m.mu.Unlock()
	var out []string
	for p := range m.objs {
		if dir == "" || p == dir || strings.HasPrefix(p, dir+"/") {
			out = append(out, p)
		}
	}
	sort.Strings(out)
	return out, nil
}

func (m *Memory) Delete(p string) error {
	c, err := cleanPath(p)
	if err != nil {
		return err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	delete(m.objs, c)
	return nil
}

func (m *Memory) DeletePrefix(prefix string) error {
	c, err := cleanPath(prefix)
	if err != nil {
		return err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	for p := range m.objs {
		if p == c || strings.HasPrefix(p, c+"/") {
			delete(m.objs, p)
		}
	}
	return nil
}
