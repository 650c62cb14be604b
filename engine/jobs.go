package engine

import (
	"fmt"
	"sort"
	"sync"
	"time"

	"github.com/streamsql/streamsql/exec"
	"github.com/streamsql/streamsql/planner"
)

// JobStatus is a job's lifecycle state.
type JobStatus string

const (
	JobRunning  JobStatus = "RUNNING"
	JobFinished JobStatus = "FINISHED"
	JobFailed   JobStatus = "FAILED"
	JobStopped  JobStatus = "STOPPED"
)

// Job is a job started by INSERT (or a SELECT shown live).
type Job struct {
	ID      string
	Name    string
	Started time.Time
	Plan    *planner.Plan
	run     *exec.Job

	mu     sync.Mutex
	status JobStatus
	err    error
	ended  time.Time
	done   chan struct{}
}

// Status returns the job's status and, for a failed job, its error.
func (j *Job) Status() (JobStatus, error) {
	j.mu.Lock()
	defer j.mu.Unlock()
	return j.status, j.err
}

// Wait blocks until the job ends and returns its error.
func (j *Job) Wait() error {
	<-j.done
	_, err := j.Status()
	return err
}

// Done is closed when the job ends.
func (j *Job) Done() <-chan struct{} { return j.done }

// Stop cancels the job and waits for it to end.
func (j *Job) Stop() {
	j.run.Cancel()
	<-j.done
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

// Counts returns the rows read by sources and written by sinks, and the
// watermark of the last vertex.
func (j *Job) Counts() (in, out int64, wm int64) {
	g := j.run.Graph()
	wm = exec.MinWatermark
	for i, v := range g.Vertices {
		m := j.run.Metrics(i)
		if v.Source != nil {
			in += m.RowsIn.Load()
		}
		if v.Sink {
			out += m.RowsIn.Load()
			wm = m.Watermark.Load()
		}
	}
	return
}

// LateRows returns rows dropped as late, over all operators.
func (j *Job) LateRows() int64 {
	var n int64
	for i := range j.run.Graph().Vertices {
		n += j.run.Metrics(i).LateRowsDropped.Load()
	}
	return n
}

// registry tracks the jobs of an engine.
type registry struct {
	mu   sync.Mutex
	seq  int
	jobs map[string]*Job
}

func newRegistry() *registry { return &registry{jobs: map[string]*Job{}} }

func (r *registry) add(name string, p *planner.Plan, run *exec.Job) *Job {
	r.mu.Lock()
	r.seq++
	id := fmt.Sprintf("%08x%08x", uint32(time.Now().UnixNano()), uint32(r.seq))
	j := &Job{ID: id, Name: name, Started: time.Now(), Plan: p, run: run, status: JobRunning, done: make(chan struct{})}
	r.jobs[id] = j
	r.mu.Unlock()
	go func() {
		err := run.Wait()
		j.mu.Lock()
		j.ended = time.Now()
		switch {
		case err == exec.ErrCancelled:
			j.status = JobStopped
		case err != nil:
			j.status, j.err = JobFailed, err
		default:
			j.status = JobFinished
		}
		j.mu.Unlock()
		close(j.done)
	}()
	return j
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
