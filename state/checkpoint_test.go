package state

import (
	"fmt"
	"math/rand"
	"os"
	"strings"
	"testing"

	"github.com/streamsql/streamsql/checkpoint/storage"
)

// TestAbortedCheckpointFilesAreNotReused plays a checkpoint store that
// deletes the files of an aborted checkpoint that no completed checkpoint
// references: later checkpoints must not depend on them.
func TestAbortedCheckpointFilesAreNotReused(t *testing.T) {
	for _, c := range allConfigs() {
		// stable SST files, so that an aborted checkpoint's files are
		// still live at the next one
		c.cfg.Pebble.noCompactions = true
		t.Run(c.name, func(t *testing.T) {
			rng := rand.New(rand.NewSource(6))
			st := newStorage(t)
			b := newBackend(t, c, 0, all)
			ms := register(t, b)
			m := model{}
			mutate(t, rng, ms, m, all, 20000, 20000)
			h1 := snapshot(t, b, st, 1, false)
			b.CheckpointComplete(1)
			var aborted *Handle
			for id := int64(2); id <= 7; id++ {
				mutate(t, rng, ms, m, all, 20000, 100)
				h := snapshot(t, b, st, id, false)
				if id%2 == 0 { // aborted: the store deletes what only it references
					deleteExclusive(t, st, h, h1)
					aborted = h
					continue
				}
				if aborted != nil {
					old, ok := refs(h1), refs(aborted)
					for p := range refs(h) {
						if ok[p] && !old[p] {
							t.Fatalf("checkpoint %d references %s, written for an aborted checkpoint", id, p)
						}
					}
				}
				b.CheckpointComplete(id)
				h1 = h
				_, rs := restoreInto(t, c, st, 0, all, []*Handle{h})
				check(t, rs, m)
			}
		})
	}
}

func refs(h *Handle) map[string]bool {
	out := map[string]bool{}
	for _, f := range append(append([]FileRef(nil), h.Files...), h.Changelog...) {
		out[f.Path] = true
	}
	return out
}

func deleteExclusive(t *testing.T, st storage.Storage, h *Handle, keep *Handle) {
	t.Helper()
	kept := refs(keep)
	for p := range refs(h) {
		if !kept[p] {
			if err := st.Delete(p); err != nil {
				t.Fatal(err)
			}
		}
	}
}

// TestIncrementalCheckpointUploadsOnlyNewFiles changes 1% of a large
// state between two checkpoints: the second uploads a small fraction of
// what it references, and reuses the first one's files.
func TestIncrementalCheckpointUploadsOnlyNewFiles(t *testing.T) {
	st := newStorage(t)
	c := backendConfig{"pebble-incremental", Config{Backend: "pebble", Incremental: true}}
	b := newBackend(t, c, 0, all)
	m, err := NewKeyedMap[string](b, "big", strCodec{})
	if err != nil {
		t.Fatal(err)
	}
	const n = 100_000
	vals := rand.New(rand.NewSource(10))
	value := func() string {
		b := make([]byte, 100)
		vals.Read(b)
		return string(b)
	}
	key := func(i int) (int, []byte) {
		k := fmt.Sprintf("key-%08d", i)
		return kgOf(k), []byte(k)
	}
	for i := 0; i < n; i++ {
		kg, k := key(i)
		m.Put(kg, k, value())
	}
	// Settle the tree as a long-running job's would be; otherwise the
	// compaction of the initial load may rewrite everything in between.
	if err := b.(*PebbleBackend).compactAll(); err != nil {
		t.Fatal(err)
	}
	h1 := snapshot(t, b, st, 1, false)
	b.CheckpointComplete(1)
	rng := rand.New(rand.NewSource(7))
	for i := 0; i < n/100; i++ {
		kg, k := key(rng.Intn(n))
		m.Put(kg, k, value())
	}
	h2 := snapshot(t, b, st, 2, false)
	t.Logf("checkpoint 1: size %d; checkpoint 2: size %d, incremental %d", h1.Size, h2.Size, h2.IncrementalSize)
	if h1.IncrementalSize != h1.Size {
		t.Fatalf("the first checkpoint uploaded %d of %d bytes", h1.IncrementalSize, h1.Size)
	}
	if h2.IncrementalSize*10 > h2.Size {
		t.Fatalf("checkpoint 2 uploaded %d of %d bytes after changing 1%% of the keys", h2.IncrementalSize, h2.Size)
	}
	reused := 0
	old := refs(h1)
	for _, f := range h2.Files {
		if f.Shared && old[f.Path] {
			reused++
		}
	}
	if reused == 0 {
		t.Fatal("checkpoint 2 reuses no shared file of checkpoint 1")
	}
	rb := newBackend(t, c, 0, all)
	if err := rb.Restore(st, []*Handle{h2}); err != nil {
		t.Fatal(err)
	}
	rm, err := NewKeyedMap[string](rb, "big", strCodec{})
	if err != nil {
		t.Fatal(err)
	}
	if rm.Len() != n {
		t.Fatalf("restored %d entries, want %d", rm.Len(), n)
	}
}

