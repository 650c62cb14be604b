package sqllogic_test

import (
	"fmt"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/streamsql/streamsql/engine"
	"github.com/streamsql/streamsql/tests/sqllogic"
)

// The suites run on the real engine: a fresh engine per suite and
// parallelism (TestSuites, the default hashmap mode).
func init() {
	sqllogic.NewDB = func(t testing.TB, parallelism int) sqllogic.DB {
		return newEngine(t, parallelism, mode{})
	}
}

// mode is one column of the test matrix: every suite must give the same
// results in every mode.
type mode struct {
	name    string
	set     map[string]string
	testing *engine.Testing
	// checkpoint: turn on checkpointing into a temporary directory.
	checkpoint bool
}

func newEngine(t testing.TB, parallelism int, m mode) *engine.Engine {
	tc := m.testing
	if tc != nil && tc.BatchSize > 0 && strings.Contains(t.Name(), "/nexmark") {
		// The Nexmark suites (testdata/nexmark*.slt) read thousands of
		// generated rows per query: batches of 64 rows, each followed by
		// the pause, still let checkpoints complete and the failure strike
		// in the middle of the input, in seconds rather than many minutes.
		c := *tc
		c.BatchSize = 64
		tc = &c
	}
	eng := engine.New(engine.Options{Stdout: io.Discard, Stderr: io.Discard, Testing: tc})
	set := func(k, v string) {
		if err := eng.Config().Set(k, v); err != nil {
			t.Fatal(err)
		}
	}
	set("parallelism.default", fmt.Sprint(parallelism))
	if m.checkpoint {
		set("execution.checkpointing.interval", "5ms")
		set("state.checkpoints.dir", t.TempDir())
		set("restart-strategy", "fixed-delay")
		set("restart-strategy.fixed-delay.attempts", "5")
		set("restart-strategy.fixed-delay.delay", "0")
	}
	for k, v := range m.set {
		set(k, v)
	}
	t.Cleanup(eng.StopAll)
	return eng
}

// failMidway slows sources down (two rows per batch, a pause after each)
// so that checkpoints complete between batches, and fails every job once
// after its sink received a few rows: the job restarts from its latest
// checkpoint.
func failMidway(restartPar int) *engine.Testing {
	return &engine.Testing{FailAfterRows: 3, BatchSize: 2, SourceBatchDelay: 2 * time.Millisecond, RestartParallelism: restartPar}
}

func TestSuitesModes(t *testing.T) {
	if testing.Short() {
		t.Skip("the matrix of modes runs in the full suite")
	}
	modes := []mode{
		{name: "pebble", set: map[string]string{"state.backend": "pebble"}},
		{name: "checkpoint-failure-hashmap", checkpoint: true, testing: failMidway(0)},
		{name: "checkpoint-failure-pebble-incremental", checkpoint: true, testing: failMidway(0),
			set: map[string]string{"state.backend": "pebble", "state.backend.incremental": "true"}},
		{name: "checkpoint-failure-unaligned", checkpoint: true, testing: failMidway(0),
			set: map[string]string{"execution.checkpointing.unaligned": "true"}},
		{name: "checkpoint-failure-changelog", checkpoint: true, testing: failMidway(0),
			set: map[string]string{"state.backend.changelog.enabled": "true"}},
		{name: "restore-at-parallelism-3", checkpoint: true, testing: failMidway(3)},
		// At-least-once skips alignment: without a failure nothing is
		// replayed, so the results must still be exact.
		{name: "at-least-once-no-failure", checkpoint: true,
			testing: &engine.Testing{BatchSize: 2, SourceBatchDelay: 2 * time.Millisecond},
			set:     map[string]string{"execution.checkpointing.mode": "AT_LEAST_ONCE"}},
	}
	for _, m := range modes {
		t.Run(m.name, func(t *testing.T) {
			sqllogic.CheckSuites(t, "testdata/*.slt", func(t testing.TB, p int) sqllogic.DB { return newEngine(t, p, m) })
		})
	}
}
