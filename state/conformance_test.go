package state

import (
	"math/rand"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/streamsql/streamsql/checkpoint/storage"
)

var all = KeyGroupRange{Start: 0, End: maxPar}

func TestConformanceRandomOperations(t *testing.T) {
	for _, c := range allConfigs() {
		t.Run(c.name, func(t *testing.T) {
			rng := rand.New(rand.NewSource(1))
			kgs := KeyGroupRange{Start: 10, End: 90}
			b := newBackend(t, c, 0, kgs)
			ms := register(t, b)
			m := model{}
			for round := 0; round < 5; round++ {
				mutate(t, rng, ms, m, kgs, 300, 1500)
				check(t, ms, m)
			}
			// Range deleting every other entry it is given.
			i := 0
			ms.s.Range(func(kg int, k string, v string) bool {
				if i%2 == 0 {
					ms.s.Delete(kg, []byte(k))
					m.del("s", kg, k)
				}
				i++
				return true
			})
			check(t, ms, m)
			// Put of an existing key during Range.
			ms.n.Range(func(kg int, k string, v int64) bool {
				ms.n.Put(kg, []byte(k), v+1)
				m.put("n", kg, k, itoa(v+1))
				return true
			})
			check(t, ms, m)
			if err := b.Err(); err != nil {
				t.Fatal(err)
			}
		})
	}
}

func TestConformanceSnapshotRestore(t *testing.T) {
	configs := allConfigs()
	for _, c := range configs {
		t.Run(c.name, func(t *testing.T) {
			rng := rand.New(rand.NewSource(2))
			st := newStorage(t)
			b := newBackend(t, c, 0, all)
			ms := register(t, b)
			m := model{}
			segments := 0
			for id := int64(1); id <= 7; id++ {
				mutate(t, rng, ms, m, all, 400, 600)
				h := snapshot(t, b, st, id, false)
				if id != 3 && id != 5 { // 3 and 5 are aborted checkpoints
					b.CheckpointComplete(id)
				}
				checkShape(t, c, h)
				segments += len(h.Changelog)
				_, rs := restoreInto(t, c, st, 0, all, []*Handle{h})
				check(t, rs, m)
				if id == 7 {
					for _, o := range configs {
						_, rs := restoreInto(t, o, st, 0, all, []*Handle{h})
						check(t, rs, m)
					}
				}
			}
			if (c.cfg.Changelog || heapIncremental(c)) && segments == 0 {
				t.Fatal("changelog mode wrote no segment")
			}
		})
	}
}

// checkShape checks that a checkpoint handle has the format its
// configuration promises.
func checkShape(t *testing.T, c backendConfig, h *Handle) {
	t.Helper()
	want := FormatFull
	if c.cfg.Incremental && c.cfg.Backend == "pebble" {
		want = FormatPebbleSST
	}
	if h.Format != want || h.KeyGroups != all || h.OperatorID != "op" {
		t.Fatalf("handle %+v, want format %s over all key groups", h, want)
	}
	if !c.cfg.Changelog && !heapIncremental(c) && len(h.Changelog) > 0 {
		t.Fatalf("changelog segments without changelog mode")
	}
	var size int64
	for _, f := range append(append([]FileRef(nil), h.Files...), h.Changelog...) {
		size += f.Size
	}
	if size != h.Size || h.IncrementalSize > h.Size {
		t.Fatalf("sizes: files %d, Size %d, IncrementalSize %d", size, h.Size, h.IncrementalSize)
	}
}

// heapIncremental reports whether c is the memory backend's incremental
// mode (whose handles carry deltas as changelog segments).
func heapIncremental(c backendConfig) bool {
	return c.cfg.Backend == "hashmap" && c.cfg.Incremental && !c.cfg.Changelog
}

