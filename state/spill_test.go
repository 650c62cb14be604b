package state

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"math/rand"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/streamsql/streamsql/checkpoint/storage"
)

// withSpillThreshold lowers spillThreshold for the test.
func withSpillThreshold(t *testing.T, n int) {
	old := spillThreshold
	spillThreshold = n
	t.Cleanup(func() { spillThreshold = old })
}

// spillLeftovers lists the spill files under dir.
func spillLeftovers(t *testing.T, dir string) []string {
	t.Helper()
	var out []string
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			if errors.Is(err, fs.ErrNotExist) {
				return nil
			}
			return err
		}
		if strings.HasPrefix(d.Name(), "streamsql-statefile-") {
			out = append(out, p)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// stored stores f in a fresh storage and returns the stored bytes; it
// checks the size f announced and that a spilled file is gone.
func stored(t *testing.T, f *sealedFile) []byte {
	t.Helper()
	local := ""
	if f.spill != nil {
		local = f.spill.f.Name()
	}
	st := storage.NewMemory()
	if err := f.store(st, "x"); err != nil {
		t.Fatal(err)
	}
	data, err := st.Get("x")
	if err != nil {
		t.Fatal(err)
	}
	if int64(len(data)) != f.size {
		t.Fatalf("stored %d bytes, the file announced %d", len(data), f.size)
	}
	if local != "" {
		if _, err := os.Stat(local); !errors.Is(err, fs.ErrNotExist) {
			t.Fatalf("the spill file %s is still there: %v", local, err)
		}
	}
	return data
}

// TestSpilledStateFileIsTheSame writes random state files (full files and
// changelog segments with deletions) in memory and spilled at several
// thresholds, down to a flush after every entry: the stored files must be
// the same, byte for byte, and open as valid envelopes.
func TestSpilledStateFileIsTheSame(t *testing.T) {
	t.Setenv("TMPDIR", t.TempDir())
	for _, tag := range []string{tagFull, tagChangelog} {
		for seed := int64(1); seed <= 3; seed++ {
			write := func(threshold int) *sealedFile {
				withSpillThreshold(t, threshold)
				rng := rand.New(rand.NewSource(seed))
				w := newStateFileWriter(tag, KeyGroupRange{Start: 3, End: 60}, 0, "")
				for s := 0; s < 1+rng.Intn(4); s++ {
					w.beginState(fmt.Sprintf("state-%d", rng.Intn(1000)))
					for kg := 3; kg < 60; kg += 1 + rng.Intn(5) {
						w.beginGroup(kg)
						for i := rng.Intn(40); i > 0; i-- {
							key := make([]byte, rng.Intn(30))
							rng.Read(key)
							switch {
							case tag == tagChangelog && rng.Intn(4) == 0:
								w.del(key)
							case tag == tagChangelog && rng.Intn(4) == 0:
								w.delStr(string(key))
							case rng.Intn(2) == 0:
								w.putStr(string(key), bytes.Repeat([]byte{byte(i)}, rng.Intn(300)))
							default:
								w.put(key, bytes.Repeat([]byte{byte(kg)}, rng.Intn(300)))
							}
						}
					}
				}
				kind := storage.KindState
				if tag == tagChangelog {
					kind = storage.KindChangelog
				}
				f, err := w.sealed(kind)
				if err != nil {
					t.Fatal(err)
				}
				return f
			}
			mem := write(1 << 30)
			if mem.spill != nil {
				t.Fatal("a small file spilled")
			}
			want := stored(t, mem)
			kind := storage.KindState
			if tag == tagChangelog {
				kind = storage.KindChangelog
			}
			payload, _, err := storage.Open("x", want, kind, stateFileVersion)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := parseStateFile("x", payload, tag); err != nil {
				t.Fatal(err)
			}
			for _, th := range []int{1, 100, 4096, len(want) / 2} {
				f := write(th)
				if f.spill == nil {
					t.Fatalf("%s seed %d: a file of %d bytes did not spill at %d", tag, seed, len(want), th)
				}
				if got := stored(t, f); !bytes.Equal(got, want) {
					t.Fatalf("%s seed %d threshold %d: the spilled file differs from the one written in memory (%d vs %d bytes)", tag, seed, th, len(got), len(want))
				}
			}
		}
	}
	if left := spillLeftovers(t, os.Getenv("TMPDIR")); len(left) > 0 {
		t.Fatalf("spill files left behind: %v", left)
	}
}

// TestBackendsSpillTheSameFiles compares each backend's files written in
// memory with the same files spilled: full files of both backends, deltas
// of the incremental memory backend and changelog segments.
func TestBackendsSpillTheSameFiles(t *testing.T) {
	tmp := t.TempDir()
	t.Setenv("TMPDIR", tmp)
	var spilled atomic.Int64 // spilled files stored through spillCountingStorage
	both := func(t *testing.T, write func() (*sealedFile, error)) {
		t.Helper()
		withSpillThreshold(t, 1<<30)
		f, err := write()
		if err != nil {
			t.Fatal(err)
		}
		if f == nil || f.spill != nil {
			t.Fatalf("in memory: %+v", f)
		}
		want := stored(t, f)
		withSpillThreshold(t, 2048)
		spills := spilled.Load()
		f, err = write()
		if err != nil {
			t.Fatal(err)
		}
		if f.spill == nil && spilled.Load() == spills {
			t.Fatalf("a file of %d bytes did not spill", len(want))
		}
		if got := stored(t, f); !bytes.Equal(got, want) {
			i := 0
			for i < len(got) && i < len(want) && got[i] == want[i] {
				i++
			}
			t.Fatalf("the spilled file differs from the one written in memory (%d vs %d bytes) at %d", len(got), len(want), i)
		}
	}
	t.Run("hashmap full and delta", func(t *testing.T) {
		c := heapIncrConfig(HashMapOptions{})
		rng := rand.New(rand.NewSource(31))
		b := newBackend(t, c, 0, all)
		ms := register(t, b)
		m := model{}
		mutate(t, rng, ms, m, all, 3000, 6000)
		hb := b.(*HashMapBackend)
		both(t, func() (*sealedFile, error) { return hb.fullFile(false) })
		snapshot(t, b, newStorage(t), 1, false)
		b.CheckpointComplete(1)
		mutate(t, rng, ms, m, all, 3000, 1500)
		both(t, func() (*sealedFile, error) { data, _, err := hb.deltaFile(1, false, false); return data, err })
	})
	t.Run("pebble full", func(t *testing.T) {
		c := backendConfig{"pebble", Config{Backend: "pebble"}}
		rng := rand.New(rand.NewSource(32))
		b := newBackend(t, c, 0, all)
		ms := register(t, b)
		mutate(t, rng, ms, model{}, all, 3000, 6000)
		pb := b.(*PebbleBackend)
		if err := pb.commitWrites(); err != nil {
			t.Fatal(err)
		}
		both(t, func() (*sealedFile, error) { return pb.fullFile(pb.db, pb.catalogCopy()) })
		if left := spillLeftovers(t, pb.workDir); len(left) > 0 {
			t.Fatalf("spill files left behind: %v", left)
		}
	})
	t.Run("changelog segment", func(t *testing.T) {
		c := backendConfig{"hashmap+changelog", Config{Backend: "hashmap", Changelog: true}}
		rng := rand.New(rand.NewSource(33))
		b := newBackend(t, c, 0, all)
		ms := register(t, b)
		mutate(t, rng, ms, model{}, all, 3000, 6000)
		cb := b.(*ChangelogBackend)
		st := spillCountingStorage{newStorage(t), &spilled}
		id := int64(0)
		both(t, func() (*sealedFile, error) {
			id++
			tg := SnapshotTarget{Storage: st, Dir: "job/chk", SharedDir: "job/shared", CheckpointID: id}
			ref, err := cb.writeSegment(tg, 0)
			if err != nil || ref == nil {
				return nil, fmt.Errorf("no segment: %v", err)
			}
			data, err := st.Get(ref.Path)
			if err != nil {
				return nil, err
			}
			if int64(len(data)) != ref.Size {
				return nil, fmt.Errorf("%s: %d bytes, the reference says %d", ref.Path, len(data), ref.Size)
			}
			return &sealedFile{data: data, size: ref.Size}, nil
		})
	})
	if left := spillLeftovers(t, tmp); len(left) > 0 {
		t.Fatalf("spill files left behind: %v", left)
	}
}

// spillCountingStorage counts the spilled state files stored through it.
type spillCountingStorage struct {
	storage.Storage
	n *atomic.Int64
}

func (s spillCountingStorage) PutFile(p, local string) error {
	if strings.HasPrefix(filepath.Base(local), "streamsql-statefile-") {
		s.n.Add(1)
	}
	return s.Storage.PutFile(p, local)
}

// TestConformanceWithSpilledStateFiles runs the checkpoint and restore
// tests of every backend with a threshold of a few hundred bytes, so that
// every state file they write spills.
func TestConformanceWithSpilledStateFiles(t *testing.T) {
	tmp := t.TempDir()
	t.Setenv("TMPDIR", tmp)
	withSpillThreshold(t, 512)
	var n atomic.Int64
	storageWrapper = func(s storage.Storage) storage.Storage { return spillCountingStorage{s, &n} }
	t.Cleanup(func() { storageWrapper = nil })
	for _, tc := range []struct {
		name string
		fn   func(*testing.T)
	}{
		{"SnapshotRestore", TestConformanceSnapshotRestore},
		{"Rescale", TestConformanceRescale},
		{"SavepointsMoveBetweenBackends", TestSavepointsMoveBetweenBackends},
		{"DamagedFilesAreNamed", TestDamagedFilesAreNamed},
		{"AbortedCheckpointFilesAreNotReused", TestAbortedCheckpointFilesAreNotReused},
		{"UnregisteredStateIsCarriedOver", TestUnregisteredStateIsCarriedOver},
		{"RestoredValuesThatDoNotDecode", TestRestoredValuesThatDoNotDecode},
		{"ChangelogBackgroundMaterialization", TestChangelogBackgroundMaterialization},
		{"RestoredCheckpointsAreBuiltOnOnlyWithinTheSameJob", TestRestoredCheckpointsAreBuiltOnOnlyWithinTheSameJob},
		{"HeapIncrementalWritesOnlyChanges", TestHeapIncrementalWritesOnlyChanges},
		{"HeapIncrementalChainBounds", TestHeapIncrementalChainBounds},
		{"HeapIncrementalRetention", TestHeapIncrementalRetention},
		{"HeapIncrementalWholeChangesWriteFullBases", TestHeapIncrementalWholeChangesWriteFullBases},
	} {
		before := n.Load()
		t.Run(tc.name, tc.fn)
		// DamagedFilesAreNamed makes its own storage, and
		// RestoredValuesThatDoNotDecode holds less than the threshold
		if n.Load() == before && tc.name != "DamagedFilesAreNamed" && tc.name != "RestoredValuesThatDoNotDecode" {
			t.Errorf("%s stored no spilled state file", tc.name)
		}
	}
	if left := spillLeftovers(t, tmp); len(left) > 0 {
		t.Fatalf("spill files left behind: %v", left)
	}
}

// failingPutFile is storage whose PutFile fails (leaving the local file).
type failingPutFile struct{ storage.Storage }

func (failingPutFile) PutFile(p, local string) error {
	return fmt.Errorf("upload of %s refused", p)
}

// TestSpillFailures: a snapshot whose spilled file cannot be stored, or
// cannot be written at all, fails with an error saying so and leaves no
// spill file behind, on every backend.
func TestSpillFailures(t *testing.T) {
	withSpillThreshold(t, 512)
	for _, c := range allConfigs() {
		t.Run(c.name+"/put", func(t *testing.T) {
			tmp := t.TempDir()
			t.Setenv("TMPDIR", tmp)
			b := newBackend(t, c, 0, all)
			ms := register(t, b)
			mutate(t, rand.New(rand.NewSource(41)), ms, model{}, all, 2000, 4000)
			tg := SnapshotTarget{Storage: failingPutFile{newStorage(t)}, Dir: "job/chk-1", SharedDir: "job/shared", CheckpointID: 1}
			_, err := b.Snapshot(tg)
			if err == nil || !strings.Contains(err.Error(), "refused") {
				t.Fatalf("snapshot: %v, want the upload's error", err)
			}
			if left := spillLeftovers(t, tmp); len(left) > 0 {
				t.Fatalf("spill files left behind: %v", left)
			}
			if pb, ok := b.(*PebbleBackend); ok {
				if left := spillLeftovers(t, pb.workDir); len(left) > 0 {
					t.Fatalf("spill files left behind: %v", left)
				}
			}
		})
		if c.cfg.Backend == "pebble" && !c.cfg.Changelog {
			continue // it spills to its working directory, not TMPDIR
		}
		t.Run(c.name+"/no temporary directory", func(t *testing.T) {
			t.Setenv("TMPDIR", t.TempDir())
			tmp := filepath.Join(t.TempDir(), "missing")
			b := newBackend(t, c, 0, all)
			ms := register(t, b)
			rng := rand.New(rand.NewSource(42))
			m := model{}
			mutate(t, rng, ms, m, all, 2000, 4000)
			st := newStorage(t)
			snapshot(t, b, st, 1, false)
			b.CheckpointComplete(1)
			objs1, err := st.List("")
			if err != nil {
				t.Fatal(err)
			}
			mutate(t, rng, ms, m, all, 2000, 4000)
			t.Setenv("TMPDIR", tmp)
			tg := SnapshotTarget{Storage: st, Dir: "job/chk-2", SharedDir: "job/shared", CheckpointID: 2}
			_, err = b.Snapshot(tg)
			if err == nil || !strings.Contains(err.Error(), "spilling a state file") || !strings.Contains(err.Error(), tmp) {
				t.Fatalf("snapshot: %v, want an error about spilling to %s", err, tmp)
			}
			if objs, err := st.List(""); err != nil || len(objs) != len(objs1) {
				t.Fatalf("storage holds %v (%v) after a failed snapshot, %v before it", objs, err, objs1)
			}
		})
	}
}

// TestSpillWriteFailure: a write to the spill file that fails (as on a
// full disk) makes the store fail with the error and removes the file;
// so does discarding the sealed file instead of storing it.
func TestSpillWriteFailure(t *testing.T) {
	tmp := t.TempDir()
	withSpillThreshold(t, 64)
	// The spill file is open for reading only: every write to it fails.
	var name string
	create := createSpillFile
	createSpillFile = func(dir string) (*os.File, error) {
		f, err := create(dir)
		if err != nil {
			return nil, err
		}
		name = f.Name()
		f.Close()
		return os.Open(name)
	}
	t.Cleanup(func() { createSpillFile = create })
	for _, store := range []bool{true, false} {
		w := newStateFileWriter(tagFull, all, 0, tmp)
		w.beginState("s")
		w.beginGroup(1)
		for i := 0; i < 10; i++ {
			w.put([]byte("key"), bytes.Repeat([]byte("v"), 100))
		}
		if w.spill == nil {
			t.Fatal("the writer did not spill")
		}
		f, err := w.sealed(storage.KindState)
		if err != nil {
			t.Fatalf("sealed: %v; the write's error belongs to the store", err)
		}
		if store {
			err = f.store(storage.NewMemory(), "x")
			if err == nil || !strings.Contains(err.Error(), "spilling a state file to "+name) {
				t.Fatalf("store: %v; want the write's error", err)
			}
		} else {
			f.discard()
		}
		if left := spillLeftovers(t, tmp); len(left) > 0 {
			t.Fatalf("spill files left behind: %v", left)
		}
	}
}
