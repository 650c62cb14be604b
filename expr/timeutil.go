package expr

import (
	"strconv"
	"time"

	"github.com/streamsql/streamsql/types"
)

const (
	msPerSecond = 1000
	msPerMinute = 60 * msPerSecond
	msPerHour   = 60 * msPerMinute
	msPerDay    = 24 * msPerHour
)

// daysFromCivil returns days since 1970-01-01 for a proleptic Gregorian date.
func daysFromCivil(y, m, d int64) int64 {
	if m <= 2 {
		y--
	}
	era := y / 400
	if y < 0 && y%400 != 0 {
		era = (y - 399) / 400
	}
	yoe := y - era*400
	mp := (m + 9) % 12
	doy := (153*mp+2)/5 + d - 1
	doe := yoe*365 + yoe/4 - yoe/100 + doy
	return era*146097 + doe - 719468
}

// civilFromDays is the inverse of daysFromCivil.
func civilFromDays(z int64) (y, m, d int64) { return types.CivilFromDays(z) }

func floorDiv(a, b int64) int64 {
	q := a / b
	if (a%b != 0) && ((a < 0) != (b < 0)) {
		q--
	}
	return q
}

// splitMillis breaks ms since the epoch into calendar fields (UTC).
func splitMillis(ms int64) (y, mo, d, h, mi, s, frac int64) {
	days := floorDiv(ms, msPerDay)
	rest := ms - days*msPerDay
	y, mo, d = civilFromDays(days)
	h = rest / msPerHour
	mi = rest / msPerMinute % 60
	s = rest / msPerSecond % 60
	frac = rest % 1000
	return
}

func isLeap(y int64) bool { return y%4 == 0 && (y%100 != 0 || y%400 == 0) }

func daysIn(y, m int64) int64 {
	switch m {
	case 2:
		if isLeap(y) {
			return 29
		}
		return 28
	case 4, 6, 9, 11:
		return 30
	}
	return 31
}

// ParseTimestamp parses 'YYYY-MM-DD[( |T)HH:MM[:SS[.fff...]]]' (UTC) into
// milliseconds since the epoch. Fractional digits beyond milliseconds are
// truncated.
func ParseTimestamp(s string) (int64, bool) {
	s = trimSpace(s)
	p := 0
	num := func(min, max int) (int64, bool) {
		st := p
		var v int64
		for p < len(s) && p-st < max && s[p] >= '0' && s[p] <= '9' {
			v = v*10 + int64(s[p]-'0')
			p++
		}
		return v, p-st >= min
	}
	sep := func(c byte) bool {
		if p < len(s) && s[p] == c {
			p++
			return true
		}
		return false
	}
	y, ok := num(4, 4)
	if !ok || !sep('-') {
		return 0, false
	}
	mo, ok := num(1, 2)
	if !ok || !sep('-') || mo < 1 || mo > 12 {
		return 0, false
	}
	d, ok := num(1, 2)
	if !ok || d < 1 || d > daysIn(y, mo) {
		return 0, false
	}
	ms := daysFromCivil(y, mo, d) * msPerDay
	if p == len(s) {
		return ms, true
	}
	if !sep(' ') && !sep('T') {
		return 0, false
	}
	for p < len(s) && s[p] == ' ' {
		p++
	}
	h, ok := num(1, 2)
	if !ok || !sep(':') || h > 23 {
		return 0, false
	}
	mi, ok := num(1, 2)
	if !ok || mi > 59 {
		return 0, false
	}
	var sec int64
	if sep(':') {
		sec, ok = num(1, 2)
		if !ok || sec > 59 {
			return 0, false
		}
	}
	ms += h*msPerHour + mi*msPerMinute + sec*msPerSecond
	if sep('.') {
		var frac, n int64
		for p < len(s) && s[p] >= '0' && s[p] <= '9' {
			if n < 3 {
				frac = frac*10 + int64(s[p]-'0')
				n++
			}
			p++
		}
		if n == 0 {
			return 0, false
		}
		for ; n < 3; n++ {
			frac *= 10
		}
		ms += frac
	}
	if sep('Z') {
	}
	return ms, p == len(s)
}

// ParseDate parses 'YYYY-MM-DD' (a time part is allowed and ignored) into
// days since the epoch.
func ParseDate(s string) (int64, bool) {
	ms, ok := ParseTimestamp(s)
	if !ok {
		return 0, false
	}
	return floorDiv(ms, msPerDay), true
}

