package sqllogic

import (
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// NewDB opens a fresh, empty engine for one run of one suite at the given
// parallelism (the default parallelism of every job the suite starts). It
// is nil until an engine is wired in; TestSuites skips while it is nil.
//
// Wire an engine from a test file of this directory, for example
// tests/sqllogic/engine_test.go:
//
//	package sqllogic_test
//
//	func init() {
//		sqllogic.NewDB = func(t testing.TB, parallelism int) sqllogic.DB {
//			db := engine.Open(engine.Config{Parallelism: parallelism}) // whatever the engine offers
//			t.Cleanup(func() { db.Close() })
//			return db
//		}
//	}
//
// An engine's own test package can instead call CheckSuites with its
// constructor and the path of this directory's testdata.
var NewDB func(t testing.TB, parallelism int) DB

// Parallelisms are the parallelisms at which CheckSuites runs every suite.
var Parallelisms = []int{1, 2, 4}

// CheckSuites runs every script matching the glob pattern once per entry
// of Parallelisms, each run on a fresh DB from newDB, as subtests named
// "<file>/p=<n>". It reports every failing record with its position and
// diff, and fails when any record's outcome or rendered result differs
// between parallelisms.
func CheckSuites(t *testing.T, pattern string, newDB func(t testing.TB, parallelism int) DB) {
	t.Helper()
	files, err := filepath.Glob(pattern)
	if err != nil {
		t.Fatalf("bad suite pattern %q: %v", pattern, err)
	}
	if len(files) == 0 {
		t.Fatalf("no sqllogictest files match %q", pattern)
	}
	for _, file := range files {
		name := strings.TrimSuffix(filepath.Base(file), filepath.Ext(file))
		t.Run(name, func(t *testing.T) {
			s, err := ParseFile(file)
			if err != nil {
				t.Fatal(err)
			}
			var base []RecordResult
			basePar := 0
			for _, p := range Parallelisms {
				var res Result
				ran := false
				t.Run(fmt.Sprintf("p=%d", p), func(t *testing.T) {
					res = Run(newDB(t, p), s, Options{})
					ran = true
					for _, f := range res.Failures {
						t.Error(f.String())
					}
					t.Logf("%s at parallelism %d: %s, %d skipped", file, p, res.Summary(), res.Skipped)
				})
				if !ran {
					continue
				}
				if base == nil {
					base, basePar = res.Records, p
					continue
				}
				if d := CompareRuns(base, res.Records); d != "" {
					t.Errorf("%s: parallelism %d (first run) and %d (second run) disagree:\n%s", file, basePar, p, d)
				}
			}
		})
	}
}

// CompareRuns compares the record results of two runs of one script (the
// first and the second): the same records must have the same status, the
// same presence of an error and the same rendered values. It returns "" when they agree, otherwise
// a description of the differences (at most ten).
func CompareRuns(a, b []RecordResult) string {
	var diffs []string
	add := func(format string, args ...any) {
		if len(diffs) < 10 {
			diffs = append(diffs, fmt.Sprintf(format, args...))
		}
	}
	if len(a) != len(b) {
		add("%d records ran in the first run, %d in the second", len(a), len(b))
	}
	for i := 0; i < len(a) && i < len(b); i++ {
		x, y := a[i], b[i]
		if x.Pos != y.Pos {
			add("record %d is %s in the first run, %s in the second", i+1, x.Pos, y.Pos)
			break
		}
		if x.Status != y.Status {
			add("%s: %s in the first run, %s in the second", x.Pos, x.Status, y.Status)
		}
		if (x.Err == "") != (y.Err == "") {
			add("%s: error %q in the first run, %q in the second", x.Pos, x.Err, y.Err)
		}
		if !slices.Equal(x.Values, y.Values) {
			add("%s: results differ\n%s", x.Pos, Diff(x.Values, y.Values, "first run", "second run"))
		}
	}
	return strings.Join(diffs, "\n")
}
