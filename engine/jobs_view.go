package engine

import (
	"fmt"
	"log/slog"
	"time"

	"github.com/streamsql/streamsql/connectors"
	"github.com/streamsql/streamsql/exec"
	"github.com/streamsql/streamsql/types"
)

// formatBytes renders a size for people (B, KiB, MiB, GiB).
func formatBytes(n int64) string {
	const unit = 1024
	if n < unit {
		return fmt.Sprintf("%d B", n)
	}
	div, exp := int64(unit), 0
	for m := n / unit; m >= unit && exp < 3; m /= unit {
		div *= unit
		exp++
	}
	return fmt.Sprintf("%.1f %ciB", float64(n)/float64(div), "KMGT"[exp])
}

// checkpointSummary renders a job's last completed checkpoint as
// "chk 12, 3s ago, 1.2 MiB" (NULL when none).
func checkpointSummary(j *Job) types.Value {
	md := j.LastCheckpoint()
	if md == nil {
		return types.NullValue()
	}
	kind := "chk"
	if md.Savepoint {
		kind = "savepoint"
	}
	age := time.Since(time.UnixMilli(md.CompletedAt)).Truncate(100 * time.Millisecond)
	return types.StringValue(fmt.Sprintf("%s %d, %s ago, %s", kind, md.CheckpointID, age, formatBytes(md.Size)))
}

// skipSummaries renders what the job's tables skipped, one line each:
// "table t: 50000 bad rows skipped (first at bids.csv:17: column v:
// invalid BIGINT "x")". RunScript writes them when a job ends.
func skipSummaries(j *Job) []string {
	var out []string
	for _, ts := range j.SkippedByTable() {
		what := "bad rows"
		if ts.Rows == 1 {
			what = "bad row"
		}
		line := fmt.Sprintf("table %s: %d %s skipped", ts.Table, ts.Rows, what)
		if f := ts.First; f != nil {
			line += fmt.Sprintf(" (first at %s: %s)", firstPlace(f), oneLine(f.Reason, 120))
		}
		out = append(out, line)
	}
	return out
}

// firstPlace renders where a bad row is, as an editor takes it: "path:line"
// for a row with a line number, else the full location.
func firstPlace(e *connectors.BadRowError) string {
	if e.Line > 0 && e.Kind == "file" {
		return fmt.Sprintf("%s:%d", e.Source, e.Line)
	}
	return e.Where()
}

// reportSkippedRows writes the skip summaries of every ended job not
// reported yet to the engine's Logger. RunScript calls it when it returns,
// after its jobs ended, so a script run by -f ends with them.
func (e *Engine) reportSkippedRows() {
	for _, j := range e.jobs.list() {
		select {
		case <-j.Done():
			e.reportJobSkips(j)
		default: // still running (a session goes on)
		}
	}
}

// reportJobSkips logs the skip summaries of an ended job as warnings, once
// per job (the SELECTs of a script call it when they end).
func (e *Engine) reportJobSkips(j *Job) {
	j.mu.Lock()
	done := j.skipsReported
	j.skipsReported = true
	j.mu.Unlock()
	if done {
		return
	}
	for _, line := range skipSummaries(j) {
		e.logJob(slog.LevelWarn, j.ID, line)
	}
}

// ProgressLine renders a running job's progress for a status line: rows
// read and written, the rate of rows read since the previous call (prev
// holds what that call saw; the zero value for the first), the watermark
// at the sink, and the last checkpoint. It updates prev.
func ProgressLine(j *Job, prev *Progress) string {
	in, out, wm := j.Counts()
	now := time.Now()
	s := fmt.Sprintf("job %s: %d rows in", j.ID, in)
	if !prev.at.IsZero() && now.After(prev.at) && in >= prev.in {
		s += fmt.Sprintf(" (%.0f/s)", float64(in-prev.in)/now.Sub(prev.at).Seconds())
	}
	s += fmt.Sprintf(", %d rows out", out) + StatusDetails(j, wm)
	prev.in, prev.at = in, now
	return s
}

// StatusDetails renders the parts of a status line after the row counts:
// the watermark wm (at the sink; nothing before the first), the last
// checkpoint and the bad input rows skipped, each ", ..." when there is
// one.
func StatusDetails(j *Job, wm int64) string {
	s := ""
	switch {
	case wm == exec.MaxWatermark:
		s += ", watermark +inf"
	case wm != exec.MinWatermark:
		s += ", watermark " + types.Render(types.TimestampValue(wm), types.Timestamp)
	}
	if md := j.LastCheckpoint(); md != nil {
		s += fmt.Sprintf(", checkpoint %d", md.CheckpointID)
	}
	if n := j.SkippedRows(); n > 0 {
		s += fmt.Sprintf(", %d bad rows skipped", n)
	}
	return s
}

// Progress is what ProgressLine saw of a job last time.
type Progress struct {
	in int64
	at time.Time
}