func trimSpace(s string) string {
	for len(s) > 0 && (s[0] == ' ' || s[0] == '\t' || s[0] == '\n' || s[0] == '\r') {
		s = s[1:]
	}
	for len(s) > 0 && (s[len(s)-1] == ' ' || s[len(s)-1] == '\t' || s[len(s)-1] == '\n' || s[len(s)-1] == '\r') {
		s = s[:len(s)-1]
	}
	return s
}

var monthNames = [...]string{"January", "February", "March", "April", "May", "June", "July",
	"August", "September", "October", "November", "December"}
var dayNames = [...]string{"Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday"}

// weekday returns 0 = Sunday .. 6 = Saturday.
func weekday(days int64) int64 {
	w := (days + 4) % 7
	if w < 0 {
		w += 7
	}
	return w
}

func pad2(buf []byte, v int64) []byte {
	return append(buf, byte('0'+v/10%10), byte('0'+v%10))
}

func padN(buf []byte, v int64, n int) []byte {
	s := strconv.FormatInt(v, 10)
	for i := len(s); i < n; i++ {
		buf = append(buf, '0')
	}
	return append(buf, s...)
}

// appendDateFormat renders ms with MySQL DATE_FORMAT specifiers.
func appendDateFormat(buf []byte, ms int64, format string) []byte {
	y, mo, d, h, mi, s, frac := splitMillis(ms)
	days := floorDiv(ms, msPerDay)
	for i := 0; i < len(format); i++ {
		c := format[i]
		if c != '%' || i+1 == len(format) {
			buf = append(buf, c)
			continue
		}
		i++
		switch format[i] {
		case 'Y':
			buf = padN(buf, y, 4)
		case 'y':
			buf = pad2(buf, y%100)
		case 'm':
			buf = pad2(buf, mo)
		case 'c':
			buf = strconv.AppendInt(buf, mo, 10)
		case 'M':
			buf = append(buf, monthNames[mo-1]...)
		case 'b':
			buf = append(buf, monthNames[mo-1][:3]...)
		case 'd':
			buf = pad2(buf, d)
		case 'e':
			buf = strconv.AppendInt(buf, d, 10)
		case 'H':
			buf = pad2(buf, h)
		case 'k':
			buf = strconv.AppendInt(buf, h, 10)
		case 'h', 'I':
			buf = pad2(buf, (h+11)%12+1)
		case 'l':
			buf = strconv.AppendInt(buf, (h+11)%12+1, 10)
		case 'i':
			buf = pad2(buf, mi)
		case 's', 'S':
			buf = pad2(buf, s)
		case 'f':
			buf = padN(buf, frac*1000, 6)
		case 'p':
			if h < 12 {
				buf = append(buf, "AM"...)
			} else {
				buf = append(buf, "PM"...)
			}
		case 'T':
			buf = pad2(buf, h)
			buf = append(buf, ':')
			buf = pad2(buf, mi)
			buf = append(buf, ':')
			buf = pad2(buf, s)
		case 'r':
			buf = pad2(buf, (h+11)%12+1)
			buf = append(buf, ':')
			buf = pad2(buf, mi)
			buf = append(buf, ':')
			buf = pad2(buf, s)
			if h < 12 {
				buf = append(buf, " AM"...)
			} else {
				buf = append(buf, " PM"...)
			}
		case 'W':
			buf = append(buf, dayNames[weekday(days)]...)
		case 'a':
			buf = append(buf, dayNames[weekday(days)][:3]...)
		case 'w':
			buf = strconv.AppendInt(buf, weekday(days), 10)
		case 'j':
			buf = padN(buf, days-daysFromCivil(y, 1, 1)+1, 3)
		case 'D':
			buf = strconv.AppendInt(buf, d, 10)
			switch {
			case d%10 == 1 && d != 11:
				buf = append(buf, "st"...)
			case d%10 == 2 && d != 12:
				buf = append(buf, "nd"...)
			case d%10 == 3 && d != 13:
				buf = append(buf, "rd"...)
			default:
				buf = append(buf, "th"...)
			}
		case '%':
			buf = append(buf, '%')
		default:
			buf = append(buf, format[i])
		}
	}
	return buf
}

