package sqllogic

import (
	"crypto/md5"
	"encoding/hex"
	"errors"
	"math"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/streamsql/streamsql/types"
)

// RenderValue renders one result value for a column of type t under a
// sqllogictest type letter:
//
//   - NULL renders as "NULL" under every letter.
//   - 'I' prints an integer: integers as they are, booleans as 1 or 0,
//     DECIMAL and DOUBLE truncated toward zero, and text as the original
//     runner prints it (sqlite3_column_int of a TEXT value, see TextToInt):
//     the integer its leading digits spell, 0 when there are none ("abc"
//     and "" print 0, "12abc" 12, " 17.9" 17). Other values render as
//     under 'T', so that a mismatch shows what came back. Unlike the
//     original runner, which prints a C int, results keep 64 bits.
//   - 'R' prints exactly three decimals: DECIMAL rounded half away from
//     zero, DOUBLE as by %.3f, integers and booleans with ".000", text as
//     the original runner's sqlite3_column_double converts it (the number
//     its leading characters spell, 0 without one; see TextToFloat). A result that rounds to zero prints "0.000" (never
//     "-0.000"). Other values render as under 'T'.
//   - 'T' and any other letter: strings as they are, except that the empty
//     string prints "(empty)" and control characters print '@'; other kinds
//     render MySQL-style with types.Render (TIMESTAMP(3) as
//     "2020-10-10 00:00:05.000", DECIMAL with its scale, booleans as TRUE or
//     FALSE).
func RenderValue(v types.Value, t types.Type, letter byte) string {
	if v.IsNull() {
		return "NULL"
	}
	switch letter {
	case 'I':
		if s, ok := renderInt(v); ok {
			return s
		}
	case 'R':
		if s, ok := renderReal(v); ok {
			return s
		}
	}
	return renderText(v, t)
}

func renderInt(v types.Value) (string, bool) {
	switch v.Kind() {
	case types.KindInt:
		return strconv.FormatInt(v.Int(), 10), true
	case types.KindBool:
		if v.Bool() {
			return "1", true
		}
		return "0", true
	case types.KindDecimal:
		return strconv.FormatInt(v.Unscaled()/types.Pow10(v.Scale()), 10), true
	case types.KindDouble:
		return truncFloat(v.Double()), true
	case types.KindString:
		return strconv.FormatInt(TextToInt(v.Str()), 10), true
	}
	return "", false
}

// TextToInt converts text to an integer as SQLite does for
// sqlite3_column_int, which the original sqllogictest runner uses for 'I'
// columns: leading white space is skipped, then an optional sign and the
// longest run of decimal digits give the value; anything after them (a
// decimal point, an exponent, letters) is ignored, and text without
// leading digits is 0. Values beyond the int64 range saturate.
func TextToInt(s string) int64 {
	i := 0
	for i < len(s) && (s[i] == ' ' || '\t' <= s[i] && s[i] <= '\r') {
		i++
	}
	neg := false
	if i < len(s) && (s[i] == '-' || s[i] == '+') {
		neg = s[i] == '-'
		i++
	}
	var u uint64
	over := false
	for ; i < len(s) && '0' <= s[i] && s[i] <= '9'; i++ {
		d := uint64(s[i] - '0')
		if u > (math.MaxUint64-d)/10 {
			over = true
			continue
		}
		u = u*10 + d
	}
	switch {
	case neg && (over || u > 1<<63):
		return math.MinInt64
	case neg:
		return -int64(u)
	case over || u > math.MaxInt64:
		return math.MaxInt64
	}
	return int64(u)
}

// TextToFloat converts text to a number as SQLite does for
// sqlite3_column_double, which the original runner uses for 'R' columns:
// after leading white space, the longest prefix of the form
// [+-]digits[.digits][e[+-]digits] (digits on at least one side of the
// point) is the value; text without such a prefix is 0.
func TextToFloat(s string) float64 {
	i := 0
	for i < len(s) && (s[i] == ' ' || '\t' <= s[i] && s[i] <= '\r') {
		i++
	}
	start := i
	if i < len(s) && (s[i] == '-' || s[i] == '+') {
		i++
	}
	digits := func() int {
		n := 0
		for i < len(s) && '0' <= s[i] && s[i] <= '9' {
			i++
			n++
		}
		return n
	}
	n := digits()
	if i < len(s) && s[i] == '.' {
		i++
		n += digits()
	}
	if n == 0 {
		return 0
	}
	end := i
	if i < len(s) && (s[i] == 'e' || s[i] == 'E') {
		i++
		if i < len(s) && (s[i] == '-' || s[i] == '+') {
			i++
		}
		if digits() > 0 {
			end = i
		}
	}
	f, err := strconv.ParseFloat(s[start:end], 64)
	if err != nil && !errors.Is(err, strconv.ErrRange) {
		return 0
	}
	return f
}

