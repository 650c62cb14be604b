package server

import (
	"net/http"

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
	descCPDuration  = prometheus.NewDesc("streamsql_job_lastCheckpointDuration", "Duration of the last completed checkpoint, ms.", jobLabels, nil)
	descCPSize      = prometheus.NewDesc("streamsql_job_lastCheckpointSize", "Bytes the last completed checkpoint needs.", jobLabels, nil)
	descCPIncrement = prometheus.NewDesc("streamsql_job_lastCheckpointIncrementalSize", "Bytes the last completed checkpoint wrote anew.", jobLabels, nil)
)

// collector is a prometheus.Collector over the server's running jobs.
type collector struct{ s *Server }

func (c collector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{descRecordsIn, descRecordsOut, descLate, descSkipped, descWatermark,
		descUp, descRestarts, descCompleted, descCPDuration, descCPSize, descCPIncrement} {
		ch <- d
	}
}

func (c collector) Collect(ch chan<- prometheus.Metric) {
	c.s.mu.Lock()
	jobs := make([]*liveJob, 0, len(c.s.live))
	for _, l := range c.s.live {
		jobs = append(jobs, l)
	}
	c.s.mu.Unlock()
	for _, l := range jobs {
		if isDone(l.job) {
			continue
		}
		j := l.job
		jl := []string{l.id, j.Name}
		st, _ := j.Status()
		up := 0.0
		if st == engine.JobRunning {
			up = 1
		}
		ch <- prometheus.MustNewConstMetric(descUp, prometheus.GaugeValue, up, jl...)
		ch <- prometheus.MustNewConstMetric(descRestarts, prometheus.CounterValue, float64(j.Restarts()), jl...)
		hist, completed := j.Checkpoints()
		ch <- prometheus.MustNewConstMetric(descCompleted, prometheus.CounterValue, float64(completed), jl...)
		if n := len(hist); n > 0 {
			last := hist[n-1]
			ch <- prometheus.MustNewConstMetric(descCPDuration, prometheus.GaugeValue, float64(last.Duration().Milliseconds()), jl...)
			ch <- prometheus.MustNewConstMetric(descCPSize, prometheus.GaugeValue, float64(last.Size), jl...)
			ch <- prometheus.MustNewConstMetric(descCPIncrement, prometheus.GaugeValue, float64(last.IncrementalSize), jl...)
		}
		for _, v := range j.Vertices() {
			ol := []string{l.id, j.Name, v.ID, v.Name}
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

// metricsHandler serves /metrics in Prometheus' text format: the jobs'
// metrics and the Go runtime's.
func (s *Server) metricsHandler() http.Handler {
	reg := prometheus.NewRegistry()
	reg.MustRegister(collector{s: s}, prometheus.NewGoCollector(), prometheus.NewProcessCollector(prometheus.ProcessCollectorOpts{}))
	return promhttp.HandlerFor(reg, promhttp.HandlerOpts{ErrorHandling: promhttp.ContinueOnError})
}
