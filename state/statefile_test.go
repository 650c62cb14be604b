package state

import (
	"bytes"
	"errors"
	"math/rand"
	"testing"

	"github.com/streamsql/streamsql/checkpoint/storage"
)

func TestStateFileRoundTripAndKeyGroupSelection(t *testing.T) {
	kgs := KeyGroupRange{Start: 4, End: 12}
	w := newStateFileWriter(tagChangelog, kgs, 0, "")
	w.beginState("b")
	w.beginGroup(5)
	w.put([]byte("k1"), []byte("v1"))
	w.del([]byte("k2"))
	w.beginGroup(9)
	w.put([]byte("k3"), nil)
	w.beginState("a")
	w.beginGroup(11)
	w.put([]byte("k4"), []byte("v4"))
	f, err := parseStateFile("x", w.finish(), tagChangelog)
	if err != nil {
		t.Fatal(err)
	}
	if f.kgs != kgs || len(f.states) != 2 || f.states[0].name != "a" {
		t.Fatalf("parsed %+v", f)
	}
	var got []string
	err = f.each(KeyGroupRange{Start: 5, End: 10}, func(state string, kg int, key, val []byte, del bool) error {
		got = append(got, state+"/"+string(key)+"="+string(val)+map[bool]string{true: "(del)"}[del])
		return nil
	})
	want := []string{"b/k1=v1", "b/k2=(del)", "b/k3="}
	if err != nil || len(got) != len(want) {
		t.Fatalf("got %v, %v", got, err)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("got %v, want %v", got, want)
		}
	}
	if _, err := parseStateFile("x", w.buf, tagFull); err == nil {
		t.Fatal("a changelog segment must not parse as a full snapshot")
	}
}

// TestStateFileDamageNeverPanics mutates a valid payload at random (past
// the envelope's checksum, as a bug or a crafted file would): parsing and
// reading must return errors, never panic.
func TestStateFileDamageNeverPanics(t *testing.T) {
	w := newStateFileWriter(tagFull, all, 0, "")
	for s := 0; s < 3; s++ {
		w.beginState(string(rune('a' + s)))
		for kg := 0; kg < 20; kg += 3 {
			w.beginGroup(kg)
			for i := 0; i < 5; i++ {
				w.put([]byte{byte(i), byte(kg)}, bytes.Repeat([]byte{byte(s)}, i))
			}
		}
	}
	good := w.finish()
	rng := rand.New(rand.NewSource(11))
	for i := 0; i < 20000; i++ {
		bad := append([]byte(nil), good...)
		switch rng.Intn(3) {
		case 0:
			bad[rng.Intn(len(bad))] = byte(rng.Intn(256))
		case 1:
			bad = bad[:rng.Intn(len(bad))]
		default:
			for j := 0; j < 4; j++ {
				bad[rng.Intn(len(bad))] ^= 1 << rng.Intn(8)
			}
		}
		f, err := parseStateFile("x", bad, tagFull)
		if err != nil {
			continue
		}
		_ = f.each(all, func(string, int, []byte, []byte, bool) error { return nil })
	}
	x := &pebbleIndex{kgs: all, states: []indexState{{"s", 1, 3}}, files: []indexFile{{"000004.sst", FileRef{"job/shared/x", 10, true}, 7}}}
	enc := x.encode()
	for i := 0; i < 5000; i++ {
		bad := append([]byte(nil), enc...)
		bad[rng.Intn(len(bad))] = byte(rng.Intn(256))
		if rng.Intn(2) == 0 {
			bad = bad[:rng.Intn(len(bad))]
		}
		decodePebbleIndex("x", bad)
	}
}

// stateFileSeed is a stored state file a backend wrote, for the fuzz
// target: which reader reads it (see stateFileReaders) and its bytes.
type stateFileSeed struct {
	which uint8
	data  []byte
}

// Readers FuzzStateFile drives, by its `which` argument.
const (
	readFullFile uint8 = iota
	readChangelogSegment
	readPebbleIndexFile
	numStateFileReaders
)

