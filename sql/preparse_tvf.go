package sql

import (
	"slices"
	"strings"
)

// Window table-valued functions (Flink 1.13+):
//
//	TABLE(TUMBLE(TABLE t, DESCRIPTOR(ts), size [, offset]))
//	TABLE(HOP(TABLE t, DESCRIPTOR(ts), slide, size [, offset]))
//	TABLE(CUMULATE(TABLE t, DESCRIPTOR(ts), step, size [, offset]))
//	TABLE(SESSION(TABLE t [PARTITION BY k | (k1, k2)], DESCRIPTOR(ts), gap))
//
// with positional or named arguments (DATA => TABLE t, TIMECOL =>
// DESCRIPTOR(ts), SIZE => ..., SLIDE, STEP, OFFSET, GAP). The data may be
// `TABLE name` or `TABLE (query)`. The TiDB grammar knows none of this, so
// the pre-parse layer rewrites the call in place into a derived table the
// grammar accepts:
//
//	TABLE(TUMBLE(TABLE t, DESCRIPTOR(ts), INTERVAL '10' MINUTES))
//	(SELECT*FROM       t _w00                                    )
//
// where _w00 is a placeholder alias naming a tvfNote with the window's
// arguments; the binder (bind_tvf.go) recognises the derived table by it
// and binds the window function over the data. When the data is the last
// argument (named arguments) there is no room after it, and the
// placeholder becomes a table listed before it instead:
//
//	TABLE(TUMBLE(SIZE => INTERVAL '1' HOUR, TIMECOL => DESCRIPTOR(ts), DATA => TABLE t))
//	(SELECT*FROM _w00,                                                           t ) Tokens inside the data
// (a subquery) are pre-parsed as usual; the other arguments are read here
// and blanked.

// tvfNote is one window TVF call read by the pre-parse layer.
type tvfNote struct {
	kind       string // TUMBLE, HOP, CUMULATE, SESSION
	off        int    // offset of the outer TABLE keyword
	timeCol    string // the DESCRIPTOR's column
	timeColOff int
	// durations by parameter name (SIZE, SLIDE, STEP, OFFSET, GAP), in ms,
	// with the offset of each argument.
	durs    map[string]int64
	durOffs map[string]int
	// partition holds SESSION's PARTITION BY columns.
	partition    []string
	partitionOff []int
}

// tvfParams are the positional parameters of each window TVF after DATA.
var tvfParams = map[string][]string{
	"TUMBLE":   {"TIMECOL", "SIZE", "OFFSET"},
	"HOP":      {"TIMECOL", "SLIDE", "SIZE", "OFFSET"},
	"CUMULATE": {"TIMECOL", "STEP", "SIZE", "OFFSET"},
	"SESSION":  {"TIMECOL", "GAP"},
}

// tvfRequired are the parameters each window TVF needs.
var tvfRequired = map[string][]string{
	"TUMBLE":   {"DATA", "TIMECOL", "SIZE"},
	"HOP":      {"DATA", "TIMECOL", "SLIDE", "SIZE"},
	"CUMULATE": {"DATA", "TIMECOL", "STEP", "SIZE"},
	"SESSION":  {"DATA", "TIMECOL", "GAP"},
}

var tvfUsage = map[string]string{
	"TUMBLE":   "TABLE(TUMBLE(TABLE t, DESCRIPTOR(ts), INTERVAL '10' MINUTES [, offset]))",
	"HOP":      "TABLE(HOP(TABLE t, DESCRIPTOR(ts), INTERVAL '5' MINUTES, INTERVAL '10' MINUTES [, offset]))",
	"CUMULATE": "TABLE(CUMULATE(TABLE t, DESCRIPTOR(ts), INTERVAL '2' MINUTES, INTERVAL '10' MINUTES [, offset]))",
	"SESSION":  "TABLE(SESSION(TABLE t [PARTITION BY k], DESCRIPTOR(ts), INTERVAL '5' MINUTES))",
}

// tvfArg is one argument of a window TVF call: its name (given or
// positional) and its token range [from, to).
type tvfArg struct {
	name     string
	from, to int
}

