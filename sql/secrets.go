package sql

import (
	"slices"
	"strings"

	"github.com/streamsql/streamsql/catalog"
)

// MaskSecrets returns the statement text with every option value masked
// by catalog.MaskOption, the masking SHOW CREATE TABLE shows: the values
// of WITH ('key' = 'value', ...) clauses, of MySQL's CONNECTION='url'
// table option, and of SET 'key' = 'value'. A masked value is written as
// a quoted string; everything else (other literals, spacing, comments) is
// kept byte for byte, and text holding no secret is returned unchanged.
// text may hold several statements and need not compile (the shell calls
// it on whatever was typed before saving it to the history file).
func MaskSecrets(text string) string {
	toks := lex(text)
	type edit struct {
		start, end int
		with       string
	}
	var edits []edit
	// maskValue masks the value made of toks[vs:ve] of option key.
	maskValue := func(key string, vs, ve int) {
		if vs >= ve {
			return
		}
		val := text[toks[vs].start:toks[ve-1].end]
		if ve-vs == 1 && toks[vs].kind == tString {
			val = toks[vs].val
		}
		if masked := catalog.MaskOption(key, val); masked != val {
			edits = append(edits, edit{toks[vs].start, toks[ve-1].end, "'" + strings.ReplaceAll(masked, "'", "''") + "'"})
		}
	}
	// optionAt reads 'key' = value at toks[i:end], the value ending at a
	// ',' outside parentheses (stop) or at end; it returns the index after it.
	optionAt := func(i, end int, stop string) int {
		ks := i
		for i < end && !toks[i].is("=") && !toks[i].is(stop) {
			i++
		}
		if i >= end || !toks[i].is("=") || i == ks {
			return i + 1
		}
		key := text[toks[ks].start:toks[i-1].end]
		if i-ks == 1 && (toks[ks].kind == tString || toks[ks].kind == tQuoted) {
			key = toks[ks].val
		}
		vs := i + 1
		depth := 0
		for i = vs; i < end; i++ {
			if depth == 0 && stop != "" && toks[i].is(stop) {
				break
			}
			if toks[i].is("(") {
				depth++
			} else if toks[i].is(")") {
				depth--
			}
		}
		maskValue(key, vs, i)
		return i + 1
	}
	stmtStart := true
	for i := 0; i < len(toks); {
		t := toks[i]
		switch {
		case t.is(";"):
			stmtStart = true
			i++
			continue
		case stmtStart && t.is("SET"):
			end := i + 1
			for end < len(toks) && !toks[end].is(";") {
				end++
			}
			optionAt(i+1, end, "")
			i = end
		case t.is("WITH") && i+1 < len(toks) && toks[i+1].is("("):
			end := matchParen(toks, i+1)
			if end < 0 {
				end = len(toks)
			}
			for j := i + 2; j < end; {
				j = optionAt(j, end, ",")
			}
			i = end + 1
		case t.is("CONNECTION"):
			j := i + 1
			if j < len(toks) && toks[j].is("=") {
				j++
			}
			if j < len(toks) && toks[j].kind == tString {
				maskValue("connection", j, j+1)
				j++
			}
			i = j
		default:
			i++
		}
		stmtStart = false
	}
	// A safety net for DDL and SET text the scan above does not recognise
	// (a typo such as a missing '=', a statement the grammar lacks): in a
	// statement that starts with CREATE, ALTER or SET, a string literal
	// right after one that names a secret key (with an optional '=' or ':'
	// between) is masked whole, and any other string literal holding url
	// user info or a secret parameter is masked as an option value is.
	// Queries and INSERTs keep their literals (they are data).
	structured := edits
	inEdit := func(pos int) bool {
		for _, e := range structured {
			if pos >= e.start && pos < e.end {
				return true
			}
		}
		return false
	}
	ddl, first := false, true
	for i, t := range toks {
		if t.is(";") {
			first = true
			continue
		}
		if first {
			ddl, first = t.is("CREATE") || t.is("ALTER") || t.is("SET"), false
		}
		if !ddl || t.kind != tString || inEdit(t.start) {
			continue
		}
		masked := catalog.MaskOption("", t.val)
		if j := i - 1; j >= 0 && (toks[j].is("=") || toks[j].is(":")) {
			j--
			if j >= 0 && (toks[j].kind == tString || toks[j].kind == tQuoted) && catalog.IsSecretKey(toks[j].val) {
				masked = catalog.Mask
			}
		} else if j >= 0 && toks[j].kind == tString && catalog.IsSecretKey(toks[j].val) {
			masked = catalog.Mask
		}
		if masked != t.val {
			edits = append(edits, edit{t.start, t.end, "'" + strings.ReplaceAll(masked, "'", "''") + "'"})
		}
	}
	if len(edits) == 0 {
		return text
	}
	slices.SortFunc(edits, func(a, b edit) int { return a.start - b.start })
	var b strings.Builder
	last := 0
	for _, e := range edits { // in text order, and no two overlap (one per token at most)
		b.WriteString(text[last:e.start])
		b.WriteString(e.with)
		last = e.end
	}
	b.WriteString(text[last:])
	return b.String()
}
