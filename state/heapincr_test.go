package state

import (
	"fmt"
	"math/rand"
	"slices"
	"strings"
	"testing"
)

func heapIncrConfig(opts HashMapOptions) backendConfig {
	return backendConfig{"hashmap-incremental", Config{Backend: "hashmap", Incremental: true, HashMap: opts}}
}

// TestHeapIncrementalWritesOnlyChanges changes 1% of a large state
// between checkpoints: each later checkpoint writes one delta of a small
// fraction of the state, builds on the first one's full file, and
// restores to the state, deletions included.
func TestHeapIncrementalWritesOnlyChanges(t *testing.T) {
	c := heapIncrConfig(HashMapOptions{})
	rng := rand.New(rand.NewSource(21))
	st := newStorage(t)
	b := newBackend(t, c, 0, all)
	ms := register(t, b)
	m := model{}
	mutate(t, rng, ms, m, all, 20000, 40000)
	h1 := snapshot(t, b, st, 1, false)
	b.CheckpointComplete(1)
	if len(h1.Files) != 1 || !h1.Files[0].Shared || len(h1.Changelog) != 0 || h1.IncrementalSize != h1.Size {
		t.Fatalf("first checkpoint: %+v, want one shared full file", h1)
	}
	for id := int64(2); id <= 4; id++ {
		mutate(t, rng, ms, m, all, 20000, 200)
		h := snapshot(t, b, st, id, false)
		b.CheckpointComplete(id)
		if h.Files[0] != h1.Files[0] || len(h.Changelog) != int(id-1) {
			t.Fatalf("checkpoint %d: files %v, deltas %v: want the first full file and %d deltas", id, h.Files, h.Changelog, id-1)
		}
		if h.IncrementalSize*20 > h.Size {
			t.Fatalf("checkpoint %d wrote %d of %d bytes", id, h.IncrementalSize, h.Size)
		}
		_, rs := restoreInto(t, c, st, 0, all, []*Handle{h})
		check(t, rs, m)
	}
	// nothing changed: no delta file, the same handle
	h := snapshot(t, b, st, 5, false)
	if h.IncrementalSize != 0 || len(h.Changelog) != 3 {
		t.Fatalf("checkpoint without changes: %+v", h)
	}
}

// TestHeapIncrementalChainBounds: a new full base after MaxDeltas deltas,
// and as soon as the deltas reach MaxDeltaRatio of the base.
func TestHeapIncrementalChainBounds(t *testing.T) {
	t.Run("count", func(t *testing.T) {
		c := heapIncrConfig(HashMapOptions{MaxDeltas: 2})
		rng := rand.New(rand.NewSource(22))
		st := newStorage(t)
		b := newBackend(t, c, 0, all)
		ms := register(t, b)
		m := model{}
		mutate(t, rng, ms, m, all, 5000, 10000)
		var fulls []string
		for id := int64(1); id <= 9; id++ {
			mutate(t, rng, ms, m, all, 5000, 50)
			h := snapshot(t, b, st, id, false)
			b.CheckpointComplete(id)
			if len(h.Changelog) > 2 {
				t.Fatalf("checkpoint %d has %d deltas, bound 2", id, len(h.Changelog))
			}
			if len(h.Changelog) == 0 {
				fulls = append(fulls, h.Files[0].Path)
			}
			_, rs := restoreInto(t, c, st, 0, all, []*Handle{h})
			check(t, rs, m)
		}
		if len(fulls) != 3 { // 1, 4, 7
			t.Fatalf("full bases %v, want 3", fulls)
		}
	})
	t.Run("size", func(t *testing.T) {
		c := heapIncrConfig(HashMapOptions{MaxDeltaRatio: 0.3})
		rng := rand.New(rand.NewSource(23))
		st := newStorage(t)
		b := newBackend(t, c, 0, all)
		ms := register(t, b)
		m := model{}
		mutate(t, rng, ms, m, all, 5000, 10000)
		h := snapshot(t, b, st, 1, false)
		b.CheckpointComplete(1)
		for id := int64(2); id <= 12; id++ {
			// new values for keys the state holds: every delta byte may
			// replace what the chain holds (new keys would be growth)
			for k, v := range m["s"] {
				if rng.Intn(10) == 0 {
					var kg int
					fmt.Sscanf(k, "%d/", &kg)
					v += "'"
					ms.s.Put(kg, []byte(k[len(fmt.Sprint(kg))+1:]), v)
					m["s"][k] = v
				}
			}
			h = snapshot(t, b, st, id, false)
			b.CheckpointComplete(id)
			var base int64
			for _, f := range h.Files {
				base += f.Size
			}
			// the deltas of the previous checkpoint stayed under the
			// bound; this one's may pass it once
			if n := len(h.Changelog); n > 0 && float64(sumSizes(h.Changelog[:n-1])) >= 0.3*float64(base) {
				t.Fatalf("checkpoint %d: deltas %d bytes over a base of %d", id, sumSizes(h.Changelog), base)
			}
			_, rs := restoreInto(t, c, st, 0, all, []*Handle{h})
			check(t, rs, m)
		}
	})
}

