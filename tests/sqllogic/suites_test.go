package sqllogic_test

import (
	"testing"

	"github.com/streamsql/streamsql/tests/sqllogic"
)

// TestSuites runs testdata/*.slt against the engine at parallelism 1, 2
// and 4 and requires every record to pass with identical results at every
// parallelism. It skips until an engine sets sqllogic.NewDB (see its
// documentation).
func TestSuites(t *testing.T) {
	if sqllogic.NewDB == nil {
		t.Skip("no engine wired: set sqllogic.NewDB from a _test.go file of package sqllogic_test " +
			"(e.g. tests/sqllogic/engine_test.go) to run testdata/*.slt at parallelism 1, 2 and 4")
	}
	sqllogic.CheckSuites(t, "testdata/*.slt", sqllogic.NewDB)
}
