package api

import "time"

// JobSummary is a job in the job list.
type JobSummary struct {
	ID        string     `json:"id"`
	Name      string     `json:"name"`
	Status    string     `json:"status"`
	Error     string     `json:"error,omitempty"`
	Submitted time.Time  `json:"submitted"`
	Ended     *time.Time `json:"ended,omitempty"`
	RowsIn    int64      `json:"rows_in"`
	RowsOut   int64      `json:"rows_out"`
	Restarts  int        `json:"restarts"`
	Resumes   int        `json:"resumes"`
	// Owner is the id of the server that runs the job, when the server
	// is one of a cluster (absent otherwise). Only the owner serves the
	// live figures (rows, restarts, checkpoints, vertices): other
	// servers show the job's record with zero figures.
	Owner string `json:"owner,omitempty"`
	// Epoch is the job's owner epoch in a cluster (1 when submitted, one
	// more every time another server took it over); absent without one.
	Epoch int64 `json:"epoch,omitempty"`
	// LastCheckpoint is the id of the newest completed checkpoint of
	// this process's run (0: none).
	LastCheckpoint int64 `json:"last_checkpoint"`
}

// JobDetail is one job with its operator graph.
type JobDetail struct {
	JobSummary
	Statements []string     `json:"statements"` // secrets masked
	Savepoint  string       `json:"savepoint,omitempty"`
	Watermark  *string      `json:"watermark"` // at the sink
	LateRows   int64        `json:"late_rows"`
	Skipped    int64        `json:"skipped_rows"`
	Vertices   []VertexView `json:"vertices"`
}

// VertexView is one operator of a job. Rates and ratios are over the
// last second or more (the first request after a start: since the
// start); a vertex's busy and backpressure ratios are its busiest
// subtask's, its rates the sum of its subtasks'.
type VertexView struct {
	ID          string `json:"id"`
	Name        string `json:"name"`
	Parallelism int    `json:"parallelism"`
	// Status is RUNNING while any subtask runs, FINISHED once all
	// subtasks' input ended; after the job ended, the job's status.
	Status            string      `json:"status"`
	Inputs            []InputView `json:"inputs"`
	RowsIn            int64       `json:"rows_in"`
	RowsOut           int64       `json:"rows_out"`
	RowsInPerSec      float64     `json:"rows_in_per_second"`
	RowsOutPerSec     float64     `json:"rows_out_per_second"`
	BusyRatio         float64     `json:"busy_ratio"`
	BackpressureRatio float64     `json:"backpressure_ratio"`
	// Backpressure is Flink's level of BackpressureRatio: "ok" (up to
	// 0.1), "low" (up to 0.5) or "high".
	Backpressure string  `json:"backpressure"`
	LateRows     int64   `json:"late_rows"`
	Skipped      int64   `json:"skipped_rows"`
	Watermark    *string `json:"watermark"`
	// StateBytes is the operator's state in the latest completed
	// checkpoint.
	StateBytes int64 `json:"state_bytes"`
	// PendingRecords is, for a Kafka source, the records behind the end
	// of the partitions it reads (omitted when unknown).
	PendingRecords *int64        `json:"pending_records,omitempty"`
	Subtasks       []SubtaskView `json:"subtasks"`
}

// SubtaskView is one parallel instance of an operator.
type SubtaskView struct {
	Subtask           int     `json:"subtask"`
	Status            string  `json:"status"`
	RowsIn            int64   `json:"rows_in"`
	RowsOut           int64   `json:"rows_out"`
	RowsInPerSec      float64 `json:"rows_in_per_second"`
	RowsOutPerSec     float64 `json:"rows_out_per_second"`
	BusyRatio         float64 `json:"busy_ratio"`
	BackpressureRatio float64 `json:"backpressure_ratio"`
	IdleRatio         float64 `json:"idle_ratio"`
	LateRows          int64   `json:"late_rows"`
	Skipped           int64   `json:"skipped_rows"`
	Watermark         *string `json:"watermark"`
	StateBytes        int64   `json:"state_bytes"`
	PendingRecords    *int64  `json:"pending_records,omitempty"`
	// Commits and LastCommitMs are a sink subtask's transaction commits
	// and the last one's duration (omitted for other operators).
	Commits      int64    `json:"commits,omitempty"`
	LastCommitMs *float64 `json:"last_commit_ms,omitempty"`
}

// InputView is an edge into a vertex.
type InputView struct {
	From         string `json:"from"`
	Partitioning string `json:"partitioning"`
	Key          string `json:"key,omitempty"`
	// Chained: the operator runs in the task of the one feeding it (operator
	// chaining), which hands it its rows by a call instead of a channel.
	Chained bool `json:"chained,omitempty"`
}

