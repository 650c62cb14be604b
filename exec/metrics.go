package exec

import (
	"sync/atomic"
	"time"
)

// Metrics are the counters of one operator instance (a subtask). The
// instance's task goroutine and its operator write them; any goroutine
// may read them at any time (they are atomic), also after the job ended.
// Each instance has its own Metrics, so instances on different cores do
// not write to one cache line.
type Metrics struct {
	RowsIn          atomic.Int64
	RowsOut         atomic.Int64
	LateRowsDropped atomic.Int64
	BadRowsSkipped  atomic.Int64
	// Watermark is the latest watermark the instance forwarded
	// (MinWatermark: none yet; MaxWatermark: end of input).
	Watermark atomic.Int64

	// BusyNs is the time the instance spent computing: inside the
	// operator's calls (a source: reading and emitting rows), less the
	// time those calls waited on a full output channel.
	BusyNs atomic.Int64
	// BackpressuredNs is the time the instance waited on a full output
	// channel (downstream did not keep up).
	BackpressuredNs atomic.Int64

	// PendingRecords is, for a source whose connector can tell (Kafka),
	// how many records its splits are behind the end of their logs; -1
	// when unknown.
	PendingRecords atomic.Int64
	// splitPending holds, for such a source, each split's share of
	// PendingRecords (SplitPending); written by the task, read by anyone.
	splitPending atomic.Pointer[map[string]int64]

	// Commits counts a sink's committed transactions (at checkpoint
	// completion); CommitNs is their total duration and LastCommitNs the
	// last one's.
	Commits      atomic.Int64
	CommitNs     atomic.Int64
	LastCommitNs atomic.Int64

	// Ended is set once the instance's task returned (its input ended,
	// or the job stopped or failed).
	Ended atomic.Bool

	_ [64]byte // keeps the next instance's counters off this cache line
}

// SplitPending returns, for a source whose connector can tell, how many
// records each of its splits (by split id) is behind the end of its log,
// as of the task's last round; nil otherwise. The map is not to be changed.
func (m *Metrics) SplitPending() map[string]int64 {
	if p := m.splitPending.Load(); p != nil {
		return *p
	}
	return nil
}

func newMetrics() *Metrics {
	m := &Metrics{}
	m.Watermark.Store(MinWatermark)
	m.PendingRecords.Store(-1)
	return m
}

// VertexMetrics are the counters of one operator summed over its
// instances, read at one moment.
type VertexMetrics struct {
	RowsIn, RowsOut, LateRowsDropped, BadRowsSkipped int64
	// Watermark is the smallest of the instances' watermarks (the
	// operator's progress), MinWatermark while any instance has none.
	Watermark int64
}

// sumMetrics adds up the counters of a vertex's instances.
func sumMetrics(ms []*Metrics) VertexMetrics {
	v := VertexMetrics{Watermark: MaxWatermark}
	for _, m := range ms {
		v.RowsIn += m.RowsIn.Load()
		v.RowsOut += m.RowsOut.Load()
		v.LateRowsDropped += m.LateRowsDropped.Load()
		v.BadRowsSkipped += m.BadRowsSkipped.Load()
		v.Watermark = min(v.Watermark, m.Watermark.Load())
	}
	if len(ms) == 0 {
		v.Watermark = MinWatermark
	}
	return v
}

// timeCommit runs a sink's commit and records its duration in m.
func timeCommit(m *Metrics, commit func() error) error {
	start := time.Now()
	err := commit()
	d := time.Since(start).Nanoseconds()
	if err == nil {
		m.Commits.Add(1)
		m.CommitNs.Add(d)
		m.LastCommitNs.Store(d)
	}
	return err
}
