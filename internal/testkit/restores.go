package testkit

import (
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"
)

// Checkpoints are the complete checkpoints under a checkpoint root
// (state.checkpoints.dir): for each job directory's name, the ids of its
// checkpoints whose chk-<id>/_metadata exists (a checkpoint becomes
// visible only when its _metadata is written, by rename, last).
type Checkpoints map[string]map[int64]bool

// Latest returns the largest complete checkpoint id of job (0 when none).
func (c Checkpoints) Latest(job string) int64 {
	var max int64
	for id := range c[job] {
		max = maxInt64(max, id)
	}
	return max
}

// LatestByJob returns the largest complete checkpoint id of every job.
func (c Checkpoints) LatestByJob() map[string]int64 {
	out := map[string]int64{}
	for job := range c {
		out[job] = c.Latest(job)
	}
	return out
}

func maxInt64(a, b int64) int64 {
	if a > b {
		return a
	}
	return b
}

// CompletedCheckpoints lists the complete checkpoints under root.
func CompletedCheckpoints(tb testing.TB, root string) Checkpoints {
	tb.Helper()
	found, err := filepath.Glob(filepath.Join(root, "*", "chk-*", "_metadata"))
	if err != nil {
		tb.Fatal(err)
	}
	c := Checkpoints{}
	for _, m := range found {
		chk := filepath.Dir(m)
		id, err := strconv.ParseInt(strings.TrimPrefix(filepath.Base(chk), "chk-"), 10, 64)
		if err != nil {
			continue
		}
		job := filepath.Base(filepath.Dir(chk))
		if c[job] == nil {
			c[job] = map[int64]bool{}
		}
		c[job][id] = true
	}
	return c
}

// WaitForNewCheckpoints polls root until jobs job directories each hold a
// complete checkpoint newer than their latest in before, and returns
// true; it returns false as soon as p ends first, and fails tb (killing
// p) when that takes a minute.
func WaitForNewCheckpoints(tb testing.TB, p *Process, root string, before Checkpoints, jobs int) bool {
	tb.Helper()
	deadline := time.Now().Add(time.Minute)
	for time.Now().Before(deadline) {
		now := CompletedCheckpoints(tb, root)
		fresh := 0
		for job := range now {
			if now.Latest(job) > before.Latest(job) {
				fresh++
			}
		}
		if fresh >= jobs {
			return true
		}
		select {
		case <-p.Done():
			return false
		case <-time.After(2 * time.Millisecond):
		}
	}
	p.Kill()
	tb.Fatalf("no new checkpoint of each of %d jobs within a minute (had %v):\n%s", jobs, before.LatestByJob(), p.Output())
	return false
}

// Restore is one "INFO: job <id>: attempt <n> restores checkpoint <id>
// (<dir>)" line that the engine prints when an attempt restores a
// checkpoint.
type Restore struct {
	Line    string
	JobID   string
	Attempt int
	ID      int64
	// Dir is the checkpoint's directory; Job the name of its job
	// directory (as keyed in Checkpoints).
	Dir, Job string
}

var (
	restoreLine = regexp.MustCompile(`INFO: job (\S+): attempt (\d+) restores checkpoint (\d+) \(([^)]*)\)`)
	startOver   = regexp.MustCompile(`.*(starts from the beginning|no complete checkpoint of).*`)
)

// Restores parses a process's output: the checkpoints its attempts
// restored, and the first line saying that a job started from the
// beginning ("" when none).
func Restores(output string) (rs []Restore, startedOver string) {
	for _, m := range restoreLine.FindAllStringSubmatch(output, -1) {
		attempt, _ := strconv.Atoi(m[2])
		id, _ := strconv.ParseInt(m[3], 10, 64)
		dir := filepath.Clean(m[4])
		rs = append(rs, Restore{Line: m[0], JobID: m[1], Attempt: attempt, ID: id, Dir: dir, Job: filepath.Base(filepath.Dir(dir))})
	}
	return rs, startOver.FindString(output)
}
