package state

import (
	"bytes"
	"fmt"
	"math/rand"
	"testing"

	"github.com/streamsql/streamsql/checkpoint/storage"
)

// TestFileBuffersReused writes a series of state files of varying sizes
// through one fileBuffers, in memory and spilled, and checks that every
// stored file equals the same file written with a buffer of its own, that
// the buffer of a file is reused by the next one, and that no buffer past
// the spill threshold is kept.
func TestFileBuffersReused(t *testing.T) {
	t.Setenv("TMPDIR", t.TempDir())
	withSpillThreshold(t, 8<<10)
	kgs := KeyGroupRange{Start: 0, End: 16}
	write := func(bufs *fileBuffers, seed int64, entries, valLen int) *sealedFile {
		rng := rand.New(rand.NewSource(seed))
		w := newStateFileWriterIn(bufs, tagChangelog, kgs, 0, "")
		w.beginState("s")
		for kg := 0; kg < 16; kg++ {
			w.beginGroup(kg)
			for i := 0; i < entries; i++ {
				key := fmt.Sprintf("k%d-%d", kg, i)
				if rng.Intn(5) == 0 {
					w.delStr(key)
					continue
				}
				w.putStr(key, bytes.Repeat([]byte{byte(rng.Intn(256))}, rng.Intn(valLen+1)))
			}
		}
		f, err := w.sealed(storage.KindChangelog)
		if err != nil {
			t.Fatal(err)
		}
		return f
	}
	var bufs fileBuffers
	sizes := []struct{ entries, valLen int }{{2, 10}, {40, 300}, {1, 5}, {10, 100}, {3, 20000}, {2, 10}, {30, 200}}
	for i, sz := range sizes {
		seed := int64(100 + i)
		got := stored(t, write(&bufs, seed, sz.entries, sz.valLen))
		want := stored(t, write(nil, seed, sz.entries, sz.valLen))
		if !bytes.Equal(got, want) {
			t.Fatalf("file %d (%d entries of up to %d bytes per group) differs when written with a reused buffer", i, sz.entries, sz.valLen)
		}
		if c := cap(bufs.spare); c > spillThreshold+64<<10 {
			t.Fatalf("file %d: a buffer of %d bytes kept, past the spill threshold %d", i, c, spillThreshold)
		}
	}
	if bufs.spare == nil {
		t.Fatal("no buffer kept for the next file")
	}
	spare := &bufs.spare[:1][0]
	f := write(&bufs, 7, 2, 10) // small: stays in memory, in the spare buffer
	if f.spill != nil || &f.data[0] != spare {
		t.Fatalf("a small file did not reuse the kept buffer (spilled %v)", f.spill != nil)
	}
	if bufs.spare != nil {
		t.Fatal("the buffer of a file not yet stored is still offered")
	}
	stored(t, f)
	if bufs.spare == nil || &bufs.spare[:1][0] != spare {
		t.Fatal("the buffer of a stored file was not given back")
	}
	if err := f.store(storage.NewMemory(), "again"); err == nil {
		t.Fatal("a state file whose buffer was given back was stored a second time")
	}
}

// TestStateFileBufferGrowsToLimit: a file written without a size hint
// grows its buffer only up to growLimit and then spills, in chunks of
// that buffer, instead of copying itself into ever larger buffers; the
// file is the same as one written into a buffer sized for it.
func TestStateFileBufferGrowsToLimit(t *testing.T) {
	t.Setenv("TMPDIR", t.TempDir())
	// a threshold above the file, which a size hint keeps in memory
	defer func(old int) { spillThreshold = old }(spillThreshold)
	spillThreshold = 32 << 20
	kgs := KeyGroupRange{Start: 0, End: 4}
	val := bytes.Repeat([]byte("v"), 1000)
	write := func(bufs *fileBuffers, hint int) *sealedFile {
		w := newStateFileWriterIn(bufs, tagFull, kgs, hint, "")
		w.beginState("s")
		for kg := 0; kg < 4; kg++ {
			w.beginGroup(kg)
			for i := 0; i < 1500; i++ { // about 1.5 MB a group, 6 MB in all
				w.putStr(fmt.Sprintf("k%d", i), val)
			}
		}
		f, err := w.sealed(storage.KindState)
		if err != nil {
			t.Fatal(err)
		}
		return f
	}
	var bufs fileBuffers
	f := write(&bufs, 0)
	if f.spill == nil {
		t.Fatal("a file past growLimit without a size hint stayed in memory")
	}
	if c := cap(bufs.spare); c == 0 || c > growLimit {
		t.Fatalf("buffer of %d bytes kept, want at most growLimit %d", c, growLimit)
	}
	got := stored(t, f)
	sized := write(nil, 8<<20)
	if sized.spill != nil {
		t.Fatal("a 6 MB file with a size hint of 8 MB spilled")
	}
	if want := stored(t, sized); !bytes.Equal(got, want) {
		t.Fatal("the spilled file differs from the one kept in memory")
	}
}
