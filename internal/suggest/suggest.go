// Package suggest finds the closest of a set of names to a misspelt one,
// for "did you mean" hints in error messages.
package suggest

import "strings"

// Distance is the Levenshtein distance between a and b, counted in bytes.
func Distance(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}

// Closest returns the candidate nearest to name, ignoring case, when it is
// close enough to be a likely misspelling: at most 2 edits away (1 for
// names of up to 3 characters) and fewer edits than name has characters.
// It returns "" otherwise. Of equally near candidates the first wins.
func Closest(name string, candidates []string) string {
	best, bestD := "", 1<<30
	ln := strings.ToLower(name)
	for _, c := range candidates {
		if d := Distance(ln, strings.ToLower(c)); d < bestD {
			best, bestD = c, d
		}
	}
	limit := 2
	if len(name) <= 3 {
		limit = 1
	}
	if bestD <= limit && bestD < len(name) {
		return best
	}
	return ""
}
