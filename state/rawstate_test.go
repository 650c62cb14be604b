package state

import (
	"fmt"
	"math/rand"
	"strings"
	"testing"

	"github.com/streamsql/streamsql/checkpoint/storage"
)

// The memory backend holds restored entries per key group as a list read
// from the snapshot files plus the later changes (changelog segments,
// deltas of incremental checkpoints) by key, until the state registers.
// These tests check every restore path against a model.

// heapConfigs are the memory backend's configurations.
func heapConfigs() []backendConfig {
	var out []backendConfig
	for _, c := range allConfigs() {
		if c.cfg.Backend == "hashmap" {
			out = append(out, c)
		}
	}
	return out
}

// checkpointChain takes checkpoints 1..n of a backend of configuration c
// owning kgs, with heavy churn on a small pool of keys in between (keys
// changed several times, deleted, deleted and re-added), and returns the
// handle and model of each.
func checkpointChain(t *testing.T, c backendConfig, st storage.Storage, job string, inst int, kgs KeyGroupRange, seed int64, n int) ([]*Handle, []model) {
	t.Helper()
	rng := rand.New(rand.NewSource(seed))
	b := newBackend(t, c, inst, kgs)
	ms := register(t, b)
	m := model{}
	var hs []*Handle
	var models []model
	for id := int64(1); id <= int64(n); id++ {
		mutate(t, rng, ms, m, kgs, 60, 150)
		hs = append(hs, snapshotIn(t, b, st, job, id))
		models = append(models, m.clone())
		b.CheckpointComplete(id)
	}
	return hs, models
}

// TestHeapRestoreAgainstModel restores every checkpoint of a chain taken
// by each backend configuration (FormatFull, incremental deltas,
// changelog segments, Pebble SST files) into each memory configuration,
// at the same parallelism and split in two, and compares with the model.
func TestHeapRestoreAgainstModel(t *testing.T) {
	for _, src := range allConfigs() {
		t.Run(src.name, func(t *testing.T) {
			st := newStorage(t)
			hs, models := checkpointChain(t, src, st, "job", 0, all, 31, 6)
			for _, dst := range heapConfigs() {
				for i, h := range hs {
					_, ms := restoreInto(t, dst, st, 0, all, []*Handle{h})
					check(t, ms, models[i])
					if i != len(hs)-1 && i != 2 {
						continue
					}
					// split by key-group ranges
					for inst := range 2 {
						kgs := RangeFor(maxPar, 2, inst)
						_, ms := restoreInto(t, dst, st, inst, kgs, []*Handle{h})
						check(t, ms, models[i].restrict(kgs))
					}
				}
			}
		})
	}
}

// TestHeapRestoreMergesInstances restores the chains of two instances
// (each with its own key-group range) into one memory backend.
func TestHeapRestoreMergesInstances(t *testing.T) {
	for _, src := range allConfigs() {
		t.Run(src.name, func(t *testing.T) {
			st := newStorage(t)
			var last []*Handle
			want := model{}
			for inst := range 2 {
				kgs := RangeFor(maxPar, 2, inst)
				hs, models := checkpointChain(t, src, st, "job", inst, kgs, int64(40+inst), 4)
				last = append(last, hs[len(hs)-1])
				want.merge(models[len(models)-1])
			}
			for _, dst := range heapConfigs() {
				_, ms := restoreInto(t, dst, st, 0, all, last)
				check(t, ms, want)
				// and split again at another parallelism
				for inst := range 3 {
					kgs := RangeFor(maxPar, 3, inst)
					_, ms := restoreInto(t, dst, st, inst, kgs, last)
					check(t, ms, want.restrict(kgs))
				}
			}
		})
	}
}

// TestHeapRestoreUnregisteredRoundTrips restores each checkpoint into a
// memory backend whose states never register, snapshots it (its entries
// written back unchanged, deletions applied), restores that again without
// registering, snapshots once more, and finally checks the state.
func TestHeapRestoreUnregisteredRoundTrips(t *testing.T) {
	for _, src := range allConfigs() {
		t.Run(src.name, func(t *testing.T) {
			st := newStorage(t)
			hs, models := checkpointChain(t, src, st, "job", 0, all, 52, 5)
			for _, dst := range heapConfigs() {
				for i, h := range hs {
					if i == 0 {
						continue // the chains' later checkpoints hold deltas
					}
					cur := []*Handle{h}
					for round := range 2 {
						rb := newBackend(t, dst, 0, all)
						if err := rb.Restore(st, cur); err != nil {
							t.Fatal(err)
						}
						job := fmt.Sprintf("%s-%s-%d-%d", src.name, dst.name, i, round)
						cur = []*Handle{snapshotIn(t, rb, st, job, 1)}
						rb.Close()
					}
					_, ms := restoreInto(t, dst, st, 0, all, cur)
					check(t, ms, models[i])
					// split: each half written back holds its key groups only
					var halves []*Handle
					for inst := range 2 {
						kgs := RangeFor(maxPar, 2, inst)
						rb := newBackend(t, dst, inst, kgs)
						if err := rb.Restore(st, []*Handle{h}); err != nil {
							t.Fatal(err)
						}
						halves = append(halves, snapshotIn(t, rb, st, fmt.Sprintf("%s-%s-%d-half", src.name, dst.name, i), 1))
					}
					_, ms = restoreInto(t, dst, st, 0, all, halves)
					check(t, ms, models[i])
				}
			}
		})
	}
}

