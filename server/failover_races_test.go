package server

import (
	"context"
	"encoding/json"
	"log/slog"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/streamsql/streamsql/cluster"
	"github.com/streamsql/streamsql/engine"
)

// hookHandler is a slog handler that calls fn, synchronously, with every
// message logged: a test uses it to act at a precise point of the
// server's work (the message's caller waits for fn).
type hookHandler struct{ fn func(msg string) }

func (h hookHandler) Enabled(context.Context, slog.Level) bool { return true }
func (h hookHandler) Handle(_ context.Context, r slog.Record) error {
	h.fn(r.Message)
	return nil
}
func (h hookHandler) WithAttrs([]slog.Attr) slog.Handler { return h }
func (h hookHandler) WithGroup(string) slog.Handler      { return h }

// startHooked makes a server of cfg, stores it in p (for the hooks of its
// logger, which may run during Start) and starts it. The caller shuts it
// down.
func startHooked(t *testing.T, cfg Config, p *atomic.Pointer[Server]) *Server {
	t.Helper()
	s, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	p.Store(s)
	if err := s.Start(); err != nil {
		t.Fatal(err)
	}
	return s
}

// A stop request that reaches the new owner while it takes the job over
// (its record registered, the job not started yet) is applied once the
// job runs: it is neither dropped nor answered before.
func TestFailoverRaceStopDuringTakeoverIsNotLost(t *testing.T) {
	brokers := kafka(t)
	shared := t.TempDir()
	cfg := func(id string) Config { return failoverConfig(t, brokers, shared, id) }
	a, baseA, stopA := startConfigured(t, cfg("A"))
	var b atomic.Pointer[Server]
	var jobID atomic.Value
	cb := cfg("B")
	cb.Logger = slog.New(hookHandler{fn: func(msg string) {
		if msg != "taking over the job of a server that went away" {
			return
		}
		// Between the registration of the job and its start: a stop
		// request arrives and is applied by the log's follower.
		id := jobID.Load().(string)
		l, err := cluster.OpenCommandLog(context.Background(), brokers, "c1")
		if err != nil {
			t.Error(err)
			return
		}
		defer l.Close()
		value, _ := json.Marshal(stopCommand{Request: "r1", From: "T", Owner: "A"})
		if _, err := l.Append(context.Background(), "stop/"+id, value); err != nil {
			t.Error(err)
			return
		}
		c := b.Load().cluster
		seen := false
		for deadline := time.Now().Add(3 * time.Second); time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
			c.mu.Lock()
			_, pending := c.stopRequests[id]
			c.mu.Unlock()
			if pending {
				seen = true
			} else if seen {
				return // the request is gone from the log already
			}
		}
	}})
	bs := startHooked(t, cb, &b)
	t.Cleanup(func() { bs.Shutdown(5 * time.Second) })

	id := submit(t, baseA, "", endlessJob)
	jobID.Store(id)
	waitFor(t, "a checkpoint on A, B knowing the job", func() bool {
		l := a.liveJob(id)
		_, known := bs.cluster.remoteJob(id)
		return l != nil && l.job.LastCheckpoint() != nil && known
	})
	crash(a)
	stopA()
	waitFor(t, "B to take the job over and apply the stop", func() bool {
		rec, ok := bs.reg.get(id)
		return ok && rec.Epoch == 2 && rec.Status == "STOPPED"
	})
	if l := bs.liveJob(id); l == nil || !l.job.Ended() {
		t.Fatal("the job still runs on B")
	}
}

