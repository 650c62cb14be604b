package memory

import (
	"context"
	"encoding/binary"
	"fmt"
	"io"
	"strings"
	"sync"

	"github.com/streamsql/streamsql/catalog"
	"github.com/streamsql/streamsql/connectors"
	"github.com/streamsql/streamsql/types"
)

func init() {
	connectors.Register(Factory("memory"))
	// In-memory tables have no 'connector' option.
	connectors.Register(Factory(""))
}

// Factory returns the memory connector's factory under the given name.
func Factory(name string) *connectors.Factory {
	return &connectors.Factory{
		Name: name,
		NewSource: func(t *catalog.Table, env *connectors.Env) (connectors.Source, error) {
			if err := check(t, env); err != nil {
				return nil, err
			}
			return &source{t: t, env: env, width: len(t.PhysicalColumns())}, nil
		},
		NewSink: func(t *catalog.Table, env *connectors.Env) (connectors.Sink, error) {
			if err := check(t, env); err != nil {
				return nil, err
			}
			return &sink{t: t, env: env}, nil
		},
	}
}

func check(t *catalog.Table, env *connectors.Env) error {
	for _, o := range t.Options {
		if !strings.EqualFold(o.Key, "connector") {
			return fmt.Errorf("table %s: an in-memory table has no option '%s'", t.Name, o.Key)
		}
	}
	if env == nil || env.Memory == nil {
		return fmt.Errorf("table %s: no in-memory table store is available", t.Name)
	}
	return nil
}

// Store is a MemoryStore safe for concurrent use. Table names compare
// case-insensitively.
type Store struct {
	mu     sync.RWMutex
	tables map[string][][]types.Value
	// per table: the last transaction of each sink writer appended (see
	// OnceAppender)
	commits map[string]map[string]int64
}

// NewStore returns an empty store.
func NewStore() *Store { return &Store{tables: map[string][][]types.Value{}} }

// Snapshot returns the rows appended so far (shared: do not modify).
func (s *Store) Snapshot(table string) [][]types.Value {
	s.mu.RLock()
	defer s.mu.RUnlock()
	rows := s.tables[strings.ToLower(table)]
	return rows[:len(rows):len(rows)]
}

// Append adds rows to a table's log; the store keeps rows (not a copy).
func (s *Store) Append(table string, rows [][]types.Value) {
	s.mu.Lock()
	defer s.mu.Unlock()
	k := strings.ToLower(table)
	s.tables[k] = append(s.tables[k], rows...)
}

// Rewrite replaces a table's rows with what f returns for the current
// rows, atomically with respect to Append (f runs under the store's lock
// and must not call the store). f must not modify the rows it is given;
// it returns a new slice (or an error, which leaves the table unchanged).
// Snapshots taken before keep the rows they had: readers that are already
// running (jobs reading the table) do not see the change. DELETE, UPDATE
// and REPLACE of in-memory tables use it.
func (s *Store) Rewrite(table string, f func(rows [][]types.Value) ([][]types.Value, error)) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	k := strings.ToLower(table)
	rows := s.tables[k]
	out, err := f(rows[:len(rows):len(rows)])
	if err != nil {
		return err
	}
	s.tables[k] = out
	return nil
}

// Drop forgets a table's rows.
func (s *Store) Drop(table string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.tables, strings.ToLower(table))
	delete(s.commits, strings.ToLower(table))
}

type split struct{}

func (split) ID() string { return "memory" }

type source struct {
	t     *catalog.Table
	env   *connectors.Env
	width int
}

func (s *source) Splits(int) ([]connectors.Split, error) { return []connectors.Split{split{}}, nil }
func (s *source) Bounded() bool                          { return true }

func (s *source) OpenSplit(_ context.Context, _ connectors.Split, pos []byte) (connectors.SplitReader, error) {
	r := &reader{src: s, rows: s.env.Memory.Snapshot(s.t.Name)}
	if pos != nil {
		if len(pos) != 8 {
			return nil, fmt.Errorf("table %s: invalid position of the in-memory split", s.t.Name)
		}
		r.next = int(binary.BigEndian.Uint64(pos))
		if r.next > len(r.rows) {
			return nil, fmt.Errorf("table %s: position %d is past the %d rows of the in-memory table", s.t.Name, r.next, len(r.rows))
		}
	}
	return r, nil
}

type reader struct {
	src  *source
	rows [][]types.Value
	next int
}

func (r *reader) Next(ctx context.Context, b *types.Batch) error {
	if r.next >= len(r.rows) {
		return io.EOF
	}
	if b.Width != r.src.width {
		return fmt.Errorf("table %s: batch width %d does not match the %d physical columns", r.src.t.Name, b.Width, r.src.width)
	}
	limit := cap(b.Ops)
	if limit <= b.Len() {
		limit = b.Len() + 1024
	}
	for ; r.next < len(r.rows) && b.Len() < limit; r.next++ {
		row := r.rows[r.next]
		if len(row) != b.Width {
			return fmt.Errorf("table %s: row %d has %d values, the table has %d columns", r.src.t.Name, r.next, len(row), b.Width)
		}
		b.Append(types.Insert, row)
	}
	return nil
}

func (r *reader) Position() []byte { return binary.BigEndian.AppendUint64(nil, uint64(r.next)) }
func (r *reader) Close() error     { r.rows = nil; return nil }
