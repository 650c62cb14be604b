package expr

import (
	"math"
	"strconv"
	"strings"

	"github.com/streamsql/streamsql/types"
)

// MaxIntervalMillis bounds every interval (literal, DATE_ADD amount,
// window size): |interval| <= MaxIntervalMillis ms, the span from the first
// to the last TIMESTAMP (0001-01-01 00:00:00.000 to 9999-12-31
// 23:59:59.999), about 3 652 058 days. Within it, a timestamp plus an
// interval never overflows int64 milliseconds.
const MaxIntervalMillis = 315537897599999

// IntervalMillis converts an interval of unscaled·10^-scale units of unitMs
// milliseconds each to milliseconds, rounded half away from zero. ok is
// false when the result is beyond ±MaxIntervalMillis.
func IntervalMillis(unscaled int64, scale uint8, unitMs int64) (ms int64, ok bool) {
	f := float64(unscaled) * float64(unitMs)
	for k := uint8(0); k < scale; k++ {
		f /= 10
	}
	if f > MaxIntervalMillis+0.5 || f < -MaxIntervalMillis-0.5 {
		return 0, false
	}
	return int64(math.Round(f)), true
}

// IntervalRangeError is the message for an interval beyond MaxIntervalMillis.
func IntervalRangeError(text string) string {
	return "interval " + text + " is out of range: an interval is at most " +
		strconv.FormatInt(MaxIntervalMillis/msPerDay, 10) + " days (" + strconv.FormatInt(MaxIntervalMillis, 10) +
		" ms, the span of TIMESTAMP from year 1 to 9999)"
}

// UnitMillis returns the length of a fixed time unit (MILLISECOND, SECOND,
// MINUTE, HOUR, DAY, WEEK; plural forms accepted); ok is false for calendar
// units (MONTH, QUARTER, YEAR) and unknown names.
func UnitMillis(unit string) (int64, bool) {
	switch normUnit(unit) {
	case "MILLISECOND":
		return 1, true
	case "SECOND":
		return msPerSecond, true
	case "MINUTE":
		return msPerMinute, true
	case "HOUR":
		return msPerHour, true
	case "DAY":
		return msPerDay, true
	case "WEEK":
		return 7 * msPerDay, true
	}
	return 0, false
}

// calendarMonths returns the months of a calendar unit (MONTH 1, QUARTER 3, YEAR 12).
func calendarMonths(unit string) (int64, bool) {
	switch normUnit(unit) {
	case "MONTH":
		return 1, true
	case "QUARTER":
		return 3, true
	case "YEAR":
		return 12, true
	}
	return 0, false
}

func normUnit(u string) string {
	u = strings.ToUpper(strings.TrimSpace(u))
	u = strings.TrimPrefix(u, "SQL_TSI_")
	if strings.HasSuffix(u, "S") && u != "S" {
		u = u[:len(u)-1]
	}
	switch u {
	case "MS", "MILLI":
		return "MILLISECOND"
	case "MICROSECOND":
		return "MICROSECOND"
	}
	return u
}

func validUnit(u string) bool {
	if _, ok := UnitMillis(u); ok {
		return true
	}
	_, ok := calendarMonths(u)
	return ok
}

func tsNow() (types.Value, error) { return types.TimestampValue(nowMillis()), nil }