// rewriteTVFs finds the window TVF calls in toks, records each in nt and
// rewrites it in buf. skip marks the tokens the rewrite consumed (the
// caller's pre-parse must leave them alone).
func rewriteTVFs(buf []byte, toks []token, nt *notes, skip []bool) *preErr {
	for i := 0; i+3 < len(toks); i++ {
		if skip[i] || !toks[i].is("TABLE") || !toks[i+1].is("(") || toks[i+2].kind != tIdent || !toks[i+3].is("(") {
			continue
		}
		kind := strings.ToUpper(toks[i+2].text)
		if tvfParams[kind] == nil {
			return &preErr{off: toks[i+2].start, msg: "unknown table function '" + toks[i+2].text + "'",
				hint: "the window table functions are TUMBLE, HOP, CUMULATE and SESSION, e.g. " + tvfUsage["TUMBLE"]}
		}
		outerClose := matchParen(toks, i+1)
		callClose := matchParen(toks, i+3)
		if outerClose < 0 || callClose < 0 || callClose+1 != outerClose {
			return &preErr{off: toks[i].start, msg: "malformed window table function call", hint: "usage: " + tvfUsage[kind]}
		}
		note, data, err := readTVF(toks, kind, i, i+3, callClose)
		if err != nil {
			return err
		}
		// data is the token range of the data: `name` or `( query )`.
		name := nt.next("_w")
		before := toks[data.from].start - toks[i].start // room before the data
		after := toks[outerClose].end - toks[data.to-1].end
		var head, tail string
		switch {
		case before >= len("(SELECT*FROM ") && after >= len(" "+name+")"):
			head, tail = "(SELECT*FROM ", " "+name+")" // the placeholder is the data's alias
		case before >= len("(SELECT*FROM "+name+","):
			head, tail = "(SELECT*FROM "+name+",", ")" // DATA given last: a placeholder table first
		default:
			return &preErr{off: toks[i].start, msg: "malformed window table function call", hint: "usage: " + tvfUsage[kind]}
		}
		nt.tvfs[name] = note
		// Blank the call but the data, then write the derived table around it.
		for j := i; j <= outerClose; j++ {
			if j < data.from || j >= data.to {
				skip[j] = true
			}
		}
		blank(buf, toks[i].start, toks[data.from].start)
		blank(buf, toks[data.to-1].end, toks[outerClose].end)
		copy(buf[toks[data.from].start-len(head):], head)
		copy(buf[toks[outerClose].end-len(tail):], tail)
		i = outerClose
	}
	return nil
}

// readTVF reads the arguments of the window TVF call whose parentheses are
// toks[open] and toks[close]; start is the outer TABLE keyword. It returns
// the note and the token range of the data table or subquery.
func readTVF(toks []token, kind string, start, open, close int) (tvfNote, tvfArg, *preErr) {
	note := tvfNote{kind: kind, off: toks[start].start, durs: map[string]int64{}, durOffs: map[string]int{}}
	usage := "usage: " + tvfUsage[kind]
	var args []tvfArg
	depth, from := 0, open+1
	for j := open + 1; j <= close; j++ {
		switch {
		case toks[j].is("("):
			depth++
		case toks[j].is(")") && j < close:
			depth--
		case depth == 0 && (toks[j].is(",") || j == close):
			if from == j {
				return note, tvfArg{}, &preErr{off: toks[j].start, msg: "missing argument of " + kind, hint: usage}
			}
			a := tvfArg{from: from, to: j}
			// NAME => value
			if j-from >= 3 && toks[from].kind == tIdent && toks[from+1].is("=") && toks[from+2].is(">") && toks[from+1].end == toks[from+2].start {
				a.name = strings.ToUpper(toks[from].text)
				a.from = from + 3
			}
			args = append(args, a)
			from = j + 1
		}
	}
	params := append([]string{"DATA"}, tvfParams[kind]...)
	seen := map[string]bool{}
	named := false
	for k := range args {
		a := &args[k]
		switch {
		case a.name != "":
			named = true
			if !slices.Contains(params, a.name) {
				return note, tvfArg{}, &preErr{off: toks[a.from-3].start, msg: kind + " has no parameter " + a.name + " (its parameters: " + strings.Join(params, ", ") + ")", hint: usage}
			}
		case named:
			return note, tvfArg{}, &preErr{off: toks[a.from].start, msg: "a positional argument cannot follow named arguments", hint: usage}
		case k >= len(params):
			return note, tvfArg{}, &preErr{off: toks[a.from].start, msg: kind + " takes at most " + itoa(len(params)) + " arguments", hint: usage}
		default:
			a.name = params[k]
		}
		if seen[a.name] {
			return note, tvfArg{}, &preErr{off: toks[a.from].start, msg: "argument " + a.name + " of " + kind + " is given twice", hint: usage}
		}
		seen[a.name] = true
	}
	for _, p := range tvfRequired[kind] {
		if !seen[p] {
			return note, tvfArg{}, &preErr{off: toks[close].start, msg: kind + " needs its " + p + " argument", hint: usage}
		}
	}
	var data tvfArg
	for _, a := range args {
		switch a.name {
		case "DATA":
			d, perr := readTVFData(toks, a, kind, &note)
			if perr != nil {
				return note, tvfArg{}, perr
			}
			data = d
		case "TIMECOL":
			if a.to-a.from != 4 || !toks[a.from].is("DESCRIPTOR") || !toks[a.from+1].is("(") || !toks[a.from+2].isName() || !toks[a.from+3].is(")") {
				return note, tvfArg{}, &preErr{off: toks[a.from].start, msg: "the time column of " + kind + " is given as DESCRIPTOR(column)", hint: usage}
			}
			note.timeCol, note.timeColOff = toks[a.from+2].name(), toks[a.from+2].start
		default:
			ms, next, ok, msg, ekind := parseIntervalAt(toks, a.from)
			if msg != "" {
				return note, tvfArg{}, &preErr{off: toks[a.from+1].start, msg: msg, kind: ekind}
			}
			if !ok || next != a.to {
				return note, tvfArg{}, &preErr{off: toks[a.from].start, msg: "the " + a.name + " of " + kind + " must be a constant interval such as INTERVAL '10' MINUTES",
					hint: usage, kind: ErrWindow}
			}
			if ms <= 0 && a.name != "OFFSET" {
				return note, tvfArg{}, &preErr{off: toks[a.from].start, msg: "the " + a.name + " of " + kind + " must be positive", kind: ErrWindow}
			}
			note.durs[a.name], note.durOffs[a.name] = ms, toks[a.from].start
		}
	}
	return note, data, nil
}

