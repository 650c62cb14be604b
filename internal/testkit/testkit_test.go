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

// Restores reads the engine's restore lines and notices a start over.
func TestRestores(t *testing.T) {
	out := "Job submitted\nINFO: job j1: attempt 1 restores checkpoint 7 (/ck/job-a/chk-7)\n" +
		"WARNING: no complete checkpoint of job-b under /ck: starting from the beginning\n"
	rs, over := Restores(out)
	if len(rs) != 1 || rs[0].JobID != "j1" || rs[0].Attempt != 1 || rs[0].ID != 7 || rs[0].Dir != "/ck/job-a/chk-7" || rs[0].Job != "job-a" {
		t.Fatalf("Restores = %+v", rs)
	}
	if !strings.Contains(over, "no complete checkpoint of job-b") {
		t.Fatalf("start over not noticed: %q", over)
	}
	if _, over := Restores("INFO: job j1: attempt 2 starts from the beginning (no checkpoint of this job completed)"); over == "" {
		t.Fatal("an attempt starting from the beginning is not noticed")
	}
}

// CompletedCheckpoints sees a checkpoint only once its _metadata exists.
func TestCompletedCheckpoints(t *testing.T) {
	root := t.TempDir()
	for _, p := range []string{"job-a/chk-1/_metadata", "job-a/chk-3/_metadata", "job-a/chk-4/x.state", "job-b/chk-2/_metadata"} {
		full := filepath.Join(root, p)
		if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(full, nil, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	c := CompletedCheckpoints(t, root)
	if got := fmt.Sprint(c.LatestByJob()); got != "map[job-a:3 job-b:2]" {
		t.Fatalf("latest = %s", got)
	}
	if !c["job-a"][1] || c["job-a"][4] {
		t.Fatalf("checkpoints = %v", c)
	}
}
