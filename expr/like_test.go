package expr

import (
	"math/rand"
	"strings"
	"testing"
	"unicode/utf8"
)

// backtrackLike is the straightforward recursive LIKE matcher ('%' tries
// every split): exponential on some inputs, but obviously right, so it is
// the oracle the linear matcher is checked against on small inputs.
func backtrackLike(p []rune, s string, esc rune) bool {
	for len(p) > 0 {
		switch {
		case p[0] == esc && len(p) > 1:
			r, w := utf8.DecodeRuneInString(s)
			if s == "" || r != p[1] {
				return false
			}
			s, p = s[w:], p[2:]
			continue
		case p[0] == '%':
			for {
				if backtrackLike(p[1:], s, esc) {
					return true
				}
				if s == "" {
					return false
				}
				_, w := utf8.DecodeRuneInString(s)
				s = s[w:]
			}
		case p[0] == '_':
			if s == "" {
				return false
			}
			_, w := utf8.DecodeRuneInString(s)
			s = s[w:]
		default:
			r, w := utf8.DecodeRuneInString(s)
			if s == "" || r != p[0] {
				return false
			}
			s = s[w:]
		}
		p = p[1:]
	}
	return s == ""
}

func TestLikeMatchesOracle(t *testing.T) {
	cases := []struct {
		p, s string
		want bool
	}{
		{"", "", true}, {"", "a", false}, {"%", "", true}, {"%%", "abc", true}, {"_", "", false},
		{"a%", "abc", true}, {"%c", "abc", true}, {"%b%", "abc", true}, {"a%c", "ac", true},
		{"a%a", "a", false}, {"a%a", "aa", true}, {"a_c", "abc", true}, {"a_c", "ac", false},
		{"%a_%", "xa", false}, {"%a_%", "xay", true}, {"_%_", "é", false}, {"_%_", "éa", true},
		{"h_llo", "héllo", true}, {"%é_", "aéb", true}, {"a\\%b", "a%b", true}, {"a\\%b", "axb", false},
		{"%\\_", "a_", true}, {"%\\_", "ab", false}, {"a\\", "a\\", true}, {"%ab%ab%", "abab", true},
		{"%ab%ab%", "aba", false}, {"%aa%aa", "aaa", false}, {"%aa%aa", "aaaa", true},
	}
	for _, c := range cases {
		got := compileLike(c.p, '\\').match(c.s)
		if got != c.want || got != backtrackLike([]rune(c.p), c.s, '\\') {
			t.Errorf("%q LIKE %q = %v, want %v", c.s, c.p, got, c.want)
		}
	}
	// Random patterns over a small alphabet against random subjects.
	rng := rand.New(rand.NewSource(1))
	pat := []rune("ab%_!é")
	sub := []rune("abé")
	for range 20000 {
		p := make([]rune, rng.Intn(8))
		for i := range p {
			p[i] = pat[rng.Intn(len(pat))]
		}
		s := make([]rune, rng.Intn(9))
		for i := range s {
			s[i] = sub[rng.Intn(len(sub))]
		}
		got := compileLike(string(p), '!').match(string(s))
		if want := backtrackLike(p, string(s), '!'); got != want {
			t.Fatalf("%q LIKE %q ESCAPE '!' = %v, want %v", string(s), string(p), got, want)
		}
	}
}

// pathologicalLike is a subject and pattern on which a backtracking
// matcher takes exponential time: n '%a' then '%c' against 'aaa…ab'.
func pathologicalLike(n int) (subject, pattern string) {
	return strings.Repeat("a", 59) + "b", strings.Repeat("%a", n) + "%c"
}

// TestLikePathological: a 60-character row against ten '%a' used never to
// finish (seven took 4.5 s); the linear matcher answers at once.
func TestLikePathological(t *testing.T) {
	for _, n := range []int{7, 10, 30} {
		s, p := pathologicalLike(n)
		if compileLike(p, '\\').match(s) {
			t.Errorf("%q LIKE %q = true", s, p)
		}
		if !compileLike(strings.TrimSuffix(p, "c")+"b", '\\').match(s) {
			t.Errorf("%q LIKE %q = false", s, p)
		}
	}
}

func BenchmarkLikePathological(b *testing.B) {
	s, p := pathologicalLike(10)
	lp := compileLike(p, '\\')
	long := strings.Repeat(s, 1000)
	b.Run("60B", func(b *testing.B) {
		for b.Loop() {
			lp.match(s)
		}
	})
	b.Run("60KB", func(b *testing.B) {
		for b.Loop() {
			lp.match(long)
		}
	})
	// An unanchored last segment: every middle segment is searched for
	// across the whole subject.
	scan := compileLike(p+"%", '\\')
	b.Run("60KB-scan", func(b *testing.B) {
		for b.Loop() {
			scan.match(long)
		}
	})
}