// TestHeapIncrementalGrowthIsNoDelta: deltas that only add keys are
// growth of the state, not rewrites of what the chain holds: they never
// make a new full base before MaxDeltas, however large they get, and a
// chain of them restores.
func TestHeapIncrementalGrowthIsNoDelta(t *testing.T) {
	c := heapIncrConfig(HashMapOptions{MaxDeltas: 8, MaxDeltaRatio: 0.1})
	st := newStorage(t)
	b := newBackend(t, c, 0, all)
	ms := register(t, b)
	m := model{}
	var fulls []int64
	next := 0
	for id := int64(1); id <= 20; id++ {
		for range 1000 {
			k := fmt.Sprintf("grow-%d", next)
			next++
			kg := kgOf(k)
			ms.s.Put(kg, []byte(k), k+"-value")
			m.put("s", kg, k, k+"-value")
		}
		h := snapshot(t, b, st, id, false)
		b.CheckpointComplete(id)
		if len(h.Changelog) == 0 {
			fulls = append(fulls, id)
		}
		if id%5 == 0 {
			_, rs := restoreInto(t, c, st, 0, all, []*Handle{h})
			check(t, rs, m)
		}
	}
	if !slices.Equal(fulls, []int64{1, 10, 19}) {
		t.Fatalf("full bases at checkpoints %v, want 1, 10 and 19 (every MaxDeltas+1)", fulls)
	}
}

// TestHeapIncrementalRetention plays the most eager checkpoint store:
// once a checkpoint completes, every file that neither it nor a
// checkpoint still in flight references is deleted (aborted checkpoints'
// files included). Snapshots overlap (the
// next is captured before the previous one's files are written), some
// abort, and files are written out of order; every completed
// checkpoint restores, at parallelism 1 and 2, into every backend.
func TestHeapIncrementalRetention(t *testing.T) {
	c := heapIncrConfig(HashMapOptions{MaxDeltas: 4})
	rng := rand.New(rand.NewSource(24))
	st := newStorage(t)
	b := newBackend(t, c, 0, all).(*HashMapBackend)
	ms := register(t, b)
	m := model{}
	mutate(t, rng, ms, m, all, 3000, 6000)
	type captured struct {
		id     int64
		finish func() (*Handle, error)
		m      model
	}
	var prev *captured
	for id := int64(1); id <= 30; id++ {
		mutate(t, rng, ms, m, all, 3000, 300)
		tg := SnapshotTarget{Storage: st, Dir: fmt.Sprintf("job/chk-%d", id), SharedDir: "job/shared", CheckpointID: id}
		finish, err := b.SnapshotAsync(tg)
		if err != nil {
			t.Fatal(err)
		}
		cur := &captured{id, finish, m.clone()}
		mutate(t, rng, ms, m, all, 3000, 100) // changes while the files are written
		if prev == nil {
			prev = cur
			continue
		}
		// finish the two captures in either order
		first, second := prev, cur
		if rng.Intn(2) == 0 {
			first, second = cur, prev
		}
		handles := map[int64]*Handle{}
		for _, cp := range []*captured{first, second} {
			h, err := cp.finish()
			if err != nil {
				t.Fatal(err)
			}
			handles[cp.id] = h
		}
		prev = nil
		// checkpoints complete in the order of their ids (the store
		// commits them so)
		if first.id > second.id {
			first, second = second, first
		}
		for i, cp := range []*captured{first, second} {
			if rng.Intn(3) == 0 {
				continue // aborted
			}
			h := handles[cp.id]
			b.CheckpointComplete(cp.id)
			if i == 0 { // the second is still in flight: its files stay
				keepOnly(t, st, h, handles[second.id])
			} else {
				keepOnly(t, st, h)
			}
			for _, o := range allConfigs() {
				if o.name != c.name && rng.Intn(4) != 0 {
					continue
				}
				for par := 1; par <= 2; par++ {
					for inst := 0; inst < par; inst++ {
						kgs := RangeFor(maxPar, par, inst)
						_, rs := restoreInto(t, o, st, inst, kgs, []*Handle{h})
						check(t, rs, cp.m.restrict(kgs))
					}
				}
			}
		}
	}
}

