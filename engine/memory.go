package engine

import (
	"strings"
	"sync"

	"github.com/streamsql/streamsql/types"
)

// memoryStore holds the logs of in-memory tables (tables with no connector).
type memoryStore struct {
	mu   sync.Mutex
	logs map[string][][]types.Value
}

func newMemoryStore() *memoryStore { return &memoryStore{logs: map[string][][]types.Value{}} }

func (m *memoryStore) Snapshot(table string) [][]types.Value {
	m.mu.Lock()
	defer m.mu.Unlock()
	rows := m.logs[strings.ToLower(table)]
	return rows[:len(rows):len(rows)]
}

func (m *memoryStore) Append(table string, rows [][]types.Value) {
	m.mu.Lock()
	defer m.mu.Unlock()
	k := strings.ToLower(table)
	for _, r := range rows {
		m.logs[k] = append(m.logs[k], append([]types.Value(nil), r...))
	}
}

func (m *memoryStore) drop(table string) {
	m.mu.Lock()
	defer m.mu.Unlock()
	delete(m.logs, strings.ToLower(table))
}
