package agg

import (
	"math/big"
	"math/bits"

	"github.com/streamsql/streamsql/types"
)

// DivRound returns (sum * 10^-from) / n as an unscaled value at scale to,
// rounded half away from zero. n must be positive. Exact: it uses 128-bit
// intermediates (and big integers when those do not suffice); a quotient
// beyond int64 wraps.
func DivRound(sum int64, from, to uint8, n int64) int64 {
	if n <= 0 {
		return 0
	}
	neg := sum < 0
	us := uint64(sum)
	if neg {
		us = uint64(-sum) // also right for MinInt64
	}
	un := uint64(n)
	var hi, lo uint64
	if to >= from {
		k := to - from
		if k > 18 {
			return divRoundBig(sum, from, to, n)
		}
		hi, lo = bits.Mul64(us, uint64(types.Pow10(k)))
	} else {
		k := from - to
		if k > 18 {
			return divRoundBig(sum, from, to, n)
		}
		dh, dl := bits.Mul64(un, uint64(types.Pow10(k)))
		if dh != 0 {
			return divRoundBig(sum, from, to, n)
		}
		un = dl
		hi, lo = 0, us
	}
	if hi >= un {
		return divRoundBig(sum, from, to, n)
	}
	q, r := bits.Div64(hi, lo, un)
	if r >= un-r {
		q++
	}
	if neg {
		return -int64(q)
	}
	return int64(q)
}

func divRoundBig(sum int64, from, to uint8, n int64) int64 {
	num := big.NewInt(sum)
	den := big.NewInt(n)
	ten := big.NewInt(10)
	if to >= from {
		num.Mul(num, new(big.Int).Exp(ten, big.NewInt(int64(to-from)), nil))
	} else {
		den.Mul(den, new(big.Int).Exp(ten, big.NewInt(int64(from-to)), nil))
	}
	neg := num.Sign() < 0
	num.Abs(num)
	q, r := new(big.Int).QuoRem(num, den, new(big.Int))
	r.Lsh(r, 1)
	if r.Cmp(den) >= 0 {
		q.Add(q, big.NewInt(1))
	}
	if neg {
		q.Neg(q)
	}
	return q.Int64()
}
