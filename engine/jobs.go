package engine

import (
	"errors"
	"fmt"
	"log/slog"
	"path"
	"slices"
	"sort"
	"sync"
	"time"

	"github.com/streamsql/streamsql/checkpoint"
	"github.com/streamsql/streamsql/connectors"
	"github.com/streamsql/streamsql/exec"
	"github.com/streamsql/streamsql/planner"
)

// JobStatus is a job's lifecycle state.
type JobStatus string

const (
	JobRunning    JobStatus = "RUNNING"
	JobRestarting JobStatus = "RESTARTING"
	JobFinished   JobStatus = "FINISHED"
	JobFailed     JobStatus = "FAILED"
	JobStopped    JobStatus = "STOPPED"
)

// Job is a job started by INSERT. It survives task failures: each failure
// cancels the running attempt and, as the restart strategy allows, starts
// a new attempt from the latest complete checkpoint.
type Job struct {
	ID      string
	Name    string
	Started time.Time
	Plan    *planner.Plan
	// StorageID names the job's directory under state.checkpoints.dir
	// (stable for the same query, so a later process can restore it).
	StorageID string

	mu       sync.Mutex
	run      *exec.Job
	status   JobStatus
	err      error
	ended    time.Time
	restarts int
	attempts []Attempt
	lastCP   *checkpoint.Metadata
	stopping bool
	// keepCheckpoints: the stop is one the job goes on from (a last
	// checkpoint taken for --restore latest, a server shutting down, a
	// cluster server handing the job over or giving it up to the server
	// that took it over): externalized-checkpoint-retention's
	// DELETE_ON_CANCELLATION does not apply (Release, StopWithCheckpoint).
	keepCheckpoints bool
	done            chan struct{}
	wake            chan struct{}
	setup           *jobSetup
	// skipsReported is set once the job's skipped rows were summarized.
	skipsReported bool
	// history holds the latest completed checkpoints and savepoints
	// (at most maxHistory, oldest first); completed counts them all.
	history   []CheckpointStats
	completed int64
	failed    int64 // checkpoints and savepoints that failed
	// rates turns the current attempt's counters into rates (Vertices).
	rates rateSampler
}

// Status returns the job's status and, for a failed job, its error.
func (j *Job) Status() (JobStatus, error) {
	j.mu.Lock()
	defer j.mu.Unlock()
	return j.status, j.err
}

// Restarts is the number of restarts so far.
func (j *Job) Restarts() int {
	j.mu.Lock()
	defer j.mu.Unlock()
	return j.restarts
}

// Attempt is one run of a job: the first, or a restart after a failure.
type Attempt struct {
	// Restart is false for the job's first attempt.
	Restart bool
	// RestoredID is the id of the checkpoint or savepoint the attempt
	// restored, 0 when it started from the beginning.
	RestoredID int64
	// RestoredSavepoint tells that RestoredID is a savepoint.
	RestoredSavepoint bool
	// RestoredPath is the restored checkpoint's or savepoint's directory
	// ("" when it started from the beginning).
	RestoredPath string
	// Parallelism is the highest parallelism of the attempt's operators
	// (a restart may run at another parallelism than the first attempt).
	Parallelism int
}

// IDBase is the checkpoint id its checkpoints are numbered above (the
// highest id in its directory when it was set up, raised by
// CheckpointIDsPerEpoch with Ownership.Jump); 0 without checkpointing.
func (j *Job) IDBase() int64 {
	if j.setup == nil {
		return 0
	}
	return j.setup.ownAfter
}

// Attempts returns the job's attempts so far, oldest first: what each
// restored. Tests use it to assert that a restart really restored.
func (j *Job) Attempts() []Attempt {
	j.mu.Lock()
	defer j.mu.Unlock()
	return slices.Clone(j.attempts)
}

// recordAttempt notes an attempt about to start from restore (nil: from
// the beginning). The restore point of a restart, and of a first attempt
// that restores (--restore, execution.savepoint.path), is also printed
// through info, as Flink logs it, so that a log shows what each attempt
// resumed from.
func (j *Job) recordAttempt(restart bool, restore *checkpoint.Metadata, info func(string)) {
	a := Attempt{Restart: restart}
	if restore != nil {
		a.RestoredID, a.RestoredSavepoint = restore.CheckpointID, restore.Savepoint
		a.RestoredPath = restore.Dir
		if restore.Storage != nil {
			a.RestoredPath = path.Join(restore.Storage.Root(), restore.Dir)
		}
	}
	j.mu.Lock()
	j.attempts = append(j.attempts, a)
	n := len(j.attempts)
	j.mu.Unlock()
	if info == nil || !restart && restore == nil {
		return
	}
	if restore == nil {
		info(fmt.Sprintf("job %s: attempt %d starts from the beginning (no checkpoint of this job completed)", j.ID, n))
		return
	}
	kind := "checkpoint"
	if a.RestoredSavepoint {
		kind = "savepoint"
	}
	info(fmt.Sprintf("job %s: attempt %d restores %s %d (%s)", j.ID, n, kind, a.RestoredID, a.RestoredPath))
}