// stateFileSeeds takes real checkpoints with the hashmap backend (a full
// snapshot), the hashmap backend in changelog mode (a changelog segment)
// and the incremental Pebble backend (an index), and returns the files.
func stateFileSeeds(t testing.TB) []stateFileSeed {
	var seeds []stateFileSeed
	for _, c := range []struct {
		cfg   backendConfig
		which uint8
	}{
		{backendConfig{"hashmap", Config{Backend: "hashmap"}}, readFullFile},
		{backendConfig{"hashmap+changelog", Config{Backend: "hashmap", Changelog: true}}, readChangelogSegment},
		{backendConfig{"pebble-incremental", Config{Backend: "pebble", Incremental: true}}, readPebbleIndexFile},
	} {
		rng := rand.New(rand.NewSource(5))
		st := storage.NewMemory()
		cfg := c.cfg.cfg
		cfg.LocalDir = t.TempDir()
		b, err := cfg.NewBackend("op", 0, all)
		if err != nil {
			t.Fatal(err)
		}
		ms := register(t, b)
		m := model{}
		mutate(t, rng, ms, m, all, 200, 300)
		h := snapshot(t, b, st, 1, false)
		b.CheckpointComplete(1)
		mutate(t, rng, ms, m, all, 200, 50)
		h2 := snapshot(t, b, st, 2, false)
		ref := h.Files[0]
		if c.which == readChangelogSegment {
			if len(h2.Changelog) == 0 {
				t.Fatalf("%s: the second checkpoint has no changelog segment", c.cfg.name)
			}
			ref = h2.Changelog[len(h2.Changelog)-1]
		}
		data, err := st.Get(ref.Path)
		if err != nil {
			t.Fatal(err)
		}
		// Closed now, not at the end of the test: a fuzzing worker runs
		// for the whole fuzzing time, and a live database's background
		// work would compete with it.
		if err := b.Close(); err != nil {
			t.Fatal(err)
		}
		seeds = append(seeds, stateFileSeed{c.which, data})
	}
	return seeds
}

// FuzzStateFile feeds damaged bytes to the readers of stored state files
// (a full snapshot, a changelog segment, a Pebble checkpoint index): as
// the whole stored file, and as the payload of an intact envelope (what a
// writer bug would produce). Seeds are files the backends wrote. No input
// may panic; a file whose envelope is damaged must be refused, with a
// *storage.CorruptError naming it, by the reader that restores it and by
// VerifyHandle; the streamed check (storage.Check) must agree with the
// in-memory one (storage.Open).
func FuzzStateFile(f *testing.F) {
	for _, s := range stateFileSeeds(f) {
		f.Add(s.data, s.which, false)
		f.Add(s.data[:len(s.data)-1], s.which, false)
		payload, _, err := storage.Open("seed", s.data, s.data[4], stateFileVersion)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(payload, s.which, true)
	}
	f.Fuzz(checkStateFileInput)
}

// checkStateFileInput is FuzzStateFile's body.
func checkStateFileInput(t *testing.T, data []byte, which uint8, sealPayload bool) {
	{
		which %= numStateFileReaders
		kind, version := storage.KindState, uint16(stateFileVersion)
		if which == readChangelogSegment {
			kind, version = storage.KindChangelog, changelogVersion
		}
		if sealPayload {
			data = storage.Seal(kind, stateFileVersion, data)
		}
		st := storage.NewMemory()
		const p = "job/chk-1/op-0.state"
		if err := st.Put(p, data); err != nil {
			t.Fatal(err)
		}
		ref := FileRef{Path: p, Size: int64(len(data))}
		_, _, openErr := storage.Open(p, data, kind, version)
		checkErr := storage.Check(st, p, ref.Size, kind, version)
		if (openErr == nil) != (checkErr == nil) {
			t.Fatalf("storage.Open says %v, storage.Check says %v", openErr, checkErr)
		}
		refused := func(what string, err error) {
			t.Helper()
			var ce *storage.CorruptError
			if openErr != nil && (!errors.As(err, &ce) || ce.Path != p) {
				t.Fatalf("%s of a damaged file (%v) gave %v, want a *storage.CorruptError naming %s", what, openErr, err, p)
			}
		}
		var h *Handle
		switch which {
		case readFullFile, readChangelogSegment:
			sf, err := readStateFile(st, ref, kind)
			refused("readStateFile", err)
			if err == nil {
				_ = sf.eachChange(all, func(string, int, []byte, []byte, changeKind) error { return nil })
			}
			h = &Handle{Format: FormatFull, KeyGroups: all, Files: []FileRef{ref}}
			if which == readChangelogSegment {
				h.Files, h.Changelog = nil, []FileRef{ref}
			}
		case readPebbleIndexFile:
			h = &Handle{Format: FormatPebbleSST, KeyGroups: all, Files: []FileRef{ref}}
			_, err := readPebbleIndex(st, h)
			refused("readPebbleIndex", err)
		}
		refused("VerifyHandle", VerifyHandle(st, h, nil))
	}
}
