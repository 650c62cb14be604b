package agg

import "math/bits"

// intSet is a set of int64 values: the integers of a presence set. It is an
// open-addressing table of 8-byte slots (linear probing from a Fibonacci
// hash), kept at most 3/4 full, so a value costs about 11-21 bytes,
// against 21-37 in a map[int64]struct{} (whose slots are padded to 16
// bytes), and a lookup usually reads one cache line. 0 marks an empty
// slot; the value 0 itself is held in zero. Values are never removed.
// The zero intSet is empty and ready to use.
type intSet struct {
	slots []int64 // len is 0 or a power of two
	n     int     // values in slots
	zero  bool    // 0 is in the set
	shift uint8   // 64 - log2(len(slots))
}

// fib is 2^64 divided by the golden ratio: multiplying by it spreads
// consecutive integers over the table.
const fib = 0x9E3779B97F4A7C15

func (s *intSet) len() int {
	if s.zero {
		return s.n + 1
	}
	return s.n
}

// has reports whether v is in the set.
func (s *intSet) has(v int64) bool {
	if v == 0 {
		return s.zero
	}
	if s.n == 0 {
		return false
	}
	_, found := s.slot(v)
	return found
}

// insert adds v and reports whether it was absent.
func (s *intSet) insert(v int64) bool {
	if v == 0 {
		added := !s.zero
		s.zero = true
		return added
	}
	if (s.n+1)*4 > len(s.slots)*3 {
		s.grow()
	}
	i, found := s.slot(v)
	if found {
		return false
	}
	s.slots[i] = v
	s.n++
	return true
}

// slot returns the index of v's slot (found) or of the empty slot where
// it would go. v is not 0 and the table has an empty slot.
func (s *intSet) slot(v int64) (i uint64, found bool) { return probe(s.slots, s.shift, v) }

// probe finds v in an open-addressing table of integers (0: empty) whose
// length is 1<<(64-shift): the index of v's slot (found) or of the empty
// slot where it would go. v is not 0 and the table has an empty slot.
func probe(slots []int64, shift uint8, v int64) (i uint64, found bool) {
	mask := uint64(len(slots) - 1)
	for i = (uint64(v) * fib) >> shift; ; i = (i + 1) & mask {
		switch slots[i] {
		case v:
			return i, true
		case 0:
			return i, false
		}
	}
}

// grow doubles the table (to 8 slots at first) and places every value
// again.
func (s *intSet) grow() {
	size := max(2*len(s.slots), 8)
	old := s.slots
	s.slots = make([]int64, size)
	s.shift = uint8(64 - bits.TrailingZeros(uint(size)))
	for _, v := range old {
		if v != 0 {
			i, _ := s.slot(v)
			s.slots[i] = v
		}
	}
}

// reserve makes room for n values without growing.
func (s *intSet) reserve(n int) {
	for n*4 > len(s.slots)*3 {
		s.grow()
	}
}

// each calls fn for every value, in no set order.
func (s *intSet) each(fn func(int64)) {
	if s.zero {
		fn(0)
	}
	for _, v := range s.slots {
		if v != 0 {
			fn(v)
		}
	}
}

// clone returns a copy of s.
func (s *intSet) clone() intSet {
	c := *s
	c.slots = append([]int64(nil), s.slots...)
	return c
}