// keepOnly deletes every stored file that no handle of hs references.
func keepOnly(t *testing.T, st interface {
	List(string) ([]string, error)
	Delete(string) error
}, hs ...*Handle) {
	t.Helper()
	kept := map[string]bool{}
	for _, h := range hs {
		for p := range refs(h) {
			kept[p] = true
		}
	}
	all, err := st.List("job")
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range all {
		if !kept[p] && strings.HasPrefix(p, "job/") {
			if err := st.Delete(p); err != nil {
				t.Fatal(err)
			}
		}
	}
}

// TestUnknownFormatIsRefused names the formats this version reads.
func TestUnknownFormatIsRefused(t *testing.T) {
	b := NewHashMapBackend(all)
	h := &Handle{OperatorID: "op", KeyGroups: all, Format: "full-v2"}
	err := b.Restore(newStorage(t), []*Handle{h})
	if err == nil || !strings.Contains(err.Error(), `unknown format "full-v2" (this version reads full-v1 and pebble-sst-v1`) {
		t.Fatalf("got %v", err)
	}
}

// TestHeapIncrementalWholeChangesWriteFullBases: when nearly every entry
// changes between checkpoints, a delta would be as large as the state, so
// each checkpoint writes a full base (once), not a delta and then a base.
func TestHeapIncrementalWholeChangesWriteFullBases(t *testing.T) {
	c := heapIncrConfig(HashMapOptions{})
	st := newStorage(t)
	b := newBackend(t, c, 0, all)
	ms := register(t, b)
	m := model{}
	for id := int64(1); id <= 5; id++ {
		for i := 0; i < 300; i++ {
			k := fmt.Sprintf("key-%d", i)
			v := fmt.Sprintf("v%d-%d", id, i)
			ms.s.Put(kgOf(k), []byte(k), v)
			m.put("s", kgOf(k), k, v)
		}
		h := snapshot(t, b, st, id, false)
		b.CheckpointComplete(id)
		if len(h.Changelog) != 0 || h.IncrementalSize != h.Size {
			t.Fatalf("checkpoint %d: %d deltas, wrote %d of %d bytes: want one full base", id, len(h.Changelog), h.IncrementalSize, h.Size)
		}
		_, rs := restoreInto(t, c, st, 0, all, []*Handle{h})
		check(t, rs, m)
	}
}

// cachedEncodings counts the entries of a memory-backend map that hold a
// cached encoding.
func cachedEncodings(t *testing.T, km any) int {
	t.Helper()
	hm, ok := km.(*heapMap[string])
	if !ok {
		t.Fatalf("map %T, want the memory backend's", km)
	}
	n := 0
	for _, g := range hm.groups {
		if g == nil {
			continue
		}
		for _, e := range g.encs {
			if e != nil {
				n++
			}
		}
	}
	return n
}

