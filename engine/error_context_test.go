package engine

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestSinkErrorNamesTableOnce: a sink connector's error names the table
// once: neither the sink operator nor the task repeats it ("Sink x: sink
// x: table x: ...").
func TestSinkErrorNamesTableOnce(t *testing.T) {
	file := filepath.Join(t.TempDir(), "a-file")
	if err := os.WriteFile(file, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	e, _ := newTestEngine()
	err := e.RunScript(context.Background(), "CREATE TABLE s (a INT) WITH ('connector'='datagen', 'number-of-rows'='3');"+
		"CREATE TABLE x (a INT) WITH ('connector'='filesystem', 'path'='"+file+"/sub/', 'format'='csv');"+
		"INSERT INTO x SELECT a FROM s;", &strings.Builder{})
	if err == nil {
		t.Fatal("writing under a file worked")
	}
	msg := err.Error()
	if !strings.Contains(msg, "failed: table x: ") || strings.Count(strings.ToLower(msg), " x: ") != 1 {
		t.Errorf("want the table named once, as 'table x: ...', got %q", msg)
	}
}

// TestOperatorErrorNamesOperator: an error of an operator that is not a
// connector's still names the operator.
func TestOperatorErrorNamesOperator(t *testing.T) {
	e, _ := newTestEngine()
	err := e.RunScript(context.Background(), "CREATE TABLE s (a INT) WITH ('connector'='datagen', 'number-of-rows'='3');"+
		"CREATE TABLE b (a INT) WITH ('connector'='blackhole');"+
		"INSERT INTO b SELECT a FROM s WHERE CASE WHEN a IS NOT NULL THEN RAISE_ERROR('boom') ELSE TRUE END;", &strings.Builder{})
	t.Logf("%v", err)
	if err == nil || !strings.Contains(err.Error(), "boom") || strings.Contains(err.Error(), "failed: boom") {
		t.Errorf("want the operator named before the error, got %v", err)
	}
}
