package sql

import (
	"slices"
	"strconv"
	"strings"

	"github.com/streamsql/streamsql/expr"
)

// The pre-parse layer rewrites Flink forms that the TiDB grammar lacks into
// text it accepts, keeping every byte offset: a construct is replaced by a
// token of the same or shorter length padded with spaces, and what was
// replaced is recorded in notes for the binder.
//
//   - INTERVAL 'n' UNIT (fixed units) becomes a placeholder column name
//     _iXX, bound as an INTERVAL constant (TiDB only accepts INTERVAL in a
//     few positions, not as a function argument).
//   - CAST(x AS type) becomes _cXX(x) with the type text recorded (TiDB only
//     knows MySQL's cast targets: SIGNED, CHAR, ...).
//   - SESSION( becomes SESSWIN( (SESSION is a keyword).
//   - FLOOR(ts TO unit) / CEIL(ts TO unit) becomes FLOOR(ts,'unit').
//   - TABLE(TUMBLE(TABLE t, DESCRIPTOR(ts), ...)) and the other window
//     table functions become a derived table (preparse_tvf.go).
//   - agg(x) FILTER (WHERE cond) loses its clause, recorded for the
//     binder; FIRST_VALUE / LAST_VALUE outside OVER become aggregate
//     placeholders (preparse_filter.go).
//   - GROUPING SETS (...), ROLLUP (...) and CUBE (...) in GROUP BY become
//     placeholder calls (preparse_grouping.go).
//   - LISTAGG, BOOL_AND / BOOL_OR, GROUP_CONCAT and DISTINCT aggregates
//     followed by OVER become COUNT(*) OVER, the call's text recorded for
//     the binder (preparse_over.go).
//   - MINUS between two queries becomes UNION, turned into EXCEPT after
//     parsing (preparse_minus.go).
//
// CREATE TABLE and CREATE VIEW have their own pre-parse (ddl.go).

type intervalNote struct {
	ms   int64
	off  int
	text string
}

type castNote struct {
	typeText string
	typeOff  int
	off      int
}

type notes struct {
	intervals map[string]intervalNote // placeholder (lower case) -> interval
	casts     map[string]castNote     // placeholder (lower case) -> target type
	tvfs      map[string]tvfNote      // placeholder alias (lower case) -> window TVF call
	filters   map[int]filterNote      // aggregate name offset -> FILTER (WHERE cond) (preparse_filter.go)
	grouping  groupingNotes           // GROUPING SETS, ROLLUP, CUBE (preparse_grouping.go)
	overCalls map[int]overCallNote    // aggregate name offset -> OVER call text (preparse_over.go)
	// frameIntervals holds the intervals of OVER frame bounds (INTERVAL
	// '1' HOUR PRECEDING), written as their length in ms, by offset.
	frameIntervals map[int]intervalNote
	// minus holds the ordinals (in text order) of the set operators
	// written MINUS, setOps how many set operators the text has
	// (preparse_minus.go).
	minus  map[int]bool
	setOps int
	n      int
}

func newNotes() *notes {
	return &notes{intervals: map[string]intervalNote{}, casts: map[string]castNote{}, tvfs: map[string]tvfNote{},
		filters: map[int]filterNote{}, frameIntervals: map[int]intervalNote{}, overCalls: map[int]overCallNote{}}
}

const base36 = "0123456789abcdefghijklmnopqrstuvwxyz"

func (n *notes) next(prefix string) string {
	i := n.n
	n.n++
	return prefix + string(base36[i/36%36]) + string(base36[i%36])
}

// blank overwrites buf[a:b] with spaces (keeping newlines).
func blank(buf []byte, a, b int) {
	for i := a; i < b && i < len(buf); i++ {
		if buf[i] != '\n' {
			buf[i] = ' '
		}
	}
}

// put writes s at buf[a:b] and pads the rest of the span with spaces.
func put(buf []byte, a, b int, s string) {
	blank(buf, a, b)
	copy(buf[a:], s)
}

// matchParen returns the index of the token closing the '(' at toks[i], or -1.
func matchParen(toks []token, i int) int {
	depth := 0
	for j := i; j < len(toks); j++ {
		switch {
		case toks[j].is("("):
			depth++
		case toks[j].is(")"):
			depth--
			if depth == 0 {
				return j
			}
		}
	}
	return -1
}

