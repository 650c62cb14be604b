package state

import (
	"math/rand"
	"reflect"
	"sync/atomic"
	"testing"
	"unsafe"

	"github.com/cockroachdb/pebble/v2"
)

// cacheRefs reads a Pebble cache's reference count (0: freed).
func cacheRefs(c *pebble.Cache) int64 {
	f := reflect.ValueOf(c).Elem().FieldByName("refs")
	return (*atomic.Int64)(unsafe.Pointer(f.UnsafeAddr())).Load()
}

func newBudgetBackend(t *testing.T, m *MemoryBudget, inst int, kgs KeyGroupRange, changelog bool) Backend {
	t.Helper()
	// incremental: checkpoints in FormatPebbleSST, which a restore at the
	// same key groups opens as its database
	cfg := Config{Backend: "pebble", Incremental: true, LocalDir: t.TempDir(), Changelog: changelog, Pebble: PebbleOptions{Memory: m}}
	b, err := cfg.NewBackend("op", inst, kgs)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestMemoryBudgetSharesOneBlockCache opens several Pebble backends of one
// budget, among them ones whose restore replaces their database by a
// downloaded checkpoint (same key groups) or copies a checkpoint through a
// temporary database (other key groups), and a changelog backend over
// Pebble: they all use the budget's one block cache, which is released
// exactly once when the last of them closes (a second Close releases
// nothing), and a later backend makes a fresh one.
func TestMemoryBudgetSharesOneBlockCache(t *testing.T) {
	st := newStorage(t)
	m := NewMemoryBudget(64<<20, 4)

	src := newBudgetBackend(t, m, 0, all, false)
	ms := register(t, src)
	mod := model{}
	mutate(t, rand.New(rand.NewSource(5)), ms, mod, all, 200, 500)
	h := snapshot(t, src, st, 1, false)
	if h.Format != FormatPebbleSST {
		t.Fatalf("checkpoint in %s", h.Format)
	}
	cache := m.cache
	if cache == nil || m.users != 1 {
		t.Fatalf("one open backend: cache %p, %d users", cache, m.users)
	}

	direct := newBudgetBackend(t, m, 0, all, false)
	if err := direct.Restore(st, []*Handle{h}); err != nil {
		t.Fatal(err)
	}
	check(t, register(t, direct), mod)
	half := RangeFor(maxPar, 2, 1)
	copied := newBudgetBackend(t, m, 1, half, true)
	if err := copied.Restore(st, []*Handle{h}); err != nil {
		t.Fatal(err)
	}
	check(t, register(t, copied), mod.restrict(half))
	if m.cache != cache || m.users != 3 {
		t.Fatalf("three open backends: cache %p (first %p), %d users", m.cache, cache, m.users)
	}
	if got := m.states.Load(); got != 6 {
		t.Fatalf("%d states counted, want 6 (two in each backend)", got)
	}

	for i, b := range []Backend{src, copied, direct} {
		if err := b.Close(); err != nil {
			t.Fatal(err)
		}
		if err := b.Close(); err != nil {
			t.Fatal(err)
		}
		left := 2 - i
		if m.users != left {
			t.Fatalf("after %d closed: %d users, want %d", i+1, m.users, left)
		}
		if left > 0 && (m.cache != cache || cacheRefs(cache) < 1) {
			t.Fatalf("after %d closed: cache %p with %d references", i+1, m.cache, cacheRefs(cache))
		}
	}
	if m.cache != nil || cacheRefs(cache) != 0 {
		t.Fatalf("all closed: the budget holds %p, the cache %d references", m.cache, cacheRefs(cache))
	}
	if got := m.states.Load(); got != 0 {
		t.Fatalf("all closed: %d states still counted", got)
	}

	again := newBudgetBackend(t, m, 0, all, false)
	if m.cache == nil || m.cache == cache || m.users != 1 {
		t.Fatalf("a backend after all closed: cache %p (old %p), %d users", m.cache, cache, m.users)
	}
	next := m.cache
	if err := again.Close(); err != nil {
		t.Fatal(err)
	}
	if cacheRefs(next) != 0 || m.users != 0 {
		t.Fatalf("closed again: %d references, %d users", cacheRefs(next), m.users)
	}
}

// TestMemoryBudgetFailedRestoreKeepsTheCache: a restore that fails after
// closing the database (a damaged download) reopens an empty one with the
// shared cache; Close then releases it once.
func TestMemoryBudgetFailedRestoreKeepsTheCache(t *testing.T) {
	st := newStorage(t)
	m := NewMemoryBudget(64<<20, 2)
	src := newBudgetBackend(t, m, 0, all, false)
	mutate(t, rand.New(rand.NewSource(6)), register(t, src), model{}, all, 50, 200)
	h := snapshot(t, src, st, 1, false)
	if err := src.Close(); err != nil {
		t.Fatal(err)
	}
	// damage a data file of the checkpoint (the index reads, the
	// download fails its check)
	x, err := readPebbleIndex(st, h)
	if err != nil {
		t.Fatal(err)
	}
	if len(x.files) == 0 {
		t.Fatal("the checkpoint lists no data file")
	}
	if err := st.Put(x.files[len(x.files)-1].ref.Path, []byte("damaged")); err != nil {
		t.Fatal(err)
	}
	b := newBudgetBackend(t, m, 0, all, false)
	cache := m.cache
	if err := b.Restore(st, []*Handle{h}); err == nil {
		t.Fatal("restore of a damaged checkpoint succeeded")
	}
	if m.users != 1 || cacheRefs(cache) < 2 {
		t.Fatalf("after the failed restore: %d users, %d references", m.users, cacheRefs(cache))
	}
	if err := b.Close(); err != nil {
		t.Fatal(err)
	}
	if m.users != 0 || m.cache != nil || cacheRefs(cache) != 0 {
		t.Fatalf("closed: %d users, cache %p, %d references", m.users, m.cache, cacheRefs(cache))
	}
}

// TestMemoryBudgetEntryCacheShare: the entry caches' three quarters are
// divided among the keyed states registered with any backend of the
// budget (a changelog backend's state counted once, a state asked for
// again not counted again), and grow back as backends close.
func TestMemoryBudgetEntryCacheShare(t *testing.T) {
	m := NewMemoryBudget(80<<20, 2)
	part := int64(80<<20) * 3 / 4
	if got := m.EntryCacheShare(); got != part {
		t.Fatalf("no state: share %d, want %d", got, part)
	}
	a := newBudgetBackend(t, m, 0, RangeFor(maxPar, 2, 0), false)
	b := newBudgetBackend(t, m, 1, RangeFor(maxPar, 2, 1), true)
	defer a.Close()
	defer b.Close()
	for i, step := range []struct {
		b    Backend
		name string
		want int64 // states counted
	}{{a, "x", 1}, {a, "y", 2}, {b, "x", 3}, {a, "x", 3}, {b, "x", 3}, {b, "z", 4}} {
		if _, err := NewKeyedMap[string](step.b, step.name, strCodec{}); err != nil {
			t.Fatal(err)
		}
		if got := m.EntryCacheShare(); got != part/step.want {
			t.Fatalf("step %d: share %d, want %d", i, got, part/step.want)
		}
		if got := step.b.(EntryCache).EntryCacheBytes(); got != part/step.want {
			t.Fatalf("step %d: the backend gives %d bytes, want %d", i, got, part/step.want)
		}
	}
	if err := b.Close(); err != nil {
		t.Fatal(err)
	}
	if got := a.(EntryCache).EntryCacheBytes(); got != part/2 {
		t.Fatalf("after the changelog backend closed: share %d, want %d", got, part/2)
	}
	if err := a.Close(); err != nil {
		t.Fatal(err)
	}
	if got := m.EntryCacheShare(); got != part {
		t.Fatalf("all closed: share %d, want %d", got, part)
	}
}

// TestMemoryBudgetMemTables: each database's memtable is its part of the
// budget's eighth (two per database), within [MinMemTableSize,
// DefaultMemTableSize].
func TestMemoryBudgetMemTables(t *testing.T) {
	for _, c := range []struct {
		total int64
		dbs   int
		want  uint64
	}{
		{1 << 30, 2, 32 << 20},   // 1g/8/2/2 = 32m
		{1 << 30, 4, 16 << 20},   // 1g/8/4/2
		{16 << 20, 1, 1 << 20},   // 1m: the minimum
		{16 << 20, 100, 1 << 20}, // below the minimum
		{64 << 30, 1, 32 << 20},  // above the default
		{1 << 30, 0, 32 << 20},   // no stateful vertex counted: one database
	} {
		if got := NewMemoryBudget(c.total, c.dbs).MemTableSize(); got != c.want {
			t.Errorf("%d bytes, %d databases: memtable %d, want %d", c.total, c.dbs, got, c.want)
		}
	}
}
