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

// SQLiteCorpusEnv names a directory holding the corpus, for a checkout
// that has no ../shared beside it.
const SQLiteCorpusEnv = "STREAMSQL_SQLITE_CORPUS"

// FindSQLiteCorpus returns the corpus directory: $STREAMSQL_SQLITE_CORPUS
// when set; else ../shared/conformance/sqlite from the repository root;
// else shared/conformance/sqlite in a directory above the root (a clone
// placed deeper, e.g. by CI); else /work/shared/conformance/sqlite, where
// the development machines keep it. It returns every place it looked
// when none exists.
func FindSQLiteCorpus(root string) (string, []string) {
	var tried []string
	try := func(dir string) bool {
		tried = append(tried, dir)
		st, err := os.Stat(dir)
		return err == nil && st.IsDir()
	}
	if env := os.Getenv(SQLiteCorpusEnv); env != "" {
		if try(env) {
			return env, nil
		}
		return "", tried
	}
	if d := filepath.Join(root, SQLiteCorpusDir); try(d) {
		return d, nil
	}
	for dir := filepath.Dir(filepath.Dir(root)); ; dir = filepath.Dir(dir) {
		if d := filepath.Join(dir, "shared", "conformance", "sqlite"); try(d) {
			return d, nil
		}
		if filepath.Dir(dir) == dir {
			break
		}
	}
	if d := "/work/shared/conformance/sqlite"; try(d) {
		return d, nil
	}
	return "", tried
}

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
