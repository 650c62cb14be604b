package metrics

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/streamsql/streamsql/engine"
	"github.com/streamsql/streamsql/exec"
)

// Prometheus metrics, computed from the running jobs at scrape time (no
// bookkeeping on the data path). Names follow Flink's metrics where one
// exists, prefixed streamsql_; operator metrics are labelled by job and
// vertex (summed over the vertex's subtasks), job metrics by job.
var (
	opLabels  = []string{"job", "job_name", "vertex", "vertex_name"}
	jobLabels = []string{"job", "job_name"}

	descRecordsIn  = prometheus.NewDesc("streamsql_operator_numRecordsIn", "Rows the operator received (current attempt).", opLabels, nil)
	descRecordsOut = prometheus.NewDesc("streamsql_operator_numRecordsOut", "Rows the operator emitted (current attempt).", opLabels, nil)
	descLate       = prometheus.NewDesc("streamsql_operator_numLateRecordsDropped", "Rows dropped as late (current attempt).", opLabels, nil)
	descSkipped    = prometheus.NewDesc("streamsql_operator_numSkippedRecords", "Bad input rows skipped by a source (current attempt).", opLabels, nil)
	descWatermark  = prometheus.NewDesc("streamsql_operator_currentOutputWatermark", "Latest watermark the operator forwarded, Unix ms (absent before the first).", opLabels, nil)

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
	for _, d := range []*prometheus.Desc{descRecordsIn, descRecordsOut, descLate, descSkipped, descWatermark,
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
			ol := []string{l.ID, j.Name, v.ID, v.Name}
			ch <- prometheus.MustNewConstMetric(descRecordsIn, prometheus.CounterValue, float64(v.RowsIn), ol...)
			ch <- prometheus.MustNewConstMetric(descRecordsOut, prometheus.CounterValue, float64(v.RowsOut), ol...)
			ch <- prometheus.MustNewConstMetric(descLate, prometheus.CounterValue, float64(v.LateRows), ol...)
			ch <- prometheus.MustNewConstMetric(descSkipped, prometheus.CounterValue, float64(v.SkippedRows), ol...)
			if v.Watermark != exec.MinWatermark && v.Watermark != exec.MaxWatermark {
				ch <- prometheus.MustNewConstMetric(descWatermark, prometheus.GaugeValue, float64(v.Watermark), ol...)
			}
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