// LastCheckpoint returns the latest completed checkpoint or savepoint (nil if none).
func (j *Job) LastCheckpoint() *checkpoint.Metadata {
	j.mu.Lock()
	defer j.mu.Unlock()
	return j.lastCP
}

func (j *Job) setLastCheckpoint(md *checkpoint.Metadata) {
	j.mu.Lock()
	defer j.mu.Unlock()
	if j.lastCP == nil || md.CheckpointID >= j.lastCP.CheckpointID {
		j.lastCP = md
	}
	j.completed++
	j.addHistory(checkpointStats(md))
}

// Wait blocks until the job ends and returns its error.
func (j *Job) Wait() error {
	<-j.done
	_, err := j.Status()
	return err
}

// Done is closed when the job ends.
func (j *Job) Done() <-chan struct{} { return j.done }

// Ended reports whether the job has ended (Done is closed).
func (j *Job) Ended() bool {
	select {
	case <-j.done:
		return true
	default:
		return false
	}
}

// Stop cancels the job (no restart) and waits for it to end. With
// execution.checkpointing.externalized-checkpoint-retention =
// DELETE_ON_CANCELLATION its checkpoints are deleted then (unless an
// earlier Release or StopWithCheckpoint said they are kept).
func (j *Job) Stop() {
	j.mu.Lock()
	j.stopping = true
	run := j.run
	j.mu.Unlock()
	if run != nil {
		run.Cancel()
	}
	select {
	case j.wake <- struct{}{}:
	default:
	}
	<-j.done
}

// Release stops the job as Stop does but keeps its checkpoints whatever
// externalized-checkpoint-retention says: the job goes on from them
// elsewhere or later. A cluster server releases a job another server took
// over (the new owner restores from the same directory; deleting it would
// take the state the new owner is reading) and the jobs it stops when it
// shuts down (the next start resumes them).
func (j *Job) Release() {
	j.mu.Lock()
	j.keepCheckpoints = true
	j.mu.Unlock()
	j.Stop()
}

// StopWithCheckpoint takes a last checkpoint (when the job checkpoints),
// then stops the job, keeping its checkpoints (Release): used when the
// process is asked to stop by a signal or shuts down, and when a cluster
// server hands the job over, so that the job continues from that
// checkpoint (--restore latest, the next owner).
func (j *Job) StopWithCheckpoint(timeout time.Duration) error {
	j.mu.Lock()
	j.stopping = true
	j.keepCheckpoints = true
	run, st := j.run, j.status
	j.mu.Unlock()
	var err error
	if run != nil && st == JobRunning {
		err = run.StopWithCheckpoint(timeout)
	}
	j.Stop()
	return err
}

// Savepoint takes a savepoint of the running job; with stop the job ends
// after it (with drain, after firing every window first).
func (j *Job) Savepoint(stop, drain bool) (string, error) {
	j.mu.Lock()
	run, st := j.run, j.status
	if stop {
		j.stopping = true
	}
	j.mu.Unlock()
	if st != JobRunning || run == nil {
		return "", fmt.Errorf("job %s is %s; a savepoint needs a running job", j.ID, st)
	}
	path, err := run.TriggerSavepoint(stop, drain)
	var busy *exec.BusyError
	if errors.As(err, &busy) {
		<-j.done // the stop was honoured without a savepoint
		return "", err
	}
	if err != nil && stop {
		j.mu.Lock()
		j.stopping = false
		j.mu.Unlock()
	}
	if err == nil && stop {
		<-j.done
	}
	return path, err
}

// Uptime is how long the job has run (until it ended).
func (j *Job) Uptime() time.Duration {
	j.mu.Lock()
	defer j.mu.Unlock()
	if !j.ended.IsZero() {
		return j.ended.Sub(j.Started)
	}
	return time.Since(j.Started)
}

func (j *Job) current() *exec.Job {
	j.mu.Lock()
	defer j.mu.Unlock()
	return j.run
}

