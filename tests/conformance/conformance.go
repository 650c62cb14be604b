package conformance

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/streamsql/streamsql/engine"
	"github.com/streamsql/streamsql/tests/sqllogic"
)

// RunFile parses the script at path and runs it on a fresh engine whose
// jobs run at the given parallelism; the engine's messages go to stderr
// (nil: discarded). A script that does not parse returns the parse error
// and no result. Every job the script started is stopped before RunFile
// returns.
func RunFile(path string, parallelism int, opts sqllogic.Options, stderr io.Writer) (sqllogic.Result, error) {
	script, err := sqllogic.ParseFile(path)
	if err != nil {
		return sqllogic.Result{}, err
	}
	if stderr == nil {
		stderr = io.Discard
	}
	eng := engine.New(engine.Options{Stdout: io.Discard, Stderr: stderr})
	defer eng.StopAll()
	if err := eng.Config().Set("parallelism.default", fmt.Sprint(parallelism)); err != nil {
		return sqllogic.Result{}, err
	}
	return sqllogic.Run(eng, script, opts), nil
}

// Unsupported counts the failed records of r that need a feature
// streamsql does not have by design: triggers (CREATE TRIGGER and DROP
// TRIGGER fail with "TRIGGER is not supported").
func Unsupported(r sqllogic.Result) int {
	n := 0
	for _, f := range r.Failures {
		if strings.Contains(f.Message, "TRIGGER is not supported") {
			n++
		}
	}
	return n
}

// RepoRoot returns the directory holding go.mod, searching upwards from
// the working directory.
func RepoRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", fmt.Errorf("no go.mod above the working directory")
		}
		dir = parent
	}
}

// SQLiteCorpusDir is where the SQLite corpus lives, relative to the
// repository root.
const SQLiteCorpusDir = "../shared/conformance/sqlite"

// CorpusFiles lists the .test files directly in dir and in its
// subdirectories, sorted, as paths relative to dir with '/' separators.
func CorpusFiles(dir string) ([]string, error) {
	var out []string
	err := filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if !d.IsDir() && strings.HasSuffix(p, ".test") {
			rel, err := filepath.Rel(dir, p)
			if err != nil {
				return err
			}
			out = append(out, filepath.ToSlash(rel))
		}
		return nil
	})
	return out, err
}
