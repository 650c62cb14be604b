package sql

import "strings"

// tokKind is the kind of a lexical token.
type tokKind uint8

const (
	tIdent  tokKind = iota // keyword or bare identifier
	tQuoted                // `quoted identifier`
	tString                // 'string' or "string"
	tNumber
	tOp // punctuation and operators
)

// token is a lexical token of a statement; start and end are byte offsets.
type token struct {
	kind       tokKind
	text       string // raw text
	val        string // unquoted value for strings and quoted identifiers
	start, end int
}

// is reports whether t is the bare word w (case-insensitive) or the operator w.
func (t token) is(w string) bool {
	return (t.kind == tIdent || t.kind == tOp) && strings.EqualFold(t.text, w)
}

// name returns the identifier value of t (quoted or not).
func (t token) name() string {
	if t.kind == tQuoted {
		return t.val
	}
	return t.text
}

func (t token) isName() bool { return t.kind == tIdent || t.kind == tQuoted }

// lex splits s into tokens, skipping spaces and comments (-- ..., # ...,
// /* ... */). An unterminated string or comment runs to the end of s.
func lex(s string) []token {
	var out []token
	i := 0
	for i < len(s) {
		c := s[i]
		switch {
		case c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f':
			i++
		case c == '-' && i+1 < len(s) && s[i+1] == '-', c == '#':
			for i < len(s) && s[i] != '\n' {
				i++
			}
		case c == '/' && i+1 < len(s) && s[i+1] == '*':
			j := strings.Index(s[i+2:], "*/")
			if j < 0 {
				i = len(s)
			} else {
				i += j + 4
			}
		case c == '\'' || c == '"' || c == '`':
			st := i
			val, end := scanQuoted(s, i)
			k := tString
			if c == '`' {
				k = tQuoted
			}
			out = append(out, token{kind: k, text: s[st:end], val: val, start: st, end: end})
			i = end
		case isDigit(c) || (c == '.' && i+1 < len(s) && isDigit(s[i+1])):
			st := i
			for i < len(s) && (isDigit(s[i]) || s[i] == '.') {
				i++
			}
			if i < len(s) && (s[i] == 'e' || s[i] == 'E') {
				j := i + 1
				if j < len(s) && (s[j] == '+' || s[j] == '-') {
					j++
				}
				if j < len(s) && isDigit(s[j]) {
					i = j
					for i < len(s) && isDigit(s[i]) {
						i++
					}
				}
			}
			out = append(out, token{kind: tNumber, text: s[st:i], start: st, end: i})
		case isIdentStart(c):
			st := i
			for i < len(s) && isIdentPart(s[i]) {
				i++
			}
			out = append(out, token{kind: tIdent, text: s[st:i], start: st, end: i})
		default:
			st := i
			n := 1
			if i+1 < len(s) {
				switch s[i : i+2] {
				case "<=", ">=", "<>", "!=", "||", "&&", "<<", ">>", ":=":
					n = 2
					if s[i:i+2] == "<=" && i+2 < len(s) && s[i+2] == '>' {
						n = 3
					}
				}
			}
			i += n
			out = append(out, token{kind: tOp, text: s[st:i], start: st, end: i})
		}
	}
	return out
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }
func isIdentStart(c byte) bool {
	return c == '_' || c == '$' || c >= 0x80 || (c|0x20 >= 'a' && c|0x20 <= 'z')
}
func isIdentPart(c byte) bool { return isIdentStart(c) || isDigit(c) }

// scanQuoted reads a quoted string or identifier starting at s[i] (the
// quote). A doubled quote stands for one; in strings a backslash escapes
// the next character (MySQL). It returns the value and the end offset.
func scanQuoted(s string, i int) (string, int) {
	q := s[i]
	var b strings.Builder
	j := i + 1
	for j < len(s) {
		c := s[j]
		if c == q {
			if j+1 < len(s) && s[j+1] == q {
				b.WriteByte(q)
				j += 2
				continue
			}
			return b.String(), j + 1
		}
		if c == '\\' && q != '`' && j+1 < len(s) {
			j++
			switch s[j] {
			case 'n':
				b.WriteByte('\n')
			case 't':
				b.WriteByte('\t')
			case 'r':
				b.WriteByte('\r')
			case '0':
				b.WriteByte(0)
			default:
				b.WriteByte(s[j])
			}
			j++
			continue
		}
		b.WriteByte(c)
		j++
	}
	return b.String(), len(s)
}
