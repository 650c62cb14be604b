package engine

import (
	"sync"
	"time"

	"github.com/streamsql/streamsql/checkpoint"
	"github.com/streamsql/streamsql/exec"
)

// Monitoring views of a job, for the server's REST API, the dashboard and
// the Prometheus metrics. They may be called at any time from any
// goroutine, also after the job ended.

// VertexStats is one operator of a job's current attempt.
type VertexStats struct {
	ID          string
	Name        string
	Parallelism int
	// Status is RUNNING while any subtask runs, FINISHED once every
	// subtask's input ended; after the attempt ended, the job's status.
	Status string
	// Inputs are the vertices feeding this one, with their partitioning.
	Inputs []VertexInput
	// Counts of the current attempt, summed over the operator's subtasks.
	RowsIn, RowsOut, LateRows, SkippedRows int64
	// RowsInPerSec and RowsOutPerSec are summed over the subtasks.
	RowsInPerSec, RowsOutPerSec float64
	// BusyRatio and BackpressureRatio are the highest of the subtasks'
	// (Flink's operator view: one slow subtask makes the operator slow).
	BusyRatio, BackpressureRatio float64
	// Watermark is the smallest of the subtasks' latest watermarks
	// (exec.MinWatermark: none yet; exec.MaxWatermark: end of input).
	Watermark int64
	// StateBytes is the size of the operator's state in the latest
	// completed checkpoint, summed over the subtasks.
	StateBytes int64
	// PendingRecords is, for a source that can tell (Kafka), the records
	// its subtasks are behind the end of their logs; -1 when unknown.
	PendingRecords int64
	// SplitPending is PendingRecords by split (a Kafka partition, or a
	// partition of a topic between stages); nil when unknown.
	SplitPending map[string]int64
	Source       bool
	Sink         bool
	Subtasks     []SubtaskStats
}

// SubtaskStats is one parallel instance of an operator.
type SubtaskStats struct {
	Index int
	// Status is RUNNING or FINISHED (see VertexStats.Status).
	Status                                 string
	RowsIn, RowsOut, LateRows, SkippedRows int64
	RowsInPerSec, RowsOutPerSec            float64
	// BusyRatio, BackpressureRatio and IdleRatio split the subtask's
	// time since the previous sample (at least a second ago; the first
	// since the attempt started) into computing, waiting on a full
	// output channel, and waiting for input; they add up to 1.
	BusyRatio, BackpressureRatio, IdleRatio float64
	Watermark                               int64
	// StateBytes is the subtask's state in the latest completed
	// checkpoint (keyed state and in-flight rows).
	StateBytes     int64
	PendingRecords int64 // see VertexStats.PendingRecords
	// Commits counts a sink subtask's transaction commits; LastCommit is
	// the last one's duration and CommitTime all of theirs.
	Commits    int64
	LastCommit time.Duration
	CommitTime time.Duration
}

// VertexInput is an edge into a vertex.
type VertexInput struct {
	From         string // vertex id
	Partitioning string // FORWARD, HASH, REBALANCE, GLOBAL, BROADCAST
	Key          string // the hash key's columns ("" when not hashed)
	// Chained: this vertex runs in the task of the input's vertex
	// (operator chaining, exec.Job.Chained).
	Chained bool
}

// rateInterval is the shortest time over which rates are computed; calls
// in between return the rates of the last interval.
const rateInterval = time.Second

// rateSampler turns the cumulative counters of an attempt into rates.
type rateSampler struct {
	mu    sync.Mutex
	run   *exec.Job
	at    time.Time
	prev  [][]counterSample // by vertex, then subtask
	rates [][]subtaskRates
}

type counterSample struct{ in, out, busy, bp int64 }

type subtaskRates struct{ in, out, busy, bp float64 }

