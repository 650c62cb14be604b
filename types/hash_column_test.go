package types

import (
	"math"
	"math/rand"
	"testing"
)

// HashColumn, chained over key columns from HashSeed, gives each row the
// hash HashValue chained over the same columns gives, for values of every
// kind (NULLs, strings, decimals of any scale, negative and extreme
// numbers) and rows of any width.
func TestHashColumnMatchesHashValue(t *testing.T) {
	r := rand.New(rand.NewSource(3))
	gen := func() Value {
		switch r.Intn(10) {
		case 0:
			return NullValue()
		case 1:
			return StringValue([]string{"", "a", "key-17", "ünï"}[r.Intn(4)])
		case 2:
			return DecimalValue(r.Int63n(20000)-10000, uint8(r.Intn(4)))
		case 3:
			return DoubleValue(r.NormFloat64())
		case 4:
			return TimestampValue(r.Int63())
		case 5:
			return BoolValue(r.Intn(2) == 0)
		case 6:
			return IntValue([]int64{0, -1, math.MinInt64, math.MaxInt64}[r.Intn(4)])
		default:
			return IntValue(r.Int63n(2000) - 1000)
		}
	}
	for trial := 0; trial < 200; trial++ {
		w, n := 1+r.Intn(4), r.Intn(300)
		vals := make([]Value, n*w)
		for i := range vals {
			vals[i] = gen()
		}
		cols := r.Perm(w)[:1+r.Intn(w)]
		hs := make([]uint64, n)
		for i := range hs {
			hs[i] = HashSeed
		}
		for _, c := range cols {
			HashColumn(hs, vals, w, c)
		}
		for i := range hs {
			want := HashSeed
			for _, c := range cols {
				want = HashValue(want, vals[i*w+c])
			}
			if hs[i] != want {
				t.Fatalf("trial %d row %d (%v): HashColumn %x, HashValue %x", trial, i, vals[i*w:i*w+w], hs[i], want)
			}
		}
	}
}
