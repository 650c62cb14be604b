package engine

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestRestorePathErrorsKeepThePath: a savepoint path that does not exist,
// or is a directory without _metadata, is an error that names the path as
// it was given (an absolute path keeps its leading slash).
func TestRestorePathErrorsKeepThePath(t *testing.T) {
	root := t.TempDir()
	empty := filepath.Join(root, "empty")
	if err := os.Mkdir(empty, 0o755); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct{ path, want string }{
		{filepath.Join(root, "nonexist"), "no such file or directory"},
		{empty, "it has no _metadata"},
	} {
		e, _ := newTestEngine()
		checkpointed(t, e, filepath.Join(root, "cp"))
		err := e.RunScript(context.Background(), "SET 'execution.savepoint.path' = '"+c.path+"';"+
			"CREATE TABLE s (a INT) WITH ('connector'='datagen', 'number-of-rows'='3');"+
			"CREATE TABLE b (a INT) WITH ('connector'='blackhole');"+
			"INSERT INTO b SELECT a FROM s;", &strings.Builder{})
		if err == nil {
			t.Fatalf("restoring from %s worked", c.path)
		}
		if want := "cannot restore from '" + c.path + "': " + c.want; !strings.Contains(err.Error(), want) {
			t.Errorf("got %v\nwant %q", err, want)
		}
		if strings.Count(err.Error(), strings.TrimPrefix(c.path, "/")) != 1 {
			t.Errorf("the path is not named exactly once: %v", err)
		}
	}
}