// TestHeapRestoreDirectedChanges walks one key through every kind of
// change across incremental and changelog checkpoints: changed several
// times, deleted, deleted then re-added, and a key group emptied by
// deletions; each checkpoint restores (registered, and unregistered then
// snapshotted) to exactly its state.
func TestHeapRestoreDirectedChanges(t *testing.T) {
	keys := map[int][]string{}
	for i := 0; len(keys[5]) < 3; i++ {
		k := fmt.Sprintf("key-%d", i)
		keys[kgOf(k)] = append(keys[kgOf(k)], k)
	}
	a, bk, c3 := keys[5][0], keys[5][1], keys[5][2]
	steps := []func(ms maps, m model){
		func(ms maps, m model) { // base
			for _, k := range []string{a, bk, c3} {
				ms.s.Put(5, []byte(k), "1-"+k)
				m.put("s", 5, k, "1-"+k)
			}
			ms.n.Put(5, []byte(a), 1)
			m.put("n", 5, a, "1")
		},
		func(ms maps, m model) { // changed twice, one deleted
			ms.s.Put(5, []byte(a), "2-a")
			ms.s.Put(5, []byte(a), "3-a")
			m.put("s", 5, a, "3-a")
			ms.s.Delete(5, []byte(bk))
			m.del("s", 5, bk)
		},
		func(ms maps, m model) { // re-added, another deleted and re-added at once
			ms.s.Put(5, []byte(bk), "4-b")
			m.put("s", 5, bk, "4-b")
			ms.s.Delete(5, []byte(c3))
			ms.s.Put(5, []byte(c3), "4-c")
			m.put("s", 5, c3, "4-c")
		},
		func(ms maps, m model) { // key group 5 of "n" emptied
			ms.n.Delete(5, []byte(a))
			m.del("n", 5, a)
		},
		func(ms maps, m model) { // everything of "s" deleted
			for _, k := range []string{a, bk, c3} {
				ms.s.Delete(5, []byte(k))
				m.del("s", 5, k)
			}
		},
		func(ms maps, m model) { // and re-added
			ms.s.Put(5, []byte(bk), "6-b")
			m.put("s", 5, bk, "6-b")
			ms.n.Put(5, []byte(a), 6)
			m.put("n", 5, a, "6")
		},
	}
	for _, src := range allConfigs() {
		t.Run(src.name, func(t *testing.T) {
			st := newStorage(t)
			b := newBackend(t, src, 0, all)
			ms := register(t, b)
			m := model{}
			for i, step := range steps {
				id := int64(i + 1)
				step(ms, m)
				h := snapshotIn(t, b, st, "job", id)
				b.CheckpointComplete(id)
				for _, dst := range heapConfigs() {
					_, rs := restoreInto(t, dst, st, 0, all, []*Handle{h})
					check(t, rs, m)
					rb := newBackend(t, dst, 0, all)
					if err := rb.Restore(st, []*Handle{h}); err != nil {
						t.Fatal(err)
					}
					rh := snapshotIn(t, rb, st, fmt.Sprintf("again-%s-%d", dst.name, id), 1)
					_, rs = restoreInto(t, dst, st, 0, all, []*Handle{rh})
					check(t, rs, m)
				}
			}
		})
	}
}

