package operators

import (
	"encoding/binary"
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/streamsql/streamsql/checkpoint/storage"
	"github.com/streamsql/streamsql/state"
)

// counter is a store entry for the store's own tests.
type counter struct {
	marks
	n int64
}

type counterCodec struct{}

func (counterCodec) Append(buf []byte, c *counter) []byte { return binary.AppendVarint(buf, c.n) }
func (counterCodec) Decode(buf []byte) (*counter, error) {
	n, k := binary.Varint(buf)
	if k <= 0 || k != len(buf) {
		return nil, errCorrupt
	}
	return &counter{n: n}, nil
}

var allGroups = state.KeyGroupRange{Start: 0, End: 128}

func newPebbleForTest(t *testing.T, cacheEntries int) *state.PebbleBackend {
	t.Helper()
	b, err := state.NewPebbleBackend(t.TempDir(), "op", 0, allGroups, state.PebbleOptions{CacheEntries: cacheEntries})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { b.Close() })
	return b
}

func newCounterStore(t *testing.T, b state.Backend) *store[*counter] {
	t.Helper()
	s, err := newStore[*counter](b, "counters", counterCodec{})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func storeKey(i int) (int, []byte) { return i % 128, []byte(fmt.Sprintf("k%d", i)) }

// stored reads what the backend holds, bypassing the store's cache.
func stored(t *testing.T, s *store[*counter]) map[string]int64 {
	t.Helper()
	got := map[string]int64{}
	s.m.Range(func(kg int, key string, c *counter) bool {
		got[fmt.Sprintf("%d/%s", kg, key)] = c.n
		return true
	})
	if len(got) != s.m.Len() {
		t.Fatalf("the backend holds %d entries but counts %d", len(got), s.m.Len())
	}
	return got
}

func modelKey(i int) string {
	kg, key := storeKey(i)
	return fmt.Sprintf("%d/%s", kg, key)
}

func checkStored(t *testing.T, s *store[*counter], model map[int]int64, when string) {
	t.Helper()
	got := stored(t, s)
	if len(got) != len(model) {
		t.Fatalf("%s: the backend holds %d entries, want %d", when, len(got), len(model))
	}
	for i, n := range model {
		if got[modelKey(i)] != n {
			t.Fatalf("%s: key %d holds %d, want %d", when, i, got[modelKey(i)], n)
		}
	}
}

// TestStoreCacheWritesBackDirtyEntriesAtEviction: entries mutated since
// the last flush are never evicted; the flush that makes room writes them.
func TestStoreCacheWritesBackDirtyEntriesAtEviction(t *testing.T) {
	s := newCounterStore(t, newPebbleForTest(t, 2))
	model := map[int]int64{}
	for i := range 10 {
		kg, key := storeKey(i)
		s.insert(kg, key, &counter{n: int64(i)})
		model[i] = int64(i)
	}
	s.flush()
	if len(s.index) > 2 {
		t.Fatalf("%d entries cached after a flush, capacity 2", len(s.index))
	}
	checkStored(t, s, model, "after inserts")
	held := map[int]*counter{}
	for i := range 10 {
		kg, key := storeKey(i)
		c, ok := s.get(kg, key)
		if !ok {
			t.Fatalf("key %d missing", i)
		}
		c.n += 100
		model[i] += 100
		held[i] = c
	}
	s.maybeFlush() // over capacity, but every entry is dirty: none goes
	for i, c := range held {
		kg, key := storeKey(i)
		if p, ok := s.peek(kg, key); !ok || p != c {
			t.Fatalf("key %d: the entry returned by get was evicted before the flush", i)
		}
	}
	s.flush()
	if len(s.index) > 2 {
		t.Fatalf("%d entries cached after a flush, capacity 2", len(s.index))
	}
	checkStored(t, s, model, "after mutations")
}

// TestStoreCacheAgainstModel runs random operations through stores with
// small caches over Pebble and checks, after every flush, that the
// backend holds exactly what a plain map holds, that its count is exact
// (the presence hints are right), that reads through the store see every
// mutation, and that the cache stays within its capacity.
func TestStoreCacheAgainstModel(t *testing.T) {
	for _, c := range []struct {
		capacity int
		budget   int64 // the job's memory budget (0: none)
	}{{-1, 0}, {1, 0}, {7, 0}, {64, 0}, {1 << 10, 4000}, {1 << 10, 40000}} {
		capacity := c.capacity
		t.Run(fmt.Sprint(capacity, "/", c.budget), func(t *testing.T) {
			rng := rand.New(rand.NewPCG(uint64(capacity+2), 7))
			var b *state.PebbleBackend
			if c.budget > 0 {
				b = newPebbleWithBudget(t, capacity, state.NewMemoryBudget(c.budget, 1))
			} else {
				b = newPebbleForTest(t, capacity)
			}
			s := newCounterStore(t, b)
			limit := max(capacity, 0)
			model := map[int]int64{}
			const keys = 300
			for step := range 20000 {
				i := rng.IntN(keys)
				kg, key := storeKey(i)
				want, present := model[i]
				switch op := rng.IntN(100); {
				case op < 35: // get and mutate, or insert when absent
					c, ok := s.get(kg, key)
					if ok != present || ok && c.n != want {
						t.Fatalf("step %d: get %d = %v %v, want %d %v", step, i, c, ok, want, present)
					}
					if ok {
						c.n++
						model[i]++
					} else {
						s.insert(kg, key, &counter{n: 1})
						model[i] = 1
					}
				case op < 60:
					c, ok := s.peek(kg, key)
					if ok != present || ok && c.n != want {
						t.Fatalf("step %d: peek %d = %v %v, want %d %v", step, i, c, ok, want, present)
					}
				case op < 80:
					c, ok := s.peek(kg, key)
					if ok {
						s.remove(kg, key, c)
						delete(model, i)
					}
				case op < 99:
					s.maybeFlush()
				default:
					s.flush()
					if len(s.index) > limit {
						t.Fatalf("step %d: %d entries cached after a flush, capacity %d", step, len(s.index), limit)
					}
					checkByteBound(t, s, fmt.Sprintf("step %d", step))
					checkStored(t, s, model, fmt.Sprintf("step %d", step))
				}
			}
			s.flush()
			checkStored(t, s, model, "at the end")
			if err := b.Err(); err != nil {
				t.Fatal(err)
			}
		})
	}
}

func newPebbleWithBudget(t *testing.T, cacheEntries int, m *state.MemoryBudget) *state.PebbleBackend {
	t.Helper()
	b, err := state.NewPebbleBackend(t.TempDir(), "op", 0, allGroups, state.PebbleOptions{CacheEntries: cacheEntries, Memory: m})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { b.Close() })
	return b
}

