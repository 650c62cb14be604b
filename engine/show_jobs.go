package engine

import (
	"errors"
	"time"
	"unicode/utf8"

	"github.com/streamsql/streamsql/exec"
	"github.com/streamsql/streamsql/types"
)

// showJobsWidth is the width SHOW JOBS fits in (a terminal of 120 columns).
const showJobsWidth = 120

// showJobsNameWidth is how much of a job's name SHOW JOBS shows.
const showJobsNameWidth = 28

// showJobs is SHOW JOBS: a table at most showJobsWidth characters wide of
// the jobs with id, name (shortened), status, uptime, rows in and out and
// the cause of a failed job's error, shortened to the width left. SHOW FULL JOBS
// has every column and the whole name and error.
func (e *Engine) showJobs() *Result {
	schema := types.Schema{{Name: "job id", Type: types.String}, {Name: "name", Type: types.String},
		{Name: "status", Type: types.String}, {Name: "uptime", Type: types.String},
		{Name: "rows in", Type: types.BigInt}, {Name: "rows out", Type: types.BigInt},
		{Name: "error", Type: types.String}}
	var rows [][]types.Value
	var errs []string
	for _, j := range e.jobs.list() {
		st, err := j.Status()
		in, out, _ := j.Counts()
		rows = append(rows, []types.Value{types.StringValue(j.ID), types.StringValue(shorten(j.Name, showJobsNameWidth)),
			types.StringValue(string(st)), types.StringValue(j.Uptime().Truncate(time.Second).String()),
			types.IntValue(in), types.IntValue(out), types.NullValue()})
		msg := ""
		if err != nil {
			// The cause, without the operator's name (often an
			// expression) that SHOW FULL JOBS shows.
			var oe *exec.OperatorError
			if errors.As(err, &oe) {
				err = oe.Err
			}
			msg = oneLine(err.Error(), 1<<20)
		}
		errs = append(errs, msg)
	}
	// The error gets what the other columns leave of the width: each
	// column takes its widest value plus 3 characters of border.
	used := 1
	for i, c := range schema[:len(schema)-1] {
		w := utf8.RuneCountInString(c.Name)
		for _, r := range rows {
			w = max(w, utf8.RuneCountInString(types.Render(r[i], c.Type)))
		}
		used += w + 3
	}
	room := max(showJobsWidth-used-3, len("error"))
	for i, msg := range errs {
		if msg != "" {
			rows[i][len(schema)-1] = types.StringValue(shorten(msg, room))
		}
	}
	return &Result{Schema: schema, Rows: rows}
}

// showFullJobs is SHOW FULL JOBS: every column of every job, with the
// watermark at the sink, late and skipped rows, the last checkpoint, the
// restarts and the whole error.
func (e *Engine) showFullJobs() *Result {
	schema := types.Schema{{Name: "job id", Type: types.String}, {Name: "job name", Type: types.String},
		{Name: "status", Type: types.String}, {Name: "uptime", Type: types.String},
		{Name: "rows in", Type: types.BigInt}, {Name: "rows out", Type: types.BigInt},
		{Name: "watermark", Type: types.String}, {Name: "late rows", Type: types.BigInt},
		{Name: "skipped", Type: types.BigInt},
		{Name: "last checkpoint", Type: types.String}, {Name: "restarts", Type: types.BigInt},
		{Name: "error", Type: types.String}}
	var rows [][]types.Value
	for _, j := range e.jobs.list() {
		st, err := j.Status()
		in, out, wm := j.Counts()
		wmv := types.NullValue()
		switch {
		case wm == exec.MaxWatermark:
			wmv = types.StringValue("+inf (end)")
		case wm != exec.MinWatermark:
			wmv = types.StringValue(types.Render(types.TimestampValue(wm), types.Timestamp))
		}
		ev := types.NullValue()
		if err != nil {
			ev = types.StringValue(oneLine(err.Error(), 1<<20))
		}
		rows = append(rows, []types.Value{types.StringValue(j.ID), types.StringValue(j.Name),
			types.StringValue(string(st)), types.StringValue(j.Uptime().Truncate(time.Second).String()),
			types.IntValue(in), types.IntValue(out), wmv, types.IntValue(j.LateRows()),
			types.IntValue(j.SkippedRows()), checkpointSummary(j), types.IntValue(int64(j.Restarts())), ev})
	}
	return &Result{Schema: schema, Rows: rows}
}

// shorten cuts s to at most n characters, ending with "..." when cut.
func shorten(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	r := []rune(s)
	return string(r[:max(n-3, 0)]) + "..."
}

// NotClustered is the answer to SHOW CLUSTER of an engine that is not a
// server of a cluster: the embedded shell (its jobs run in its own
// process) and a server started without --cluster-name.
const NotClustered = "Not part of a cluster: the jobs run in this process only. SHOW CLUSTER lists the servers of a cluster " +
	"and the jobs each owns in a shell connected to a server (streamsql --server URL) started with --cluster-name and --cluster-bootstrap-servers."
