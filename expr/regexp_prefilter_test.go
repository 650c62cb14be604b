package expr

import (
	"math/rand/v2"
	"regexp"
	"slices"
	"testing"
)

// The literal check and the later search start give exactly the plain
// search's result, over random strings made of pieces the patterns look
// for (and multi-byte characters, to test cutting on a character start).
func TestRegexpPlanMatchesPlainSearch(t *testing.T) {
	patterns := []string{
		`(&|^)channel_id=([^&]*)`,
		`channel_id=(\d+)`,
		`^channel_id=`,
		`a(b|c)d`,
		`x?ab$`,
		`(?i)AB`,
		`[a-c]{2,3}ab(c)?`,
		`\bab`,
		`(?m)^ab`,
		`.*ab`,
		`é?ab(.)`,
		`(a|^)(b|^)ab`,
		`q{0,3}ab+`,
		`(ab)`,
		`ab|cd`,
		`ab\Aq`,
	}
	pieces := []string{"a", "b", "c", "d", "&", "=", "ab", "channel_id=", "12", "x", "é", "日本", "\n", " ", "q"}
	r := rand.New(rand.NewPCG(1, 2))
	for _, src := range patterns {
		re := regexp.MustCompile(src)
		p := planRegexp(re)
		for range 3000 {
			var s string
			for range r.IntN(12) {
				s += pieces[r.IntN(len(pieces))]
			}
			if got, want := p.findSubmatchIndex(s), re.FindStringSubmatchIndex(s); !slices.Equal(got, want) {
				t.Fatalf("pattern %q on %q: %v, want %v (literal %q, before %d)", src, s, got, want, p.lit, p.maxBefore)
			}
			if !p.mayMatch(s) && re.MatchString(s) {
				t.Fatalf("pattern %q on %q: the literal check %q rules out a match", src, s, p.lit)
			}
		}
	}
}

// What the analysis finds for the pattern of Nexmark q21.
func TestRegexpPlanOfChannelID(t *testing.T) {
	p := planRegexp(regexp.MustCompile(`(&|^)channel_id=([^&]*)`))
	if p.lit != "channel_id=" || p.maxBefore != 1 || p.window == nil {
		t.Fatalf("literal %q, before %d, window %v", p.lit, p.maxBefore, p.window)
	}
	for _, src := range []string{`\bab`, `(?m)^ab`} {
		if p := planRegexp(regexp.MustCompile(src)); p.window != nil {
			t.Errorf("%s: a later start would change \\b or multi-line ^", src)
		}
	}
}