func init() {
	for _, n := range []string{"CURRENT_TIMESTAMP", "NOW", "LOCALTIMESTAMP"} {
		Register(&Func{Name: n, MinArgs: 0, MaxArgs: 1, Volatile: true, Usage: n + "()", Bind: func(args []Expr) (Impl, error) {
			return Impl{T: types.Type{Kind: types.KindTimestamp, Precision: 3, NotNull: true}, F0: tsNow,
				F1: func(types.Value) (types.Value, error) { return tsNow() }}, nil
		}})
	}
	for _, n := range []string{"CURRENT_DATE", "CURDATE"} {
		Register(&Func{Name: n, MinArgs: 0, MaxArgs: 0, Volatile: true, Usage: n + "()", Bind: func(args []Expr) (Impl, error) {
			return Impl{T: types.Type{Kind: types.KindDate, NotNull: true}, F0: func() (types.Value, error) {
				return types.DateValue(floorDiv(nowMillis(), msPerDay)), nil
			}}, nil
		}})
	}
	Register(&Func{Name: "UNIX_TIMESTAMP", MinArgs: 0, MaxArgs: 1, Volatile: true, Usage: "UNIX_TIMESTAMP([ts])", Bind: func(args []Expr) (Impl, error) {
		if len(args) == 1 {
			if err := argTimestamp(args, 0); err != nil {
				return Impl{}, err
			}
		}
		return Impl{T: types.BigInt, Strict: true,
			F0: func() (types.Value, error) { return types.IntValue(floorDiv(nowMillis(), 1000)), nil },
			F1: func(a types.Value) (types.Value, error) { return types.IntValue(floorDiv(a.Millis(), 1000)), nil },
		}, nil
	}})
	Register(&Func{Name: "FROM_UNIXTIME", MinArgs: 1, MaxArgs: 2, Usage: "FROM_UNIXTIME(seconds [, format])", Bind: func(args []Expr) (Impl, error) {
		if err := argNumeric(args, 0); err != nil {
			return Impl{}, err
		}
		toMs := func(v types.Value) int64 {
			switch v.Kind() {
			case types.KindInt:
				return v.Int() * 1000
			case types.KindDecimal:
				return types.Rescale(v.Unscaled(), v.Scale(), 3) * 1
			}
			return int64(v.AsFloat() * 1000)
		}
		fix := func(v types.Value) int64 {
			if v.Kind() == types.KindDecimal {
				u, _ := rescale(v.Unscaled(), v.Scale(), 3)
				return u
			}
			return toMs(v)
		}
		if len(args) == 2 {
			if err := argString(args, 1); err != nil {
				return Impl{}, err
			}
			return Impl{T: types.String, Strict: true, F2: func(a, b types.Value) (types.Value, error) {
				return types.StringValue(string(appendDateFormat(nil, fix(a), mysqlFormat(b.Str())))), nil
			}}, nil
		}
		return Impl{T: types.Timestamp, Strict: true, F1: func(a types.Value) (types.Value, error) {
			return types.TimestampValue(fix(a)), nil
		}}, nil
	}})
	Register(&Func{Name: "TO_TIMESTAMP", MinArgs: 1, MaxArgs: 2, Usage: "TO_TIMESTAMP(s [, format])", Bind: bindParseTime(false)})
	Register(&Func{Name: "TO_DATE", MinArgs: 1, MaxArgs: 2, Usage: "TO_DATE(s [, format])", Bind: bindParseTime(true)})
	Register(&Func{Name: "STR_TO_DATE", MinArgs: 2, MaxArgs: 2, Usage: "STR_TO_DATE(s, format)", Bind: bindParseTime(false)})
	Register(&Func{Name: "DATE_FORMAT", MinArgs: 2, MaxArgs: 2, Usage: "DATE_FORMAT(ts, format)", Bind: func(args []Expr) (Impl, error) {
		if err := argTimestamp(args, 0); err != nil {
			return Impl{}, err
		}
		if err := argString(args, 1); err != nil {
			return Impl{}, err
		}
		if f, ok := constString(args, 1); ok {
			df := newDateFormatter(mysqlFormat(f))
			return Impl{T: types.String, Strict: true, F2: func(a, _ types.Value) (types.Value, error) {
				return types.StringValue(df.format(a.Millis())), nil
			}}, nil
		}
		return Impl{T: types.String, Strict: true, F2: func(a, b types.Value) (types.Value, error) {
			return types.StringValue(string(appendDateFormat(nil, a.Millis(), mysqlFormat(b.Str())))), nil
		}}, nil
	}})
	Register(&Func{Name: "DATE", MinArgs: 1, MaxArgs: 1, Usage: "DATE(ts)", Build: func(args []Expr) (Expr, error) {
		return NewCast(args[0], types.Date)
	}})
	Register(&Func{Name: "_EXTRACT", MinArgs: 2, MaxArgs: 2, Usage: "EXTRACT(unit FROM ts)", Bind: bindExtract})
	for _, n := range []string{"YEAR", "QUARTER", "MONTH", "WEEK", "DAYOFMONTH", "DAY", "DAYOFWEEK", "DAYOFYEAR", "HOUR", "MINUTE", "SECOND", "MILLISECOND"} {
		unit := n
		Register(&Func{Name: n, MinArgs: 1, MaxArgs: 1, Usage: n + "(ts)", Bind: func(args []Expr) (Impl, error) {
			all := []Expr{&Literal{V: types.StringValue(unit), T: types.String}, args[0]}
			impl, err := bindExtract(all)
			if err != nil {
				return Impl{}, typeErr(0, err.Error())
			}
			args[0] = all[1]
			f2 := impl.F2
			u := all[0].(*Literal).V
			impl.F1 = func(a types.Value) (types.Value, error) { return f2(u, a) }
			return impl, nil
		}})
	}
	Register(&Func{Name: "TIMESTAMPADD", MinArgs: 3, MaxArgs: 3, Usage: "TIMESTAMPADD(unit, n, ts)", Bind: func(args []Expr) (Impl, error) {
		unit, ok := constString(args, 0)
		if !ok || !validUnit(unit) {
			return Impl{}, typeErr(0, "expected a time unit (SECOND, MINUTE, HOUR, DAY, WEEK, MONTH, QUARTER, YEAR, MILLISECOND)")
		}
		if err := argInt(args, 1); err != nil {
			return Impl{}, err
		}
		if err := argTimestamp(args, 2); err != nil {
			return Impl{}, err
		}
		ms, fixed := UnitMillis(unit)
		months, _ := calendarMonths(unit)
		return Impl{T: types.Timestamp, Strict: true, F3: func(_, n, ts types.Value) (types.Value, error) {
			if fixed {
				d, ok := mulChecked(n.Int(), ms)
				if !ok {
					return nullV, errOverflow
				}
				return types.TimestampValue(ts.Millis() + d), nil
			}
			return types.TimestampValue(addMonths(ts.Millis(), n.Int()*months)), nil
		}}, nil
	}})
	Register(&Func{Name: "TIMESTAMPDIFF", MinArgs: 3, MaxArgs: 3, Usage: "TIMESTAMPDIFF(unit, ts1, ts2)", Bind: func(args []Expr) (Impl, error) {
		unit, ok := constString(args, 0)
		if !ok || !validUnit(unit) {
			return Impl{}, typeErr(0, "expected a time unit (SECOND, MINUTE, HOUR, DAY, WEEK, MONTH, QUARTER, YEAR, MILLISECOND)")
		}
		if err := argTimestamp(args, 1); err != nil {
			return Impl{}, err
		}
		if err := argTimestamp(args, 2); err != nil {
			return Impl{}, err
		}
		ms, fixed := UnitMillis(unit)
		months, _ := calendarMonths(unit)
		return Impl{T: types.BigInt, Strict: true, F3: func(_, a, b types.Value) (types.Value, error) {
			if fixed {
				return types.IntValue((b.Millis() - a.Millis()) / ms), nil
			}
			return types.IntValue(monthsBetween(a.Millis(), b.Millis()) / months), nil
		}}, nil
	}})
	Register(&Func{Name: "RAISE_ERROR", MinArgs: 1, MaxArgs: 1, Volatile: true, Usage: "RAISE_ERROR('message')", Bind: func(args []Expr) (Impl, error) {
		if err := argString(args, 0); err != nil {
			return Impl{}, err
		}
		return Impl{T: types.Null, F1: func(a types.Value) (types.Value, error) {
			msg := "RAISE_ERROR(NULL)"
			if !a.IsNull() {
				msg = a.Str()
			}
			return nullV, &EvalError{Msg: msg, Raised: true}
		}}, nil
	}})
}

