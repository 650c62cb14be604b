package expr

import (
	"math"
	"math/big"
	"math/bits"

	"github.com/streamsql/streamsql/types"
)

// MaxDecimalDigits is the largest DECIMAL precision: decimals are stored as
// an unscaled int64.
const MaxDecimalDigits = 18

var errOverflow = &EvalError{Msg: "numeric value out of range"}

func abs64(x int64) (uint64, bool) {
	if x < 0 {
		return uint64(-x), true
	}
	return uint64(x), false
}

// mulDivRound returns round_half_away(x*m/d) and false on overflow. d != 0.
func mulDivRound(x, m, d int64) (int64, bool) {
	ux, nx := abs64(x)
	um, nm := abs64(m)
	ud, nd := abs64(d)
	hi, lo := bits.Mul64(ux, um)
	if hi >= ud {
		return 0, false
	}
	q, r := bits.Div64(hi, lo, ud)
	if r >= ud-r {
		q++
	}
	if q > math.MaxInt64 {
		return 0, false
	}
	res := int64(q)
	if nx != nm != nd {
		res = -res
	}
	return res, true
}

// rescale changes the scale of an unscaled decimal, rounding half away from
// zero when the scale shrinks; false on overflow.
func rescale(u int64, from, to uint8) (int64, bool) {
	if from == to {
		return u, true
	}
	if to > from {
		d := int(to - from)
		if d > 18 {
			return 0, u == 0
		}
		hi, lo := bits.Mul64(absu(u), uint64(types.Pow10(uint8(d))))
		if hi != 0 || lo > math.MaxInt64 {
			return 0, false
		}
		if u < 0 {
			return -int64(lo), true
		}
		return int64(lo), true
	}
	if from-to > 18 {
		return 0, true
	}
	return types.Rescale(u, from, to), true
}

func absu(x int64) uint64 {
	if x < 0 {
		return uint64(-x)
	}
	return uint64(x)
}

func addChecked(a, b int64) (int64, bool) {
	c := a + b
	if (c > a) != (b > 0) {
		return 0, false
	}
	return c, true
}

func subChecked(a, b int64) (int64, bool) {
	c := a - b
	if (c < a) != (b > 0) {
		return 0, false
	}
	return c, true
}

func mulChecked(a, b int64) (int64, bool) {
	if a == 0 || b == 0 {
		return 0, true
	}
	c := a * b
	if (c < 0) != ((a < 0) != (b < 0)) || c/b != a {
		return 0, false
	}
	return c, true
}

// decOf returns a numeric value as (unscaled, scale); ints have scale 0.
func decOf(v types.Value) (int64, uint8) {
	if v.Kind() == types.KindDecimal {
		return v.Unscaled(), v.Scale()
	}
	return v.Int(), 0
}

// decDiv returns a/b at result scale rs, rounded; ok=false on overflow.
func decDiv(a int64, as uint8, b int64, bs uint8, rs uint8) (int64, bool) {
	e := int(bs) + int(rs) - int(as)
	if e >= 0 && e <= 18 {
		return mulDivRound(a, types.Pow10(uint8(e)), b)
	}
	// Rare: fall back to big arithmetic.
	num := big.NewInt(a)
	den := big.NewInt(b)
	p := new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(abs(e))), nil)
	if e >= 0 {
		num.Mul(num, p)
	} else {
		den.Mul(den, p)
	}
	q, r := new(big.Int).QuoRem(num, den, new(big.Int))
	r.Abs(r).Mul(r, big.NewInt(2))
	if r.Cmp(new(big.Int).Abs(den)) >= 0 {
		if (a < 0) != (b < 0) {
			q.Sub(q, big.NewInt(1))
		} else {
			q.Add(q, big.NewInt(1))
		}
	}
	if !q.IsInt64() {
		return 0, false
	}
	return q.Int64(), true
}

func abs(x int) int {
	if x < 0 {
		return -x
	}
	return x
}

// decimalDigits returns the integer digits a type needs when widened to DECIMAL.
func intDigits(t types.Type) int {
	switch t.Kind {
	case types.KindInt:
		switch t.Precision {
		case 8:
			return 3
		case 16:
			return 5
		case 32:
			return 10
		}
		return 19
	case types.KindDecimal:
		return int(t.Precision) - int(t.Scale)
	}
	return 0
}

func scaleOf(t types.Type) uint8 {
	if t.Kind == types.KindDecimal {
		return t.Scale
	}
	return 0
}

// decType returns DECIMAL(p, s) with p capped at MaxDecimalDigits (and at least s).
func decType(p, s int) types.Type {
	if s > MaxDecimalDigits {
		s = MaxDecimalDigits
	}
	if p > MaxDecimalDigits {
		p = MaxDecimalDigits
	}
	if p < s {
		p = s
	}
	if p < 1 {
		p = 1
	}
	return types.DecimalType(uint8(p), uint8(s))
}

// ParseDecimal parses a decimal literal like "-12.340" into (unscaled,
// scale). Leading zeros do not count as digits; fractional digits beyond
// MaxDecimalDigits total are rounded away. ok is false for malformed text or
// more than MaxDecimalDigits integer digits.
func ParseDecimal(s string) (unscaled int64, scale uint8, ok bool) {
	neg := false
	if len(s) > 0 && (s[0] == '+' || s[0] == '-') {
		neg = s[0] == '-'
		s = s[1:]
	}
	ip, fp := s, ""
	for i := 0; i < len(s); i++ {
		if s[i] == '.' {
			ip, fp = s[:i], s[i+1:]
			break
		}
	}
	if ip == "" && fp == "" {
		return 0, 0, false
	}
	for len(ip) > 1 && ip[0] == '0' {
		ip = ip[1:]
	}
	if ip == "0" {
		ip = ""
	}
	if len(ip) > MaxDecimalDigits {
		return 0, 0, false
	}
	roundUp := false
	if len(ip)+len(fp) > MaxDecimalDigits {
		keep := MaxDecimalDigits - len(ip)
		if fp[keep] < '0' || fp[keep] > '9' {
			return 0, 0, false
		}
		roundUp = fp[keep] >= '5'
		for _, c := range fp[keep:] {
			if c < '0' || c > '9' {
				return 0, 0, false
			}
		}
		fp = fp[:keep]
	}
	var u int64
	for _, part := range [2]string{ip, fp} {
		for i := 0; i < len(part); i++ {
			c := part[i]
			if c < '0' || c > '9' {
				return 0, 0, false
			}
			u = u*10 + int64(c-'0')
		}
	}
	if roundUp {
		u++
	}
	if neg {
		u = -u
	}
	return u, uint8(len(fp)), true
}
