package state

import (
	"bytes"
	"os"
	"testing"
)

// TestSpillerWritesChunksInOrder: the chunks handed to a spiller reach its
// file in order and whole, through at most spillBuffers buffers, each
// handed back empty and at least as large as the chunk before.
func TestSpillerWritesChunksInOrder(t *testing.T) {
	f, err := createSpillFile(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	s := startSpiller(f)
	var want []byte
	seen := map[*byte]bool{}
	buf := make([]byte, 0, 1024)
	for i := 0; i < 200; i++ {
		buf = append(buf, bytes.Repeat([]byte{byte(i)}, 1+i%1000)...)
		want = append(want, buf...)
		seen[&buf[:1][0]] = true
		c := cap(buf)
		buf = s.write(buf)
		if len(buf) != 0 || cap(buf) < c {
			t.Fatalf("chunk %d: got back a buffer of length %d, capacity %d (want 0, >= %d)", i, len(buf), cap(buf), c)
		}
	}
	s.close()
	bufs, err := s.wait()
	if err != nil {
		t.Fatal(err)
	}
	if len(seen) > spillBuffers {
		t.Fatalf("%d buffers used, want at most %d", len(seen), spillBuffers)
	}
	if len(bufs) == 0 {
		t.Fatal("the spiller handed back none of its buffers")
	}
	got, err := os.ReadFile(f.Name())
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Fatalf("the file holds %d bytes that differ from the %d written", len(got), len(want))
	}
	s.remove()
	if _, err := os.Stat(f.Name()); !os.IsNotExist(err) {
		t.Fatalf("the file is still there: %v", err)
	}
}