// parseIntervalAt reads INTERVAL <number|'number'> <unit> at toks[i]. It
// returns the interval in ms, the index after it, and whether it matched a
// fixed-length unit. errMsg is set for a malformed value (errKind
// ErrSyntax) or one out of range (ErrInvalid, see expr.MaxIntervalMillis).
func parseIntervalAt(toks []token, i int) (ms int64, next int, ok bool, errMsg string, errKind ErrorKind) {
	if i+2 >= len(toks) || !toks[i].is("INTERVAL") {
		return 0, i, false, "", 0
	}
	v, u := toks[i+1], toks[i+2]
	neg := false
	j := i + 1
	if v.is("-") && i+3 < len(toks) {
		neg = true
		v, u = toks[i+2], toks[i+3]
		j++
	}
	if v.kind != tNumber && v.kind != tString || u.kind != tIdent {
		return 0, i, false, "", 0
	}
	unitMs, fixed := expr.UnitMillis(u.text)
	if !fixed {
		return 0, i, false, "", 0
	}
	if j+2 < len(toks) && toks[j+2].is("TO") {
		return parseIntervalRange(toks, i, j, neg)
	}
	num := strings.TrimSpace(v.val0())
	if strings.HasPrefix(num, "-") {
		neg = !neg
		num = strings.TrimSpace(num[1:])
	}
	unscaled, scale, good := expr.ParseDecimal(num)
	if !good {
		return 0, i, false, "invalid interval value '" + v.val0() + "'", ErrSyntax
	}
	ms, inRange := expr.IntervalMillis(unscaled, scale, unitMs)
	if !inRange {
		return 0, i, false, expr.IntervalRangeError("'" + v.val0() + "' " + strings.ToUpper(u.text)), ErrInvalid
	}
	if neg {
		ms = -ms
	}
	return ms, j + 2, true, "", 0
}

// intervalFields are the fields of a day-time interval range, largest first.
var intervalFields = []string{"DAY", "HOUR", "MINUTE", "SECOND"}

// parseIntervalRange reads INTERVAL 'value' FROM TO UNTIL (a day-time
// range, as Flink writes INTERVAL '1:30' HOUR TO MINUTE): toks[i] is
// INTERVAL, toks[j] the value and toks[j+1] TO toks[j+3] the fields. The
// value holds one number per field from FROM to UNTIL: days separated by
// a space, then hours, minutes and seconds by colons, seconds with an
// optional fraction ('1 12:30:00.500' DAY TO SECOND); a leading '-'
// negates it.
func parseIntervalRange(toks []token, i, j int, neg bool) (int64, int, bool, string, ErrorKind) {
	if j+3 >= len(toks) || toks[j].kind != tString {
		return 0, i, false, "", 0
	}
	from, to := normIntervalField(toks[j+1].text), normIntervalField(toks[j+3].text)
	fi, ti := slices.Index(intervalFields, from), slices.Index(intervalFields, to)
	if fi < 0 || ti <= fi {
		return 0, i, false, "unsupported interval range " + strings.ToUpper(toks[j+1].text) + " TO " + strings.ToUpper(toks[j+3].text) +
			" (supported: DAY TO HOUR|MINUTE|SECOND, HOUR TO MINUTE|SECOND, MINUTE TO SECOND)", ErrSyntax
	}
	v := strings.TrimSpace(toks[j].val0())
	bad := "invalid interval value '" + toks[j].val0() + "' for " + from + " TO " + to
	if strings.HasPrefix(v, "-") {
		neg = !neg
		v = strings.TrimSpace(v[1:])
	}
	var parts []string
	rest := v
	if from == "DAY" {
		d, r, ok := strings.Cut(rest, " ")
		if !ok {
			return 0, i, false, bad, ErrSyntax
		}
		parts, rest = append(parts, d), strings.TrimSpace(r)
	}
	parts = append(parts, strings.Split(rest, ":")...)
	if len(parts) != ti-fi+1 {
		return 0, i, false, bad, ErrSyntax
	}
	unit := map[string]int64{"DAY": 86400000, "HOUR": 3600000, "MINUTE": 60000, "SECOND": 1000}
	var ms int64
	for k, p := range parts {
		f := intervalFields[fi+k]
		if f != "SECOND" && strings.Contains(p, ".") || p == "" {
			return 0, i, false, bad, ErrSyntax
		}
		unscaled, scale, ok := expr.ParseDecimal(p)
		if !ok || unscaled < 0 {
			return 0, i, false, bad, ErrSyntax
		}
		part, inRange := expr.IntervalMillis(unscaled, scale, unit[f])
		if !inRange || ms > expr.MaxIntervalMillis-part {
			return 0, i, false, expr.IntervalRangeError("'" + toks[j].val0() + "' " + from + " TO " + to), ErrInvalid
		}
		ms += part
	}
	if neg {
		ms = -ms
	}
	return ms, j + 4, true, "", 0
}

func normIntervalField(s string) string {
	s = strings.ToUpper(s)
	if strings.HasSuffix(s, "S") {
		s = s[:len(s)-1]
	}
	return s
}

var dateAddFuncs = map[string]bool{"DATE_ADD": true, "DATE_SUB": true, "ADDDATE": true, "SUBDATE": true}

