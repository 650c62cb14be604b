package testkit

import (
	"os"
	"strings"
	"testing"
)

// RunDataFile runs the cases of one data-driven test file: cases are
// separated by lines "====", each an input, a line "----" and the
// expected output. run computes a case's output from its input; it is
// compared with the expected one, ignoring leading and trailing blank
// space. With rewrite the file is written back with the outputs computed
// now (nothing is compared).
func RunDataFile(t *testing.T, path string, rewrite bool, run func(t *testing.T, input string) string) {
	t.Helper()
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var out strings.Builder
	for _, c := range strings.Split(string(raw), "\n====\n") {
		if strings.TrimSpace(c) == "" {
			continue
		}
		in, want, ok := strings.Cut(c+"\n", "\n----\n")
		if !ok {
			t.Fatalf("%s: case without ----: %q", path, c)
		}
		got := run(t, in)
		if !rewrite && strings.TrimSpace(got) != strings.TrimSpace(want) {
			t.Errorf("%s\n--- want\n%s\n--- got\n%s", in, want, got)
		}
		out.WriteString(strings.TrimRight(in, "\n") + "\n----\n" + strings.TrimRight(got, "\n") + "\n====\n")
	}
	if rewrite {
		if err := os.WriteFile(path, []byte(out.String()), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}