// Counts returns the rows read by sources and written by sinks in the
// current attempt, and the watermark at the sink.
func (j *Job) Counts() (in, out int64, wm int64) {
	wm = exec.MinWatermark
	run := j.current()
	if run == nil {
		return
	}
	g := run.Graph()
	for i, v := range g.Vertices {
		m := run.Metrics(i)
		if v.Source != nil {
			in += m.RowsIn
		}
		if v.Sink {
			out += m.RowsIn
			wm = m.Watermark
		}
	}
	return
}

// LateRows returns rows dropped as late in the current attempt.
func (j *Job) LateRows() int64 {
	run := j.current()
	if run == nil {
		return 0
	}
	var n int64
	for i := range run.Graph().Vertices {
		n += run.Metrics(i).LateRowsDropped
	}
	return n
}

// SkippedRows returns the bad input rows skipped (under a table's
// 'format.ignore-parse-errors') in the current attempt, like Counts.
func (j *Job) SkippedRows() int64 {
	var n int64
	for _, t := range j.SkippedByTable() {
		n += t.Rows
	}
	return n
}

// TableSkips is what one source table of a job skipped.
type TableSkips struct {
	Table string
	Rows  int64 // bad rows skipped in the current attempt
	// First is the first row the table's source skipped (nil when the
	// source does not say).
	First *connectors.BadRowError
}

// SkippedByTable returns, per source table that skipped bad rows in the
// current attempt, how many and the first one, in the order of the job's
// sources. It may be called at any time, also after the job ended.
func (j *Job) SkippedByTable() []TableSkips {
	run := j.current()
	if run == nil {
		return nil
	}
	var out []TableSkips
	for i, v := range run.Graph().Vertices {
		if v.Source == nil {
			continue
		}
		n := run.Metrics(i).BadRowsSkipped
		if n == 0 {
			continue
		}
		ts := TableSkips{Table: v.Source.Table.Name, Rows: n}
		if s, ok := v.Source.Source.(connectors.SkippedRowSampler); ok {
			ts.First = s.FirstSkippedRow()
		}
		out = append(out, ts)
	}
	return out
}

// supervise runs attempts until the job finishes, is stopped, or the
// restart strategy gives up.
func (j *Job) supervise(e *Engine) {
	strategy := newRestartStrategy(j.setup.conf)
	for {
		run := j.current()
		err := run.Wait()
		j.mu.Lock()
		stopping, keep := j.stopping, j.keepCheckpoints
		j.mu.Unlock()
		switch {
		case err == nil:
			j.end(JobFinished, nil)
			return
		case errors.Is(err, exec.ErrCancelled) || stopping:
			if !keep {
				j.setup.onCancel()
			}
			j.end(JobStopped, nil)
			return
		}
		delay, ok := strategy.next(time.Now())
		if !ok {
			j.end(JobFailed, err)
			return
		}
		j.mu.Lock()
		j.status = JobRestarting
		j.restarts++
		j.mu.Unlock()
		e.logJob(slog.LevelWarn, j.ID, fmt.Sprintf("job %s failed: %v; restarting in %s (%s, restart %d)", j.ID, err, delay, strategy.describe(), j.Restarts()))
		select {
		case <-time.After(delay):
		case <-j.wake:
		}
		j.mu.Lock()
		stopping = j.stopping
		j.mu.Unlock()
		if stopping {
			j.end(JobStopped, nil)
			return
		}
		next, serr := j.setup.start(j, true)
		if serr != nil {
			j.end(JobFailed, fmt.Errorf("restart failed: %v (after: %w)", serr, err))
			return
		}
		j.mu.Lock()
		j.run = next
		j.status = JobRunning
		j.mu.Unlock()
	}
}

// end records the job's final status once its last attempt ended, and
// removes the job's pebble working directory before waiters are released.
func (j *Job) end(st JobStatus, err error) {
	j.setup.removeBackendDir()
	j.mu.Lock()
	j.status, j.err, j.ended = st, err, time.Now()
	j.mu.Unlock()
	close(j.done)
}

// registry tracks the jobs of an engine.
type registry struct {
	mu   sync.Mutex
	seq  int
	jobs map[string]*Job
}

func newRegistry() *registry { return &registry{jobs: map[string]*Job{}} }

func (r *registry) newID() string {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.seq++
	return fmt.Sprintf("%08x%08x", uint32(time.Now().UnixNano()), uint32(r.seq))
}

func (r *registry) put(j *Job) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.jobs[j.ID] = j
}

func (r *registry) get(id string) *Job {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.jobs[id]
}

// list returns jobs by start time.
func (r *registry) list() []*Job {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []*Job
	for _, j := range r.jobs {
		out = append(out, j)
	}
	sort.Slice(out, func(a, b int) bool { return out[a].Started.Before(out[b].Started) })
	return out
}
