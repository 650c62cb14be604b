package engine

import (
	"context"
	"strings"
	"testing"
	"unicode/utf8"
)

// TestShowJobsFits120Columns: SHOW JOBS of a job with a long name and a
// long error fits 120 columns (name and error shortened); SHOW FULL JOBS
// has every column and the whole error.
func TestShowJobsFits120Columns(t *testing.T) {
	e, _ := newTestEngine()
	long := strings.Repeat("a very long reason ", 12) + "the end"
	err := e.RunScript(context.Background(), "CREATE TABLE source_with_a_long_name (a INT) WITH ('connector'='datagen', 'number-of-rows'='3');"+
		"CREATE TABLE sink_with_a_long_name (a INT) WITH ('connector'='blackhole');"+
		"INSERT INTO sink_with_a_long_name SELECT a FROM source_with_a_long_name WHERE CASE WHEN a IS NOT NULL THEN RAISE_ERROR('"+long+"') ELSE TRUE END;", &strings.Builder{})
	if err == nil {
		t.Fatal("the job did not fail")
	}
	show := func(stmt string) string {
		t.Helper()
		st, err := e.Prepare(splitForTest(stmt)[0])
		if err != nil {
			t.Fatal(err)
		}
		res, err := e.Execute(context.Background(), st, ExecOptions{})
		if err != nil {
			t.Fatal(err)
		}
		var out strings.Builder
		WriteResult(&out, res)
		return out.String()
	}
	out := show("SHOW JOBS")
	lines := strings.Split(strings.TrimSpace(out), "\n")
	t.Logf("\n%s", out)
	for _, l := range lines {
		if n := utf8.RuneCountInString(l); n > 120 {
			t.Errorf("SHOW JOBS line of %d characters: %q", n, l)
		}
	}
	if len(lines) < 4 || !strings.Contains(lines[3], "FAILED") || !strings.Contains(lines[3], "a very long reason") || !strings.Contains(lines[3], "...") {
		t.Errorf("SHOW JOBS does not show the failed job with the start of its error:\n%s", out)
	}
	out = show("SHOW FULL JOBS")
	for _, want := range []string{"| job name", "| watermark", "| late rows", "| skipped", "| last checkpoint", "| restarts", "| error", "the end", "INSERT INTO sink_with_a_long_name SELECT"} {
		if !strings.Contains(out, want) {
			t.Errorf("SHOW FULL JOBS lacks %q:\n%s", want, out)
		}
	}
}

// TestShowClusterEmbedded: SHOW CLUSTER in the embedded engine is not an
// error: it answers that the jobs run in this process only and names
// what lists a cluster's servers; a script goes on after it. HELP lists it.
func TestShowClusterEmbedded(t *testing.T) {
	e, _ := newTestEngine()
	var out strings.Builder
	if err := e.RunScript(context.Background(), "SHOW CLUSTER; SHOW TABLES;", &out); err != nil {
		t.Fatalf("SHOW CLUSTER: %v", err)
	}
	for _, want := range []string{"Not part of a cluster", "streamsql --server URL", "--cluster-name", "Empty set"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("SHOW CLUSTER; SHOW TABLES lacks %q:\n%s", want, out.String())
		}
	}
	if !strings.Contains(Help(), "SHOW CLUSTER") {
		t.Error("HELP does not list SHOW CLUSTER")
	}
}
