package sql

import (
	"strconv"
	"strings"
)

// Pre-parse of Flink's temporal table syntax, FOR SYSTEM_TIME AS OF, which
// the TiDB grammar lacks. Flink accepts the clause before or after the
// table's alias:
//
//	JOIN t FOR SYSTEM_TIME AS OF p.proc_time [AS] s ON ...
//	JOIN t [AS] s FOR SYSTEM_TIME AS OF p.proc_time ON ...
//
// Both become TiDB's stale-read form `t [AS] s AS OF TIMESTAMP <n>`, which
// TiDB parses into ast.TableName.AsOf, where n is the clause's ordinal in
// the statement: the binder reads the clause again from the original
// tokens (temporalClauses) by that ordinal. The rewritten text is written
// over the clause (and the alias after it), padded with spaces; newlines
// stay where they are (no word straddles one), so that no line moves. A
// malformed clause is rewritten too, so that the binder reports what is
// wrong with it at its position; a clause that does not follow a table
// name is left alone, and TiDB reports a syntax error at FOR.

// temporalClause is one FOR SYSTEM_TIME AS OF clause of a statement.
type temporalClause struct {
	forTok  int // index of FOR in the statement's tokens
	prevTok int // index of the token before FOR (the table name or its alias)
	// The time attribute: qual.name (qual may be ""), at offset attrOff.
	qual, name string
	attrOff    int
	lastTok    int // index of the clause's last token
	// alias, when the alias follows the clause: its token (aliasTok >= 0)
	aliasTok int
	// bad, when not "": what is wrong with the clause (an error of kind
	// badKind at badOff).
	bad     string
	badKind ErrorKind
	badOff  int
}

// clauseEnds are the words that may follow a table reference.
var clauseEnds = map[string]bool{"ON": true, "JOIN": true, "INNER": true, "LEFT": true, "RIGHT": true,
	"CROSS": true, "FULL": true, "NATURAL": true, "STRAIGHT_JOIN": true, "WHERE": true, "GROUP": true,
	"HAVING": true, "ORDER": true, "LIMIT": true, "UNION": true, "EXCEPT": true, "INTERSECT": true,
	"WINDOW": true, "USING": true, "FOR": true, "USE": true, "FORCE": true, "IGNORE": true, "AS": true}

func endsTableRef(t token) bool {
	if t.kind == tOp {
		return t.is(",") || t.is(")") || t.is(";")
	}
	return t.kind == tIdent && clauseEnds[strings.ToUpper(t.text)]
}

// temporalClauses finds the FOR SYSTEM_TIME AS OF clauses of a
// statement's tokens, in order.
func temporalClauses(toks []token) []temporalClause {
	var out []temporalClause
	for i := 0; i+1 < len(toks); i++ {
		if !toks[i].is("FOR") || !toks[i+1].is("SYSTEM_TIME") {
			continue
		}
		c := temporalClause{forTok: i, prevTok: i - 1, aliasTok: -1}
		j := i + 2
		switch {
		case j+1 >= len(toks) || !toks[j].is("AS") || !toks[j+1].is("OF"):
			c.bad, c.badKind, c.badOff = "expected AS OF after FOR SYSTEM_TIME", ErrSyntax, offAt(toks, j)
			j = skipExpr(toks, j)
		case j+2 >= len(toks) || !toks[j+2].isName() || endsTableRef(toks[j+2]):
			j += 2
			c.attrOff = offAt(toks, j)
			c.bad, c.badKind, c.badOff = "FOR SYSTEM_TIME AS OF needs the processing-time attribute of the probe side, e.g. FOR SYSTEM_TIME AS OF o.proc_time", ErrSyntax, c.attrOff
		default:
			j += 2
			c.attrOff = toks[j].start
			c.name = toks[j].name()
			j++
			if j+1 < len(toks) && toks[j].is(".") && toks[j+1].isName() {
				c.qual, c.name = c.name, toks[j+1].name()
				j += 2
			}
			// Anything but the end of the table reference or an alias
			// makes the attribute an expression.
			if j < len(toks) && !endsTableRef(toks[j]) && !(toks[j].isName() && (j+1 >= len(toks) || endsTableRef(toks[j+1]))) {
				c.bad, c.badKind, c.badOff = "FOR SYSTEM_TIME AS OF takes a column (the probe side's processing-time attribute), not an expression", ErrUnsupported, c.attrOff
				j = skipExpr(toks, j)
			}
		}
		// An alias after the clause: [AS] name.
		switch {
		case j+1 < len(toks) && toks[j].is("AS") && toks[j+1].isName():
			c.aliasTok = j + 1
			j += 2
		case j < len(toks) && toks[j].isName() && !endsTableRef(toks[j]):
			c.aliasTok = j
			j++
		}
		c.lastTok = j - 1
		out = append(out, c)
		i = c.lastTok
	}
	return out
}

// skipExpr returns the index of the first token from i that ends a table
// reference (or len(toks)).
func skipExpr(toks []token, i int) int {
	for i < len(toks) && !endsTableRef(toks[i]) {
		i++
	}
	return i
}

// offAt is the offset of token i, or the end of the last token.
func offAt(toks []token, i int) int {
	if i < len(toks) {
		return toks[i].start
	}
	if len(toks) == 0 {
		return 0
	}
	return toks[len(toks)-1].end
}

// rewriteTemporal rewrites the FOR SYSTEM_TIME AS OF clauses of a
// query's tokens in buf (the query text being pre-parsed; same offsets)
// into TiDB's `AS OF TIMESTAMP n` (see the top of this file). A clause
// with a problem is rewritten too, so that the binder reports it with its
// position. It runs after the other rewrites of rewriteQuery, and the
// clause's span is overwritten whole.
func rewriteTemporal(buf []byte, toks []token) {
	for n, c := range temporalClauses(toks) {
		if c.prevTok < 0 || !toks[c.prevTok].isName() || endsTableRef(toks[c.prevTok]) {
			continue // not after a table reference: TiDB reports FOR
		}
		words := []string{"AS", "OF", "TIMESTAMP", strconv.Itoa(n)}
		if c.aliasTok >= 0 {
			words = append([]string{toks[c.aliasTok].text}, words...)
		}
		start, end := toks[c.forTok].start, toks[c.lastTok].end
		// Place the words one by one, none across a newline.
		at := make([]int, len(words))
		pos, ok := start, true
		for w, word := range words {
			// the first position from pos with len(word) characters before a newline
			for pos+len(word) <= end {
				nl := strings.IndexByte(string(buf[pos:pos+len(word)]), '\n')
				if nl < 0 {
					break
				}
				pos += nl + 1
			}
			if pos+len(word) > end {
				ok = false
				break
			}
			at[w] = pos
			pos += len(word) + 1
		}
		if !ok {
			continue // cannot happen for a well-formed clause; TiDB reports FOR
		}
		blank(buf, start, end)
		for w, word := range words {
			copy(buf[at[w]:], word)
		}
	}
}
