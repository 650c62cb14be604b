package operators

import (
	"hash/maphash"
	"math/bits"
)

// keyFilter is a Bloom filter of state keys (a store's cache keys, key
// group then key): a key it was never given is reported absent; a key it
// was given is always reported present, and another one with a small
// probability (about 1% while it holds at most the number of keys it was
// sized for).
type keyFilter struct {
	bits []uint64
	mask uint64 // number of bits - 1 (a power of two)
	n    int    // keys added
	max  int    // keys it was sized for
}

// filterSeed hashes the keys of every filter of the process.
var filterSeed = maphash.MakeSeed()

// filterBitsPerKey and filterProbes give about 1% false positives.
const (
	filterBitsPerKey = 10
	filterProbes     = 6
)

// newKeyFilter returns an empty filter sized for n keys.
func newKeyFilter(n int) *keyFilter {
	n = max(n, 1024)
	nbits := uint64(1) << bits.Len64(uint64(n*filterBitsPerKey-1))
	return &keyFilter{bits: make([]uint64, nbits/64), mask: nbits - 1, max: n}
}

func keyHash(key []byte) uint64 { return maphash.Bytes(filterSeed, key) }

func keyHashString(key string) uint64 { return maphash.String(filterSeed, key) }

// add records the key whose keyHash is h.
func (f *keyFilter) add(h uint64) {
	h2 := h>>32 | 1
	for i := 0; i < filterProbes; i++ {
		b := h & f.mask
		f.bits[b/64] |= 1 << (b % 64)
		h += h2
	}
	f.n++
}

// has reports whether the key whose keyHash is h may have been added.
func (f *keyFilter) has(h uint64) bool {
	h2 := h>>32 | 1
	for i := 0; i < filterProbes; i++ {
		b := h & f.mask
		if f.bits[b/64]&(1<<(b%64)) == 0 {
			return false
		}
		h += h2
	}
	return true
}

// full reports whether the filter holds as many keys as it was sized for.
func (f *keyFilter) full() bool { return f.n >= f.max }