// javaToMySQLFormat converts a Java/Flink date pattern (yyyy-MM-dd HH:mm:ss.SSS)
// into DATE_FORMAT specifiers, for TO_TIMESTAMP and DATE_FORMAT with Java-style patterns.
func javaToMySQLFormat(p string) string {
	var out []byte
	for i := 0; i < len(p); {
		c := p[i]
		n := 1
		for i+n < len(p) && p[i+n] == c {
			n++
		}
		switch {
		case c == 'y' && n >= 4:
			out = append(out, "%Y"...)
		case c == 'y':
			out = append(out, "%y"...)
		case c == 'M':
			out = append(out, "%m"...)
		case c == 'd':
			out = append(out, "%d"...)
		case c == 'H':
			out = append(out, "%H"...)
		case c == 'h':
			out = append(out, "%h"...)
		case c == 'm':
			out = append(out, "%i"...)
		case c == 's':
			out = append(out, "%s"...)
		case c == 'S':
			out = append(out, "%f"...)
		case c == 'a':
			out = append(out, "%p"...)
		case c == '\'':
			j := i + 1
			for j < len(p) && p[j] != '\'' {
				out = append(out, p[j])
				j++
			}
			i = j + 1
			continue
		default:
			for k := 0; k < n; k++ {
				out = append(out, c)
			}
		}
		i += n
	}
	return string(out)
}

// parseWithFormat parses s according to MySQL specifiers (the subset
// %Y %y %m %c %d %e %H %k %h %i %s %S %f %p and literals). Result is ms since epoch.
func parseWithFormat(s, format string) (int64, bool) {
	y, mo, d := int64(1970), int64(1), int64(1)
	var h, mi, sec, frac int64
	pm := -1
	p := 0
	num := func(max int) (int64, bool) {
		st := p
		var v int64
		for p < len(s) && p-st < max && s[p] >= '0' && s[p] <= '9' {
			v = v*10 + int64(s[p]-'0')
			p++
		}
		return v, p > st
	}
	for i := 0; i < len(format); i++ {
		c := format[i]
		if c != '%' || i+1 == len(format) {
			if p >= len(s) || s[p] != c {
				return 0, false
			}
			p++
			continue
		}
		i++
		var ok bool
		switch format[i] {
		case 'Y':
			y, ok = num(4)
		case 'y':
			y, ok = num(2)
			y += 2000
			if y >= 2070 {
				y -= 100
			}
		case 'm', 'c':
			mo, ok = num(2)
		case 'd', 'e':
			d, ok = num(2)
		case 'H', 'k', 'h', 'I', 'l':
			h, ok = num(2)
		case 'i':
			mi, ok = num(2)
		case 's', 'S':
			sec, ok = num(2)
		case 'f':
			st := p
			frac, ok = num(9)
			for n := p - st; n > 3; n-- {
				frac /= 10
			}
			for n := p - st; n < 3; n++ {
				frac *= 10
			}
		case 'p':
			if p+2 <= len(s) {
				switch s[p : p+2] {
				case "AM", "am":
					pm, ok = 0, true
				case "PM", "pm":
					pm, ok = 1, true
				}
				p += 2
			}
		default:
			ok = p < len(s) && s[p] == format[i]
			p++
		}
		if !ok {
			return 0, false
		}
	}
	if p != len(s) || mo < 1 || mo > 12 || d < 1 || d > daysIn(y, mo) || h > 23 || mi > 59 || sec > 59 {
		return 0, false
	}
	if pm == 1 && h < 12 {
		h += 12
	} else if pm == 0 && h == 12 {
		h = 0
	}
	return daysFromCivil(y, mo, d)*msPerDay + h*msPerHour + mi*msPerMinute + sec*msPerSecond + frac, true
}

// addMonths adds n calendar months to ms, clamping the day to the month's length.
func addMonths(ms, n int64) int64 {
	y, mo, d, _, _, _, _ := splitMillis(ms)
	days := floorDiv(ms, msPerDay)
	tod := ms - days*msPerDay
	total := y*12 + (mo - 1) + n
	ny := floorDiv(total, 12)
	nm := total - ny*12 + 1
	if dm := daysIn(ny, nm); d > dm {
		d = dm
	}
	return daysFromCivil(ny, nm, d)*msPerDay + tod
}

// nowMillis is the wall clock; a variable so tests can pin it.
var nowMillis = func() int64 { return time.Now().UnixMilli() }

// SetClock replaces the clock used by NOW(), CURRENT_TIMESTAMP and friends
// (tests pin it). It returns the previous clock.
func SetClock(f func() int64) func() int64 {
	old := nowMillis
	nowMillis = f
	return old
}
