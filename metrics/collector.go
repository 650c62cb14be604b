package metrics

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/streamsql/streamsql/engine"
	"github.com/streamsql/streamsql/exec"
)

// Prometheus metrics, computed from the running jobs at scrape time (no
// bookkeeping on the data path beyond the tasks' own counters). Names
// follow Flink's metrics where one exists, prefixed streamsql_; operator
// metrics are labelled by job, vertex and subtask, job metrics by job.
var (
	opLabels  = []string{"job", "job_name", "vertex", "vertex_name", "subtask"}
	jobLabels = []string{"job", "job_name"}

	descRecordsIn     = prometheus.NewDesc("streamsql_operator_numRecordsIn", "Rows the subtask received (current attempt).", opLabels, nil)
	descRecordsOut    = prometheus.NewDesc("streamsql_operator_numRecordsOut", "Rows the subtask emitted (current attempt).", opLabels, nil)
	descRecordsInPS   = prometheus.NewDesc("streamsql_operator_numRecordsInPerSecond", "Rows the subtask received per second (over the last second or more).", opLabels, nil)
	descRecordsOutPS  = prometheus.NewDesc("streamsql_operator_numRecordsOutPerSecond", "Rows the subtask emitted per second (over the last second or more).", opLabels, nil)
	descLate          = prometheus.NewDesc("streamsql_operator_numLateRecordsDropped", "Rows dropped as late (current attempt).", opLabels, nil)
	descSkipped       = prometheus.NewDesc("streamsql_operator_numSkippedRecords", "Bad input rows skipped by a source (current attempt).", opLabels, nil)
	descWatermark     = prometheus.NewDesc("streamsql_operator_currentOutputWatermark", "Latest watermark the subtask forwarded, Unix ms (absent before the first).", opLabels, nil)
	descBusy          = prometheus.NewDesc("streamsql_operator_busyTimeMsPerSecond", "Milliseconds per second the subtask computed (over the last second or more).", opLabels, nil)
	descBackpressured = prometheus.NewDesc("streamsql_operator_backPressuredTimeMsPerSecond", "Milliseconds per second the subtask waited on a full output channel.", opLabels, nil)
	descIdle          = prometheus.NewDesc("streamsql_operator_idleTimeMsPerSecond", "Milliseconds per second the subtask waited for input.", opLabels, nil)
	descStateSize     = prometheus.NewDesc("streamsql_operator_stateSize", "Bytes of the subtask's state in the latest completed checkpoint.", opLabels, nil)
	descPending       = prometheus.NewDesc("streamsql_operator_pendingRecords", "Records a source subtask is behind the end of its Kafka partitions (absent when unknown).", opLabels, nil)
	descCommits       = prometheus.NewDesc("streamsql_operator_numCommits", "Transactions a sink subtask committed (current attempt).", opLabels, nil)
	descCommitSecs    = prometheus.NewDesc("streamsql_operator_commitTimeSeconds", "Total time a sink subtask spent committing transactions (current attempt).", opLabels, nil)
	descLastCommit    = prometheus.NewDesc("streamsql_operator_lastCommitDuration", "Duration of a sink subtask's last transaction commit, ms.", opLabels, nil)

	descUp          = prometheus.NewDesc("streamsql_job_running", "1 while the job runs in this server, 0 when it is restarting.", jobLabels, nil)
	descRestarts    = prometheus.NewDesc("streamsql_job_numRestarts", "Restarts after failures since the job started in this server.", jobLabels, nil)
	descCompleted   = prometheus.NewDesc("streamsql_job_numberOfCompletedCheckpoints", "Completed checkpoints and savepoints since the job started in this server.", jobLabels, nil)
	descFailed      = prometheus.NewDesc("streamsql_job_numberOfFailedCheckpoints", "Checkpoints and savepoints that failed since the job started in this process.", jobLabels, nil)
	descCPDuration  = prometheus.NewDesc("streamsql_job_lastCheckpointDuration", "Duration of the last completed checkpoint, ms.", jobLabels, nil)
	descCPSize      = prometheus.NewDesc("streamsql_job_lastCheckpointSize", "Bytes the last completed checkpoint needs.", jobLabels, nil)
	descCPIncrement = prometheus.NewDesc("streamsql_job_lastCheckpointIncrementalSize", "Bytes the last completed checkpoint wrote anew.", jobLabels, nil)
)

// Job is a job to report and the id to report it under.
type Job struct {
	ID  string
	Job *engine.Job
}

// JobSource lists the jobs to report; the collector calls it on every
// scrape, from the scraping goroutine.
type JobSource func() []Job

// collector is a prometheus.Collector over the jobs of a JobSource.
type collector struct{ jobs JobSource }

func (c collector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{descRecordsIn, descRecordsOut, descRecordsInPS, descRecordsOutPS, descLate, descSkipped, descWatermark,
		descBusy, descBackpressured, descIdle, descStateSize, descPending, descCommits, descCommitSecs, descLastCommit,
		descUp, descRestarts, descCompleted, descFailed, descCPDuration, descCPSize, descCPIncrement} {
		ch <- d
	}
}

