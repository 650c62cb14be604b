package storage

import (
	"hash/crc32"
	"math/rand"
	"os"
	"path/filepath"
	"testing"
)

// TestCombineChecksums: the CRC-32C of a ++ b derived from those of a and
// b is the one computed over a ++ b, for random splits of random data,
// empty parts included.
func TestCombineChecksums(t *testing.T) {
	rng := rand.New(rand.NewSource(7))
	data := make([]byte, 1<<16)
	rng.Read(data)
	for i := 0; i < 500; i++ {
		n := rng.Intn(len(data) + 1)
		if i < 4 {
			n = []int{0, 1, 2, 300}[i]
		}
		whole := data[:n]
		cut := rng.Intn(n + 1)
		a, b := whole[:cut], whole[cut:]
		got := combineChecksums(crc32.Checksum(a, castagnoli), crc32.Checksum(b, castagnoli), int64(len(b)))
		if want := crc32.Checksum(whole, castagnoli); got != want {
			t.Fatalf("%d bytes cut at %d: combined %08x, want %08x", n, cut, got, want)
		}
	}
}

// TestSealWritten: a file written as reserved header bytes and a payload,
// completed by SealWritten from the payload's checksum, is the file Seal
// returns, and Open accepts it.
func TestSealWritten(t *testing.T) {
	rng := rand.New(rand.NewSource(8))
	for _, n := range []int{0, 1, 1000, 100_000} {
		payload := make([]byte, n)
		rng.Read(payload)
		p := filepath.Join(t.TempDir(), "f")
		f, err := os.Create(p)
		if err != nil {
			t.Fatal(err)
		}
		crc := uint32(0)
		f.Write(make([]byte, HeaderSize))
		for rest := payload; len(rest) > 0; {
			k := min(len(rest), 1+rng.Intn(4096))
			f.Write(rest[:k])
			crc = UpdateChecksum(crc, rest[:k])
			rest = rest[k:]
		}
		if err := SealWritten(f, Header(KindState, 1, int64(n)), crc); err != nil {
			t.Fatal(err)
		}
		f.Close()
		got, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		if want := Seal(KindState, 1, payload); string(got) != string(want) {
			t.Fatalf("%d bytes: the file differs from Seal's", n)
		}
		if _, _, err := Open(p, got, KindState, 1); err != nil {
			t.Fatal(err)
		}
	}
}
