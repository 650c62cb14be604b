package engine_test

import (
	"context"
	"io"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/streamsql/streamsql/engine"
	"github.com/streamsql/streamsql/sql"
	"github.com/streamsql/streamsql/tests/sqllogic"
)

// setupRecord matches the suite statements FuzzPlanRun replays to build
// its tables: CREATE TABLE / VIEW and INSERT … VALUES (small, bounded).
const seedsPerSuite = 2

var setupRecord = regexp.MustCompile(`(?is)^\s*(CREATE\s+(TABLE|VIEW)|INSERT\s+INTO\s+\w+\s+VALUES)`)

// FuzzPlanRun compiles, plans and runs arbitrary SELECT text over the
// sqllogic suites' small in-memory tables, each run bounded by a timeout:
// it must never panic (errors are fine). The seeds are the first
// seedsPerSuite queries of each suite: a seed runs a whole job, and the
// fuzzer must finish running every seed within a short -fuzztime.
func FuzzPlanRun(f *testing.F) {
	files, err := filepath.Glob("../tests/sqllogic/testdata/*.slt")
	if err != nil || len(files) == 0 {
		f.Fatalf("no sqllogic suites found: %v", err)
	}
	eng := engine.New(engine.Options{Stdout: io.Discard, Stderr: io.Discard})
	f.Cleanup(eng.StopAll)
	for _, file := range files {
		s, err := sqllogic.ParseFile(file)
		if err != nil {
			f.Fatal(err)
		}
		seeds := 0
		for _, r := range s.Records {
			switch {
			case r.Kind == sqllogic.Query && !r.ExpectError && seeds < seedsPerSuite:
				f.Add(r.SQL)
				seeds++
			case r.Kind == sqllogic.Statement && !r.ExpectError && setupRecord.MatchString(r.SQL):
				_ = eng.Exec(r.SQL) // a name two suites share is created once
			}
		}
	}
	f.Fuzz(func(t *testing.T, text string) {
		if len(text) > 2048 {
			return
		}
		pieces := sql.Split(text)
		if len(pieces) != 1 {
			return
		}
		st, err := eng.Prepare(pieces[0])
		if err != nil {
			failOnInternal(t, text, err)
			return
		}
		q, ok := st.(*sql.Query)
		if !ok {
			return // only queries: DDL and INSERT would change the tables
		}
		bounded, err := eng.IsBounded(q)
		if err != nil || !bounded {
			failOnInternal(t, text, err)
			return
		}
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		defer cancel()
		_, _, err = eng.RunQuery(ctx, q, nil)
		failOnInternal(t, text, err)
	})
}

// failOnInternal fails the fuzz run when err is a panic that the compiler
// or the runtime turned into an error ("internal error ..."): such errors
// are bugs, unlike the errors bad input is expected to produce.
func failOnInternal(t *testing.T, text string, err error) {
	t.Helper()
	if err != nil && strings.Contains(err.Error(), "internal error") {
		t.Fatalf("%q: %v", text, err)
	}
}