// TestConformanceRescale splits one instance's state into 1, 2 and 3
// instances, changes it there, checkpoints again and merges it back.
func TestConformanceRescale(t *testing.T) {
	for _, c := range allConfigs() {
		t.Run(c.name, func(t *testing.T) {
			rng := rand.New(rand.NewSource(3))
			st := newStorage(t)
			b := newBackend(t, c, 0, all)
			ms := register(t, b)
			m := model{}
			mutate(t, rng, ms, m, all, 500, 3000)
			h0 := snapshot(t, b, st, 1, false)
			b.CheckpointComplete(1)
			id := int64(10)
			for par := 1; par <= 3; par++ {
				merged := model{}
				var handles []*Handle
				for inst := 0; inst < par; inst++ {
					kgs := RangeFor(maxPar, par, inst)
					ib, ims := restoreInto(t, c, st, inst, kgs, []*Handle{h0})
					part := m.restrict(kgs)
					check(t, ims, part)
					mutate(t, rng, ims, part, kgs, 500, 300)
					id++
					h := snapshot(t, ib, st, id, false)
					ib.CheckpointComplete(id)
					// a second checkpoint, so that changelog mode writes a segment
					mutate(t, rng, ims, part, kgs, 500, 100)
					id++
					h = snapshot(t, ib, st, id, false)
					handles = append(handles, h)
					merged.merge(part)
				}
				for _, o := range []int{1, 2} {
					// merge back into 1 instance, and split again into 2
					for inst := 0; inst < o; inst++ {
						kgs := RangeFor(maxPar, o, inst)
						_, rs := restoreInto(t, c, st, inst, kgs, handles)
						check(t, rs, merged.restrict(kgs))
					}
				}
			}
		})
	}
}

func TestSavepointsMoveBetweenBackends(t *testing.T) {
	cs := allConfigs()
	byName := map[string]backendConfig{}
	for _, c := range cs {
		byName[c.name] = c
	}
	chain := []string{"pebble-incremental", "hashmap", "pebble-full+changelog", "pebble-incremental+changelog", "hashmap+changelog", "pebble-full"}
	rng := rand.New(rand.NewSource(4))
	st := newStorage(t)
	b := newBackend(t, byName[chain[0]], 0, all)
	ms := register(t, b)
	m := model{}
	mutate(t, rng, ms, m, all, 400, 2000)
	for i, name := range chain[1:] {
		h := snapshot(t, b, st, int64(i+1), true)
		if h.Format != FormatFull || len(h.Changelog) != 0 {
			t.Fatalf("savepoint of %s is %s with %d segments, want self-contained %s", chain[i], h.Format, len(h.Changelog), FormatFull)
		}
		b, ms = restoreInto(t, byName[name], st, 0, all, []*Handle{h})
		check(t, ms, m)
		mutate(t, rng, ms, m, all, 400, 200)
	}
}

// TestDamagedFilesAreNamed flips a byte in, and truncates, each file of a
// handle: the restore must fail with an error naming the file.
func TestDamagedFilesAreNamed(t *testing.T) {
	for _, c := range allConfigs() {
		t.Run(c.name, func(t *testing.T) {
			rng := rand.New(rand.NewSource(5))
			root := t.TempDir()
			st, err := storage.NewLocal(root)
			if err != nil {
				t.Fatal(err)
			}
			b := newBackend(t, c, 0, all)
			ms := register(t, b)
			m := model{}
			var h *Handle
			for id := int64(1); id <= 2; id++ {
				mutate(t, rng, ms, m, all, 300, 800)
				h = snapshot(t, b, st, id, false)
				b.CheckpointComplete(id)
			}
			b.Close() // stored SST files may share the database's inodes
			files := append(append([]FileRef(nil), h.Files...), h.Changelog...)
			damaged := 0
			for _, f := range files {
				p := filepath.Join(root, filepath.FromSlash(f.Path))
				orig, err := os.ReadFile(p)
				if err != nil {
					t.Fatal(err)
				}
				if len(orig) == 0 {
					continue // an empty marker file has nothing to damage
				}
				for _, how := range []string{"flip", "truncate"} {
					bad := append([]byte(nil), orig...)
					if how == "flip" {
						bad[len(bad)/2] ^= 0x40
					} else {
						bad = bad[:len(bad)*2/3]
					}
					if err := os.WriteFile(p, bad, 0o644); err != nil {
						t.Fatal(err)
					}
					rb := newBackend(t, c, 0, all)
					err := rb.Restore(st, []*Handle{h})
					if err == nil || !strings.Contains(err.Error(), f.Path) {
						t.Errorf("%s %s: restore error %v does not name the file", how, f.Path, err)
					}
					damaged++
				}
				if err := os.WriteFile(p, orig, 0o644); err != nil {
					t.Fatal(err)
				}
			}
			if damaged == 0 {
				t.Fatal("no file damaged")
			}
			_, rs := restoreInto(t, c, st, 0, all, []*Handle{h})
			check(t, rs, m)
		})
	}
}

func itoa(v int64) string { return strconv.FormatInt(v, 10) }
