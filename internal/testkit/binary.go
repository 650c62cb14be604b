package testkit

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

// streamsqlPackage is the import path of the command; go build resolves
// it from any directory inside the module, so the callers' working
// directories (their package directories) do not matter.
const streamsqlPackage = "github.com/streamsql/streamsql/cmd/streamsql"

// BuildStreamsql builds the streamsql command into dir and returns the
// binary's path. The error carries the compiler's output.
func BuildStreamsql(dir string) (string, error) {
	bin := filepath.Join(dir, "streamsql")
	if out, err := exec.Command("go", "build", "-o", bin, streamsqlPackage).CombinedOutput(); err != nil {
		return "", fmt.Errorf("%v\n%s", err, out)
	}
	return bin, nil
}

// BuildBinary builds the streamsql command into a temporary directory of
// tb (removed at its end) and returns the binary's path; it fails tb when
// the build fails.
func BuildBinary(tb testing.TB) string {
	tb.Helper()
	bin, err := BuildStreamsql(tb.TempDir())
	if err != nil {
		tb.Fatalf("build: %v", err)
	}
	return bin
}

// MainWithBinary is the whole body of a TestMain whose tests share one
// streamsql binary: it builds the command into a new temporary directory,
// stores the binary's path in *bin, runs the tests, removes the directory
// and exits with the tests' exit code. When the build fails it prints the
// error and exits with code 1 without running any test. It does not
// return.
func MainWithBinary(m *testing.M, bin *string) {
	dir, err := os.MkdirTemp("", "streamsql-test")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	*bin, err = BuildStreamsql(dir)
	if err != nil {
		fmt.Fprintf(os.Stderr, "building streamsql: %v", err)
		os.RemoveAll(dir)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}
