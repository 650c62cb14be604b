package exec

import (
	"context"
	"errors"
	"testing"
	"time"
)

// startJob starts g, failing t if it cannot.
func startJob(t *testing.T, g *JobGraph, opts Options) *Job {
	t.Helper()
	j, err := Start(context.Background(), g, opts)
	if err != nil {
		t.Fatal(err)
	}
	return j
}

// cancelJob cancels j and waits for it, failing t unless it ended
// cancelled.
func cancelJob(t *testing.T, j *Job) {
	t.Helper()
	j.Cancel()
	if err := j.Wait(); !errors.Is(err, ErrCancelled) {
		t.Fatalf("want cancelled, got %v", err)
	}
}

// runFor runs g for d, then cancels it (cancelJob).
func runFor(t *testing.T, g *JobGraph, opts Options, d time.Duration) {
	t.Helper()
	j := startJob(t, g, opts)
	time.Sleep(d)
	cancelJob(t, j)
}
