package types

import (
	"math"
	"strconv"
	"strings"
	"time"
)

// Value is one SQL value. The zero Value is NULL.
//
// Layout: k is the kind (KindNull for NULL), i holds the payload of every
// fixed-size kind (bool 0/1, int, unscaled decimal, timestamp ms, date days,
// interval ms, float64 bits), s holds strings. scale is the decimal scale.
type Value struct {
	k     Kind
	scale uint8
	i     int64
	s     string
}

// Constructors.
func NullValue() Value { return Value{} }
func BoolValue(b bool) Value {
	v := Value{k: KindBool}
	if b {
		v.i = 1
	}
	return v
}
func IntValue(i int64) Value        { return Value{k: KindInt, i: i} }
func DoubleValue(f float64) Value   { return Value{k: KindDouble, i: int64(math.Float64bits(f))} }
func StringValue(s string) Value    { return Value{k: KindString, s: s} }
func TimestampValue(ms int64) Value { return Value{k: KindTimestamp, i: ms} }
func DateValue(days int64) Value    { return Value{k: KindDate, i: days} }
func IntervalValue(ms int64) Value  { return Value{k: KindInterval, i: ms} }

// DecimalValue returns the decimal unscaled * 10^-scale.
func DecimalValue(unscaled int64, scale uint8) Value {
	return Value{k: KindDecimal, i: unscaled, scale: scale}
}

// Accessors. Each returns the payload of the matching kind; calling one on a
// value of another kind returns a meaningless result (callers check Kind).
func (v Value) Kind() Kind      { return v.k }
func (v Value) IsNull() bool    { return v.k == KindNull }
func (v Value) Bool() bool      { return v.i != 0 }
func (v Value) Int() int64      { return v.i }
func (v Value) Double() float64 { return math.Float64frombits(uint64(v.i)) }
func (v Value) Str() string     { return v.s }
func (v Value) Millis() int64   { return v.i }
func (v Value) Scale() uint8    { return v.scale }
func (v Value) Unscaled() int64 { return v.i }

// AsFloat converts any numeric value to float64 (decimal and int exactly as
// far as float64 allows). Non-numeric values give 0.
func (v Value) AsFloat() float64 {
	switch v.k {
	case KindInt, KindTimestamp, KindDate, KindInterval:
		return float64(v.i)
	case KindDouble:
		return v.Double()
	case KindDecimal:
		return float64(v.i) / pow10f(v.scale)
	case KindBool:
		return float64(v.i)
	}
	return 0
}

var pow10tab = [...]int64{1, 10, 100, 1000, 10000, 100000, 1000000, 10000000, 100000000,
	1000000000, 10000000000, 100000000000, 1000000000000, 10000000000000,
	100000000000000, 1000000000000000, 10000000000000000, 100000000000000000, 1000000000000000000}

// Pow10 returns 10^n for 0 <= n <= 18.
func Pow10(n uint8) int64 { return pow10tab[n] }

func pow10f(n uint8) float64 { return float64(pow10tab[n]) }

// Rescale returns a decimal's unscaled value at another scale (rounding half
// away from zero when the scale shrinks).
func Rescale(unscaled int64, from, to uint8) int64 {
	switch {
	case from == to:
		return unscaled
	case to > from:
		return unscaled * pow10tab[to-from]
	default:
		d := pow10tab[from-to]
		q, r := unscaled/d, unscaled%d
		if r*2 >= d {
			q++
		} else if r*2 <= -d {
			q--
		}
		return q
	}
}

// Compare orders two non-NULL values: -1, 0 or +1. Numeric kinds compare by
// value across kinds; other kinds compare within their kind. NULL sorts
// first. Values of unrelated kinds compare by kind.
func Compare(a, b Value) int {
	if a.k == KindNull || b.k == KindNull {
		switch {
		case a.k == b.k:
			return 0
		case a.k == KindNull:
			return -1
		default:
			return 1
		}
	}
	if a.k == b.k {
		switch a.k {
		case KindString:
			return strings.Compare(a.s, b.s)
		case KindDouble:
			return cmpFloat(a.Double(), b.Double())
		case KindDecimal:
			if a.scale == b.scale {
				return cmpInt(a.i, b.i)
			}
			s := a.scale
			if b.scale > s {
				s = b.scale
			}
			return cmpInt(Rescale(a.i, a.scale, s), Rescale(b.i, b.scale, s))
		default:
			return cmpInt(a.i, b.i)
		}
	}
	if isNum(a.k) && isNum(b.k) {
		if a.k != KindDouble && b.k != KindDouble {
			// int vs decimal: compare exactly.
			as, bs := a.scale, b.scale
			if a.k == KindInt {
				as = 0
			}
			if b.k == KindInt {
				bs = 0
			}
			s := as
			if bs > s {
				s = bs
			}
			return cmpInt(Rescale(a.i, as, s), Rescale(b.i, bs, s))
		}
		return cmpFloat(a.AsFloat(), b.AsFloat())
	}
	return cmpInt(int64(a.k), int64(b.k))
}

