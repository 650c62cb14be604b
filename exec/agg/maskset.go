package agg

import "math/bits"

// maskSet is the table that the presence sets of several DISTINCT calls of
// one group share (see shareGroups): each integer value with a mask of
// the calls that saw it, one bit per call. COUNT(DISTINCT bidder) and
// COUNT(DISTINCT CASE WHEN price < 10000 THEN bidder END) mostly see the
// same values, so one table holds them once (8 bytes and a mask byte per
// slot, where separate sets hold a value in each), and the second call's
// lookup finds the slot the first one just read. Laid out as intSet (open
// addressing, linear probing from a Fibonacci hash, at most 3/4 full, 0
// marks an empty slot and the value 0 keeps its mask in zero); values are
// never removed. The zero maskSet is empty and ready to use.
type maskSet struct {
	keys  []int64 // len is 0 or a power of two
	masks []uint8 // the calls that saw keys[i]
	n     int     // values in keys
	zero  uint8   // the calls that saw 0
	shift uint8   // 64 - log2(len(keys))
}

// set marks v as seen by the call of bit and reports whether it was not.
func (s *maskSet) set(v int64, bit uint8) bool {
	if v == 0 {
		added := s.zero&bit == 0
		s.zero |= bit
		return added
	}
	if (s.n+1)*4 > len(s.keys)*3 {
		s.grow()
	}
	i, found := probe(s.keys, s.shift, v)
	if !found {
		s.keys[i] = v
		s.n++
	}
	if s.masks[i]&bit != 0 {
		return false
	}
	s.masks[i] |= bit
	return true
}

// has reports whether the call of bit saw v.
func (s *maskSet) has(v int64, bit uint8) bool {
	if v == 0 {
		return s.zero&bit != 0
	}
	if s.n == 0 {
		return false
	}
	i, found := probe(s.keys, s.shift, v)
	return found && s.masks[i]&bit != 0
}

// grow doubles the table (to 8 slots at first) and places every value
// and its mask again.
func (s *maskSet) grow() {
	size := max(2*len(s.keys), 8)
	keys, masks := s.keys, s.masks
	s.keys, s.masks = make([]int64, size), make([]uint8, size)
	s.shift = uint8(64 - bits.TrailingZeros(uint(size)))
	for j, v := range keys {
		if v != 0 {
			i, _ := probe(s.keys, s.shift, v)
			s.keys[i], s.masks[i] = v, masks[j]
		}
	}
}

// each calls fn for every value the call of bit saw, in no set order.
func (s *maskSet) each(bit uint8, fn func(int64)) {
	if s.zero&bit != 0 {
		fn(0)
	}
	for i, v := range s.keys {
		if v != 0 && s.masks[i]&bit != 0 {
			fn(v)
		}
	}
}
