package format

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"strconv"

	"github.com/streamsql/streamsql/types"
)

// parseScalar parses text as a non-string value of type t. Surrounding
// spaces are ignored; empty text is NULL.
func parseScalar(b []byte, t types.Type) (types.Value, error) {
	b = trimSpace(b)
	if len(b) == 0 {
		return types.Value{}, nil
	}
	switch t.Kind {
	case types.KindBool:
		v, err := ParseBool(b)
		return types.BoolValue(v), err
	case types.KindInt:
		v, err := ParseInt(b, t)
		return types.IntValue(v), err
	case types.KindDouble:
		v, err := ParseDouble(b)
		return types.DoubleValue(v), err
	case types.KindDecimal:
		v, err := ParseDecimal(b, t.Precision, t.Scale)
		return types.DecimalValue(v, t.Scale), err
	case types.KindTimestamp:
		v, err := ParseTimestamp(b)
		return types.TimestampValue(v), err
	case types.KindDate:
		v, err := ParseDate(b)
		return types.DateValue(v), err
	case types.KindInterval:
		v, err := ParseInterval(b)
		return types.IntervalValue(v), err
	case types.KindString:
		return types.StringValue(string(b)), nil
	}
	return types.Value{}, fmt.Errorf("cannot read a value of type %s", t)
}

// scalarParser is parseScalar with what speeds up a decoder's common
// cases: the date, hour and minute of the last timestamp.
type scalarParser struct{ dates dateCache }

func (p *scalarParser) parse(b []byte, t types.Type) (types.Value, error) {
	if t.Kind == types.KindTimestamp {
		if ms, ok := parseTimestampFast(b, &p.dates); ok {
			return types.TimestampValue(ms), nil
		}
	}
	return parseScalar(b, t)
}

func invalid(what string, b []byte) error {
	if len(b) > 64 {
		return fmt.Errorf("invalid %s %q...", what, b[:64])
	}
	return fmt.Errorf("invalid %s %q", what, b)
}

func trimSpace(b []byte) []byte {
	for len(b) > 0 && isSpace(b[0]) {
		b = b[1:]
	}
	for len(b) > 0 && isSpace(b[len(b)-1]) {
		b = b[:len(b)-1]
	}
	return b
}

func isSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\r' || c == '\n' }

// ParseBool parses true/false (any case) or 1/0.
func ParseBool(b []byte) (bool, error) {
	switch len(b) {
	case 1:
		switch b[0] {
		case '1':
			return true, nil
		case '0':
			return false, nil
		}
	case 4:
		if lowerEq(b, "true") {
			return true, nil
		}
	case 5:
		if lowerEq(b, "false") {
			return false, nil
		}
	}
	return false, invalid("BOOLEAN", b)
}

func lowerEq(b []byte, s string) bool {
	if len(b) != len(s) {
		return false
	}
	for i := range b {
		c := b[i]
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		if c != s[i] {
			return false
		}
	}
	return true
}

// parseInt64 parses an optionally signed decimal integer.
func parseInt64(b []byte) (int64, bool) {
	if len(b) == 0 {
		return 0, false
	}
	neg := false
	switch b[0] {
	case '-':
		neg = true
		b = b[1:]
	case '+':
		b = b[1:]
	}
	if len(b) == 0 {
		return 0, false
	}
	var u uint64
	for _, c := range b {
		d := c - '0'
		if d > 9 {
			return 0, false
		}
		if u > (math.MaxUint64-uint64(d))/10 {
			return 0, false
		}
		u = u*10 + uint64(d)
	}
	if neg {
		if u > 1<<63 {
			return 0, false
		}
		return -int64(u), true
	}
	if u > math.MaxInt64 {
		return 0, false
	}
	return int64(u), true
}

