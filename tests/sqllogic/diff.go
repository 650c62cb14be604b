package sqllogic

import (
	"fmt"
	"strings"
)

// maxDiffCells bounds the work of the line diff; larger inputs are shown as
// two blocks instead of an aligned diff.
const maxDiffCells = 4_000_000

// maxDiffLines bounds the lines a diff prints.
const maxDiffLines = 300

// Diff renders a line diff of expected against actual: a header naming the
// two sides ("--- <expectedName>", "+++ <actualName>"), then every line
// prefixed "  " (in both), "- " (expected only) or "+ " (actual only),
// aligned on a longest common subsequence.
func Diff(expected, actual []string, expectedName, actualName string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "--- %s\n+++ %s\n", expectedName, actualName)
	lines := 0
	emit := func(prefix, s string) {
		lines++
		if lines == maxDiffLines+1 {
			b.WriteString("... (diff truncated)\n")
		}
		if lines > maxDiffLines {
			return
		}
		b.WriteString(prefix)
		b.WriteString(s)
		b.WriteByte('\n')
	}
	if len(expected) == 0 && len(actual) == 0 {
		return b.String()
	}
	if len(expected)*len(actual) > maxDiffCells {
		for _, l := range expected {
			emit("- ", l)
		}
		for _, l := range actual {
			emit("+ ", l)
		}
		return b.String()
	}
	for _, op := range diffOps(expected, actual) {
		switch op.kind {
		case ' ':
			emit("  ", expected[op.i])
		case '-':
			emit("- ", expected[op.i])
		case '+':
			emit("+ ", actual[op.j])
		}
	}
	if len(expected) == 0 {
		emit("  ", "(expected no rows)")
	}
	if len(actual) == 0 {
		emit("  ", "(no rows returned)")
	}
	return b.String()
}

type diffOp struct {
	kind byte // ' ', '-', '+'
	i, j int
}

// lcsTable returns the table of longest common subsequence lengths of
// a[i:] and b[j:].
func lcsTable(a, b []string) [][]int {
	t := make([][]int, len(a)+1)
	for i := range t {
		t[i] = make([]int, len(b)+1)
	}
	for i := len(a) - 1; i >= 0; i-- {
		for j := len(b) - 1; j >= 0; j-- {
			if a[i] == b[j] {
				t[i][j] = t[i+1][j+1] + 1
			} else {
				t[i][j] = max(t[i+1][j], t[i][j+1])
			}
		}
	}
	return t
}

func diffOps(a, b []string) []diffOp {
	t := lcsTable(a, b)
	var ops []diffOp
	i, j := 0, 0
	for i < len(a) && j < len(b) {
		switch {
		case a[i] == b[j]:
			ops = append(ops, diffOp{' ', i, j})
			i++
			j++
		case t[i+1][j] >= t[i][j+1]:
			ops = append(ops, diffOp{'-', i, j})
			i++
		default:
			ops = append(ops, diffOp{'+', i, j})
			j++
		}
	}
	for ; i < len(a); i++ {
		ops = append(ops, diffOp{'-', i, j})
	}
	for ; j < len(b); j++ {
		ops = append(ops, diffOp{'+', i, j})
	}
	return ops
}

// distance is the number of lines a diff of a and b marks as changed.
func distance(a, b []string) int {
	if len(a)*len(b) > maxDiffCells {
		return len(a) + len(b)
	}
	return len(a) + len(b) - 2*lcsTable(a, b)[0][0]
}
