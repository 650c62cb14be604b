package engine

import (
	"sync"

	"github.com/streamsql/streamsql/exec"
	"github.com/streamsql/streamsql/state"
)

// backendOptions are the state.backend settings of a job.
type backendOptions struct {
	kind        string // hashmap | pebble
	incremental bool
	changelog   bool
	// checkpoints: the job takes checkpoints (the memory backend's
	// incremental mode keeps deletions until a checkpoint holds them, so
	// it is on only then)
	checkpoints bool
	localDir    string // pebble's working directories
	// cacheEntries: decoded entries each pebble state keeps in memory
	// (CacheEntriesKey; 0: none)
	cacheEntries int
	// memory: the job's managed memory (nil: none set), shared by its
	// pebble backends
	memory *state.MemoryBudget
}

// CacheEntriesKey sizes the cache of decoded entries in front of each
// pebble state (state.PebbleOptions.CacheEntries).
const CacheEntriesKey = "state.backend.pebble.cache.entries"

// newBackend creates the state backend of one operator instance.
func newBackend(o backendOptions, operatorID string, instance int, kgs state.KeyGroupRange) (state.Backend, error) {
	var b state.Backend
	if o.kind == "pebble" {
		pb, err := state.NewPebbleBackend(o.localDir, operatorID, instance, kgs, state.PebbleOptions{Incremental: o.incremental, CacheEntries: pebbleCacheEntries(o.cacheEntries), Memory: o.memory})
		if err != nil {
			return nil, err
		}
		b = pb
	} else {
		// In changelog mode the changelog replaces incremental checkpoints.
		b = state.NewHashMapBackendWith(operatorID, instance, kgs, state.HashMapOptions{Incremental: o.incremental && o.checkpoints && !o.changelog})
	}
	if o.changelog {
		cb, err := state.NewChangelogBackend(b, state.ChangelogOptions{})
		if err != nil {
			return nil, err
		}
		b = cb
	}
	return b, nil
}

// pebbleCacheEntries maps the configured cache size to
// state.PebbleOptions.CacheEntries (where 0 means the default and a
// negative size none).
func pebbleCacheEntries(n int) int {
	if n <= 0 {
		return -1
	}
	return n
}

// managedPools holds the process's managed memory budgets by size: the
// jobs of a process (of every engine of a server) whose settings give the
// same managed memory share one budget, so that its block cache and its
// entry caches are divided among all of them, as Flink divides a task
// manager's managed memory among its slots.
var managedPools struct {
	sync.Mutex
	by map[int64]*state.MemoryBudget
}

// jobMemoryBudget returns the managed memory budget of a job running g
// under conf (nil when no managed memory is set or the backend keeps
// state on the heap), with the job's stateful operator instances reserved
// in it (release gives them back when the attempt ends), or an error
// naming the keys that contradict.
func jobMemoryBudget(conf *Config, g *exec.JobGraph) (m *state.MemoryBudget, release func(), err error) {
	total, err := managedMemory(conf)
	if err != nil || total <= 0 || conf.Get("state.backend") != "pebble" {
		return nil, func() {}, err
	}
	dbs := 0
	for _, v := range g.Vertices {
		if v.StateDesc != "" {
			dbs += v.Parallelism
		}
	}
	managedPools.Lock()
	if managedPools.by == nil {
		managedPools.by = map[int64]*state.MemoryBudget{}
	}
	m = managedPools.by[total]
	if m == nil {
		m = state.NewMemoryBudget(total, 0)
		managedPools.by[total] = m
	}
	managedPools.Unlock()
	return m, m.Reserve(max(dbs, 1)), nil
}
