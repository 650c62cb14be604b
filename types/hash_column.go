package types

// HashColumn folds column col of the rows in vals (rows of width w, one
// per element of hs) into hs: hs[i] = HashValue(hs[i], vals[i*w+col]).
// Started from HashSeed and called for each key column in order, it gives
// per row what HashValue chained over the row's key columns gives, in one
// tight pass per column: values of a fixed-size kind (the common key) are
// hashed inline, with the byte loop unrolled, so that the multiplications
// of neighbouring rows overlap.
func HashColumn(hs []uint64, vals []Value, w, col int) {
	const prime = 1099511628211
	if len(hs) == 0 {
		return
	}
	_ = vals[(len(hs)-1)*w+col] // one bounds check for the pass
	for r := range hs {
		v := &vals[r*w+col]
		switch v.k {
		case KindNull, KindString, KindDecimal:
			hs[r] = HashValue(hs[r], *v)
			continue
		}
		h := (hs[r] ^ uint64(v.k)) * prime
		u := uint64(v.i)
		h = (h ^ u&0xff) * prime
		h = (h ^ u>>8&0xff) * prime
		h = (h ^ u>>16&0xff) * prime
		h = (h ^ u>>24&0xff) * prime
		h = (h ^ u>>32&0xff) * prime
		h = (h ^ u>>40&0xff) * prime
		h = (h ^ u>>48&0xff) * prime
		h = (h ^ u>>56) * prime
		hs[r] = h
	}
}