// sample returns the rates of every subtask of run, computed over the
// last interval of at least rateInterval (the first over the time since
// the attempt started).
func (r *rateSampler) sample(run *exec.Job, now time.Time) [][]subtaskRates {
	r.mu.Lock()
	defer r.mu.Unlock()
	g := run.Graph()
	if r.run != run {
		r.run, r.at, r.rates = run, run.StartedAt(), nil
		r.prev = make([][]counterSample, len(g.Vertices))
		for i, v := range g.Vertices {
			r.prev[i] = make([]counterSample, v.Parallelism)
		}
	}
	elapsed := now.Sub(r.at)
	if r.rates != nil && elapsed < rateInterval || elapsed <= 0 {
		return r.rates
	}
	secs := elapsed.Seconds()
	rates := make([][]subtaskRates, len(g.Vertices))
	for vi := range g.Vertices {
		ms := run.SubtaskMetrics(vi)
		rates[vi] = make([]subtaskRates, len(ms))
		for si, m := range ms {
			cur := counterSample{m.RowsIn.Load(), m.RowsOut.Load(), m.BusyNs.Load(), m.BackpressuredNs.Load()}
			p := r.prev[vi][si]
			rates[vi][si] = subtaskRates{
				in:   float64(cur.in-p.in) / secs,
				out:  float64(cur.out-p.out) / secs,
				busy: clamp01(float64(cur.busy-p.busy) / float64(elapsed)),
				bp:   clamp01(float64(cur.bp-p.bp) / float64(elapsed)),
			}
			r.prev[vi][si] = cur
		}
	}
	r.at, r.rates = now, rates
	return rates
}

func clamp01(x float64) float64 { return min(max(x, 0), 1) }

// Vertices returns the operators of the job's current attempt in graph
// order (nil before the first attempt started).
func (j *Job) Vertices() []VertexStats {
	run := j.current()
	if run == nil {
		return nil
	}
	g := run.Graph()
	jobStatus, _ := j.Status()
	rates := j.rates.sample(run, time.Now())
	sizes := stateSizes(j.LastCheckpoint())
	out := make([]VertexStats, len(g.Vertices))
	for i, v := range g.Vertices {
		// The operator's figures are its subtasks', read once each.
		vs := VertexStats{ID: v.ID, Name: v.Name, Parallelism: v.Parallelism,
			Watermark: exec.MaxWatermark, PendingRecords: -1, Source: v.Source != nil, Sink: v.Sink}
		for si, sm := range run.SubtaskMetrics(i) {
			st := SubtaskStats{Index: si, RowsIn: sm.RowsIn.Load(), RowsOut: sm.RowsOut.Load(),
				LateRows: sm.LateRowsDropped.Load(), SkippedRows: sm.BadRowsSkipped.Load(),
				Watermark: sm.Watermark.Load(), PendingRecords: sm.PendingRecords.Load(),
				Commits: sm.Commits.Load(), LastCommit: time.Duration(sm.LastCommitNs.Load()),
				CommitTime: time.Duration(sm.CommitNs.Load())}
			st.Status = "RUNNING"
			switch {
			case jobStatus != JobRunning:
				st.Status = string(jobStatus)
			case sm.Ended.Load():
				st.Status = "FINISHED"
			}
			if rs := rates; i < len(rs) && si < len(rs[i]) {
				r := rs[i][si]
				st.RowsInPerSec, st.RowsOutPerSec = r.in, r.out
				st.BusyRatio, st.BackpressureRatio = r.busy, r.bp
				st.IdleRatio = clamp01(1 - r.busy - r.bp)
			}
			if ss := sizes[v.ID]; si < len(ss) {
				st.StateBytes = ss[si]
			}
			vs.RowsIn += st.RowsIn
			vs.RowsOut += st.RowsOut
			vs.LateRows += st.LateRows
			vs.SkippedRows += st.SkippedRows
			vs.Watermark = min(vs.Watermark, st.Watermark)
			vs.RowsInPerSec += st.RowsInPerSec
			vs.RowsOutPerSec += st.RowsOutPerSec
			vs.BusyRatio = max(vs.BusyRatio, st.BusyRatio)
			vs.BackpressureRatio = max(vs.BackpressureRatio, st.BackpressureRatio)
			vs.StateBytes += st.StateBytes
			if st.PendingRecords >= 0 {
				vs.PendingRecords = max(vs.PendingRecords, 0) + st.PendingRecords
			}
			for split, n := range sm.SplitPending() {
				if vs.SplitPending == nil {
					vs.SplitPending = map[string]int64{}
				}
				vs.SplitPending[split] = n
			}
			vs.Subtasks = append(vs.Subtasks, st)
			if vs.Status == "" || st.Status == "RUNNING" {
				vs.Status = st.Status
			}
		}
		for _, e := range v.Inputs {
			in := VertexInput{From: g.Vertices[e.From].ID, Partitioning: e.Partitioning.String(), Chained: run.Chained(i)}
			if e.Partitioning == exec.Hash {
				in.Key = v.KeyDesc
			}
			vs.Inputs = append(vs.Inputs, in)
		}
		out[i] = vs
	}
	return out
}