// CheckpointView is one checkpoint or savepoint that completed or failed.
type CheckpointView struct {
	ID        int64  `json:"id"`
	Savepoint bool   `json:"savepoint"`
	Status    string `json:"status"` // COMPLETED or FAILED
	Failure   string `json:"failure,omitempty"`
	// TriggeredAt is when it was triggered; CompletedAt when it completed
	// or failed.
	TriggeredAt     time.Time `json:"triggered_at"`
	CompletedAt     time.Time `json:"completed_at"`
	DurationMs      int64     `json:"duration_ms"`
	Size            int64     `json:"size_bytes"`
	IncrementalSize int64     `json:"incremental_size_bytes"`
	// AlignmentMs is the longest barrier alignment of any subtask.
	AlignmentMs float64 `json:"alignment_ms"`
	// Slowest is the subtask that acknowledged last.
	Slowest *SubtaskAckView `json:"slowest_subtask,omitempty"`
}

// SubtaskAckView is one subtask's part of a checkpoint.
type SubtaskAckView struct {
	VertexID    string  `json:"vertex_id"`
	Vertex      string  `json:"vertex"`
	Subtask     int     `json:"subtask"`
	AckMs       int64   `json:"ack_ms"` // from the trigger to its acknowledgement
	AlignmentMs float64 `json:"alignment_ms"`
	StateBytes  int64   `json:"state_bytes"`
}

// AttemptView is one run of a job in the server.
type AttemptView struct {
	Restart           bool   `json:"restart"`
	RestoredID        int64  `json:"restored_checkpoint,omitempty"`
	RestoredSavepoint bool   `json:"restored_savepoint,omitempty"`
	RestoredPath      string `json:"restored_path,omitempty"`
	Parallelism       int    `json:"parallelism"`
}

// StopRequest is the body of POST /v1/jobs/{id}/stop (optional).
type StopRequest struct {
	Savepoint bool `json:"savepoint"`
	Drain     bool `json:"drain"`
	// AllUnits, for a unit of a job cut into stages, stops every running
	// unit of its run, each with a last checkpoint (not with Savepoint).
	AllUnits bool `json:"all_units,omitempty"`
}

// SubmitRequest is the body of POST /v1/statements.
type SubmitRequest struct {
	Statements string `json:"statements"`
}

// StatementResult is what one submitted statement did.
type StatementResult struct {
	Statement int        `json:"statement"` // 1-based, in the request
	Message   string     `json:"message,omitempty"`
	JobID     string     `json:"job_id,omitempty"`
	Text      string     `json:"text,omitempty"`
	Columns   []string   `json:"columns,omitempty"`
	Rows      [][]string `json:"rows,omitempty"`
}

// ClusterView is GET /v1/cluster: the servers of the cluster this server
// belongs to, as the cluster's command log announces them, with the jobs
// each owns. A server on its own shows itself alone, with no name.
type ClusterView struct {
	Name    string          `json:"name,omitempty"`
	Server  string          `json:"server,omitempty"` // the id of the server that answered
	Servers []ClusterServer `json:"servers"`
}

// ClusterServer is one server of a ClusterView.
type ClusterServer struct {
	ID     string `json:"id,omitempty"`
	Listen string `json:"listen,omitempty"`
	// State is "up" (announced within the last three heartbeats),
	// "unreachable" (not since) or "stopped" (it announced its shutdown).
	State    string       `json:"state"`
	Started  *time.Time   `json:"started,omitempty"`
	LastSeen *time.Time   `json:"last_seen,omitempty"`
	Jobs     []ClusterJob `json:"jobs"`
}

// ClusterJob is a job a ClusterServer owns.
type ClusterJob struct {
	ID     string `json:"id"`
	Name   string `json:"name"`
	Status string `json:"status"`
	// Epoch is the job's owner epoch: above 1 once another server took
	// it over.
	Epoch int64 `json:"epoch,omitempty"`
	// Stage, Unit and Reads are set for a unit of a job cut into stages:
	// the stage and unit, and what the unit reads (the key groups of its
	// input topics, or the splits of the sources).
	Stage *int   `json:"stage,omitempty"`
	Unit  int    `json:"unit,omitempty"`
	Reads string `json:"reads,omitempty"`
	// Lag, Checkpoint and CheckpointAt are a running job's figures as
	// its owner last announced them (every heartbeat): the records its
	// Kafka sources are behind (absent: no such source), and its newest
	// complete checkpoint.
	Lag *int64 `json:"lag,omitempty"`
	// PartitionLag is Lag by partition: the source's (a Kafka topic's
	// "topic-partition" splits) or, for a later stage's unit, the key-group
	// partitions of the topics between stages it reads.
	PartitionLag map[string]int64 `json:"partition_lag,omitempty"`
	Checkpoint   int64            `json:"checkpoint,omitempty"`
	CheckpointAt *time.Time       `json:"checkpoint_at,omitempty"`
}
