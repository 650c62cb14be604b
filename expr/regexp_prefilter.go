package expr

import (
	"regexp"
	"regexp/syntax"
	"strings"
	"unicode/utf8"
)

// regexpPlan is a compiled pattern with what its syntax tells about the
// strings it can match, used to skip or shorten the search:
//
//   - lit is a literal every match contains ("" when the pattern has none
//     at its top level): a string without it has no match, found with
//     strings.Index instead of running the pattern;
//   - maxBefore is the most bytes a match can have before that literal
//     (-1: unbounded). Since a match contains an occurrence of lit within
//     maxBefore bytes of its start, no match starts before the first
//     occurrence f minus maxBefore, so the search can begin there;
//   - window is the pattern searched from such a later start: re itself
//     with its begin-of-text assertions (^, \A) made unmatchable, since
//     past the start of the string they cannot hold (nil when the pattern
//     has other assertions that read the byte before the start: \b, \B,
//     multi-line ^; then only the literal check applies).
//
// Results are exactly re's: the same match, the same group positions.
type regexpPlan struct {
	re        *regexp.Regexp
	lit       string
	maxBefore int
	window    *regexp.Regexp
}

// planRegexp analyses re's pattern (as regexp.Compile parsed it).
func planRegexp(re *regexp.Regexp) *regexpPlan {
	p := &regexpPlan{re: re, maxBefore: -1}
	tree, err := syntax.Parse(re.String(), syntax.Perl)
	if err != nil {
		return p
	}
	tree = tree.Simplify()
	subs := []*syntax.Regexp{tree}
	if tree.Op == syntax.OpConcat {
		subs = tree.Sub
	}
	best := -1
	for i, s := range subs {
		if s.Op == syntax.OpLiteral && s.Flags&syntax.FoldCase == 0 && (best < 0 || len(string(s.Rune)) > len(p.lit)) {
			best, p.lit = i, string(s.Rune)
		}
	}
	if best < 0 {
		return p
	}
	width := 0
	for _, s := range subs[:best] {
		w := maxWidth(s)
		if w < 0 {
			return p
		}
		width += w
	}
	if readsContext(tree) {
		return p
	}
	window, err := regexp.Compile(withoutBeginText(tree).String())
	if err != nil || window.NumSubexp() != re.NumSubexp() {
		return p
	}
	p.maxBefore, p.window = width, window
	return p
}

// maxWidth is the most bytes re can match, -1 when unbounded.
func maxWidth(re *syntax.Regexp) int {
	switch re.Op {
	case syntax.OpEmptyMatch, syntax.OpBeginLine, syntax.OpEndLine, syntax.OpBeginText, syntax.OpEndText,
		syntax.OpWordBoundary, syntax.OpNoWordBoundary, syntax.OpNoMatch:
		return 0
	case syntax.OpLiteral:
		n := 0
		for _, r := range re.Rune {
			if re.Flags&syntax.FoldCase != 0 {
				n += utf8.UTFMax // a case variant may be longer
			} else {
				n += utf8.RuneLen(r)
			}
		}
		return n
	case syntax.OpCharClass, syntax.OpAnyChar, syntax.OpAnyCharNotNL:
		return utf8.UTFMax
	case syntax.OpCapture, syntax.OpQuest:
		return maxWidth(re.Sub[0])
	case syntax.OpConcat:
		n := 0
		for _, s := range re.Sub {
			w := maxWidth(s)
			if w < 0 {
				return -1
			}
			n += w
		}
		return n
	case syntax.OpAlternate:
		n := 0
		for _, s := range re.Sub {
			w := maxWidth(s)
			if w < 0 {
				return -1
			}
			n = max(n, w)
		}
		return n
	case syntax.OpRepeat:
		w := maxWidth(re.Sub[0])
		if w < 0 || re.Max < 0 {
			if w == 0 {
				return 0
			}
			return -1
		}
		return w * re.Max
	case syntax.OpStar, syntax.OpPlus:
		if maxWidth(re.Sub[0]) == 0 {
			return 0
		}
	}
	return -1
}

// readsContext reports whether re has an assertion that looks at the byte
// before a position (so searching a suffix could change its result).
func readsContext(re *syntax.Regexp) bool {
	switch re.Op {
	case syntax.OpWordBoundary, syntax.OpNoWordBoundary, syntax.OpBeginLine:
		return true
	}
	for _, s := range re.Sub {
		if readsContext(s) {
			return true
		}
	}
	return false
}

// withoutBeginText returns a copy of re with every begin-of-text
// assertion replaced by a pattern that matches nothing.
func withoutBeginText(re *syntax.Regexp) *syntax.Regexp {
	c := *re
	if c.Op == syntax.OpBeginText {
		return &syntax.Regexp{Op: syntax.OpNoMatch, Flags: re.Flags}
	}
	if len(re.Sub) > 0 {
		c.Sub = make([]*syntax.Regexp, len(re.Sub))
		for i, s := range re.Sub {
			c.Sub[i] = withoutBeginText(s)
		}
	}
	return &c
}

// mayMatch reports false when s cannot contain a match (it lacks the
// required literal).
func (p *regexpPlan) mayMatch(s string) bool {
	return p.lit == "" || strings.Contains(s, p.lit)
}

// findSubmatchIndex is p.re.FindStringSubmatchIndex(s).
func (p *regexpPlan) findSubmatchIndex(s string) []int {
	if p.lit == "" {
		return p.re.FindStringSubmatchIndex(s)
	}
	f := strings.Index(s, p.lit)
	if f < 0 {
		return nil
	}
	off := f - p.maxBefore
	if p.window == nil || off <= 0 {
		return p.re.FindStringSubmatchIndex(s)
	}
	for off > 0 && !utf8.RuneStart(s[off]) {
		off-- // start on a whole character
	}
	if off == 0 {
		return p.re.FindStringSubmatchIndex(s)
	}
	m := p.window.FindStringSubmatchIndex(s[off:])
	for i := range m {
		if m[i] >= 0 {
			m[i] += off
		}
	}
	return m
}