// rewriteQuery pre-parses the tokens of a query (SELECT / INSERT / view
// body) within text. It returns the rewritten text or a syntax error offset.
func rewriteQuery(text string, toks []token, nt *notes) (string, *preErr) {
	buf := []byte(text)
	skip := make([]bool, len(toks))
	if perr := rewriteTVFs(buf, toks, nt, skip); perr != nil { // preparse_tvf.go
		return "", perr
	}
	rewriteMinus(buf, toks, nt) // preparse_minus.go
	var fnStack []string
	for i := 0; i < len(toks); i++ {
		t := toks[i]
		if skip[i] {
			continue
		}
		switch {
		case t.is("("):
			fn := ""
			if i > 0 && toks[i-1].kind == tIdent {
				fn = strings.ToUpper(toks[i-1].text)
			}
			fnStack = append(fnStack, fn)
		case t.is(")"):
			if len(fnStack) > 0 {
				fnStack = fnStack[:len(fnStack)-1]
			}
		case t.is("INTERVAL"):
			inDateAdd := len(fnStack) > 0 && dateAddFuncs[fnStack[len(fnStack)-1]] && i > 0 && toks[i-1].is(",")
			if inDateAdd {
				continue
			}
			ms, next, ok, msg, kind := parseIntervalAt(toks, i)
			if msg != "" {
				return "", &preErr{off: toks[i+1].start, msg: msg, kind: kind}
			}
			if !ok {
				continue
			}
			if next < len(toks) && (toks[next].is("PRECEDING") || toks[next].is("FOLLOWING")) {
				// An OVER frame bound: the parser takes a number there. The
				// length in ms is written with three decimals (".000"), which
				// tells it from a plain row count (bind_over.go).
				end := toks[next-1].end
				nt.frameIntervals[t.start] = intervalNote{ms: ms, off: t.start, text: text[t.start:end]}
				put(buf, t.start, end, strconv.FormatInt(max(ms, 0), 10)+".000")
				i = next - 1
				continue
			}
			name := nt.next("_i")
			end := toks[next-1].end
			nt.intervals[name] = intervalNote{ms: ms, off: t.start, text: text[t.start:end]}
			put(buf, t.start, end, name)
			i = next - 1
		case t.is("CAST") && i+1 < len(toks) && toks[i+1].is("("):
			close := matchParen(toks, i+1)
			if close < 0 {
				continue
			}
			depth := 0
			as := -1
			for j := i + 2; j < close; j++ {
				switch {
				case toks[j].is("("):
					depth++
				case toks[j].is(")"):
					depth--
				case depth == 0 && toks[j].is("AS"):
					as = j
				}
			}
			if as < 0 || as+1 >= close {
				continue
			}
			name := nt.next("_c")
			nt.casts[name] = castNote{typeText: text[toks[as+1].start:toks[close-1].end], typeOff: toks[as+1].start, off: t.start}
			put(buf, t.start, t.end, name)
			blank(buf, toks[as].start, toks[close-1].end)
		case t.is("REGEXP") && i+1 < len(toks) && toks[i+1].is("("):
			// REGEXP is an operator keyword of the parser; the function form
			// is bound through its internal alias.
			put(buf, t.start, t.end, "_RX")
		case t.is("FULL") && i+1 < len(toks) && (toks[i+1].is("JOIN") || toks[i+1].is("OUTER") && i+2 < len(toks) && toks[i+2].is("JOIN")):
			// FULL [OUTER] JOIN: the grammar has no FULL; the binder reads
			// it back from the original text (writtenFull).
			put(buf, t.start, t.end, "LEFT")
		case t.is("SESSION") && i+1 < len(toks) && toks[i+1].is("("):
			put(buf, t.start, t.end, "SESSWIN")
		case (t.is("FLOOR") || t.is("CEIL") || t.is("CEILING")) && i+1 < len(toks) && toks[i+1].is("("):
			close := matchParen(toks, i+1)
			if close >= 4 && toks[close-2].is("TO") && toks[close-1].kind == tIdent {
				u := toks[close-1]
				put(buf, toks[close-2].start, u.end, ",'"+strings.ToUpper(u.text)+"'")
			}
		}
	}
	rewriteGrouping(buf, toks, nt) // GROUPING SETS, ROLLUP, CUBE (preparse_grouping.go)
	rewriteTemporal(buf, toks)     // FOR SYSTEM_TIME AS OF (preparse_temporal.go)
	// FILTER (WHERE ...), FIRST_VALUE / LAST_VALUE (preparse_filter.go)
	if perr := rewriteAggregateForms(buf, toks, nt, skip); perr != nil {
		return "", perr
	}
	rewriteOverCalls(buf, toks, nt, skip) // LISTAGG(...) OVER, ... (preparse_over.go)
	return string(buf), nil
}

// preErr is a pre-parse problem at an offset of the statement.
type preErr struct {
	off  int
	msg  string
	hint string
	kind ErrorKind
}

func (cx *compiler) preErr(e *preErr) error {
	k := e.kind
	if k == 0 {
		k = ErrSyntax
	}
	return cx.p.errAt(k, e.off, e.msg, e.hint)
}

func itoa(i int) string { return strconv.Itoa(i) }
