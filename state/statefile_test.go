package state

import (
	"bytes"
	"math/rand"
	"testing"
)

func TestStateFileRoundTripAndKeyGroupSelection(t *testing.T) {
	kgs := KeyGroupRange{Start: 4, End: 12}
	w := newStateFileWriter(tagChangelog, kgs, 0)
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
	w := newStateFileWriter(tagFull, all, 0)
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