// encodingCaches counts the key groups of a memory-backend map that hold
// a cache of encodings (a slice as long as their entries).
func encodingCaches(km any) int {
	n := 0
	for _, g := range km.(*heapMap[string]).groups {
		if g != nil && g.encs != nil {
			n++
		}
	}
	return n
}

// With incremental checkpoints the memory backend keeps no encoding of
// what it wrote (deltas and bases encode as they write), nor a slot per
// entry for one; with full
// checkpoints it caches every entry's encoding for the next snapshot.
func TestHeapEncodingCacheOnlyForFullSnapshots(t *testing.T) {
	for _, tc := range []struct {
		c      backendConfig
		cached bool
	}{
		{heapIncrConfig(HashMapOptions{}), false},
		{backendConfig{"hashmap", Config{Backend: "hashmap"}}, true},
	} {
		t.Run(tc.c.name, func(t *testing.T) {
			rng := rand.New(rand.NewSource(23))
			st := newStorage(t)
			b := newBackend(t, tc.c, 0, all)
			ms := register(t, b)
			m := model{}
			mutate(t, rng, ms, m, all, 2000, 4000)
			for id := int64(1); id <= 3; id++ {
				snapshot(t, b, st, id, false)
				b.CheckpointComplete(id)
				n := cachedEncodings(t, ms.s)
				if tc.cached && n != ms.s.Len() || !tc.cached && n != 0 {
					t.Fatalf("checkpoint %d: %d of %d entries hold a cached encoding", id, n, ms.s.Len())
				}
				// Without a cache no memory is held for one (a slot per
				// entry), between checkpoints.
				if c := encodingCaches(ms.s); !tc.cached && c != 0 {
					t.Fatalf("checkpoint %d: %d key groups hold a cache of encodings", id, c)
				}
				mutate(t, rng, ms, m, all, 2000, 100)
			}
		})
	}
}

// TestHeapIncrementalBuildsOnWhatTheStoreCommitted: a checkpoint
// triggered after the store committed the previous one builds on that
// one's base even when its CheckpointComplete has not reached the
// backend yet (it travels apart from the barrier), never on the base
// before, whose files retention may already have deleted.
func TestHeapIncrementalBuildsOnWhatTheStoreCommitted(t *testing.T) {
	c := heapIncrConfig(HashMapOptions{MaxDeltas: 1})
	rng := rand.New(rand.NewSource(23))
	st := newStorage(t)
	b := newBackend(t, c, 0, all)
	ms := register(t, b)
	m := model{}
	mutate(t, rng, ms, m, all, 2000, 4000)
	h1 := snapshot(t, b, st, 1, false)
	b.CheckpointComplete(1)
	mutate(t, rng, ms, m, all, 2000, 50)
	h2 := snapshot(t, b, st, 2, false) // a delta over 1
	b.CheckpointComplete(2)
	mutate(t, rng, ms, m, all, 2000, 50)
	h3 := snapshot(t, b, st, 3, false) // a new full base: MaxDeltas is 1
	if len(h3.Changelog) != 0 || h3.Files[0] == h1.Files[0] {
		t.Fatalf("checkpoint 3: %+v, want a new full base", h3)
	}
	// The store committed 3 and triggered 4; CheckpointComplete(3) is
	// late.
	mutate(t, rng, ms, m, all, 2000, 50)
	h4, err := b.Snapshot(SnapshotTarget{Storage: st, Dir: "job/chk-4", SharedDir: "job/shared", CheckpointID: 4, Committed: 3})
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range append(append([]FileRef(nil), h4.Files...), h4.Changelog...) {
		for _, old := range append(append([]FileRef(nil), h2.Files...), h2.Changelog...) {
			if f.Path == old.Path && f.Path != h3.Files[0].Path {
				t.Fatalf("checkpoint 4 references %s of the chain before checkpoint 3", f.Path)
			}
		}
	}
	if h4.Files[0] != h3.Files[0] {
		t.Fatalf("checkpoint 4 builds on %v, want checkpoint 3's base %v", h4.Files, h3.Files)
	}
	_, rs := restoreInto(t, c, st, 0, all, []*Handle{h4})
	check(t, rs, m)
}