func truncFloat(f float64) string {
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return strconv.FormatFloat(f, 'g', -1, 64)
	}
	t := math.Trunc(f)
	if t >= -9.2e18 && t <= 9.2e18 {
		return strconv.FormatInt(int64(t), 10)
	}
	return strconv.FormatFloat(t, 'f', 0, 64)
}

func renderReal(v types.Value) (string, bool) {
	var s string
	switch v.Kind() {
	case types.KindInt:
		s = strconv.FormatInt(v.Int(), 10) + ".000"
	case types.KindBool:
		if v.Bool() {
			return "1.000", true
		}
		return "0.000", true
	case types.KindDecimal:
		s = string(types.AppendDecimal(nil, types.Rescale(v.Unscaled(), v.Scale(), 3), 3))
	case types.KindDouble:
		s = formatReal(v.Double())
	case types.KindString:
		s = formatReal(TextToFloat(v.Str()))
	default:
		return "", false
	}
	if s == "-0.000" {
		s = "0.000"
	}
	return s, true
}

func formatReal(f float64) string {
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return strconv.FormatFloat(f, 'g', -1, 64)
	}
	return strconv.FormatFloat(f, 'f', 3, 64)
}

func renderText(v types.Value, t types.Type) string {
	if v.Kind() != types.KindString {
		return types.Render(v, t)
	}
	s := v.Str()
	if s == "" {
		return "(empty)"
	}
	if strings.IndexFunc(s, isControl) < 0 {
		return s
	}
	return strings.Map(func(r rune) rune {
		if isControl(r) {
			return '@'
		}
		return r
	}, s)
}

func isControl(r rune) bool { return r < ' ' || r == 0x7f }

// RenderRows renders a result by the type letters: one string per value.
// The caller has checked that every row has len(letters) values.
func RenderRows(schema types.Schema, rows [][]types.Value, letters string) [][]string {
	out := make([][]string, len(rows))
	for i, row := range rows {
		r := make([]string, len(row))
		for j, v := range row {
			var t types.Type
			if j < len(schema) {
				t = schema[j].Type
			}
			r[j] = RenderValue(v, t, letters[j])
		}
		out[i] = r
	}
	return out
}

// SortRows orders rendered rows as sqllogictest's rowsort does: column by
// column, by byte-wise comparison of the rendered text.
func SortRows(rows [][]string) {
	slices.SortStableFunc(rows, func(a, b []string) int {
		for i := 0; i < len(a) && i < len(b); i++ {
			if c := strings.Compare(a[i], b[i]); c != 0 {
				return c
			}
		}
		return len(a) - len(b)
	})
}

// Flatten returns the values of rendered rows in row order.
func Flatten(rows [][]string) []string {
	var out []string
	for _, r := range rows {
		out = append(out, r...)
	}
	return out
}

// HashValues returns the sqllogictest hash of a result: the lower-case hex
// MD5 of every value followed by a newline, in order.
func HashValues(values []string) string {
	h := md5.New()
	for _, v := range values {
		h.Write([]byte(v))
		h.Write([]byte{'\n'})
	}
	return hex.EncodeToString(h.Sum(nil))
}

// HashLine returns the line that stands for a hashed result:
// "N values hashing to <md5>".
func HashLine(values []string) string {
	return strconv.Itoa(len(values)) + " values hashing to " + HashValues(values)
}

var hashLineRE = regexp.MustCompile(`^\s*(\d+) values hashing to ([0-9a-fA-F]{32})\s*$`)

// parseHashLine recognises an expected result given as a hash line.
func parseHashLine(expected []string) (n int, hash string, ok bool) {
	if len(expected) != 1 {
		return 0, "", false
	}
	m := hashLineRE.FindStringSubmatch(expected[0])
	if m == nil {
		return 0, "", false
	}
	n, err := strconv.Atoi(m[1])
	if err != nil {
		return 0, "", false
	}
	return n, strings.ToLower(m[2]), true
}

// RowLines joins each rendered row's values with single spaces: the
// row-per-line layout.
func RowLines(rows [][]string) []string {
	out := make([]string, len(rows))
	for i, r := range rows {
		out[i] = strings.Join(r, " ")
	}
	return out
}

// chunk splits values into rows of width n (the last row may be shorter).
func chunk(values []string, n int) [][]string {
	if n <= 0 {
		n = 1
	}
	var out [][]string
	for len(values) > 0 {
		k := min(n, len(values))
		out = append(out, values[:k:k])
		values = values[k:]
	}
	return out
}
