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

// TestSubcommandHelpOnStdout: every subcommand's -h prints its usage to
// standard output and exits 0; a bad flag prints it to standard error and
// exits 2.
func TestSubcommandHelpOnStdout(t *testing.T) {
	for _, args := range [][]string{{"test", "-h"}, {"bench", "--help"}, {"bench"}, {"bench", "nexmark", "-h"}, {"checkpoints", "-h"}} {
		code, out, errOut := runCLI(t, "", args...)
		if code != 0 || errOut != "" || !strings.Contains(out, "Usage:") {
			t.Errorf("%v: exit %d, stdout %q, stderr %q", args, code, out, errOut)
		}
	}
	for _, args := range [][]string{{"test", "-bogus"}, {"bench", "nexmark", "-bogus"}, {"checkpoints", "-bogus"}} {
		code, out, errOut := runCLI(t, "", args...)
		if code != 2 || out != "" || !strings.Contains(errOut, "Usage:") {
			t.Errorf("%v: exit %d, stdout %q, stderr %q", args, code, out, errOut)
		}
	}
}
