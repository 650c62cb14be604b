package engine

import (
	"fmt"
	"log/slog"
	"time"

	"github.com/streamsql/streamsql/exec"
)

// skipBurstInterval is how often a running job's skipped bad rows are
// checked; each check that finds new ones logs one line per table.
const skipBurstInterval = 10 * time.Second

// watchSkips logs, every interval while the job runs, one warning per
// source table that skipped bad rows since the previous check ("a burst"),
// with the job's id; the end-of-job summary (reportJobSkips) still says
// how many in all. Started by launch; it returns when the job ends.
func (j *Job) watchSkips(e *Engine, interval time.Duration) {
	t := time.NewTicker(interval)
	defer t.Stop()
	seen := map[string]int64{}
	var run *exec.Job
	for {
		select {
		case <-j.done:
			return
		case <-t.C:
		}
		if cur := j.current(); cur != run {
			// A new attempt counts from zero again.
			run = cur
			clear(seen)
		}
		for _, ts := range j.SkippedByTable() {
			n := ts.Rows - seen[ts.Table]
			if n <= 0 {
				continue
			}
			seen[ts.Table] = ts.Rows
			msg := fmt.Sprintf("job %s: table %s skipped %d bad rows in the last %s (%d in this attempt)", j.ID, ts.Table, n, interval, ts.Rows)
			if ts.First != nil {
				msg += fmt.Sprintf("; the first: %v", ts.First)
			}
			e.logJob(slog.LevelWarn, j.ID, msg)
		}
	}
}
