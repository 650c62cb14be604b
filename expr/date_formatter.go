package expr

import "sync/atomic"

// dateFormatter renders timestamps with one constant DATE_FORMAT pattern
// (MySQL specifiers) and remembers its last result. Every timestamp within
// one unit of the pattern's finest field renders alike (a day for
// 'yyyy-MM-dd', a minute for 'HH:mm'), and a stream's timestamps mostly
// follow one another, so most rows reuse the last string: no calendar
// arithmetic, no allocation, and rows of one unit share one string.
//
// A bound expression is shared by every instance of an operator, so a
// dateFormatter is used from several goroutines at once: the last result
// is an immutable pair published through an atomic pointer, and a caller
// that finds another unit's result renders its own and publishes it.
type dateFormatter struct {
	pattern string
	// unit is the length in ms of the pattern's finest field; 0 when the
	// pattern shows fractions of a second (nothing is remembered then).
	unit int64
	last atomic.Pointer[formattedUnit]
}

// formattedUnit is a rendered timestamp and the unit it stands for: every
// ms with floorDiv(ms, unit) == index renders as s.
type formattedUnit struct {
	index int64
	s     string
}

func newDateFormatter(pattern string) *dateFormatter {
	return &dateFormatter{pattern: pattern, unit: formatUnit(pattern)}
}

// format returns ms rendered with the pattern.
func (f *dateFormatter) format(ms int64) string {
	if f.unit == 0 {
		return string(appendDateFormat(nil, ms, f.pattern))
	}
	index := floorDiv(ms, f.unit)
	if last := f.last.Load(); last != nil && last.index == index {
		return last.s
	}
	var buf [32]byte
	s := string(appendDateFormat(buf[:0], ms, f.pattern))
	f.last.Store(&formattedUnit{index: index, s: s})
	return s
}

// formatUnit returns the length in ms of the finest field that a pattern of
// MySQL specifiers (appendDateFormat) shows: a second, a minute, an hour or
// a day (every other specifier is a function of the day), or 0 when it
// shows fractions of a second.
func formatUnit(pattern string) int64 {
	unit := int64(msPerDay)
	for i := 0; i+1 < len(pattern); i++ {
		if pattern[i] != '%' {
			continue
		}
		i++
		switch pattern[i] {
		case 'f':
			return 0
		case 's', 'S', 'T', 'r':
			unit = min(unit, msPerSecond)
		case 'i':
			unit = min(unit, msPerMinute)
		case 'H', 'k', 'h', 'I', 'l', 'p':
			unit = min(unit, msPerHour)
		}
	}
	return unit
}