// TestUnregisteredStateIsCarriedOver restores two states, registers one,
// and checks that the next checkpoint still holds the other.
func TestUnregisteredStateIsCarriedOver(t *testing.T) {
	for _, c := range allConfigs() {
		t.Run(c.name, func(t *testing.T) {
			rng := rand.New(rand.NewSource(8))
			st := newStorage(t)
			b := newBackend(t, c, 0, all)
			ms := register(t, b)
			m := model{}
			mutate(t, rng, ms, m, all, 300, 1000)
			h := snapshot(t, b, st, 1, false)
			b.CheckpointComplete(1)

			rb := newBackend(t, c, 0, all)
			if err := rb.Restore(st, []*Handle{h}); err != nil {
				t.Fatal(err)
			}
			s, err := NewKeyedMap[string](rb, "s", strCodec{})
			if err != nil {
				t.Fatal(err)
			}
			kg, k := keyFor(rng, 300, all)
			s.Put(kg, []byte(k), "late")
			m.put("s", kg, k, "late")
			for id := int64(2); id <= 5; id++ { // through a materialisation in changelog mode
				h = snapshot(t, rb, st, id, false)
				rb.CheckpointComplete(id)
			}
			_, rs := restoreInto(t, c, st, 0, all, []*Handle{h})
			check(t, rs, m)
		})
	}
}

// TestRestoredValuesThatDoNotDecode are reported with the state's name
// and the file they came from.
func TestRestoredValuesThatDoNotDecode(t *testing.T) {
	for _, c := range allConfigs() {
		t.Run(c.name, func(t *testing.T) {
			st := newStorage(t)
			b := newBackend(t, c, 0, all)
			s, err := NewKeyedMap[string](b, "n", strCodec{})
			if err != nil {
				t.Fatal(err)
			}
			kg, k := keyFor(rand.New(rand.NewSource(9)), 10, all)
			s.Put(kg, []byte(k), "not a varint, too long")
			h := snapshot(t, b, st, 1, false)

			rb := newBackend(t, c, 0, all)
			if err := rb.Restore(st, []*Handle{h}); err != nil {
				t.Fatal(err)
			}
			n, err := NewKeyedMap[int64](rb, "n", varintCodec{})
			if err == nil {
				// serialising backends decode on read: the error is sticky
				n.Get(kg, []byte(k))
				err = rb.Err()
				if _, serr := rb.Snapshot(SnapshotTarget{Storage: st, Dir: "job/chk-2", SharedDir: "job/shared", CheckpointID: 2}); serr == nil {
					t.Fatal("snapshot after a decode error must fail")
				}
			} else if !strings.Contains(err.Error(), h.Files[0].Path) {
				t.Fatalf("error %v does not name the file", err)
			}
			if err == nil || !strings.Contains(err.Error(), `"n"`) {
				t.Fatalf("error %v does not name the state", err)
			}
		})
	}
}

func TestRestoreMustComeFirst(t *testing.T) {
	for _, c := range allConfigs() {
		b := newBackend(t, c, 0, all)
		register(t, b)
		if err := b.Restore(newStorage(t), nil); err == nil {
			t.Fatalf("%s: Restore after NewKeyedMap must fail", c.name)
		}
	}
}

func TestRestoreRejectsOverlappingHandles(t *testing.T) {
	h := &Handle{OperatorID: "op", Format: FormatFull, KeyGroups: KeyGroupRange{Start: 0, End: 64}}
	o := &Handle{OperatorID: "op", Instance: 1, Format: FormatFull, KeyGroups: KeyGroupRange{Start: 32, End: 128}}
	b := NewHashMapBackend(all)
	err := b.Restore(newStorage(t), []*Handle{h, o})
	if err == nil || !strings.Contains(err.Error(), "key group 32") {
		t.Fatalf("overlapping handles: %v", err)
	}
}

func TestHashMapPutOfExistingKeyDoesNotAllocate(t *testing.T) {
	b := NewHashMapBackend(all)
	m, err := NewKeyedMap[int64](b, "n", varintCodec{})
	if err != nil {
		t.Fatal(err)
	}
	key := []byte("some-key-longer-than-thirty-two-bytes-to-defeat-small-buffers")
	m.Put(5, key, 1)
	var v int64
	allocs := testing.AllocsPerRun(1000, func() {
		v++
		m.Put(5, key, v)
	})
	if allocs != 0 {
		t.Fatalf("Put of an existing key allocates %.1f times", allocs)
	}
	if got, _ := m.Get(5, key); got != v || m.Len() != 1 {
		t.Fatalf("got %d len %d", got, m.Len())
	}
}

