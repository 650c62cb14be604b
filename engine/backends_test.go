package engine

import (
	"testing"

	"github.com/streamsql/streamsql/exec"
	"github.com/streamsql/streamsql/state"
)

// TestPebbleCacheEntriesReachTheBackend: state.backend.pebble.cache.entries
// sizes the entry cache of each pebble backend; 0 turns it off.
func TestPebbleCacheEntriesReachTheBackend(t *testing.T) {
	for _, c := range []struct{ set, want int }{{0, 0}, {7, 7}, {state.DefaultCacheEntries, state.DefaultCacheEntries}} {
		b, err := newBackend(backendOptions{kind: "pebble", localDir: t.TempDir(), cacheEntries: c.set}, "op", 0, state.KeyGroupRange{Start: 0, End: 128})
		if err != nil {
			t.Fatal(err)
		}
		got := b.(state.EntryCache).EntryCacheEntries()
		b.Close()
		if got != c.want {
			t.Errorf("%s=%d: the backend keeps %d entries, want %d", CacheEntriesKey, c.set, got, c.want)
		}
	}
	conf := NewConfig()
	if err := conf.Set(CacheEntriesKey, "-1"); err == nil {
		t.Errorf("%s accepts -1", CacheEntriesKey)
	}
	if conf.Int(CacheEntriesKey) != state.DefaultCacheEntries {
		t.Errorf("%s defaults to %d", CacheEntriesKey, conf.Int(CacheEntriesKey))
	}
}

// TestManagedMemoryBudget: taskmanager.memory.managed.size, or the managed
// fraction of taskmanager.memory.process.size, becomes the budget of a
// pebble job (none for the memory backend or without a size), its memtable
// part divided among the instances of the vertices that keep state; the
// budget reaches the backend, whose keyed states share its entry caches.
func TestManagedMemoryBudget(t *testing.T) {
	g := &exec.JobGraph{Vertices: []*exec.Vertex{
		{ID: "src", Parallelism: 2},
		{ID: "agg", Parallelism: 2, StateDesc: "accumulators"},
		{ID: "join", Parallelism: 2, StateDesc: "rows"},
		{ID: "sink", Parallelism: 1},
	}}
	for _, c := range []struct {
		set  map[string]string
		want int64 // 0: no budget
	}{
		{map[string]string{"state.backend": "pebble"}, 0},
		{map[string]string{"state.backend": "hashmap", ProcessMemoryKey: "1g"}, 0},
		{map[string]string{"state.backend": "pebble", ProcessMemoryKey: "1g"}, 429496729},
		{map[string]string{"state.backend": "pebble", ProcessMemoryKey: "1g", ManagedFractionKey: "0.5"}, 1 << 29},
		{map[string]string{"state.backend": "pebble", ProcessMemoryKey: "1g", ManagedMemoryKey: "100m"}, 100 << 20},
		{map[string]string{"state.backend": "pebble", ManagedMemoryKey: "64m"}, 64 << 20},
		{map[string]string{"state.backend": "pebble", ProcessMemoryKey: "64m", ManagedFractionKey: "0.01"}, 16 << 20}, // raised to the minimum
	} {
		conf := NewConfig()
		for k, v := range c.set {
			if err := conf.Set(k, v); err != nil {
				t.Fatal(err)
			}
		}
		m, release, err := jobMemoryBudget(conf, g)
		if err != nil {
			t.Fatalf("%v: %v", c.set, err)
		}
		if (m != nil) != (c.want != 0) || m != nil && m.Total() != c.want {
			t.Errorf("%v: budget %v, want %d bytes", c.set, m, c.want)
			continue
		}
		if m != nil {
			// 4 stateful instances share the memtable eighth, 2 memtables each
			if got, want := m.MemTableSize(), uint64(min(max(c.want/8/4/2, state.MinMemTableSize), state.DefaultMemTableSize)); got != want {
				t.Errorf("%v: memtables of %d bytes, want %d", c.set, got, want)
			}
			// a second job with the same settings shares the budget: 8
			// stateful instances divide the memtables
			m2, release2, err := jobMemoryBudget(conf, g)
			if err != nil || m2 != m {
				t.Errorf("%v: a second job's budget %p %v, want the first's %p", c.set, m2, err, m)
			} else if got, want := m.MemTableSize(), uint64(min(max(c.want/8/8/2, state.MinMemTableSize), state.DefaultMemTableSize)); got != want {
				t.Errorf("%v: two jobs: memtables of %d bytes, want %d", c.set, got, want)
			}
			release2()
			release2() // once only
			if got, want := m.MemTableSize(), uint64(min(max(c.want/8/4/2, state.MinMemTableSize), state.DefaultMemTableSize)); got != want {
				t.Errorf("%v: after the second job: memtables of %d bytes, want %d", c.set, got, want)
			}
		}
		release()
	}
	for k, bad := range map[string]string{ManagedFractionKey: "1.5", ManagedMemoryKey: "1m"} {
		if err := NewConfig().Set(k, bad); err == nil {
			t.Errorf("%s accepts %s", k, bad)
		}
	}

	m := state.NewMemoryBudget(64<<20, 1)
	b, err := newBackend(backendOptions{kind: "pebble", localDir: t.TempDir(), memory: m}, "op", 0, state.KeyGroupRange{Start: 0, End: 128})
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	for i, name := range []string{"a", "b"} {
		if _, err := state.NewKeyedMap[[]byte](b, name, bytesCodec{}); err != nil {
			t.Fatal(err)
		}
		if got, want := b.(state.EntryCache).EntryCacheBytes(), int64(64<<20)*3/4/int64(i+1); got != want {
			t.Errorf("%d states: each may cache %d bytes, want %d", i+1, got, want)
		}
	}
}

type bytesCodec struct{}

func (bytesCodec) Append(buf, v []byte) []byte       { return append(buf, v...) }
func (bytesCodec) Decode(buf []byte) ([]byte, error) { return append([]byte(nil), buf...), nil }
