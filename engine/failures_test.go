package engine

import (
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// failingScript creates a CSV source whose second row is bad (the job
// reading it fails) and n INSERT jobs reading it, then the extra statements.
func failingScript(t *testing.T, n int, extra string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "bad.csv")
	if err := os.WriteFile(path, []byte("a,1\nb,x\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	script := "CREATE TABLE src (s STRING, n BIGINT) WITH ('connector' = 'filesystem', 'path' = '" + path + "', 'format' = 'csv');\n"
	for i := 1; i <= n; i++ {
		script += "CREATE TABLE o" + string(rune('0'+i)) + " (s STRING, n BIGINT) WITH ('connector' = 'blackhole');\n"
		script += "INSERT INTO o" + string(rune('0'+i)) + " SELECT * FROM src;\n"
	}
	return script + extra
}

// TestRunScriptReportsEveryFailedJob: when several jobs fail, RunScript
// returns all their errors, each naming its job, not only the first.
func TestRunScriptReportsEveryFailedJob(t *testing.T) {
	e := New(Options{Stdout: io.Discard, Stderr: io.Discard})
	err := e.RunScript(context.Background(), failingScript(t, 3, ""), io.Discard)
	var many Failures
	if !errors.As(err, &many) || len(many) != 3 {
		t.Fatalf("want the 3 job failures, got %v", err)
	}
	for i, j := range e.Jobs() {
		msg := many[i].Error()
		if !strings.Contains(msg, "job "+j.ID+" (INSERT INTO o") || !strings.Contains(msg, "invalid BIGINT") {
			t.Errorf("failure %d does not name job %s and its cause: %s", i, j.ID, msg)
		}
	}
	if err := e.WaitAll(context.Background()); !errors.As(err, &many) || len(many) != 3 {
		t.Errorf("WaitAll: want the 3 job failures, got %v", err)
	}
}

// TestRunScriptReportsFailedJobsAndStatement: a statement error that stops
// the script comes after the failures of the jobs that ended before it.
func TestRunScriptReportsFailedJobsAndStatement(t *testing.T) {
	e := New(Options{Stdout: io.Discard, Stderr: io.Discard})
	ctx := context.Background()
	if err := e.RunScript(ctx, failingScript(t, 2, ""), io.Discard); err == nil {
		t.Fatal("the jobs did not fail")
	}
	err := e.RunScript(ctx, "SELECT * FROM missing;", io.Discard)
	var many Failures
	if !errors.As(err, &many) || len(many) != 3 {
		t.Fatalf("want 2 job failures and the statement error, got %v", err)
	}
	if !strings.Contains(many[2].Error(), "missing") || !strings.Contains(many[0].Error(), "job ") {
		t.Errorf("failures in the wrong order: %v", many)
	}
}

// TestRunScriptOneFailure: a single failure is returned as itself.
func TestRunScriptOneFailure(t *testing.T) {
	e := New(Options{Stdout: io.Discard, Stderr: io.Discard})
	err := e.RunScript(context.Background(), failingScript(t, 1, ""), io.Discard)
	var many Failures
	if err == nil || errors.As(err, &many) || !strings.Contains(err.Error(), "invalid BIGINT") {
		t.Fatalf("want the one job failure, got %v", err)
	}
}