// readTVFData reads the DATA argument: TABLE name or TABLE (query), and
// for SESSION an optional PARTITION BY k or PARTITION BY (k1, k2, ...).
// It returns the token range of the name or of the parenthesised query.
func readTVFData(toks []token, a tvfArg, kind string, note *tvfNote) (tvfArg, *preErr) {
	usage := "usage: " + tvfUsage[kind]
	if !toks[a.from].is("TABLE") || a.to-a.from < 2 {
		return tvfArg{}, &preErr{off: toks[a.from].start, msg: "the data of " + kind + " is given as TABLE name or TABLE (query)", hint: usage}
	}
	j := a.from + 1
	var data tvfArg
	switch {
	case toks[j].is("("):
		c := matchParen(toks, j)
		if c < 0 || c >= a.to {
			return tvfArg{}, &preErr{off: toks[j].start, msg: "unclosed parenthesis in the data of " + kind, hint: usage}
		}
		data = tvfArg{name: "DATA", from: j, to: c + 1}
		j = c + 1
	case toks[j].isName():
		data = tvfArg{name: "DATA", from: j, to: j + 1}
		j++
		if j+1 < a.to && toks[j].is(".") && toks[j+1].isName() { // db.table
			data.to = j + 2
			j += 2
		}
	default:
		return tvfArg{}, &preErr{off: toks[j].start, msg: "the data of " + kind + " is given as TABLE name or TABLE (query)", hint: usage}
	}
	if j < a.to && toks[j].is("PARTITION") {
		if kind != "SESSION" {
			return tvfArg{}, &preErr{off: toks[j].start, msg: "PARTITION BY is only allowed in SESSION windows", hint: usage}
		}
		if j+2 > a.to || !toks[j+1].is("BY") {
			return tvfArg{}, &preErr{off: toks[j].start, msg: "expected PARTITION BY column", hint: usage}
		}
		j += 2
		if j < a.to && toks[j].is("(") {
			c := matchParen(toks, j)
			if c < 0 || c >= a.to {
				return tvfArg{}, &preErr{off: toks[j].start, msg: "unclosed PARTITION BY list", hint: usage}
			}
			for k := j + 1; k < c; k++ {
				if toks[k].is(",") {
					continue
				}
				if !toks[k].isName() {
					return tvfArg{}, &preErr{off: toks[k].start, msg: "PARTITION BY lists column names", hint: usage}
				}
				note.partition, note.partitionOff = append(note.partition, toks[k].name()), append(note.partitionOff, toks[k].start)
			}
			j = c + 1
		} else if j < a.to && toks[j].isName() {
			note.partition, note.partitionOff = append(note.partition, toks[j].name()), append(note.partitionOff, toks[j].start)
			j++
		}
		if len(note.partition) == 0 {
			return tvfArg{}, &preErr{off: toks[min(j, a.to-1)].start, msg: "expected PARTITION BY column", hint: usage}
		}
	}
	if j != a.to {
		return tvfArg{}, &preErr{off: toks[j].start, msg: "unexpected '" + toks[j].text + "' in the data of " + kind, hint: usage}
	}
	return data, nil
}
