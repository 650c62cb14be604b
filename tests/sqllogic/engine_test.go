package sqllogic_test

import (
	"fmt"
	"io"
	"os"
	"path"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/streamsql/streamsql/engine"
	"github.com/streamsql/streamsql/internal/testkit"
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

// failing reports whether the mode injects a failure into every job.
func (m mode) failing() bool { return m.testing != nil && m.testing.FailAfterCheckpoint }

func newEngine(t testing.TB, parallelism int, m mode) *engine.Engine {
	return newWatchedEngine(t, parallelism, m).eng
}

// watchedEngine is an engine with what a test needs to check its jobs'
// attempts once a suite ran.
type watchedEngine struct {
	eng *engine.Engine
	// stderr is what the engine wrote to standard error (warnings: each
	// job failure and restart, with the job's id and error).
	stderr *testkit.SyncBuffer
	mu     sync.Mutex
	jobs   []*engine.Job // every job started (INSERT and query), in order
	// batchSize is the rows per source batch (Testing.BatchSize).
	batchSize int
}

func (w *watchedEngine) startedJobs() []*engine.Job {
	w.mu.Lock()
	defer w.mu.Unlock()
	return slices.Clone(w.jobs)
}

func newWatchedEngine(t testing.TB, parallelism int, m mode) *watchedEngine {
	w := &watchedEngine{stderr: &testkit.SyncBuffer{}}
	var tc *engine.Testing
	if m.testing != nil {
		c := *m.testing
		tc = &c
		if c.BatchSize > 0 && strings.Contains(t.Name(), "/nexmark") {
			// The Nexmark suites (testdata/nexmark*.slt) read thousands of
			// generated rows per query: batches of 64 rows, each followed
			// by the pause, still let checkpoints complete and the failure
			// strike in the middle of the input, in seconds rather than
			// many minutes.
			tc.BatchSize = 64
			tc.SourceBatchDelay = 2 * time.Millisecond
		}
		w.batchSize = tc.BatchSize
		tc.OnJobStart = func(j *engine.Job) {
			w.mu.Lock()
			defer w.mu.Unlock()
			w.jobs = append(w.jobs, j)
		}
	}
	stderr := w.stderr
	eng := engine.New(engine.Options{Stdout: io.Discard, Stderr: stderr, Testing: tc})
	set := func(k, v string) {
		if err := eng.Config().Set(k, v); err != nil {
			t.Fatal(err)
		}
	}
	set("parallelism.default", fmt.Sprint(parallelism))
	// Checkpoints and Pebble's files go to a memory filesystem where there
	// is one: the modes test results through failures and restores, not
	// the disk's durability (the crash tests do), and a checkpoint every
	// 5 ms would otherwise spend most of the run in fsync.
	set("state.backend.pebble.localdir", memTempDir(t))
	if m.checkpoint {
		set("execution.checkpointing.interval", "5ms")
		set("state.checkpoints.dir", memTempDir(t))
		set("restart-strategy", "fixed-delay")
		set("restart-strategy.fixed-delay.attempts", "5")
		set("restart-strategy.fixed-delay.delay", "0")
	}
	for k, v := range m.set {
		set(k, v)
	}
	t.Cleanup(eng.StopAll)
	w.eng = eng
	return w
}

// memTempDir is a temporary directory on /dev/shm when it is a writable
// memory filesystem, else t.TempDir(); it is removed when the test ends.
func memTempDir(t testing.TB) string {
	if fi, err := os.Stat("/dev/shm"); err == nil && fi.IsDir() {
		if dir, err := os.MkdirTemp("/dev/shm", "streamsql-sqllogic-"); err == nil {
			t.Cleanup(func() { os.RemoveAll(dir) })
			return dir
		}
	}
	return t.TempDir()
}

// failMidway fails every job once, after its first checkpoint completed,
// when its sources read more input (their first attempt holds after the
// first batch until that checkpoint completed; two rows per batch and a
// short pause after each keep the failure in the middle of the input):
// the restart restores that checkpoint (at restartPar when > 0).
func failMidway(restartPar int) *engine.Testing {
	return &engine.Testing{FailAfterCheckpoint: true, BatchSize: 2, SourceBatchDelay: time.Millisecond, RestartParallelism: restartPar}
}

// restoreCount is what one suite's jobs did in a failing mode, over every
// parallelism it ran at.
type restoreCount struct {
	jobs, restored int
	// rescaled counts the restores at another parallelism than the
	// first attempt's (with Testing.RestartParallelism).
	rescaled int
	// unfailed counts the jobs that had input left after their first
	// batches but were not failed (no checkpoint completed in time).
	unfailed int
	// small counts the jobs that read all their input in their sources'
	// first batches: too little to fail mid-way.
	small int
}

// checkAttempts checks the jobs of one run of a suite (called once the run
// ended) against the mode's plan: a failing mode fails each job at most
// once (the injected failure) and each restart restores a checkpoint the
// job took, at the mode's restart parallelism when it sets one; a job
// failure that was not planned fails the test with the job's error. It
// adds the run's jobs and restores to count.
func checkAttempts(t testing.TB, m mode, w *watchedEngine, count *restoreCount) {
	jobs := w.startedJobs()
	// A job that ended FAILED failed for good: its statement reported the
	// error, which the script expects or the runner reports.
	failedForGood := map[string]bool{}
	for _, j := range jobs {
		if st, _ := j.Status(); st == engine.JobFailed {
			failedForGood[j.ID] = true
		}
	}
	for _, line := range strings.Split(w.stderr.String(), "\n") {
		rest, ok := strings.CutPrefix(line, "WARNING: job ")
		if !ok || !strings.Contains(line, " failed: ") {
			continue
		}
		if id, _, _ := strings.Cut(rest, " "); failedForGood[id] {
			continue
		}
		if m.failing() && strings.Contains(line, "injected failure after checkpoint") {
			continue
		}
		t.Errorf("unplanned job failure: %s", line)
	}
	for _, j := range jobs {
		if failedForGood[j.ID] {
			continue
		}
		count.jobs++
		attempts := j.Attempts()
		if m.failing() && len(attempts) == 1 {
			// Not failed: its sources must have read no more than their
			// first batches (they hold after them until a checkpoint
			// completed, and the job fails once they read more).
			// Under load the first checkpoint can miss the hold's limit;
			// such a job is logged and counted, and its suite must
			// still restore.
			in, _, _ := j.Counts()
			if first := firstBatches(j, w.batchSize); in > first {
				t.Logf("job %s (%s) read %d rows, more than its sources' first batches (%d), and never failed after a checkpoint", j.ID, j.Name, in, first)
				count.unfailed++
			} else {
				count.small++
			}
		}
		restarts := 0
		for i, a := range attempts {
			if !a.Restart {
				continue
			}
			restarts++
			if a.RestoredID <= 0 {
				t.Errorf("job %s (%s): attempt %d started from the beginning; a restart must restore a checkpoint of the job", j.ID, j.Name, i+1)
				continue
			}
			if p := m.testing.RestartParallelism; p > 0 {
				// Operators that cannot scale (a global aggregate, a
				// VALUES source) run at 1; none may run above p.
				if a.Parallelism > p {
					t.Errorf("job %s (%s): attempt %d ran at parallelism %d, above the restart parallelism %d", j.ID, j.Name, i+1, a.Parallelism, p)
					continue
				}
				if a.Parallelism != attempts[0].Parallelism {
					count.rescaled++
				}
			}
			count.restored++
		}
		planned := 0
		if m.failing() {
			planned = 1
		}
		if restarts > planned {
			t.Errorf("job %s (%s) restarted %d times; the mode plans %d failure(s) per job", j.ID, j.Name, restarts, planned)
		}
	}
}

// firstBatches is how many rows a job's sources read before they hold:
// one batch per source instance.
func firstBatches(j *engine.Job, batchSize int) int64 {
	var n int64
	for _, v := range j.Plan.Graph.Vertices {
		if v.Source != nil {
			n += int64(v.Parallelism * batchSize)
		}
	}
	return n
}

func TestSuitesModes(t *testing.T) {
	if testing.Short() {
		t.Skip("the matrix of modes runs in the full suite")
	}
	modes := []mode{
		// Window aggregates in two phases (a local phase before the
		// exchange), whatever the parallelism of their input, and DISTINCT
		// aggregates split over three buckets.
		{name: "pebble-two-phase-split-distinct", set: map[string]string{"state.backend": "pebble",
			"table.optimizer.agg-phase-strategy":            "TWO_PHASE",
			"table.optimizer.distinct-agg.split.enabled":    "true",
			"table.optimizer.distinct-agg.split.bucket-num": "3"}},
		{name: "checkpoint-failure-hashmap", checkpoint: true, testing: failMidway(0)},
		{name: "checkpoint-failure-pebble-incremental", checkpoint: true, testing: failMidway(0),
			set: map[string]string{"state.backend": "pebble", "state.backend.incremental": "true"}},
		{name: "checkpoint-failure-unaligned", checkpoint: true, testing: failMidway(0),
			set: map[string]string{"execution.checkpointing.unaligned": "true"}},
		// Every operator a task of its own (operator chaining off), with a
		// failure: the other modes run chained.
		{name: "checkpoint-failure-unchained", checkpoint: true, testing: failMidway(0),
			set: map[string]string{"pipeline.operator-chaining": "false"}},
		{name: "checkpoint-failure-changelog", checkpoint: true, testing: failMidway(0),
			set: map[string]string{"state.backend.changelog.enabled": "true"}},
		// The memory backend's incremental checkpoints (a full base and
		// deltas) restored at another parallelism: full memory checkpoints
		// restore in the hashmap, unaligned and changelog modes.
		// DISTINCT aggregates split, and GROUP BYs in mini-batches that
		// only checkpoints and the end of the input close.
		{name: "restore-at-parallelism-3-hashmap-incremental-split-mini-batch", checkpoint: true, testing: failMidway(3),
			set: map[string]string{"state.backend.incremental": "true", "table.optimizer.agg-phase-strategy": "TWO_PHASE",
				"table.optimizer.distinct-agg.split.enabled": "true",
				"table.exec.mini-batch.enabled":              "true", "table.exec.mini-batch.allow-latency": "1h"}},
		// At-least-once skips alignment: without a failure nothing is
		// replayed, so the results must still be exact.
		{name: "at-least-once-no-failure", checkpoint: true,
			testing: &engine.Testing{BatchSize: 2, SourceBatchDelay: 2 * time.Millisecond},
			set:     map[string]string{"execution.checkpointing.mode": "AT_LEAST_ONCE"}},
	}
	for _, m := range modes {
		t.Run(m.name, func(t *testing.T) {
			var mu sync.Mutex
			counts := map[string]*restoreCount{} // by suite
			sqllogic.CheckSuites(t, "testdata/*.slt", func(t testing.TB, p int) sqllogic.DB {
				w := newWatchedEngine(t, p, m)
				if m.testing == nil {
					return w.eng
				}
				suite := path.Base(path.Dir(t.Name()))
				mu.Lock()
				c := counts[suite]
				if c == nil {
					c = &restoreCount{}
					counts[suite] = c
				}
				mu.Unlock()
				// Registered after newEngineLog's StopAll: runs before it,
				// once the suite's statements ran (each job ended).
				t.Cleanup(func() {
					mu.Lock()
					defer mu.Unlock()
					checkAttempts(t, m, w, c)
				})
				return w.eng
			})
			if !m.failing() {
				return
			}
			// Each suite with jobs that had input left after their first
			// batches must have restored in this mode: a failing mode whose
			// jobs all started over, or never failed, tests nothing.
			suites := make([]string, 0, len(counts))
			for s := range counts {
				suites = append(suites, s)
			}
			slices.Sort(suites)
			total := restoreCount{}
			for _, s := range suites {
				c := counts[s]
				total.jobs += c.jobs
				total.restored += c.restored
				total.small += c.small
				total.rescaled += c.rescaled
				total.unfailed += c.unfailed
				t.Logf("%s: %s: %d of %d jobs restored a checkpoint (%d at another parallelism; %d read all their input in their first batches; %d not failed)", m.name, s, c.restored, c.jobs, c.rescaled, c.small, c.unfailed)
				if c.jobs > c.small && c.restored == 0 {
					t.Errorf("%s: suite %s ran %d jobs with input to fail on and none restored a checkpoint: the mode did not exercise recovery", m.name, s, c.jobs-c.small)
				}
			}
			t.Logf("%s: %d of %d jobs restored a checkpoint (%d at another parallelism; %d read all their input in their first batches; %d not failed)", m.name, total.restored, total.jobs, total.rescaled, total.small, total.unfailed)
			if total.restored == 0 {
				t.Errorf("%s: no job restored a checkpoint", m.name)
			}
			if m.testing.RestartParallelism > 0 && total.rescaled == 0 {
				t.Errorf("%s: no job restored its state at another parallelism", m.name)
			}
		})
	}
}
