// Package sqllogic runs sqllogictest scripts against streamsql and holds the
// engine's SQL conformance suites (testdata/*.slt).
//
// The runner talks to the engine through the small DB interface (Exec for
// statements, Query for queries over bounded inputs, which returns the final
// rows of a changelog result). Parse or ParseFile reads a script, Run
// executes it (RunFile does both) and returns a Result with one
// RecordResult per record, a
// Failure (file:line, SQL, reason, expected-versus-actual diff) per failing
// record, and Summary, the "N passed, N failed" line that
// `streamsql test` prints. CheckSuites runs a directory of scripts at
// parallelism 1, 2 and 4 and requires identical results; TestSuites does so
// for testdata once NewDB is set (see NewDB).
//
// # Script format
//
// A script is a sequence of records separated by blank lines. Lines that
// start with '#' are comments (between records and inside SQL; inside an
// expected result block a line is always a value). Records:
//
//	statement ok
//	CREATE TABLE t (a BIGINT, ts TIMESTAMP(3))
//
//	statement error unknown table
//	SELECT * FROM nosuch
//
//	query IT rowsort
//	SELECT a, ts FROM t
//	----
//	1 2020-10-10 00:00:01.000
//	2 2020-10-10 00:00:02.000
//
//	query error nosuch
//	SELECT nosuch FROM t
//
//	hash-threshold 100
//
//	halt
//
// statement ok / statement error [PATTERN]: the SQL (one or more lines, up to
// the next blank line) runs through DB.Exec, or through DB.Query when it is a
// query (first keyword SELECT or WITH; the rows are discarded). "statement
// error" expects it to fail; with a PATTERN the error message must contain
// PATTERN, or match it as a Go regular expression (so both "unknown column"
// and "(?i)unknown (column|field)" work). An expected message may also be
// given as a block after a "----" line.
//
// query TYPES [SORTMODE [LABEL]]: TYPES has one letter per result column;
// the SQL is followed by a "----" line and the expected result, up to the
// next blank line. A query with no "----" expects no rows. "query error
// [PATTERN]" expects the query to fail, as for statements.
//
// Type letters render each value (NULL is always "NULL"):
//
//	I  an integer: DECIMAL and DOUBLE values truncated toward zero,
//	   booleans as 1 and 0, text as the original runner's
//	   sqlite3_column_int converts it (its leading integer, 0 without
//	   one: "12abc" is 12, "abc" 0; see TextToInt)
//	R  exactly three decimals (2.500): DECIMAL rounded half away from zero,
//	   DOUBLE as by printf %.3f, integers with .000, text as the original
//	   runner's sqlite3_column_double converts it (see TextToFloat)
//	T  text: the empty string as "(empty)", control characters as '@';
//	   other kinds MySQL-style (TIMESTAMP(3) as 2020-10-10 00:00:05.000,
//	   DECIMAL with its scale, booleans as TRUE/FALSE)
//
// Other capital letters render as T. The number of letters must equal the
// number of result columns.
//
// Sort modes: nosort (the default) keeps the engine's order; rowsort sorts
// rows by their rendered values, column by column, byte-wise; valuesort
// sorts all rendered values individually. Streaming output has no
// guaranteed order, so suites use rowsort for any result of more than one
// row. The expected block lists the result in that sorted order.
//
// Result layouts: the expected block may list one value per line, or one
// row per line with its values joined by single spaces; the runner accepts
// either. Values are never split: a row-per-line block is compared with the
// actual rows joined by single spaces, line by line. So a value that itself
// contains a space (a timestamp such as 2020-10-10 00:00:05.000, or text)
// works in both layouts, with one ambiguity that the format cannot resolve:
// rows whose values differ only in where the spaces fall between values
// ("a b" "c" against "a" "b c") compare equal in the row-per-line layout.
// Use the value-per-line layout where that matters. Trailing blanks of
// lines are ignored.
//
// hash-threshold N: from here on, a result with more than N values (0
// means never) is compared as the single line "<count> values hashing to
// <md5>", where md5 is the lower-case hex MD5 of every rendered value
// (after sorting) followed by a newline, as in the original sqllogictest;
// the expected block must then be that line. An expected hash line is
// accepted below the threshold as well. Queries that share a LABEL must
// return identical results.
//
// skipif ENGINE / onlyif ENGINE lines before a record skip it unless the
// condition holds for the engine's names (compared case-insensitively):
// "streamsql" (Options.Engine) and "mysql", the dialect streamsql speaks
// (Options.Dialects, DefaultDialects). So the SQLite corpus's "onlyif
// mysql" records run and its "skipif mysql" records are skipped; sqlite,
// postgresql, mssql, oracle and any other name are foreign engines. A
// comment may follow the engine name ("onlyif mssql # comment"). halt
// stops the script (usually guarded by onlyif). Skipped records count as
// skipped, neither passed nor failed.
//
// The SQLite corpus (../shared/conformance/sqlite from the repository
// root) runs as published through these rules; tests/conformance records
// its pass counts (see TESTING.md). Two rules of the original runner are
// not followed: 'I' values keep 64 bits (the original prints a C int),
// and 'T' turns only control characters into '@' (the original also
// turns every byte above '~', so each byte of a non-ASCII character).
//
// # Suites
//
// testdata/*.slt pin the engine's semantics: windows (TUMBLE, HOP, SESSION,
// CUMULATE) aligned to the epoch and half-open, watermarks and late rows,
// changelog aggregates, joins, UNION ALL, expressions, views and errors.
// Tables there have no WITH clause: each is an in-memory log fed by INSERT
// ... VALUES whose rows arrive in insertion order in one split, and queries
// over them are bounded (every window fires at the end of the input).
// Timestamps are written CAST('2020-10-10 00:00:01.000' AS TIMESTAMP(3));
// functions.slt covers TIMESTAMP '...' literals. The Nexmark suites
// (nexmark*.slt) are the exception: they read bounded 'nexmark' tables, and
// tests/nexmarkoracle generates them, with expected rows computed by
// MariaDB. Every suite must give identical results at parallelism 1, 2 and 4.
// TestSuitesLint checks their expected blocks (value formats per type
// letter, sorted order, column counts) without an engine; in these files
// only timestamps may contain spaces in the row-per-line layout.
//
// # README section
//
// The following text is meant for the project README:
//
//	## SQL logic tests
//
//	streamsql runs sqllogictest files, the format of SQLite's SQL logic
//	tests: statements that must succeed or fail, and queries with their
//	expected results.
//
//	    streamsql test tests/sqllogic/testdata/*.slt
//
//	prints each failure as file:line with the SQL and a diff of expected
//	against actual rows, then "N passed, N failed"; the exit code is
//	non-zero when anything failed. The engine's own suites live in
//	tests/sqllogic/testdata and run as part of `go test ./...` at
//	parallelism 1, 2 and 4 (`go test ./tests/sqllogic -run TestSuites/tumble`
//	runs one). A record looks like this:
//
//	    query ITTI rowsort
//	    SELECT auction, TUMBLE_START(ts, INTERVAL '2' SECOND),
//	           TUMBLE_END(ts, INTERVAL '2' SECOND), COUNT(*)
//	    FROM bids GROUP BY TUMBLE(ts, INTERVAL '2' SECOND), auction
//	    ----
//	    1 2020-10-10 00:00:00.000 2020-10-10 00:00:02.000 1
//	    1 2020-10-10 00:00:02.000 2020-10-10 00:00:04.000 2
//
//	The type letters (I integer, R three decimals, T text) say how each
//	column is printed; rowsort sorts the rows before comparing, since a
//	streaming result has no order of its own. Results may be written one
//	row per line or one value per line. See the package documentation of
//	tests/sqllogic for the full format.
package sqllogic
