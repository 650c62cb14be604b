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
//     it (Pebble keeps up to two memtables per database), between
//     MinMemTableSize and DefaultMemTableSize, divided among the databases
//     reserved when it opens (Reserve);
//   - the remaining three quarters bound the caches of decoded entries in
//     front of the databases (see EntryCache): each keyed state registered
//     with a backend of the job gets an equal share, recomputed as states
//     come and go.
//
// The block cache and the memtables are outside the Go heap (Pebble
// allocates them itself): OffHeap is their bound.
//
// A process (or a job) creates a budget (NewMemoryBudget); each job
// reserves the databases it will open (Reserve) and passes the budget to
// every backend it opens (PebbleOptions.Memory); the backends join it when
// they open and leave it when they close. Methods are safe for concurrent
// use.
type MemoryBudget struct {
	total int64

	databases atomic.Int64 // databases reserved (the memtable part is divided among them)
	states    atomic.Int64 // keyed states registered with a member backend

	mu    sync.Mutex
	cache *pebble.Cache // shared block cache, made by the first database
	users int           // databases using cache (opened and not yet closed)
}

// MinMemTableSize is the smallest memtable a budget gives a database.
const MinMemTableSize = 1 << 20

// NewMemoryBudget returns a budget of total bytes with databases
// databases reserved (the operator instances that keep keyed state of the
// job that owns it; 0 when jobs reserve their own with Reserve).
func NewMemoryBudget(total int64, databases int) *MemoryBudget {
	m := &MemoryBudget{total: total}
	m.databases.Store(int64(databases))
	return m
}

// Total is the budget in bytes.
func (m *MemoryBudget) Total() int64 { return m.total }

// OffHeap bounds what the budget's block cache and memtables take outside
// the Go heap: a quarter of the total.
func (m *MemoryBudget) OffHeap() int64 { return m.total / 4 }

// Reserve counts n more databases among which the memtable part is
// divided (a job's stateful operator instances, when it starts); release
// gives them back (when the job's attempt ends).
func (m *MemoryBudget) Reserve(n int) (release func()) {
	m.databases.Add(int64(n))
	var once sync.Once
	return func() { once.Do(func() { m.databases.Add(-int64(n)) }) }
}

// MemTableSize is the memtable size of a database opening now.
func (m *MemoryBudget) MemTableSize() uint64 {
	// two memtables per database fill the memtable eighth
	per := m.total / 8 / max(m.databases.Load(), 1) / 2
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
