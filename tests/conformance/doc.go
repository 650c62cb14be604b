// Package conformance runs sqllogictest corpora written for other
// databases against streamsql, and records how much of each passes.
//
// RunFile is the one code path of `streamsql test` and of the tests here:
// it parses a script, runs it on a fresh engine at the given parallelism
// and stops the engine's jobs.
//
// TestSQLiteCorpus (sqlite_test.go) runs every file of the classic SQLite
// sqllogictest corpus kept in ../shared/conformance/sqlite (relative to
// the repository root: select1-5.test and evidence/*.test, read as
// published, never copied or edited). It fails when a file passes fewer
// records than testdata/sqlite_counts.txt records for it, so progress only
// goes up; `go test ./tests/conformance -run TestSQLiteCorpus -update`
// writes the current counts into that file and the table of pass rates
// into TESTING.md. When the corpus directory is missing the test fails
// if the environment variable CI is set and skips otherwise.
package conformance
