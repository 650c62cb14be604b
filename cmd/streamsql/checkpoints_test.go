package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestCheckpointsMissingDir: listing a directory that does not exist (or
// a file) is an error naming it, with a non-zero exit code, and does not
// create the directory.
func TestCheckpointsMissingDir(t *testing.T) {
	missing := filepath.Join(t.TempDir(), "nonexistent")
	code, out, errOut := runCLI(t, "", "checkpoints", missing)
	if code == 0 || out != "" || !strings.Contains(errOut, missing) || !strings.Contains(errOut, "no such file or directory") {
		t.Errorf("exit %d, stdout %q, stderr %q: want an error naming %s", code, out, errOut, missing)
	}
	if _, err := os.Stat(missing); err == nil {
		t.Errorf("listing created %s", missing)
	}
	file := filepath.Join(t.TempDir(), "f")
	if err := os.WriteFile(file, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	if code, _, errOut := runCLI(t, "", "checkpoints", file); code == 0 || !strings.Contains(errOut, file+" is not a directory") {
		t.Errorf("a file: exit %d, stderr %q", code, errOut)
	}
	// -h is help on standard output.
	if code, out, errOut := runCLI(t, "", "checkpoints", "-h"); code != 0 || errOut != "" || !strings.Contains(out, "Usage: streamsql checkpoints") {
		t.Errorf("-h: exit %d, stdout %q, stderr %q", code, out, errOut)
	}
}
