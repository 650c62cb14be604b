package types

// CivilFromDays returns the proleptic Gregorian date (year, month 1-12,
// day 1-31) of a day count since 1970-01-01 (negative before it), by
// Howard Hinnant's days-to-civil algorithm: no time.Time, any int64 day
// count a timestamp in milliseconds can reach.
func CivilFromDays(z int64) (y, m, d int64) {
	z += 719468
	era := z / 146097
	if z < 0 && z%146097 != 0 {
		era = (z - 146096) / 146097
	}
	doe := z - era*146097
	yoe := (doe - doe/1460 + doe/36524 - doe/146096) / 365
	y = yoe + era*400
	doy := doe - (365*yoe + yoe/4 - yoe/100)
	mp := (5*doy + 2) / 153
	d = doy - (153*mp+2)/5 + 1
	m = mp + 3
	if m > 12 {
		m -= 12
	}
	if m <= 2 {
		y++
	}
	return
}