func isNum(k Kind) bool { return k == KindInt || k == KindDouble || k == KindDecimal }

func cmpInt(a, b int64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

func cmpFloat(a, b float64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// Equal reports whether two values are equal by Compare (NULL equals NULL
// here: this is grouping equality, not SQL three-valued equality).
func Equal(a, b Value) bool { return Compare(a, b) == 0 }

// AppendKey appends a compact, unambiguous binary encoding of v to buf. Two
// values of the same column encode equal bytes iff they are Equal; the
// encoding is used for grouping keys, key-group hashing and state keys.
// Decimals are normalised so that 1.50 and 1.5 encode alike.
func AppendKey(buf []byte, v Value) []byte {
	buf = append(buf, byte(v.k))
	switch v.k {
	case KindNull:
	case KindString:
		buf = strconv.AppendUint(buf, uint64(len(v.s)), 10)
		buf = append(buf, ':')
		buf = append(buf, v.s...)
	case KindDecimal:
		u, s := v.i, v.scale
		for s > 0 && u%10 == 0 {
			u /= 10
			s--
		}
		buf = append(buf, s)
		buf = appendU64(buf, uint64(u))
	default:
		buf = appendU64(buf, uint64(v.i))
	}
	return buf
}

func appendU64(buf []byte, u uint64) []byte {
	return append(buf, byte(u>>56), byte(u>>48), byte(u>>40), byte(u>>32),
		byte(u>>24), byte(u>>16), byte(u>>8), byte(u))
}

// HashValue returns a 64-bit FNV-1a hash of v's key encoding, without allocating.
func HashValue(h uint64, v Value) uint64 {
	const prime = 1099511628211
	h ^= uint64(v.k)
	h *= prime
	switch v.k {
	case KindNull:
	case KindString:
		for i := 0; i < len(v.s); i++ {
			h ^= uint64(v.s[i])
			h *= prime
		}
	case KindDecimal:
		u, s := v.i, v.scale
		for s > 0 && u%10 == 0 {
			u /= 10
			s--
		}
		h ^= uint64(s)
		h *= prime
		h = mix64(h, uint64(u))
	default:
		h = mix64(h, uint64(v.i))
	}
	return h
}

// HashSeed is the initial value for HashValue chains.
const HashSeed uint64 = 14695981039346656037

func mix64(h, u uint64) uint64 {
	const prime = 1099511628211
	for i := 0; i < 8; i++ {
		h ^= u & 0xff
		h *= prime
		u >>= 8
	}
	return h
}

// String renders v MySQL-style with default precision (timestamps with 3
// fractional digits). Use Render to honour a column's declared type.
func (v Value) String() string {
	t := Type{Kind: v.k, Scale: v.scale, Precision: 3}
	return Render(v, t)
}

// Render formats v as MySQL prints it for a column of type t: NULL as
// "NULL", TIMESTAMP(3) as "2020-10-10 00:00:05.000", DECIMAL with its scale,
// booleans as TRUE/FALSE, doubles in shortest form.
func Render(v Value, t Type) string {
	return string(AppendRender(nil, v, t))
}

// AppendRender is Render appending to buf.
func AppendRender(buf []byte, v Value, t Type) []byte {
	switch v.k {
	case KindNull:
		return append(buf, "NULL"...)
	case KindBool:
		if v.i != 0 {
			return append(buf, "TRUE"...)
		}
		return append(buf, "FALSE"...)
	case KindInt:
		return strconv.AppendInt(buf, v.i, 10)
	case KindDouble:
		f := v.Double()
		if math.IsInf(f, 0) || math.IsNaN(f) {
			return strconv.AppendFloat(buf, f, 'g', -1, 64)
		}
		return strconv.AppendFloat(buf, f, 'g', -1, 64)
	case KindDecimal:
		scale := v.scale
		u := v.i
		if t.Kind == KindDecimal && t.Scale != scale {
			u = Rescale(u, scale, t.Scale)
			scale = t.Scale
		}
		return AppendDecimal(buf, u, scale)
	case KindString:
		return append(buf, v.s...)
	case KindTimestamp:
		p := 3
		if t.Kind == KindTimestamp {
			p = int(t.Precision)
		}
		return AppendTimestamp(buf, v.i, p)
	case KindDate:
		return time.UnixMilli(v.i*86400000).UTC().AppendFormat(buf, "2006-01-02")
	case KindInterval:
		return AppendInterval(buf, v.i)
	}
	return buf
}

// AppendDecimal renders unscaled*10^-scale with exactly scale fractional digits.
func AppendDecimal(buf []byte, unscaled int64, scale uint8) []byte {
	neg := unscaled < 0
	u := uint64(unscaled)
	if neg {
		u = uint64(-unscaled)
		buf = append(buf, '-')
	}
	if scale == 0 {
		return strconv.AppendUint(buf, u, 10)
	}
	d := uint64(pow10tab[scale])
	buf = strconv.AppendUint(buf, u/d, 10)
	buf = append(buf, '.')
	frac := strconv.FormatUint(u%d, 10)
	for i := len(frac); i < int(scale); i++ {
		buf = append(buf, '0')
	}
	return append(buf, frac...)
}

// AppendTimestamp renders ms since epoch as "2006-01-02 15:04:05.000" (UTC)
// with p fractional digits (0..3).
func AppendTimestamp(buf []byte, ms int64, p int) []byte {
	buf = appendDateTime(buf, ms)
	if p > 0 {
		if p > 3 {
			p = 3
		}
		frac := ms % 1000
		if frac < 0 {
			frac += 1000
		}
		var tmp [3]byte
		tmp[0] = byte('0' + frac/100)
		tmp[1] = byte('0' + frac/10%10)
		tmp[2] = byte('0' + frac%10)
		buf = append(buf, '.')
		buf = append(buf, tmp[:p]...)
	}
	return buf
}

// appendDateTime appends "YYYY-MM-DD hh:mm:ss" of ms (UTC). Years 0-9999
// are written by hand (CivilFromDays and two-digit pairs: a sink writes a
// timestamp per row); others as time.Time formats them.
func appendDateTime(buf []byte, ms int64) []byte {
	days, rem := ms/msPerDay, ms%msPerDay
	if rem < 0 {
		days, rem = days-1, rem+msPerDay
	}
	y, m, d := CivilFromDays(days)
	if y < 0 || y > 9999 {
		return time.UnixMilli(ms).UTC().AppendFormat(buf, "2006-01-02 15:04:05")
	}
	secs := rem / 1000
	hh, mm, ss := secs/3600, secs/60%60, secs%60
	return append(buf,
		byte('0'+y/1000), byte('0'+y/100%10), byte('0'+y/10%10), byte('0'+y%10), '-',
		byte('0'+m/10), byte('0'+m%10), '-', byte('0'+d/10), byte('0'+d%10), ' ',
		byte('0'+hh/10), byte('0'+hh%10), ':', byte('0'+mm/10), byte('0'+mm%10), ':',
		byte('0'+ss/10), byte('0'+ss%10))
}

const msPerDay = 24 * 60 * 60 * 1000

// AppendInterval renders an interval in milliseconds as "+1 00:00:02.000"-like
// text: [-]D HH:MM:SS.mmm.
func AppendInterval(buf []byte, ms int64) []byte {
	u := uint64(ms)
	if ms < 0 {
		buf = append(buf, '-')
		u = uint64(-ms) // also right for MinInt64
	} else {
		buf = append(buf, '+')
	}
	days := u / 86400000
	rest := int64(u % 86400000)
	buf = strconv.AppendUint(buf, days, 10)
	buf = append(buf, ' ')
	t := time.UnixMilli(rest).UTC()
	buf = t.AppendFormat(buf, "15:04:05")
	buf = append(buf, '.')
	f := rest % 1000
	buf = append(buf, byte('0'+f/100), byte('0'+f/10%10), byte('0'+f%10))
	return buf
}
