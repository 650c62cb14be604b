package testkit

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// recorder is a testing.TB that records Fatal and Skip instead of
// stopping the test.
type recorder struct {
	testing.TB
	fatal, skip string
}

func (r *recorder) Helper()               {}
func (r *recorder) Fatal(args ...any)     { r.fatal = fmt.Sprint(args...) }
func (r *recorder) Skip(args ...any)      { r.skip = fmt.Sprint(args...) }
func (r *recorder) Fatalf(string, ...any) { panic("not used by MariaDBUnreachable") }

// TestMariaDBUnreachable: an unreachable server fails the test when CI
// is set and skips it otherwise, naming the server and the error.
func TestMariaDBUnreachable(t *testing.T) {
	refused := errors.New("connection refused")
	for _, ci := range []string{"", "true"} {
		t.Setenv("CI", ci)
		r := &recorder{TB: t}
		MariaDBUnreachable(r, refused)
		got, other := r.skip, r.fatal
		if ci != "" {
			got, other = r.fatal, r.skip
		}
		if other != "" || !strings.Contains(got, MariaDBAddr) || !strings.Contains(got, "connection refused") {
			t.Errorf("CI=%q: fatal %q, skip %q", ci, r.fatal, r.skip)
		}
	}
}

// TestCommittedLines reads the committed files, not the in-progress
// (dot) files or subdirectories, and sorts their lines.
func TestCommittedLines(t *testing.T) {
	dir := t.TempDir()
	for name, text := range map[string]string{"part-1": "b\nd\n", "part-0": "c\na\n", ".part-2.inprogress": "x\n"} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Mkdir(filepath.Join(dir, "sub"), 0o755); err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(CommittedLines(t, dir), ","); got != "a,b,c,d" {
		t.Errorf("got %s, want a,b,c,d", got)
	}
}

func TestLongChains(t *testing.T) {
	if got := LongOr(3); got != "k = 0 OR k = 1 OR k = 2" {
		t.Errorf("LongOr(3) = %q", got)
	}
	if got := LongSum(3); got != "k + k + k" {
		t.Errorf("LongSum(3) = %q", got)
	}
}