// TestHeapRestoreValueThatDoesNotDecode: a value of a restored state that
// does not decode (in the snapshot file or in a later change) fails
// NewKeyedMap with the state's name and a file; the entries are kept, so
// that a later attempt with a fitting codec, or a snapshot, still has all
// of them, changes applied.
func TestHeapRestoreValueThatDoesNotDecode(t *testing.T) {
	for _, src := range heapConfigs() {
		t.Run(src.name, func(t *testing.T) {
			if !src.cfg.Incremental && !src.cfg.Changelog {
				return // the base-only path is TestRestoredValuesThatDoNotDecode
			}
			st := newStorage(t)
			b := newBackend(t, src, 0, all)
			s, err := NewKeyedMap[string](b, "n", strCodec{})
			if err != nil {
				t.Fatal(err)
			}
			rng := rand.New(rand.NewSource(3))
			m := map[string]string{}
			var h *Handle
			for id := int64(1); id <= 3; id++ {
				for range 40 {
					kg, k := keyFor(rng, 30, all)
					if rng.Intn(4) == 0 {
						s.Delete(kg, []byte(k))
						delete(m, mk(kg, k))
						continue
					}
					v := fmt.Sprintf("not a varint %d", rng.Intn(100))
					s.Put(kg, []byte(k), v)
					m[mk(kg, k)] = v
				}
				h = snapshotIn(t, b, st, "job", id)
				b.CheckpointComplete(id)
			}
			if len(h.Changelog) == 0 {
				t.Fatalf("checkpoint 3 of %s holds no later changes", src.name)
			}
			for _, dst := range heapConfigs() {
				rb := newBackend(t, dst, 0, all)
				if err := rb.Restore(st, []*Handle{h}); err != nil {
					t.Fatal(err)
				}
				for attempt := range 2 {
					_, err := NewKeyedMap[int64](rb, "n", varintCodec{})
					if err == nil || !strings.Contains(err.Error(), `"n"`) || !strings.Contains(err.Error(), "job/shared/") {
						t.Fatalf("%s attempt %d: error %v does not name the state and a file", dst.name, attempt, err)
					}
				}
				rh := snapshotIn(t, rb, st, "after-error-"+dst.name, 1)
				ns, err := NewKeyedMap[string](rb, "n", strCodec{})
				if err != nil {
					t.Fatal(err)
				}
				checkStrings(t, ns, m, dst.name+": after failed attempts")
				rb2 := newBackend(t, dst, 0, all)
				if err := rb2.Restore(st, []*Handle{rh}); err != nil {
					t.Fatal(err)
				}
				ns2, err := NewKeyedMap[string](rb2, "n", strCodec{})
				if err != nil {
					t.Fatal(err)
				}
				checkStrings(t, ns2, m, dst.name+": snapshot after failed attempts")
			}
		})
	}
}

func checkStrings(t *testing.T, s KeyedMap[string], want map[string]string, when string) {
	t.Helper()
	got := map[string]string{}
	s.Range(func(kg int, k string, v string) bool { got[mk(kg, k)] = v; return true })
	if len(got) != len(want) || s.Len() != len(want) {
		t.Fatalf("%s: %d entries (Len %d), want %d (%s)", when, len(got), s.Len(), len(want), diff(got, want))
	}
	for k, v := range want {
		if got[k] != v {
			t.Fatalf("%s: %s = %q, want %q", when, k, got[k], v)
		}
	}
}

// TestHeapRestorePartlyRegisteredBuildsOnTheRestoredBase restores a
// checkpoint into a memory backend of the same job (an incremental one
// builds its next checkpoints on the restored files), registers one of
// its two states only and changes it: the next checkpoints (a delta, then
// more) restore to the changed state and the other state unchanged.
func TestHeapRestorePartlyRegisteredBuildsOnTheRestoredBase(t *testing.T) {
	for _, src := range allConfigs() {
		t.Run(src.name, func(t *testing.T) {
			for _, dst := range heapConfigs() {
				st := newStorage(t)
				hs, models := checkpointChain(t, src, st, "job", 0, all, 77, 4)
				m := models[len(models)-1].clone()
				rb := newBackend(t, dst, 0, all)
				if err := rb.Restore(st, []*Handle{hs[len(hs)-1]}); err != nil {
					t.Fatal(err)
				}
				s, err := NewKeyedMap[string](rb, "s", strCodec{})
				if err != nil {
					t.Fatal(err)
				}
				rng := rand.New(rand.NewSource(78))
				var h *Handle
				for id := int64(10); id < 14; id++ {
					for range 30 {
						kg, k := keyFor(rng, 60, all)
						if rng.Intn(3) == 0 {
							s.Delete(kg, []byte(k))
							m.del("s", kg, k)
						} else {
							v := fmt.Sprintf("late-%d", rng.Intn(100))
							s.Put(kg, []byte(k), v)
							m.put("s", kg, k, v)
						}
					}
					h = snapshotIn(t, rb, st, "job", id)
					rb.CheckpointComplete(id)
					_, ms := restoreInto(t, dst, st, 0, all, []*Handle{h})
					check(t, ms, m)
				}
				if dst.cfg.Incremental && !dst.cfg.Changelog && len(h.Changelog) == 0 {
					t.Errorf("%s: checkpoint 13 holds no deltas", dst.name)
				}
			}
		})
	}
}
