package engine

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"testing"
)

// pebbleScript sets the pebble backend with its working files under base
// and runs a keyed aggregation (which has state) over a bounded input
// into a blackhole; fail makes the job fail midway.
func pebbleScript(base string, fail bool) string {
	sel := "SELECT k, COUNT(*) FROM g GROUP BY k"
	if fail {
		sel = "SELECT k, CASE WHEN COUNT(*) > 50 THEN RAISE_ERROR('boom') ELSE COUNT(*) END FROM g GROUP BY k"
	}
	return `SET 'state.backend' = 'pebble';
SET '` + LocalDirKey + `' = '` + base + `';
CREATE TABLE g (k BIGINT) WITH ('connector' = 'datagen', 'number-of-rows' = '300', 'fields.k.min' = '1', 'fields.k.max' = '5');
CREATE TABLE b (k BIGINT, c BIGINT) WITH ('connector' = 'blackhole');
INSERT INTO b ` + sel + `;`
}

func listDir(t *testing.T, dir string) []string {
	t.Helper()
	ents, err := os.ReadDir(dir)
	if err != nil && !os.IsNotExist(err) {
		t.Fatal(err)
	}
	var out []string
	for _, e := range ents {
		out = append(out, e.Name())
	}
	sort.Strings(out)
	return out
}

// TestPebbleStateDirRemovedOnExit checks that a pebble job's working
// directory, under the place set with the local-dir key, is gone when the
// job ends, whether it finished or failed.
func TestPebbleStateDirRemovedOnExit(t *testing.T) {
	for _, fail := range []bool{false, true} {
		base := filepath.Join(t.TempDir(), "state")
		e, out := newTestEngine()
		j := (*Job)(nil)
		err := e.RunScript(context.Background(), pebbleScript(base, fail), out)
		for _, job := range e.jobs.list() {
			j = job
		}
		if j == nil {
			t.Fatalf("fail=%v: no job ran (%v)", fail, err)
		}
		if st, _ := j.Status(); (st == JobFailed) != fail || (err != nil) != fail {
			t.Fatalf("fail=%v: status %s, error %v", fail, st, err)
		}
		if !strings.HasPrefix(j.setup.backendDir, base+string(os.PathSeparator)) {
			t.Fatalf("fail=%v: working directory %s is not under %s", fail, j.setup.backendDir, base)
		}
		if left := listDir(t, base); len(left) != 0 {
			t.Fatalf("fail=%v: left behind under %s: %v", fail, base, left)
		}
	}
}

// deadPID returns the id of a process that has ended.
func deadPID(t *testing.T) int {
	t.Helper()
	cmd := exec.Command("true")
	if err := cmd.Run(); err != nil {
		t.Skipf("cannot run a child process: %v", err)
	}
	pid := cmd.ProcessState.Pid()
	if processAlive(pid) {
		t.Skipf("pid %d was reused at once", pid)
	}
	return pid
}

// TestStaleStateDirsRemoved checks that the first pebble job of a process
// removes the working directories of dead processes and keeps those of
// live ones (this process, pid 1) and anything not named like one.
func TestStaleStateDirsRemoved(t *testing.T) {
	base := filepath.Join(t.TempDir(), "state")
	pid := deadPID(t)
	dead := fmt.Sprintf("streamsql-job-0123456789ab-%d-1700000000000000000", pid)
	keep := []string{
		fmt.Sprintf("streamsql-job-0123456789ab-%d-1700000000000000001", os.Getpid()),
		"streamsql-job-0123456789ab-1-1700000000000000002",
		"my-data",
		"streamsql-job-x-notapid-5",
		// a user's files in a shared place (e.g. $HOME), named like a
		// working directory but without its prefix or its time
		fmt.Sprintf("photos-%d-1700000000000000003", pid),
		fmt.Sprintf("streamsql-backup-%d-12", pid),
	}
	for _, d := range append([]string{dead}, keep...) {
		if err := os.MkdirAll(filepath.Join(base, d, "op-1"), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	cleanedStateBases.Delete(base)
	e, out := newTestEngine()
	if err := e.RunScript(context.Background(), pebbleScript(base, false), out); err != nil {
		t.Fatal(err)
	}
	sort.Strings(keep)
	if got := listDir(t, base); strings.Join(got, " ") != strings.Join(keep, " ") {
		t.Fatalf("left %v, want %v", got, keep)
	}
}

func TestOwnerPID(t *testing.T) {
	for name, want := range map[string]int{
		"streamsql-job-0123-42-1700000000000000000": 42, "streamsql-my-pipe-line-7-1700000000000000000": 7,
		"job-0123-42-1700000000000000000": 0, "streamsql-job-42-1700": 0, "streamsql-x-0-1700000000000000000": 0,
		"streamsql-x-12-": 0, "streamsql-x--1700000000000000000": 0, "streamsql-12-1700000000000000000": 0, "streamsql-job": 0,
	} {
		if got, ok := ownerPID(name); got != want || ok != (want > 0) {
			t.Errorf("%s: got %d %v, want %d", name, got, ok, want)
		}
	}
}