// monthsBetween counts whole months from a to b (negative when b < a), as TIMESTAMPDIFF(MONTH).
func monthsBetween(a, b int64) int64 {
	neg := false
	if b < a {
		a, b = b, a
		neg = true
	}
	ya, ma, _, _, _, _, _ := splitMillis(a)
	yb, mb, _, _, _, _, _ := splitMillis(b)
	n := (yb-ya)*12 + mb - ma
	if n > 0 && addMonths(a, n) > b {
		n--
	}
	if neg {
		return -n
	}
	return n
}

// mysqlFormat accepts a MySQL (%Y-%m-%d) or Java (yyyy-MM-dd) pattern.
func mysqlFormat(f string) string {
	if strings.IndexByte(f, '%') >= 0 {
		return f
	}
	return javaToMySQLFormat(f)
}

func bindParseTime(date bool) func([]Expr) (Impl, error) {
	return func(args []Expr) (Impl, error) {
		for i := range args {
			if err := argString(args, i); err != nil {
				return Impl{}, err
			}
		}
		conv := func(ms int64) types.Value {
			if date {
				return types.DateValue(floorDiv(ms, msPerDay))
			}
			return types.TimestampValue(ms)
		}
		t := types.Timestamp
		if date {
			t = types.Date
		}
		return Impl{T: t, Strict: true,
			F1: func(a types.Value) (types.Value, error) {
				ms, ok := ParseTimestamp(a.Str())
				if !ok {
					return nullV, nil
				}
				return conv(ms), nil
			},
			F2: func(a, f types.Value) (types.Value, error) {
				ms, ok := parseWithFormat(a.Str(), mysqlFormat(f.Str()))
				if !ok {
					return nullV, nil
				}
				return conv(ms), nil
			}}, nil
	}
}