// checkByteBound checks, after a flush, that a store with a byte bound
// keeps its cache within it and that its running total is the sum of its
// slots' sizes.
func checkByteBound(t *testing.T, s *store[*counter], when string) {
	t.Helper()
	if s.budget == nil {
		return
	}
	var sum int64
	for _, sl := range s.slots {
		if sl.used {
			sum += sl.size
		}
	}
	if sum != s.bytes {
		t.Fatalf("%s: the cache counts %d bytes, its slots hold %d", when, s.bytes, sum)
	}
	if s.bytes > s.byteCap {
		t.Fatalf("%s: %d bytes cached after a flush, bound %d", when, s.bytes, s.byteCap)
	}
}

// TestStoreCacheByteBound: under a memory budget the cache keeps about as
// many entries as fit the state's share, whatever its entry capacity;
// pending entries past the share are written back at the end of a batch
// (maybeFlush); and the share shrinks as more states join the budget.
func TestStoreCacheByteBound(t *testing.T) {
	m := state.NewMemoryBudget(40000, 1) // the entry caches' part: 30,000 bytes
	b := newPebbleWithBudget(t, 1<<20, m)
	s := newCounterStore(t, b)
	if s.byteCap != 30000 {
		t.Fatalf("one state's share is %d bytes, want 30000", s.byteCap)
	}
	model := map[int]int64{}
	for i := range 2000 {
		kg, key := storeKey(i)
		s.insert(kg, key, &counter{n: int64(i)})
		model[i] = int64(i)
	}
	s.maybeFlush()
	if len(s.dirty) != 0 {
		t.Fatalf("%d entries still pending past the byte bound after maybeFlush", len(s.dirty))
	}
	checkByteBound(t, s, "after inserts")
	if n := len(s.index); n < 100 || n > 300 {
		t.Fatalf("%d entries cached within 30,000 bytes (about 110 bytes each)", n)
	}
	checkStored(t, s, model, "after inserts")
	// a second state halves the share
	other, err := newStore[*counter](b, "others", counterCodec{})
	if err != nil {
		t.Fatal(err)
	}
	_ = other
	if got := m.EntryCacheShare(); got != 15000 {
		t.Fatalf("share of two states: %d, want 15000", got)
	}
	for i := range 2000 {
		kg, key := storeKey(i)
		if c, ok := s.peek(kg, key); !ok || c.n != model[i] {
			t.Fatalf("key %d: %v %v, want %d", i, c, ok, model[i])
		}
	}
	s.flush()
	checkByteBound(t, s, "after reads with two states")
	if s.byteCap != 15000 {
		t.Fatalf("the store's bound is %d after a second state joined, want 15000", s.byteCap)
	}
}

