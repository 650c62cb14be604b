package engine

import (
	"time"

	"github.com/streamsql/streamsql/checkpoint"
	"github.com/streamsql/streamsql/exec"
)

// Monitoring views of a job, for the server's REST API and metrics. They
// may be called at any time from any goroutine, also after the job ended.

// VertexStats is one operator of a job's current attempt.
type VertexStats struct {
	ID          string
	Name        string
	Parallelism int
	// Inputs are the vertices feeding this one, with their partitioning.
	Inputs []VertexInput
	// Counts of the current attempt, summed over the operator's subtasks.
	RowsIn, RowsOut, LateRows, SkippedRows int64
	// Watermark is the latest watermark the operator forwarded
	// (exec.MinWatermark: none yet; exec.MaxWatermark: end of input).
	Watermark int64
	Source    bool
	Sink      bool
}

// VertexInput is an edge into a vertex.
type VertexInput struct {
	From         string // vertex id
	Partitioning string // FORWARD, HASH, REBALANCE, GLOBAL, BROADCAST
	Key          string // the hash key's columns ("" when not hashed)
}

// Vertices returns the operators of the job's current attempt in graph
// order (nil before the first attempt started).
func (j *Job) Vertices() []VertexStats {
	run := j.current()
	if run == nil {
		return nil
	}
	g := run.Graph()
	out := make([]VertexStats, len(g.Vertices))
	for i, v := range g.Vertices {
		m := run.Metrics(i)
		vs := VertexStats{ID: v.ID, Name: v.Name, Parallelism: v.Parallelism,
			RowsIn: m.RowsIn.Load(), RowsOut: m.RowsOut.Load(), LateRows: m.LateRowsDropped.Load(),
			SkippedRows: m.BadRowsSkipped.Load(), Watermark: m.Watermark.Load(),
			Source: v.Source != nil, Sink: v.Sink}
		for _, e := range v.Inputs {
			in := VertexInput{From: g.Vertices[e.From].ID, Partitioning: e.Partitioning.String()}
			if e.Partitioning == exec.Hash {
				in.Key = v.KeyDesc
			}
			vs.Inputs = append(vs.Inputs, in)
		}
		out[i] = vs
	}
	return out
}

// CheckpointStats is one completed checkpoint or savepoint.
type CheckpointStats struct {
	ID          int64
	Savepoint   bool
	TriggeredAt time.Time
	CompletedAt time.Time
	// Size is the bytes the checkpoint needs (with shared files it
	// references); IncrementalSize the bytes it wrote anew.
	Size, IncrementalSize int64
}

// Duration is the time from trigger to completion.
func (c CheckpointStats) Duration() time.Duration { return c.CompletedAt.Sub(c.TriggeredAt) }

// maxHistory is how many completed checkpoints a job remembers.
const maxHistory = 100

func checkpointStats(md *checkpoint.Metadata) CheckpointStats {
	return CheckpointStats{ID: md.CheckpointID, Savepoint: md.Savepoint,
		TriggeredAt: time.UnixMilli(md.TriggeredAt), CompletedAt: time.UnixMilli(md.CompletedAt),
		Size: md.Size, IncrementalSize: md.IncrementalSize}
}

// Checkpoints returns the latest completed checkpoints and savepoints of
// every attempt, oldest first (at most 100), and how many completed in
// all.
func (j *Job) Checkpoints() ([]CheckpointStats, int64) {
	j.mu.Lock()
	defer j.mu.Unlock()
	return append([]CheckpointStats(nil), j.history...), j.completed
}

func (j *Job) countFailedCheckpoint() {
	j.mu.Lock()
	j.failed++
	j.mu.Unlock()
}

// FailedCheckpoints is how many checkpoints and savepoints of the job
// failed (timed out, a task could not write its state, ...), over every
// attempt.
func (j *Job) FailedCheckpoints() int64 {
	j.mu.Lock()
	defer j.mu.Unlock()
	return j.failed
}