// A server shut down while it takes a job over neither hangs nor leaves
// the job running: the job stays RUNNING in its registry, owned by it at
// the new epoch, for its next start (or the next owner) to resume.
func TestFailoverRaceShutdownDuringTakeover(t *testing.T) {
	brokers := kafka(t)
	shared := t.TempDir()
	cfg := func(id string) Config { return failoverConfig(t, brokers, shared, id) }
	a, baseA, stopA := startConfigured(t, cfg("A"))
	var b atomic.Pointer[Server]
	taking := make(chan struct{})
	var once atomic.Bool
	cb := cfg("B")
	cb.Logger = slog.New(hookHandler{fn: func(msg string) {
		if msg != "taking over the job of a server that went away" || !once.CompareAndSwap(false, true) {
			return
		}
		close(taking)
		for { // until Shutdown began
			s := b.Load()
			s.mu.Lock()
			closing := s.closing
			s.mu.Unlock()
			if closing {
				return
			}
			time.Sleep(5 * time.Millisecond)
		}
	}})
	bs := startHooked(t, cb, &b)

	id := submit(t, baseA, "", endlessJob)
	waitFor(t, "a checkpoint on A, B knowing the job", func() bool {
		l := a.liveJob(id)
		_, known := bs.cluster.remoteJob(id)
		return l != nil && l.job.LastCheckpoint() != nil && known
	})
	crash(a)
	stopA()
	select {
	case <-taking:
	case <-time.After(20 * time.Second):
		t.Fatal("B did not take the job over")
	}
	done := make(chan struct{})
	go func() {
		bs.Shutdown(5 * time.Second)
		close(done)
	}()
	select {
	case <-done:
	case <-time.After(20 * time.Second):
		t.Fatal("Shutdown during a takeover did not return")
	}
	if l := bs.liveJob(id); l != nil && !l.job.Ended() {
		t.Fatal("the job taken over still runs after Shutdown")
	}
	rec, ok := bs.reg.get(id)
	if !ok || rec.Status != string(engine.JobRunning) || rec.Epoch != 2 {
		t.Fatalf("B's record after Shutdown: %+v %v, want RUNNING at epoch 2", rec, ok)
	}
}

// A job taken over by another server while this server resumes it (its
// start after the log was read, the other's claim applied before the job
// runs) is given up: it does not run here besides on its new owner, and
// its record does not come back to the registry.
func TestFailoverRaceJobTakenOverDuringResumeIsGivenUp(t *testing.T) {
	brokers := kafka(t)
	shared := t.TempDir()
	dirA := t.TempDir()
	cfg := Config{DataDir: dirA, CheckpointInterval: 30 * time.Second, CheckpointDir: shared,
		ClusterName: "c1", ClusterBootstrapServers: brokers, ServerID: "A", ClusterHeartbeat: 100 * time.Millisecond}
	a, baseA, stopA := startConfigured(t, cfg)
	id := submit(t, baseA, "", endlessJob)
	if a.liveJob(id) == nil {
		t.Fatal("the job does not run on A")
	}
	crash(a) // no checkpoint: the record stays RUNNING
	stopA()

	var a2p atomic.Pointer[Server]
	claimed := false
	cfg.Logger = slog.New(hookHandler{fn: func(msg string) {
		if claimed || !strings.HasPrefix(msg, "no complete checkpoint of") {
			return
		}
		// While the job's statements run again, the log's follower
		// applies another server's claim on it.
		claimed = true
		s := a2p.Load()
		rec, _ := s.reg.get(id)
		rec.Epoch = 2
		s.cluster.mu.Lock()
		judged := s.cluster.announced["A"] // B judged A gone on its newest announcement
		s.cluster.mu.Unlock()
		s.applyJob(jobCommand{Owner: "B", Job: rec, Run: rec.Statements, Judged: judged})
	}})
	a2 := startHooked(t, cfg, &a2p)
	t.Cleanup(func() { a2.Shutdown(5 * time.Second) })
	if !claimed {
		t.Fatal("the claim was not applied during the resume")
	}
	if l := a2.liveJob(id); l != nil && !l.job.Ended() {
		t.Fatal("A runs a job that B took over")
	}
	if rec, ok := a2.reg.get(id); ok {
		t.Fatalf("A's registry holds the job B took over again: %+v", rec)
	}
}
