package testkit

import (
	"fmt"
	"strings"
)

// LongOr is "k = 0 OR k = 1 OR … OR k = n-1".
func LongOr(n int) string {
	var b strings.Builder
	for i := range n {
		if i > 0 {
			b.WriteString(" OR ")
		}
		fmt.Fprintf(&b, "k = %d", i)
	}
	return b.String()
}

// LongSum is "k + k + … + k" with n terms.
func LongSum(n int) string {
	return strings.TrimSuffix(strings.Repeat("k + ", n), " + ")
}