// stateSizes returns, per operator id of md, the bytes each subtask's
// state takes in it (keyed state and recorded in-flight rows).
func stateSizes(md *checkpoint.Metadata) map[string][]int64 {
	if md == nil {
		return nil
	}
	out := map[string][]int64{}
	for _, op := range md.Operators {
		sizes := make([]int64, op.Parallelism)
		for _, t := range op.Tasks {
			if t.Instance >= 0 && t.Instance < len(sizes) {
				sizes[t.Instance] += t.StateSize()
			}
		}
		out[op.ID] = sizes
	}
	return out
}

// CheckpointStats is one checkpoint or savepoint that completed or failed.
type CheckpointStats struct {
	ID        int64
	Savepoint bool
	// Failed tells a failed checkpoint; Failure says why.
	Failed  bool
	Failure string
	// TriggeredAt is when it was triggered; CompletedAt when it completed
	// (or failed).
	TriggeredAt time.Time
	CompletedAt time.Time
	// Size is the bytes the checkpoint needs (with shared files it
	// references); IncrementalSize the bytes it wrote anew.
	Size, IncrementalSize int64
	// Alignment is the longest barrier alignment of any subtask (from the
	// checkpoint's first barrier at the subtask to its last).
	Alignment time.Duration
	// Slowest is the subtask whose acknowledgement came last (nil for a
	// failed checkpoint).
	Slowest *SubtaskAck
}

// SubtaskAck is one subtask's part of a checkpoint.
type SubtaskAck struct {
	VertexID, Vertex string
	Subtask          int
	// Ack is the time from the trigger to the subtask's acknowledgement
	// (its state written); Alignment its barrier alignment.
	Ack, Alignment time.Duration
	StateBytes     int64
}

// Duration is the time from trigger to completion (or failure).
func (c CheckpointStats) Duration() time.Duration { return c.CompletedAt.Sub(c.TriggeredAt) }

// maxHistory is how many checkpoints a job remembers.
const maxHistory = 100

func checkpointStats(md *checkpoint.Metadata) CheckpointStats {
	cs := CheckpointStats{ID: md.CheckpointID, Savepoint: md.Savepoint,
		TriggeredAt: time.UnixMilli(md.TriggeredAt), CompletedAt: time.UnixMilli(md.CompletedAt),
		Size: md.Size, IncrementalSize: md.IncrementalSize}
	for _, op := range md.Operators {
		for _, t := range op.Tasks {
			a := SubtaskAck{VertexID: op.ID, Vertex: op.Name, Subtask: t.Instance,
				Alignment: time.Duration(t.AlignmentNs), StateBytes: t.StateSize()}
			if t.AckedAt > 0 {
				a.Ack = time.Duration(t.AckedAt-md.TriggeredAt) * time.Millisecond
			}
			cs.Alignment = max(cs.Alignment, a.Alignment)
			if cs.Slowest == nil || a.Ack > cs.Slowest.Ack {
				a := a
				cs.Slowest = &a
			}
		}
	}
	return cs
}

// Checkpoints returns the latest checkpoints and savepoints of every
// attempt that completed or failed, oldest first (at most 100), and how
// many completed in all.
func (j *Job) Checkpoints() ([]CheckpointStats, int64) {
	j.mu.Lock()
	defer j.mu.Unlock()
	return append([]CheckpointStats(nil), j.history...), j.completed
}

// addHistory appends c to the history, dropping the oldest beyond
// maxHistory. The caller holds j.mu.
func (j *Job) addHistory(c CheckpointStats) {
	j.history = append(j.history, c)
	if len(j.history) > maxHistory {
		j.history = j.history[len(j.history)-maxHistory:]
	}
}

// checkpointFailed records a checkpoint or savepoint that failed (one
// that a newer one subsumed is not a failure and is not passed here).
func (j *Job) checkpointFailed(a checkpoint.Abort) {
	j.mu.Lock()
	defer j.mu.Unlock()
	j.failed++
	reason := "unknown"
	if a.Reason != nil {
		reason = a.Reason.Error()
	}
	j.addHistory(CheckpointStats{ID: a.ID, Savepoint: a.Savepoint, Failed: true, Failure: reason,
		TriggeredAt: a.Triggered, CompletedAt: time.Now()})
}

// FailedCheckpoints is how many checkpoints and savepoints of the job
// failed (timed out, a task could not write its state, ...), over every
// attempt.
func (j *Job) FailedCheckpoints() int64 {
	j.mu.Lock()
	defer j.mu.Unlock()
	return j.failed
}
