// Package nexmarkoracle computes the expected results of the Nexmark
// sqllogictest suites (tests/sqllogic/testdata/nexmark*.slt) independently
// of the engine.
//
// For each suite (Suites in queries.go: a file, an input and its queries)
// the oracle generates the input's person, auction and bid rows with the
// nexmark connector's generator (read straight from the connector, one
// split, no engine involved), loads them into a private database on the
// MariaDB server at 127.0.0.1:3306 (root, no password; see
// scripts/ensure-mariadb.sh), and runs for every query a MariaDB query
// written for MariaDB: windows as FLOOR arithmetic on epoch milliseconds,
// sessions with LAG and a running SUM, Top-N with ROW_NUMBER, DATE_FORMAT
// with MariaDB's patterns, and so on. Its rows are rendered as the
// sqllogictest runner renders the engine's values (Render) and sorted as
// rowsort sorts them; large results are written as the runner's hash line.
//
// The engine's side of each query is the SELECT of the INSERT statement of
// bench/nexmark/<query>.sql (or, for queries with no bench file yet,
// Flink's Nexmark text in queries.go), so a changed bench query changes
// the suite. Large results are also restricted by an outer
// SELECT * FROM (<query>) AS q WHERE ..., the same text on both sides, to
// a few rows that the file lists.
//
// The suite files are generated whole:
//
//	go test ./tests/nexmarkoracle -rewrite   # write the .slt files
//	go test ./tests/nexmarkoracle            # fail if they differ from the oracle
//	go test ./tests/nexmarkoracle -run TestOracle -v -show q5   # log q5's expected rows
//
// The test needs the MariaDB server: it fails when CI is set and the server
// is unreachable, and skips with a message elsewhere.
package nexmarkoracle
