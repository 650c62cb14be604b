package state

import (
	"sync"
	"sync/atomic"

	"github.com/cockroachdb/pebble/v2"
)

// MemoryBudget is the memory the Pebble backends of one job may use
// (Flink's managed memory: taskmanager.memory.managed.size, or its
// fraction of taskmanager.memory.process.size). It is split three ways:
//
//   - an eighth is one block cache shared by every database of the job;
//   - an eighth bounds the memtables: each database gets an equal part of
//     it (Pebble keeps up to two memtables per database, plus the one
//     being flushed), between MinMemTableSize and DefaultMemTableSize;
//   - the remaining three quarters bound the caches of decoded entries in
//     front of the databases (see EntryCache): each keyed state registered
//     with a backend of the job gets an equal share, recomputed as states
//     come and go.
//
// A job creates one budget (NewMemoryBudget) and passes it to every
// backend it opens (PebbleOptions.Memory); the backends join it when they
// open and leave it when they close. Methods are safe for concurrent use.
type MemoryBudget struct {
	total     int64
	databases int // databases the memtable part is divided among (fixed)

	states atomic.Int64 // keyed states registered with a member backend

	mu    sync.Mutex
	cache *pebble.Cache // shared block cache, made by the first database
	users int           // databases using cache (opened and not yet closed)
}

// MinMemTableSize is the smallest memtable a budget gives a database.
const MinMemTableSize = 1 << 20

// NewMemoryBudget returns a budget of total bytes for a job whose Pebble
// backends open up to databases databases (the operator instances that
// keep keyed state; used to size their memtables).
func NewMemoryBudget(total int64, databases int) *MemoryBudget {
	return &MemoryBudget{total: total, databases: max(databases, 1)}
}

// Total is the budget in bytes.
func (m *MemoryBudget) Total() int64 { return m.total }

// MemTableSize is the memtable size of each database of the job.
func (m *MemoryBudget) MemTableSize() uint64 {
	// two memtables per database fill the memtable eighth
	per := m.total / 8 / int64(m.databases) / 2
	return uint64(min(max(per, MinMemTableSize), DefaultMemTableSize))
}

// blockCache returns the job's shared block cache for a database about
// to open (pebble.Open takes a reference of its own); the caller calls
// releaseBlockCache once that database is closed. The budget keeps its own
// reference while any database uses the cache.
func (m *MemoryBudget) blockCache() *pebble.Cache {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.cache == nil {
		m.cache = pebble.NewCache(max(m.total/8, 1<<20))
	}
	m.users++
	return m.cache
}

// releaseBlockCache ends a use blockCache began; the budget drops its
// reference with the last one (the cache is freed once no database holds
// it either).
func (m *MemoryBudget) releaseBlockCache() {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.users == 0 {
		return
	}
	if m.users--; m.users == 0 {
		m.cache.Unref()
		m.cache = nil
	}
}

// joinState and leaveState count the keyed states sharing the entry
// caches' part.
func (m *MemoryBudget) joinState()  { m.states.Add(1) }
func (m *MemoryBudget) leaveState() { m.states.Add(-1) }

// EntryCacheShare is the bytes of decoded entries each registered keyed
// state may keep in memory now.
func (m *MemoryBudget) EntryCacheShare() int64 {
	return m.total * 3 / 4 / max(m.states.Load(), 1)
}
