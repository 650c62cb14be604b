package expr

import (
	"strings"
	"unicode/utf8"
)

// likePattern is a compiled LIKE pattern. The pattern is cut at every
// unescaped '%' into segments; a segment is a fixed sequence of literal
// text and '_' (exactly one character), so it always spans the same number
// of characters. Matching is linear in the length of the subject for a
// given pattern (at most O(len(subject) × len(segment)) per segment, no
// backtracking):
//
//   - without any '%' the only segment must span the whole subject;
//   - otherwise the first segment is anchored at the start, the last at
//     the end, and each middle segment is matched at its leftmost position
//     after the previous one. Leftmost is always right: a segment's end
//     grows with its start, so the earliest match leaves the longest rest
//     for the segments after it, and '%' on both sides absorbs the gaps.
//
// Characters are UTF-8 runes; an invalid byte counts as one character.
// The comparison is byte-wise (case-sensitive), as it always was.
//
// NewLike compiles a literal pattern once per expression; a pattern that
// is itself an expression is compiled once per row (linear in its length).
type likePattern struct {
	// segs are the pieces between unescaped '%' (some may be empty); a
	// pattern without '%' has exactly one.
	segs []likeSegment
}

// likeSegment is the text between two '%': literal runs and single-char
// wildcards in order.
type likeSegment struct {
	items []likeItem
}

// likeItem is a literal run (lit != "") or one '_' (lit == "").
type likeItem struct {
	lit string
}

// compileLike cuts pattern p into segments; esc escapes the character
// after it ('%', '_', itself or any other); an escape character as the
// last character of the pattern is taken literally.
func compileLike(p string, esc rune) *likePattern {
	lp := &likePattern{}
	var cur likeSegment
	var lit []byte
	flushLit := func() {
		if len(lit) > 0 {
			cur.items = append(cur.items, likeItem{lit: string(lit)})
			lit = lit[:0]
		}
	}
	for i := 0; i < len(p); {
		r, w := utf8.DecodeRuneInString(p[i:])
		switch {
		case r == esc && i+w < len(p):
			_, w2 := utf8.DecodeRuneInString(p[i+w:])
			lit = append(lit, p[i+w:i+w+w2]...)
			i += w + w2
			continue
		case r == '%':
			flushLit()
			lp.segs = append(lp.segs, cur)
			cur = likeSegment{}
		case r == '_':
			flushLit()
			cur.items = append(cur.items, likeItem{})
		default:
			lit = append(lit, p[i:i+w]...)
		}
		i += w
	}
	flushLit()
	lp.segs = append(lp.segs, cur)
	return lp
}

// match reports whether s matches the whole pattern.
func (lp *likePattern) match(s string) bool {
	segs := lp.segs
	pos, ok := segs[0].matchAt(s, 0)
	if !ok {
		return false
	}
	if len(segs) == 1 {
		return pos == len(s)
	}
	for _, seg := range segs[1 : len(segs)-1] {
		if pos, ok = seg.findFrom(s, pos); !ok {
			return false
		}
	}
	start, ok := segs[len(segs)-1].matchSuffix(s)
	return ok && start >= pos
}

// matchAt matches the segment at byte offset i of s and returns the offset
// just after it.
func (g *likeSegment) matchAt(s string, i int) (int, bool) {
	for _, it := range g.items {
		if it.lit != "" {
			if !strings.HasPrefix(s[i:], it.lit) {
				return 0, false
			}
			i += len(it.lit)
			continue
		}
		if i >= len(s) {
			return 0, false
		}
		_, w := utf8.DecodeRuneInString(s[i:])
		i += w
	}
	return i, true
}

// findFrom finds the leftmost match of the segment starting at or after
// byte offset from (on a character boundary) and returns the offset just
// after it.
func (g *likeSegment) findFrom(s string, from int) (int, bool) {
	if len(g.items) == 0 {
		return from, true
	}
	if first := g.items[0].lit; first != "" {
		// Jump between occurrences of the leading literal.
		for from <= len(s) {
			k := strings.Index(s[from:], first)
			if k < 0 {
				return 0, false
			}
			if end, ok := g.matchAt(s, from+k); ok {
				return end, true
			}
			_, w := utf8.DecodeRuneInString(s[from+k:])
			from += k + w
		}
		return 0, false
	}
	for {
		if end, ok := g.matchAt(s, from); ok {
			return end, true
		}
		if from >= len(s) {
			return 0, false
		}
		_, w := utf8.DecodeRuneInString(s[from:])
		from += w
	}
}

// matchSuffix matches the segment against the end of s, walking backwards,
// and returns the byte offset where the match starts.
func (g *likeSegment) matchSuffix(s string) (int, bool) {
	j := len(s)
	for k := len(g.items) - 1; k >= 0; k-- {
		if lit := g.items[k].lit; lit != "" {
			if !strings.HasSuffix(s[:j], lit) {
				return 0, false
			}
			j -= len(lit)
			continue
		}
		if j == 0 {
			return 0, false
		}
		_, w := utf8.DecodeLastRuneInString(s[:j])
		j -= w
	}
	return j, true
}
