package sql_test

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/streamsql/streamsql/catalog"
	"github.com/streamsql/streamsql/sql"
	"github.com/streamsql/streamsql/tests/sqllogic"
)

// suiteStatements returns the SQL of every record of the sqllogic suites
// (tests/sqllogic/testdata/*.slt), the seed corpus of the SQL fuzz targets.
func suiteStatements(tb testing.TB) []string {
	tb.Helper()
	files, err := filepath.Glob("../tests/sqllogic/testdata/*.slt")
	if err != nil || len(files) == 0 {
		tb.Fatalf("no sqllogic suites found: %v", err)
	}
	var out []string
	for _, f := range files {
		s, err := sqllogic.ParseFile(f)
		if err != nil {
			tb.Fatal(err)
		}
		for _, r := range s.Records {
			if strings.TrimSpace(r.SQL) != "" {
				out = append(out, r.SQL)
			}
		}
	}
	return out
}

// suiteCatalog is a catalog holding every table and view the suites
// create (in file order; statements that fail to compile are skipped), so
// that fuzzed queries reach the binder with real names.
func suiteCatalog(stmts []string) *catalog.Catalog {
	cat := catalog.New()
	for _, text := range stmts {
		for _, p := range sql.Split(text) {
			st, err := sql.Compile(p, cat)
			if err != nil {
				continue
			}
			switch s := st.(type) {
			case *sql.CreateTable:
				cat.AddTable(s.Table)
			case *sql.CreateView:
				cat.AddView(s.View)
			}
		}
	}
	return cat
}

// FuzzCompile splits arbitrary text into statements and compiles each
// against the suites' catalog: it must never panic (errors are fine).
func FuzzCompile(f *testing.F) {
	stmts := suiteStatements(f)
	for _, s := range stmts {
		f.Add(s)
	}
	cat := suiteCatalog(stmts)
	f.Fuzz(func(t *testing.T, text string) {
		if len(text) > 4096 {
			return
		}
		for _, p := range sql.Split(text) {
			st, err := sql.Compile(p, cat)
			if err == nil && st == nil {
				t.Fatalf("Compile(%q) returned neither a statement nor an error", p.Text)
			}
			// Compile turns a panic into an "internal error" *Error: a bug,
			// unlike the errors bad input is expected to produce.
			if err != nil && strings.Contains(err.Error(), "internal error") {
				t.Fatalf("Compile(%q): %v", p.Text, err)
			}
		}
	})
}
