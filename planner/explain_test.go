package planner_test

import (
	"bytes"
	"context"
	"flag"
	"io"
	"path/filepath"
	"strings"
	"testing"

	"github.com/streamsql/streamsql/engine"
	"github.com/streamsql/streamsql/internal/testkit"
)

var rewrite = flag.Bool("rewrite", false, "rewrite testdata/*.txt expected output")

// TestExplain is data-driven: each testdata file holds cases separated by
// lines "----" (input SQL above, expected output below) and "====" (end of
// case). The input runs as a script on a fresh engine; its output (the
// EXPLAIN text, or the error) is compared with the expected block.
func TestExplain(t *testing.T) {
	files, _ := filepath.Glob("testdata/*.txt")
	if len(files) == 0 {
		t.Fatal("no testdata")
	}
	for _, f := range files {
		t.Run(filepath.Base(f), func(t *testing.T) {
			testkit.RunDataFile(t, f, *rewrite, func(t *testing.T, in string) string { return runScript(in) })
		})
	}
}

// operatorGraph runs script (ending with an EXPLAIN) and returns the
// operator graph part of its output.
func operatorGraph(t *testing.T, script string) string {
	t.Helper()
	out := runScript(script)
	_, g, ok := strings.Cut(out, "== Operator graph")
	if !ok {
		t.Fatalf("no operator graph for %s:\n%s", script, out)
	}
	return g
}

func runScript(script string) string {
	eng := engine.New(engine.Options{Stdout: io.Discard, Stderr: io.Discard})
	var buf bytes.Buffer
	if err := eng.RunScript(context.Background(), script, &buf); err != nil {
		return "ERROR: " + err.Error()
	}
	// Keep only the EXPLAIN output (drop "Table created." lines).
	var keep []string
	for _, l := range strings.Split(buf.String(), "\n") {
		if strings.HasSuffix(l, "created.") || strings.HasPrefix(l, "Configuration") {
			continue
		}
		keep = append(keep, l)
	}
	return strings.Join(keep, "\n")
}
