package exec

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/streamsql/streamsql/checkpoint"
	"github.com/streamsql/streamsql/checkpoint/storage"
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

// newLocalStore returns a checkpoint store of job name over a local
// directory of the test, and that storage.
func newLocalStore(t *testing.T, name string) (storage.Storage, *checkpoint.Store) {
	t.Helper()
	st, err := storage.NewLocal(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	store, err := checkpoint.NewStore(st, name, checkpoint.StoreOptions{})
	if err != nil {
		t.Fatal(err)
	}
	return st, store
}

// waitJob returns j's error once it ended, failing t (after cancelling
// j) when it has not ended within d; what says what was expected.
func waitJob(t *testing.T, j *Job, d time.Duration, what string) error {
	t.Helper()
	done := make(chan error, 1)
	go func() { done <- j.Wait() }()
	select {
	case err := <-done:
		return err
	case <-time.After(d):
		j.Cancel()
		t.Fatal(what)
		return nil
	}
}
