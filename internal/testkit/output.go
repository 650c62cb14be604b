package testkit

import (
	"bufio"
	"bytes"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"
)

// CommittedLines returns the lines of every file a filesystem sink has
// committed in dir, sorted. Files whose names begin with a dot (the
// sink's in-progress files) and subdirectories are passed over. It fails
// tb when dir or a file cannot be read.
func CommittedLines(tb testing.TB, dir string) []string {
	tb.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		tb.Fatal(err)
	}
	var lines []string
	for _, e := range entries {
		if e.IsDir() || strings.HasPrefix(e.Name(), ".") {
			continue
		}
		data, err := os.ReadFile(filepath.Join(dir, e.Name()))
		if err != nil {
			tb.Fatal(err)
		}
		sc := bufio.NewScanner(bytes.NewReader(data))
		for sc.Scan() {
			lines = append(lines, sc.Text())
		}
	}
	sort.Strings(lines)
	return lines
}

// DiffMultisets compares two multisets of lines: missing holds the lines
// of want that got lacks (in want's order), extra those of got beyond
// want (sorted), each as often as it is missing or extra.
func DiffMultisets(want, got []string) (missing, extra []string) {
	n := map[string]int{}
	for _, r := range got {
		n[r]++
	}
	for _, r := range want {
		if n[r] > 0 {
			n[r]--
		} else {
			missing = append(missing, r)
		}
	}
	for r, c := range n {
		for ; c > 0; c-- {
			extra = append(extra, r)
		}
	}
	slices.Sort(extra)
	return missing, extra
}
