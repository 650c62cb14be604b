package sql

import "strings"

// Aggregate OVER calls the TiDB grammar cannot parse, or parses losing
// part of the call, rewritten at the very end of rewriteQuery (after
// FILTER clauses were blanked and recorded, preparse_filter.go):
//
//   - LISTAGG, BOOL_AND and BOOL_OR take no OVER in the grammar (they are
//     plain function calls to it);
//   - COUNT(DISTINCT ...) takes no OVER (the other aggregates' DISTINCT
//     does, but is rewritten alike so that every DISTINCT binds one way);
//   - GROUP_CONCAT(... ORDER BY ...) OVER parses, but the window form
//     drops the ORDER BY.
//
// Such a call, agg(args) [FILTER (WHERE ...)] OVER ..., has its text
// agg(args) replaced by COUNT(*) padded with spaces, which the grammar
// parses as an OVER call with its window intact at the same offsets; the
// call's pre-parsed text is recorded in notes.overCalls under the offset
// of the aggregate's name. bindOverCall (bind_over.go) finds the note at
// the offset of the COUNT(*) OVER call, parses the recorded text at its
// original offsets as an aggregate and binds it through the aggregate
// binder, as in GROUP BY (a FILTER's note is under the same offset).

// overPlaceholder is the call written in place of a recorded one.
const overPlaceholder = "COUNT(*)"

// overCallNote is one recorded OVER call: its pre-parsed text and its
// offset in the statement.
type overCallNote struct {
	off  int
	text string
}

// overOnlyByNote are the aggregates whose OVER calls are always recorded.
var overOnlyByNote = map[string]bool{"LISTAGG": true, "BOOL_AND": true, "BOOL_OR": true, "GROUP_CONCAT": true}

// rewriteOverCalls applies the rewrite above to buf; toks are the
// original tokens and skip marks tokens another rewrite consumed.
func rewriteOverCalls(buf []byte, toks []token, nt *notes, skip []bool) {
	for i := 0; i+1 < len(toks); i++ {
		t := toks[i]
		if skip[i] || t.kind != tIdent || !toks[i+1].is("(") {
			continue
		}
		name := strings.ToUpper(t.text)
		if !filterableAggs[name] || name == "FIRST_VALUE" || name == "LAST_VALUE" {
			continue
		}
		close := matchParen(toks, i+1)
		if close < 0 || !overFollows(toks, close+1) {
			continue
		}
		distinct := i+2 < close && toks[i+2].is("DISTINCT")
		if !overOnlyByNote[name] && !distinct {
			continue
		}
		a, b := t.start, toks[close].end
		if b-a < len(overPlaceholder) {
			continue // cannot happen for these names: the grammar reports the call
		}
		nt.overCalls[a] = overCallNote{off: a, text: string(buf[a:b])}
		put(buf, a, b, overPlaceholder)
		i = close
	}
}

// overFollows reports whether toks[j] is OVER, or a FILTER (...) clause
// followed by OVER.
func overFollows(toks []token, j int) bool {
	if j+1 < len(toks) && toks[j].is("FILTER") && toks[j+1].is("(") {
		if c := matchParen(toks, j+1); c > 0 {
			j = c + 1
		}
	}
	return j < len(toks) && toks[j].is("OVER")
}