// TestChangelogBackgroundMaterialization lets materialisations run
// concurrently with the operator's writes and with later checkpoints,
// some of which abort, and restores every checkpoint.
func TestChangelogBackgroundMaterialization(t *testing.T) {
	for _, c := range allConfigs() {
		if !c.cfg.Changelog {
			continue
		}
		c.cfg.ChangelogOptions = ChangelogOptions{MaterializeEvery: 2}
		t.Run(c.name, func(t *testing.T) {
			rng := rand.New(rand.NewSource(12))
			st := newStorage(t)
			b := newBackend(t, c, 0, all)
			ms := register(t, b)
			m := model{}
			mats := 0
			var last *Handle
			for id := int64(1); id <= 24; id++ {
				mutate(t, rng, ms, m, all, 2000, 400)
				h := snapshot(t, b, st, id, false)
				if last != nil && h.Files[0].Path != last.Files[0].Path {
					mats++
				}
				last = h
				if rng.Intn(4) != 0 {
					b.CheckpointComplete(id)
				}
				if id%4 == 0 {
					_, rs := restoreInto(t, c, st, 0, all, []*Handle{h})
					check(t, rs, m)
				}
			}
			if mats < 2 {
				t.Fatalf("only %d materialisations were taken", mats)
			}
		})
	}
}

// TestRestoredCheckpointsAreBuiltOnOnlyWithinTheSameJob restores a
// checkpoint of job A twice: as job A again (the next checkpoint may
// reuse A's shared files) and as job B (the next checkpoint must not
// reference anything of A, which is then deleted).
func TestRestoredCheckpointsAreBuiltOnOnlyWithinTheSameJob(t *testing.T) {
	for _, c := range allConfigs() {
		t.Run(c.name, func(t *testing.T) {
			rng := rand.New(rand.NewSource(13))
			st := newStorage(t)
			b := newBackend(t, c, 0, all)
			ms := register(t, b)
			m := model{}
			mutate(t, rng, ms, m, all, 3000, 6000)
			var h *Handle
			for id := int64(1); id <= 2; id++ {
				h = snapshotIn(t, b, st, "jobA", id)
				b.CheckpointComplete(id)
			}

			same, sms := restoreInto(t, c, st, 0, all, []*Handle{h})
			mutate(t, rng, sms, m.clone(), all, 3000, 10)
			hs := snapshotIn(t, same, st, "jobA", 3)
			if (c.cfg.Incremental || c.cfg.Changelog) && hs.IncrementalSize*2 > hs.Size {
				t.Errorf("restarted job A rewrote %d of %d bytes", hs.IncrementalSize, hs.Size)
			}

			other, oms := restoreInto(t, c, st, 0, all, []*Handle{h})
			mutate(t, rng, oms, m, all, 3000, 10)
			hb := snapshotIn(t, other, st, "jobB", 3)
			for p := range refs(hb) {
				if strings.HasPrefix(p, "jobA/") {
					t.Fatalf("job B's checkpoint references %s", p)
				}
			}
			b.Close()
			same.Close()
			if err := st.DeletePrefix("jobA"); err != nil {
				t.Fatal(err)
			}
			_, rs := restoreInto(t, c, st, 0, all, []*Handle{hb})
			check(t, rs, m)
		})
	}
}

// snapshotIn takes checkpoint id of b as job job.
func snapshotIn(t testing.TB, b Backend, st storage.Storage, job string, id int64) *Handle {
	t.Helper()
	h, err := b.Snapshot(SnapshotTarget{Storage: st, Dir: fmt.Sprintf("%s/chk-%d", job, id), SharedDir: job + "/shared", CheckpointID: id})
	if err != nil {
		t.Fatalf("snapshot %d: %v", id, err)
	}
	return h
}

func TestPebbleCloseRemovesItsWorkingDirectory(t *testing.T) {
	dir := t.TempDir()
	b, err := NewPebbleBackend(dir, "op/with/slashes", 3, all, PebbleOptions{})
	if err != nil {
		t.Fatal(err)
	}
	m, err := NewKeyedMap[string](b, "s", strCodec{})
	if err != nil {
		t.Fatal(err)
	}
	m.Put(1, []byte("k"), "v")
	if entries, _ := os.ReadDir(dir); len(entries) != 1 {
		t.Fatalf("working directories: %v", entries)
	}
	if err := b.Close(); err != nil {
		t.Fatal(err)
	}
	if err := b.Close(); err != nil {
		t.Fatalf("second Close: %v", err)
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 0 {
		t.Fatalf("left behind: %v", entries)
	}
}