func isInteger(b []byte) bool {
	if len(b) > 0 && (b[0] == '-' || b[0] == '+') {
		b = b[1:]
	}
	if len(b) == 0 {
		return false
	}
	for _, c := range b {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}

// ParseInt parses an integer of the width of t (TINYINT .. BIGINT).
func ParseInt(b []byte, t types.Type) (int64, error) {
	v, ok := parseInt64(b)
	if !ok {
		if isInteger(b) {
			return 0, fmt.Errorf("%s out of range: %s", t.Nullable(), b)
		}
		return 0, invalid(t.Nullable().String(), b)
	}
	if bits := t.Precision; bits > 0 && bits < 64 {
		lim := int64(1) << (bits - 1)
		if v < -lim || v >= lim {
			return 0, fmt.Errorf("%s out of range: %s", t.Nullable(), b)
		}
	}
	return v, nil
}

// ParseDouble parses a floating-point number.
func ParseDouble(b []byte) (float64, error) {
	f, err := strconv.ParseFloat(string(b), 64)
	if err != nil {
		var ne *strconv.NumError
		if errors.As(err, &ne) && ne.Err == strconv.ErrRange {
			return 0, fmt.Errorf("DOUBLE out of range: %s", b)
		}
		return 0, invalid("DOUBLE", b)
	}
	return f, nil
}

var (
	errDecimalRange  = errors.New("out of range")
	errDecimalSyntax = errors.New("syntax")
)

// ParseDecimal parses decimal text ([+-]digits[.digits][e[+-]digits])
// exactly into an unscaled value of the given scale, rounding half away
// from zero; a result of more than precision digits (18 when precision is
// 0 or larger than 18) is an error.
func ParseDecimal(b []byte, precision, scale uint8) (int64, error) {
	u, err := parseDecimal(b, precision, scale)
	if err == errDecimalRange {
		return 0, fmt.Errorf("%s out of range: %s", types.DecimalType(precision, scale), b)
	}
	if err != nil {
		return 0, invalid(types.DecimalType(precision, scale).String(), b)
	}
	return u, nil
}

func parseDecimal(b []byte, precision, scale uint8) (int64, error) {
	if scale > 18 {
		return 0, errDecimalRange
	}
	i := 0
	neg := false
	if i < len(b) && (b[i] == '-' || b[i] == '+') {
		neg = b[i] == '-'
		i++
	}
	intStart := i
	for i < len(b) && b[i] >= '0' && b[i] <= '9' {
		i++
	}
	intPart := b[intStart:i]
	var fracPart []byte
	if i < len(b) && b[i] == '.' {
		i++
		fs := i
		for i < len(b) && b[i] >= '0' && b[i] <= '9' {
			i++
		}
		fracPart = b[fs:i]
	}
	if len(intPart) == 0 && len(fracPart) == 0 {
		return 0, errDecimalSyntax
	}
	exp := 0
	if i < len(b) && (b[i] == 'e' || b[i] == 'E') {
		i++
		es := i
		if i < len(b) && (b[i] == '-' || b[i] == '+') {
			i++
		}
		ds := i
		for i < len(b) && b[i] >= '0' && b[i] <= '9' {
			i++
		}
		if i == ds {
			return 0, errDecimalSyntax
		}
		e, ok := parseInt64(b[es:i])
		if !ok || e > 1000 || e < -1000 {
			// absurd exponents: zero if all digits are zero, else overflow/underflow
			if !ok || e > 0 {
				if allZero(intPart) && allZero(fracPart) {
					return 0, nil
				}
				return 0, errDecimalRange
			}
			return 0, nil
		}
		exp = int(e)
	}
	if i != len(b) {
		return 0, errDecimalSyntax
	}
	// Digit p of intPart||fracPart has weight 10^(keep-1-p) in the unscaled
	// result; digits at p >= keep are dropped, digit p == keep rounds.
	keep := len(intPart) + exp + int(scale)
	n := len(intPart) + len(fracPart)
	var acc uint64
	const limit = uint64(math.MaxInt64)
	roundUp := false
	for p := 0; p < n; p++ {
		var c byte
		if p < len(intPart) {
			c = intPart[p]
		} else {
			c = fracPart[p-len(intPart)]
		}
		d := uint64(c - '0')
		if p < keep {
			if acc > (limit-d)/10 {
				return 0, errDecimalRange
			}
			acc = acc*10 + d
		} else {
			if p == keep {
				roundUp = d >= 5
			}
			break
		}
	}
	for p := n; p < keep; p++ {
		if acc > limit/10 {
			return 0, errDecimalRange
		}
		acc *= 10
	}
	if roundUp {
		acc++
	}
	prec := precision
	if prec == 0 || prec > 18 {
		prec = 18
	}
	if acc >= uint64(types.Pow10(prec)) {
		return 0, errDecimalRange
	}
	if neg {
		return -int64(acc), nil
	}
	return int64(acc), nil
}

func allZero(b []byte) bool {
	for _, c := range b {
		if c != '0' {
			return false
		}
	}
	return true
}

// readNum reads between min and max decimal digits at b[*pos:].
func readNum(b []byte, pos *int, min, max int) (int64, bool) {
	i := *pos
	var v int64
	for i < len(b) && i-*pos < max && b[i] >= '0' && b[i] <= '9' {
		v = v*10 + int64(b[i]-'0')
		i++
	}
	if i-*pos < min {
		return 0, false
	}
	*pos = i
	return v, true
}

// DaysFromCivil returns the days since 1970-01-01 of a proleptic Gregorian date.
func DaysFromCivil(y, m, d int64) int64 {
	if m <= 2 {
		y--
	}
	era := y
	if era < 0 {
		era -= 399
	}
	era /= 400
	yoe := y - era*400
	mp := (m + 9) % 12
	doy := (153*mp+2)/5 + d - 1
	doe := yoe*365 + yoe/4 - yoe/100 + doy
	return era*146097 + doe - 719468
}

func daysIn(y, m int64) int64 {
	switch m {
	case 2:
		if y%4 == 0 && (y%100 != 0 || y%400 == 0) {
			return 29
		}
		return 28
	case 4, 6, 9, 11:
		return 30
	}
	return 31
}

// parseDatePart reads YYYY-MM-DD at b[*pos:] and returns days since the epoch.
func parseDatePart(b []byte, pos *int) (int64, bool) {
	y, ok := readNum(b, pos, 4, 4)
	if !ok || *pos >= len(b) || b[*pos] != '-' {
		return 0, false
	}
	*pos++
	m, ok := readNum(b, pos, 1, 2)
	if !ok || *pos >= len(b) || b[*pos] != '-' || m < 1 || m > 12 {
		return 0, false
	}
	*pos++
	d, ok := readNum(b, pos, 1, 2)
	if !ok || d < 1 || d > daysIn(y, m) {
		return 0, false
	}
	return DaysFromCivil(y, m, d), true
}

const tsHelp = " (expected 'YYYY-MM-DD HH:MM:SS[.fff]' or epoch milliseconds)"

// ParseTimestamp parses 'YYYY-MM-DD[( |T)HH:MM[:SS[.fff]]][Z|(+|-)HH[:MM]]'
// (UTC unless an offset is given) or an integer of epoch milliseconds, and
// returns milliseconds since the epoch.
func ParseTimestamp(b []byte) (int64, error) {
	if ms, ok := parseTimestampFast(b, nil); ok {
		return ms, nil
	}
	return parseTimestampGeneral(b)
}

// parseTimestampFast parses the canonical form 'YYYY-MM-DD HH:MM:SS[.f]'
// (1 to 9 fraction digits; 'T' or 't' may separate date and time; a
// trailing 'Z' or 'z' is allowed) with every field of exactly its full
// width. ok is false for any other text, which parseTimestampGeneral then
// accepts or rejects; when ok is true the result is the one
// parseTimestampGeneral returns for b. dates, when not nil, remembers the
// last date, hour and minute.
func parseTimestampFast(b []byte, dates *dateCache) (ms int64, ok bool) {
	if len(b) < 19 {
		return 0, false
	}
	_ = b[18]
	if dates != nil && dates.valid && binary.LittleEndian.Uint64(b) == dates.text0 && binary.LittleEndian.Uint64(b[8:]) == dates.text1 {
		ms = dates.ms
	} else {
		if b[13] != ':' {
			return 0, false
		}
		if c := b[10]; c != ' ' && c != 'T' && c != 't' {
			return 0, false
		}
		days, ok := parseDateFast(b[:10])
		if !ok {
			return 0, false
		}
		h0, h1, i0, i1 := b[11]-'0', b[12]-'0', b[14]-'0', b[15]-'0'
		if h0 > 9 || h1 > 9 || i0 > 9 || i1 > 9 {
			return 0, false
		}
		h := int64(h0)*10 + int64(h1)
		mi := int64(i0)*10 + int64(i1)
		if h > 23 || mi > 59 {
			return 0, false
		}
		ms = days*86400000 + h*3600000 + mi*60000
		if dates != nil {
			dates.text0, dates.text1, dates.ms, dates.valid = binary.LittleEndian.Uint64(b), binary.LittleEndian.Uint64(b[8:]), ms, true
		}
	}
	s0, s1 := b[17]-'0', b[18]-'0'
	if b[16] != ':' || s0 > 9 || s1 > 9 {
		return 0, false
	}
	s := int64(s0)*10 + int64(s1)
	if s > 59 {
		return 0, false
	}
	ms += s * 1000
	pos := 19
	if pos < len(b) && b[pos] == '.' {
		pos++
		start := pos
		var frac int64
		for pos < len(b) && b[pos]-'0' <= 9 {
			if pos-start < 3 {
				frac = frac*10 + int64(b[pos]-'0')
			}
			pos++
		}
		n := pos - start
		if n == 0 || n > 9 {
			return 0, false
		}
		for ; n < 3; n++ {
			frac *= 10
		}
		ms += frac
	}
	if pos < len(b) && (b[pos] == 'Z' || b[pos] == 'z') {
		pos++
	}
	if pos != len(b) {
		return 0, false
	}
	return ms, true
}

// dateCache remembers the 'YYYY-MM-DD HH:MM' text that starts the last
// timestamp parseTimestampFast accepted, and its milliseconds since the
// epoch: the timestamps of a stream mostly share their date, hour and
// minute with the previous one.
type dateCache struct {
	text0 uint64 // the first 8 bytes of the text, little-endian
	text1 uint64 // the next 8
	ms    int64
	valid bool
}

// parseDateFast parses exactly 'YYYY-MM-DD' (10 bytes) into days since
// the epoch; ok is false for any other text.
func parseDateFast(b []byte) (days int64, ok bool) {
	if len(b) != 10 || b[4] != '-' || b[7] != '-' {
		return 0, false
	}
	y0, y1, y2, y3 := b[0]-'0', b[1]-'0', b[2]-'0', b[3]-'0'
	m0, m1, d0, d1 := b[5]-'0', b[6]-'0', b[8]-'0', b[9]-'0'
	if y0 > 9 || y1 > 9 || y2 > 9 || y3 > 9 || m0 > 9 || m1 > 9 || d0 > 9 || d1 > 9 {
		return 0, false
	}
	y := int64(y0)*1000 + int64(y1)*100 + int64(y2)*10 + int64(y3)
	m := int64(m0)*10 + int64(m1)
	d := int64(d0)*10 + int64(d1)
	if m < 1 || m > 12 || d < 1 || d > daysIn(y, m) {
		return 0, false
	}
	return DaysFromCivil(y, m, d), true
}

// parseTimestampGeneral is ParseTimestamp for every accepted form.
func parseTimestampGeneral(b []byte) (int64, error) {
	if isInteger(b) {
		v, ok := parseInt64(b)
		if !ok {
			return 0, fmt.Errorf("TIMESTAMP out of range: %s", b)
		}
		return v, nil
	}
	pos := 0
	days, ok := parseDatePart(b, &pos)
	if !ok {
		return 0, fmt.Errorf("%v%s", invalid("TIMESTAMP", b), tsHelp)
	}
	ms := days * 86400000
	if pos == len(b) {
		return ms, nil
	}
	if c := b[pos]; c != ' ' && c != 'T' && c != 't' {
		return 0, fmt.Errorf("%v%s", invalid("TIMESTAMP", b), tsHelp)
	}
	pos++
	var h, mi, s, frac int64
	h, ok = readNum(b, &pos, 1, 2)
	if ok && pos < len(b) && b[pos] == ':' {
		pos++
		mi, ok = readNum(b, &pos, 1, 2)
	} else {
		ok = false
	}
	if ok && pos < len(b) && b[pos] == ':' {
		pos++
		s, ok = readNum(b, &pos, 1, 2)
		if ok && pos < len(b) && b[pos] == '.' {
			pos++
			start := pos
			for pos < len(b) && b[pos] >= '0' && b[pos] <= '9' {
				if pos-start < 3 {
					frac = frac*10 + int64(b[pos]-'0')
				}
				pos++
			}
			n := pos - start
			if n == 0 || n > 9 {
				ok = false
			}
			for ; n < 3; n++ {
				frac *= 10
			}
		}
	}
	if !ok || h > 23 || mi > 59 || s > 59 {
		return 0, fmt.Errorf("%v%s", invalid("TIMESTAMP", b), tsHelp)
	}
	ms += h*3600000 + mi*60000 + s*1000 + frac
	if pos < len(b) {
		switch b[pos] {
		case 'Z', 'z':
			pos++
		case '+', '-':
			sign := int64(1)
			if b[pos] == '-' {
				sign = -1
			}
			pos++
			oh, ok1 := readNum(b, &pos, 2, 2)
			var om int64
			ok2 := true
			if pos < len(b) {
				if b[pos] == ':' {
					pos++
				}
				om, ok2 = readNum(b, &pos, 2, 2)
			}
			if !ok1 || !ok2 || oh > 18 || om > 59 {
				return 0, fmt.Errorf("%v%s", invalid("TIMESTAMP", b), tsHelp)
			}
			ms -= sign * (oh*3600000 + om*60000)
		}
	}
	if pos != len(b) {
		return 0, fmt.Errorf("%v%s", invalid("TIMESTAMP", b), tsHelp)
	}
	return ms, nil
}

// ParseDate parses 'YYYY-MM-DD' or an integer of days since the epoch.
func ParseDate(b []byte) (int64, error) {
	if d, ok := parseDateFast(b); ok {
		return d, nil
	}
	return parseDateGeneral(b)
}

// parseDateGeneral is ParseDate for every accepted form.
func parseDateGeneral(b []byte) (int64, error) {
	if isInteger(b) {
		v, ok := parseInt64(b)
		if !ok {
			return 0, fmt.Errorf("DATE out of range: %s", b)
		}
		return v, nil
	}
	pos := 0
	d, ok := parseDatePart(b, &pos)
	if !ok || pos != len(b) {
		return 0, fmt.Errorf("%v (expected 'YYYY-MM-DD')", invalid("DATE", b))
	}
	return d, nil
}

// ParseInterval parses an integer of milliseconds or '[+-]D HH:MM:SS[.fff]'.
func ParseInterval(b []byte) (int64, error) {
	if v, ok := parseInt64(b); ok {
		return v, nil
	}
	pos := 0
	sign := int64(1)
	if pos < len(b) && (b[pos] == '+' || b[pos] == '-') {
		if b[pos] == '-' {
			sign = -1
		}
		pos++
	}
	days, ok := readNum(b, &pos, 1, 9)
	if ok && pos < len(b) && b[pos] == ' ' {
		pos++
		// reuse the time-of-day parser through a synthetic timestamp
		ts, err := ParseTimestamp(append([]byte("1970-01-01 "), b[pos:]...))
		if err == nil {
			return sign * (days*86400000 + ts), nil
		}
	}
	return 0, invalid("INTERVAL", b)
}