func bindExtract(args []Expr) (Impl, error) {
	unit, ok := constString(args, 0)
	if !ok {
		return Impl{}, typeErr(0, "expected a time unit")
	}
	if err := argTimestamp(args, 1); err != nil {
		return Impl{}, err
	}
	u := normUnit(unit)
	switch u {
	case "DAYOFMONTH":
		u = "DAY"
	case "DOW":
		u = "DAYOFWEEK"
	case "DOY":
		u = "DAYOFYEAR"
	}
	f := func(ms int64) int64 {
		y, mo, d, h, mi, s, frac := splitMillis(ms)
		switch u {
		case "YEAR":
			return y
		case "QUARTER":
			return (mo-1)/3 + 1
		case "MONTH":
			return mo
		case "WEEK":
			// MySQL WEEK() mode 0: weeks starting on Sunday, 0..53.
			days := floorDiv(ms, msPerDay)
			jan1 := daysFromCivil(y, 1, 1)
			first := jan1 + (7-weekday(jan1))%7
			if days < first {
				return 0
			}
			return (days-first)/7 + 1
		case "DAY":
			return d
		case "DAYOFWEEK":
			return weekday(floorDiv(ms, msPerDay)) + 1
		case "DAYOFYEAR":
			return floorDiv(ms, msPerDay) - daysFromCivil(y, 1, 1) + 1
		case "HOUR":
			return h
		case "MINUTE":
			return mi
		case "SECOND":
			return s
		case "MILLISECOND":
			return s*1000 + frac
		case "MICROSECOND":
			return frac * 1000
		case "EPOCH":
			return floorDiv(ms, 1000)
		}
		return 0
	}
	switch u {
	case "YEAR", "QUARTER", "MONTH", "WEEK", "DAY", "DAYOFWEEK", "DAYOFYEAR", "HOUR", "MINUTE", "SECOND", "MILLISECOND", "MICROSECOND", "EPOCH":
	default:
		return Impl{}, typeErr(0, "unknown time unit '"+unit+"'")
	}
	return Impl{T: types.BigInt, Strict: true, F2: func(_, a types.Value) (types.Value, error) {
		return types.IntValue(f(a.Millis())), nil
	}}, nil
}

// bindTimeFloor is FLOOR(ts TO unit) / CEIL(ts TO unit), written FLOOR(ts, 'UNIT').
func bindTimeFloor(args []Expr, ceil bool) (Impl, error) {
	unit, ok := constString(args, 1)
	if !ok || !validUnit(unit) {
		return Impl{}, typeErr(1, "expected a time unit (FLOOR(ts TO HOUR))")
	}
	if err := argTimestamp(args, 0); err != nil {
		return Impl{}, err
	}
	ms, fixed := UnitMillis(unit)
	months, _ := calendarMonths(unit)
	if normUnit(unit) == "WEEK" {
		fixed = false
	}
	floor := func(t int64) int64 {
		switch {
		case fixed:
			return floorDiv(t, ms) * ms
		case normUnit(unit) == "WEEK":
			days := floorDiv(t, msPerDay)
			return (days - weekday(days)) * msPerDay
		}
		y, mo, _, _, _, _, _ := splitMillis(t)
		m0 := ((mo - 1) / months) * months
		return daysFromCivil(y, m0+1, 1) * msPerDay
	}
	return Impl{T: types.Timestamp, Strict: true, F2: func(a, _ types.Value) (types.Value, error) {
		f := floor(a.Millis())
		if ceil && f != a.Millis() {
			switch {
			case fixed:
				f += ms
			case normUnit(unit) == "WEEK":
				f += 7 * msPerDay
			default:
				f = addMonths(f, months)
			}
		}
		return types.TimestampValue(f), nil
	}}, nil
}
