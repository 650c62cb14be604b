// Package sqloracle computes the expected rows of the relational sqllogic
// suites (subqueries, joins, set operations) with MariaDB, so that what a
// suite expects is what another database answers, not what streamsql
// printed once.
//
// Each testdata/<suite>.spec is a sqllogic file without results: records
// separated by blank lines, `# comments`, `statement ok` records (run on
// MariaDB and kept), `query <types> [rowsort]` records (run on MariaDB;
// its rows, rendered by the type letters as the runner renders streamsql's
// values, become the record's result) and `statement error <regexp>`
// records (streamsql's own errors: kept as written, not run on MariaDB).
// A record whose form MariaDB lacks (FULL JOIN) gives MariaDB an
// equivalent statement after a line `-- mariadb:`; the suite keeps only
// the lines before it.
// TestOracle regenerates tests/sqllogic/testdata/<suite>.slt from each
// spec (and testdata/local/<suite>.slt from each spec of testdata/local:
// long value suites that TestLocalSuites runs at parallelism 1, 2 and 4,
// outside the sqllogic matrix of checkpoint modes) and fails when the
// committed file differs; `go test
// ./tests/sqloracle -rewrite` writes them. MariaDB runs with strings
// compared byte-wise without padding and div_precision_increment = 4, as
// streamsql evaluates expressions (MySQL rules).
package sqloracle
