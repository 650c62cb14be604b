package agg

import (
	"math"
	"math/big"
	"math/bits"

	"github.com/streamsql/streamsql/expr"
	"github.com/streamsql/streamsql/types"
)

// DivRound returns (sum * 10^-from) / n as an unscaled value at scale to,
// rounded half away from zero. n must be positive. Exact: it uses 128-bit
// intermediates (and big integers when those do not suffice); a quotient
// beyond int64 wraps (divRoundWide reports it instead).
func DivRound(sum int64, from, to uint8, n int64) int64 {
	q, _ := divRoundWide(sum, 0, from, to, n)
	return q
}

// divRoundWide is DivRound of the 128-bit sum carry·2⁶⁴ + sum; ok is
// false when the quotient does not fit an int64 (q is then wrapped).
func divRoundWide(sum, carry int64, from, to uint8, n int64) (q int64, ok bool) {
	if n <= 0 {
		return 0, true
	}
	if carry != 0 {
		return divRoundBig(wideBig(sum, carry), from, to, n)
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
			return divRoundBig(big.NewInt(sum), from, to, n)
		}
		hi, lo = bits.Mul64(us, uint64(types.Pow10(k)))
	} else {
		k := from - to
		if k > 18 {
			return divRoundBig(big.NewInt(sum), from, to, n)
		}
		dh, dl := bits.Mul64(un, uint64(types.Pow10(k)))
		if dh != 0 {
			return divRoundBig(big.NewInt(sum), from, to, n)
		}
		un = dl
		hi, lo = 0, us
	}
	if hi >= un {
		return divRoundBig(big.NewInt(sum), from, to, n)
	}
	uq, r := bits.Div64(hi, lo, un)
	if r >= un-r {
		uq++
	}
	if neg {
		return -int64(uq), uq <= 1<<63
	}
	return int64(uq), uq <= math.MaxInt64
}

func divRoundBig(num *big.Int, from, to uint8, n int64) (int64, bool) {
	num = new(big.Int).Set(num)
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
	return q.Int64(), q.IsInt64()
}

// wideBig returns carry·2⁶⁴ + sum.
func wideBig(sum, carry int64) *big.Int {
	w := big.NewInt(carry)
	w.Lsh(w, 64)
	return w.Add(w, big.NewInt(sum))
}

// wideFloat returns carry·2⁶⁴ + sum as a double.
func wideFloat(sum, carry int64) float64 {
	return float64(carry)*(1<<64) + float64(sum)
}

// wideText renders carry·2⁶⁴ + sum, unscaled at scale, as a decimal.
func wideText(sum, carry int64, scale uint8) string {
	r := new(big.Rat).SetFrac(wideBig(sum, carry), new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(scale)), nil))
	return r.FloatString(int(scale))
}

// wideQuotient renders (carry·2⁶⁴ + sum, unscaled at scale) / n with four
// more decimals, for messages.
func wideQuotient(sum, carry int64, scale uint8, n int64) string {
	den := new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(scale)), nil)
	den.Mul(den, big.NewInt(n))
	return new(big.Rat).SetFrac(wideBig(sum, carry), den).FloatString(int(scale) + 4)
}

// rescaleChecked is types.Rescale that reports an overflow when scaling
// up (scaling down cannot overflow).
func rescaleChecked(u int64, from, to uint8) (int64, bool) {
	if to <= from {
		return types.Rescale(u, from, to), true
	}
	if to-from > 18 {
		return 0, u == 0
	}
	m := types.Pow10(to - from)
	hi, lo := bits.Mul64(uint64(absInt(u)), uint64(m))
	if hi != 0 || lo > math.MaxInt64 {
		return 0, false
	}
	return u * m, true
}

func absInt(u int64) int64 {
	if u < 0 {
		return -u
	}
	return u
}

// fitsDigits reports whether the unscaled value u has at most
// expr.MaxDecimalDigits digits, the precision of every DECIMAL.
func fitsDigits(u int64) bool {
	lim := types.Pow10(expr.MaxDecimalDigits)
	return u > -lim && u < lim
}
