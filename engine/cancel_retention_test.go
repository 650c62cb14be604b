package engine

import (
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// TestDeleteOnCancellationOnlyWhenCancelled: with
// externalized-checkpoint-retention = DELETE_ON_CANCELLATION a job's
// checkpoints go when it is cancelled (Stop), not when it stops to go on
// from them: a last checkpoint for --restore latest (StopWithCheckpoint),
// a cluster server handing the job to the server that took it over or
// shutting down (Release), or a cluster owner whose lease ran out (the
// new owner restores from the same directory).
func TestDeleteOnCancellationOnlyWhenCancelled(t *testing.T) {
	for _, tc := range []struct {
		name  string
		lease error
		stop  func(*Job)
		kept  bool
	}{
		{name: "stop", stop: (*Job).Stop, kept: false},
		{name: "release", stop: (*Job).Release, kept: true},
		{name: "stop-with-checkpoint", stop: func(j *Job) {
			if err := j.StopWithCheckpoint(10 * time.Second); err != nil {
				t.Errorf("StopWithCheckpoint: %v", err)
			}
		}, kept: true},
		{name: "stop-without-lease", lease: errors.New("server s2 took the job over"), stop: (*Job).Stop, kept: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cpDir, outDir := t.TempDir(), t.TempDir()
			opts := Options{Stdout: io.Discard, Stderr: io.Discard}
			var lost atomic.Bool // the lease is held while the job checkpoints
			if tc.lease != nil {
				opts.Ownership = &Ownership{Epoch: 1, Lease: func(string) error {
					if lost.Load() {
						return tc.lease
					}
					return nil
				}}
			}
			j := startCheckpointed(t, New(opts), cpDir, outDir)
			lost.Store(true)
			tc.stop(j)
			checkKept(t, cpDir, tc.kept)
		})
	}
}

// startCheckpointed starts the generator's windowed count with 50 ms
// checkpoints into cpDir and DELETE_ON_CANCELLATION, and returns it once a
// checkpoint completed.
func startCheckpointed(t *testing.T, e *Engine, cpDir, outDir string) *Job {
	t.Helper()
	checkpointed(t, e, cpDir)
	run(t, e, "SET 'execution.checkpointing.externalized-checkpoint-retention' = 'DELETE_ON_CANCELLATION';")
	run(t, e, strings.ReplaceAll(strings.Replace(genDDL, "'4000'", "'1000'", 1), "%OUT%", outDir))
	j, err := submit(t, e, genInsert)
	if err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(20 * time.Second)
	for j.LastCheckpoint() == nil {
		if time.Now().After(deadline) {
			t.Fatal("no checkpoint completed in 20 s")
		}
		time.Sleep(10 * time.Millisecond)
	}
	return j
}

// checkKept checks whether cpDir still holds a complete checkpoint.
func checkKept(t *testing.T, cpDir string, want bool) {
	t.Helper()
	found, _ := filepath.Glob(filepath.Join(cpDir, "*", "chk-*", "_metadata"))
	if got := len(found) > 0; got != want {
		entries, _ := os.ReadDir(cpDir)
		t.Fatalf("complete checkpoints kept = %v (%v), want %v; %s holds %d entries", got, found, want, cpDir, len(entries))
	}
}
