package storage

// combineChecksums returns the CRC-32C of a ++ b from crcA (of a), crcB
// (of b) and len(b) = lenB, without reading either: the CRC of a followed
// by lenB zero bytes, derived by applying the "shift by one zero bit"
// operator (a 32×32 matrix over GF(2)) lenB·8 times through repeated
// squaring, then xored with crcB (the CRC's initial and final inversions
// cancel in the sum, as for any CRC of this form).
func combineChecksums(crcA, crcB uint32, lenB int64) uint32 {
	if lenB <= 0 {
		return crcA
	}
	// shift holds the operator for one zero bit: bit 0 of the (reflected)
	// register shifts out into the polynomial, every other bit moves down.
	var shift, sq [32]uint32
	shift[0] = 0x82F63B78 // Castagnoli, reflected
	for i := 1; i < 32; i++ {
		shift[i] = 1 << (i - 1)
	}
	square(&sq, &shift) // two zero bits
	square(&shift, &sq) // four
	// One zero byte is eight bits: square once more before the loop's
	// first use, and keep squaring as lenB's bits are consumed.
	op, next := &sq, &shift
	square(op, next) // eight: one zero byte
	for {
		if lenB&1 != 0 {
			crcA = times(op, crcA)
		}
		lenB >>= 1
		if lenB == 0 {
			break
		}
		square(next, op)
		op, next = next, op
	}
	return crcA ^ crcB
}

// times returns the matrix m applied to the vector v over GF(2).
func times(m *[32]uint32, v uint32) uint32 {
	var sum uint32
	for i := 0; v != 0; i, v = i+1, v>>1 {
		if v&1 != 0 {
			sum ^= m[i]
		}
	}
	return sum
}

// square sets dst to m·m.
func square(dst, m *[32]uint32) {
	for i := range dst {
		dst[i] = times(m, m[i])
	}
}