func (c collector) Collect(ch chan<- prometheus.Metric) {
	for _, l := range c.jobs() {
		if l.Job.Ended() {
			continue // nothing current to report
		}
		j := l.Job
		jl := []string{l.ID, j.Name}
		st, _ := j.Status()
		up := 0.0
		if st == engine.JobRunning {
			up = 1
		}
		ch <- prometheus.MustNewConstMetric(descUp, prometheus.GaugeValue, up, jl...)
		ch <- prometheus.MustNewConstMetric(descRestarts, prometheus.CounterValue, float64(j.Restarts()), jl...)
		hist, completed := j.Checkpoints()
		ch <- prometheus.MustNewConstMetric(descCompleted, prometheus.CounterValue, float64(completed), jl...)
		ch <- prometheus.MustNewConstMetric(descFailed, prometheus.CounterValue, float64(j.FailedCheckpoints()), jl...)
		if n := len(hist); n > 0 {
			last := hist[n-1]
			ch <- prometheus.MustNewConstMetric(descCPDuration, prometheus.GaugeValue, float64(last.Duration().Milliseconds()), jl...)
			ch <- prometheus.MustNewConstMetric(descCPSize, prometheus.GaugeValue, float64(last.Size), jl...)
			ch <- prometheus.MustNewConstMetric(descCPIncrement, prometheus.GaugeValue, float64(last.IncrementalSize), jl...)
		}
		for _, v := range j.Vertices() {
			for _, st := range v.Subtasks {
				collectSubtask(ch, []string{l.ID, j.Name, v.ID, v.Name, strconv.Itoa(st.Index)}, v, st)
			}
		}
	}
}

// collectSubtask sends the metrics of one subtask of vertex v.
func collectSubtask(ch chan<- prometheus.Metric, ol []string, v engine.VertexStats, st engine.SubtaskStats) {
	counter := func(d *prometheus.Desc, x float64) {
		ch <- prometheus.MustNewConstMetric(d, prometheus.CounterValue, x, ol...)
	}
	gauge := func(d *prometheus.Desc, x float64) {
		ch <- prometheus.MustNewConstMetric(d, prometheus.GaugeValue, x, ol...)
	}
	counter(descRecordsIn, float64(st.RowsIn))
	counter(descRecordsOut, float64(st.RowsOut))
	gauge(descRecordsInPS, st.RowsInPerSec)
	gauge(descRecordsOutPS, st.RowsOutPerSec)
	counter(descLate, float64(st.LateRows))
	counter(descSkipped, float64(st.SkippedRows))
	if st.Watermark != exec.MinWatermark && st.Watermark != exec.MaxWatermark {
		gauge(descWatermark, float64(st.Watermark))
	}
	gauge(descBusy, 1000*st.BusyRatio)
	gauge(descBackpressured, 1000*st.BackpressureRatio)
	gauge(descIdle, 1000*st.IdleRatio)
	gauge(descStateSize, float64(st.StateBytes))
	if v.Source && st.PendingRecords >= 0 {
		gauge(descPending, float64(st.PendingRecords))
	}
	if v.Sink {
		counter(descCommits, float64(st.Commits))
		counter(descCommitSecs, st.CommitTime.Seconds())
		if st.Commits > 0 {
			gauge(descLastCommit, float64(st.LastCommit)/float64(time.Millisecond))
		}
	}
}

// Handler serves the jobs' metrics and the Go runtime's and process's in
// Prometheus' text format.
func Handler(jobs JobSource) http.Handler {
	reg := prometheus.NewRegistry()
	reg.MustRegister(collector{jobs: jobs}, prometheus.NewGoCollector(), prometheus.NewProcessCollector(prometheus.ProcessCollectorOpts{}))
	return promhttp.HandlerFor(reg, promhttp.HandlerOpts{ErrorHandling: promhttp.ContinueOnError})
}

// EngineJobs reports every job of a session (embedded runs), under the
// engine's job ids.
func EngineJobs(eng *engine.Engine) JobSource {
	return func() []Job {
		var out []Job
		for _, j := range eng.Jobs() {
			out = append(out, Job{ID: j.ID, Job: j})
		}
		return out
	}
}

// Serve serves Handler(jobs) at /metrics on addr until ctx ends or stop
// is called. It returns once the listener is open (an error when it
// cannot be) and the address it listens on.
func Serve(ctx context.Context, addr string, jobs JobSource) (bound string, stop func(), err error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return "", nil, fmt.Errorf("metrics: %w", err)
	}
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", Handler(jobs))
	hs := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	go hs.Serve(ln)
	done := make(chan struct{})
	var once sync.Once
	stop = func() {
		once.Do(func() {
			close(done)
			hs.Close()
		})
	}
	go func() {
		select {
		case <-ctx.Done():
			stop()
		case <-done:
		}
	}()
	return ln.Addr().String(), stop, nil
}
