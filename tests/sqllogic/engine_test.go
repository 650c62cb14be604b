package sqllogic_test

import (
	"fmt"
	"io"
	"testing"

	"github.com/streamsql/streamsql/engine"
	"github.com/streamsql/streamsql/tests/sqllogic"
)

// The suites run on the real engine: a fresh engine per suite and
// parallelism.
func init() {
	sqllogic.NewDB = func(t testing.TB, parallelism int) sqllogic.DB {
		eng := engine.New(engine.Options{Stdout: io.Discard, Stderr: io.Discard})
		if err := eng.Config().Set("parallelism.default", fmt.Sprint(parallelism)); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(eng.StopAll)
		return eng
	}
}
