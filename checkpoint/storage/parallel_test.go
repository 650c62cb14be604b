package storage

import (
	"bytes"
	"errors"
	"hash/crc32"
	"math/rand"
	"os"
	"path/filepath"
	"testing"
)

// withParallelBytes lowers parallelBytes for the test.
func withParallelBytes(t *testing.T, n int) {
	old := parallelBytes
	parallelBytes = n
	t.Cleanup(func() { parallelBytes = old })
}

// TestParallelChecksumAndRead: a large envelope's checksum computed in
// pieces is the CRC-32C of the whole, a large local file read in pieces
// is the file, and a damaged large envelope is still refused.
func TestParallelChecksumAndRead(t *testing.T) {
	withParallelBytes(t, 1024)
	rng := rand.New(rand.NewSource(9))
	dir := t.TempDir()
	l, err := NewLocal(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, n := range []int{0, 1, 511, 1024, 1025, 4096, 100_003} {
		data := make([]byte, n)
		rng.Read(data)
		if got, want := checksum(data), crc32.Checksum(data, castagnoli); got != want {
			t.Fatalf("%d bytes: checksum %08x, want %08x", n, got, want)
		}
		file := Seal(KindState, 1, data)
		if err := l.Put("f", file); err != nil {
			t.Fatal(err)
		}
		got, err := l.Get("f")
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got, file) {
			t.Fatalf("%d bytes: read %d bytes that differ from the file", n, len(got))
		}
		if payload, _, err := Open("f", got, KindState, 1); err != nil || !bytes.Equal(payload, data) {
			t.Fatalf("%d bytes: open: %v", n, err)
		}
		if n > 0 {
			got[headerSize+rng.Intn(n)] ^= 0x10
			if _, _, err := Open("f", got, KindState, 1); err == nil {
				t.Fatalf("%d bytes: a damaged file opened", n)
			}
		}
	}
	if _, err := readFile(filepath.Join(dir, "missing")); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("reading a missing file: %v", err)
	}
}
