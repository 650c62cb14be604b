package sinkoutage

import (
	"database/sql"
	"testing"

	"github.com/streamsql/streamsql/internal/testkit"
)

// ServerAddr is the MariaDB (or MySQL) server of the test setup: root
// without a password.
const ServerAddr = testkit.MariaDBAddr

// OwnDatabase creates a database of the test's own on the server
// (dropped at its end) and returns its name and a connection to it, or
// stops the test when the server is not reachable: it fails when the
// environment variable CI is set and skips otherwise (see
// testkit.OwnDatabase). Tests and benchmarks of this repository call it.
func OwnDatabase(tb testing.TB) (string, *sql.DB) {
	tb.Helper()
	return testkit.OwnDatabase(tb, "streamsql_outage_", nil)
}
