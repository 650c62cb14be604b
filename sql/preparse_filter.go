package sql

import "strings"

// Aggregate forms the TiDB grammar lacks, rewritten at the end of
// rewriteQuery (after the other rewrites, so a condition's text is already
// in the parser's form), keeping every byte offset:
//
//   - agg(...) FILTER (WHERE cond): the clause is blanked out and cond's
//     pre-parsed text is recorded in notes.filters under the offset of the
//     aggregate's name, where the binder (bind_agg_more.go) finds it, parses
//     it at its original offsets and binds it as the call's plan.AggCall
//     Filter.
//   - FIRST_VALUE( and LAST_VALUE( not followed by [FILTER (...)] OVER (TiDB only knows
//     them as window functions) become _FIRSTVALUE( and _LASTVALUE(, which
//     liftAggregates turns into aggregate calls.

// filterableAggs are the aggregate names FILTER may follow (with the
// MySQL aliases the parser maps to them).
var filterableAggs = map[string]bool{"COUNT": true, "SUM": true, "MIN": true, "MAX": true, "AVG": true,
	"LISTAGG": true, "GROUP_CONCAT": true, "FIRST_VALUE": true, "LAST_VALUE": true,
	"STDDEV_POP": true, "STDDEV_SAMP": true, "VAR_POP": true, "VAR_SAMP": true,
	"STDDEV": true, "STD": true, "VARIANCE": true, "BOOL_AND": true, "BOOL_OR": true}

// filterNote is one FILTER (WHERE cond) clause: cond's pre-parsed text and
// its offset in the statement.
type filterNote struct {
	off  int
	text string
}

// rewriteAggregateForms applies the rewrites above to buf (the statement
// after the other pre-parse rewrites); toks are the original tokens and
// skip marks tokens another rewrite consumed.
func rewriteAggregateForms(buf []byte, toks []token, nt *notes, skip []bool) *preErr {
	for i := 0; i < len(toks); i++ {
		t := toks[i]
		if skip[i] {
			continue
		}
		switch {
		case (t.is("FIRST_VALUE") || t.is("LAST_VALUE")) && i+1 < len(toks) && toks[i+1].is("("):
			close := matchParen(toks, i+1)
			if close < 0 || overFollows(toks, close+1) {
				continue
			}
			if t.is("FIRST_VALUE") {
				put(buf, t.start, t.end, "_FIRSTVALUE")
			} else {
				put(buf, t.start, t.end, "_LASTVALUE")
			}
		case t.is("FILTER") && i > 0 && toks[i-1].is(")") && i+1 < len(toks) && toks[i+1].is("("):
			open := openParen(toks, i-1)
			if open < 1 || toks[open-1].kind != tIdent || !filterableAggs[strings.ToUpper(toks[open-1].text)] {
				return &preErr{off: t.start, msg: "FILTER must follow an aggregate call", hint: "e.g. COUNT(*) FILTER (WHERE price > 10)"}
			}
			close := matchParen(toks, i+1)
			if close < 0 {
				return &preErr{off: toks[i+1].start, msg: "FILTER's parenthesis is not closed", hint: "FILTER (WHERE condition)"}
			}
			if i+2 >= close || !toks[i+2].is("WHERE") || i+3 >= close {
				return &preErr{off: toks[i+1].start, msg: "FILTER needs (WHERE condition)", hint: "e.g. COUNT(*) FILTER (WHERE price > 10)"}
			}
			a, b := toks[i+3].start, toks[close-1].end
			nt.filters[toks[open-1].start] = filterNote{off: a, text: string(buf[a:b])}
			blank(buf, t.start, toks[close].end)
			i = close
		}
	}
	return nil
}

// isBlank reports whether c is white space (the pre-parse pads with
// spaces and keeps newlines).
func isBlank(c byte) bool { return c == ' ' || c == '\n' || c == '\t' || c == '\r' }

// openParen returns the index of the '(' that the ')' at toks[j] closes, or -1.
func openParen(toks []token, j int) int {
	depth := 0
	for k := j; k >= 0; k-- {
		switch {
		case toks[k].is(")"):
			depth++
		case toks[k].is("("):
			depth--
			if depth == 0 {
				return k
			}
		}
	}
	return -1
}
