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

// VertexView is one operator of a job.
type VertexView struct {
	ID          string      `json:"id"`
	Name        string      `json:"name"`
	Parallelism int         `json:"parallelism"`
	Inputs      []InputView `json:"inputs"`
	RowsIn      int64       `json:"rows_in"`
	RowsOut     int64       `json:"rows_out"`
	LateRows    int64       `json:"late_rows"`
	Skipped     int64       `json:"skipped_rows"`
	Watermark   *string     `json:"watermark"`
}

// InputView is an edge into a vertex.
type InputView struct {
	From         string `json:"from"`
	Partitioning string `json:"partitioning"`
	Key          string `json:"key,omitempty"`
}

// CheckpointView is one completed checkpoint or savepoint.
type CheckpointView struct {
	ID              int64     `json:"id"`
	Savepoint       bool      `json:"savepoint"`
	TriggeredAt     time.Time `json:"triggered_at"`
	CompletedAt     time.Time `json:"completed_at"`
	DurationMs      int64     `json:"duration_ms"`
	Size            int64     `json:"size_bytes"`
	IncrementalSize int64     `json:"incremental_size_bytes"`
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