// TestStoreCacheRestoredSeesEveryMutation: a checkpoint taken after the
// operator's flush holds every mutation made through the cache, and a
// store over the restored backend starts with an empty cache and reads
// them all (absent keys included).
func TestStoreCacheRestoredSeesEveryMutation(t *testing.T) {
	b := newPebbleForTest(t, 4)
	s := newCounterStore(t, b)
	model := map[int]int64{}
	for i := range 50 {
		kg, key := storeKey(i)
		s.insert(kg, key, &counter{n: int64(i)})
		model[i] = int64(i)
	}
	s.flush()
	for i := range 50 {
		kg, key := storeKey(i)
		switch {
		case i%3 == 0:
			c, _ := s.peek(kg, key)
			s.remove(kg, key, c)
			delete(model, i)
		case i%3 == 1:
			c, _ := s.get(kg, key)
			c.n *= 10
			model[i] *= 10
		}
		s.maybeFlush()
	}
	s.flush() // what SnapshotState does
	st := storage.NewMemory()
	h, err := b.Snapshot(state.SnapshotTarget{Storage: st, Dir: "job/chk-1", SharedDir: "job/shared", CheckpointID: 1})
	if err != nil {
		t.Fatal(err)
	}
	rb := newPebbleForTest(t, 4)
	if err := rb.Restore(st, []*state.Handle{h}); err != nil {
		t.Fatal(err)
	}
	rs := newCounterStore(t, rb)
	if len(rs.index) != 0 || rs.complete {
		t.Fatalf("a restored store starts with %d cached entries (complete %v)", len(rs.index), rs.complete)
	}
	for i := range 60 {
		kg, key := storeKey(i)
		want, present := model[i]
		c, ok := rs.peek(kg, key)
		if ok != present || ok && c.n != want {
			t.Fatalf("restored key %d = %v %v, want %d %v", i, c, ok, want, present)
		}
	}
	checkStored(t, rs, model, "restored")
	// New keys after the restore keep the count exact.
	for i := 60; i < 70; i++ {
		kg, key := storeKey(i)
		rs.insert(kg, key, &counter{n: 1})
		model[i] = 1
	}
	rs.flush()
	checkStored(t, rs, model, "after inserts into the restored state")
}

// TestStoreCacheMissesSkipTheBackend: once the cache evicted stored
// entries, the filter of evicted keys still answers lookups of keys that
// were never stored without reading Pebble, and one of an evicted key
// reads it back.
func TestStoreCacheMissesSkipTheBackend(t *testing.T) {
	s := newCounterStore(t, newPebbleForTest(t, 4))
	for i := range 100 {
		kg, key := storeKey(i)
		s.insert(kg, key, &counter{n: int64(i)})
	}
	s.flush()
	if s.complete || s.gone == nil {
		t.Fatalf("after evictions: complete %v, filter %v", s.complete, s.gone != nil)
	}
	falsePositives := 0
	for i := 1000; i < 2000; i++ {
		kg, key := storeKey(i)
		if !s.surelyAbsent(kg, key) {
			falsePositives++
		}
		if _, ok := s.peek(kg, key); ok {
			t.Fatalf("key %d was never stored", i)
		}
	}
	if falsePositives > 50 {
		t.Fatalf("the filter sent %d of 1000 lookups of absent keys to the backend", falsePositives)
	}
	for i := range 100 {
		kg, key := storeKey(i)
		if s.surelyAbsent(kg, key) {
			if _, cached := s.cached(kg, key); !cached {
				t.Fatalf("stored key %d is neither cached nor in the filter", i)
			}
		}
		if c, ok := s.peek(kg, key); !ok || c.n != int64(i) {
			t.Fatalf("key %d = %v %v after eviction", i, c, ok)
		}
	}
}

// TestStoreCacheFilterRebuilds: a filter that fills up is rebuilt from the
// backend's keys and keeps answering correctly.
func TestStoreCacheFilterRebuilds(t *testing.T) {
	s := newCounterStore(t, newPebbleForTest(t, 1))
	model := map[int]int64{}
	for round := range 5 {
		for i := range 1500 {
			kg, key := storeKey(i)
			if c, ok := s.get(kg, key); ok {
				c.n++
				model[i]++
			} else {
				s.insert(kg, key, &counter{n: 1})
				model[i] = 1
			}
			s.maybeFlush()
			if i%100 == 0 {
				s.flush()
			}
		}
		s.flush()
		checkStored(t, s, model, fmt.Sprintf("round %d", round))
	}
	if s.gone == nil || s.gone.max < 3000 {
		t.Fatalf("the filter was not rebuilt for the state's size")
	}
}
