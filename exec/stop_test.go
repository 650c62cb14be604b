package exec

import (
	"context"
	"errors"
	"sync/atomic"
	"testing"
	"time"

	"github.com/streamsql/streamsql/types"
)

// spinner stands for an operator in a loop whose length its input does not
// bound (a watermark firing millions of windows): it computes until the
// job is stopping, checking Context.Stopped as such loops must.
type spinner struct {
	Base
	ctx     *Context
	started chan struct{}
	once    atomic.Bool
	sawStop atomic.Bool
}

func (s *spinner) Open(ctx *Context) error { s.ctx = ctx; return nil }

func (s *spinner) ProcessBatch(int, *types.Batch) error {
	if s.once.CompareAndSwap(false, true) {
		close(s.started)
	}
	for {
		if s.ctx.Stopped() {
			s.sawStop.Store(true)
			return ErrStopped
		}
	}
}

func startSpinner(t *testing.T) (*Job, *spinner) {
	t.Helper()
	src := &fakeSource{splits: [][][2]int64{{{1, 1}}}, unbounded: true}
	op := &spinner{started: make(chan struct{})}
	v := &Vertex{Name: "Spinner", Parallelism: 1, Schema: kvSchema, Inputs: []Edge{{From: 0, Partitioning: Forward}},
		NewOperator: func() Operator { return op }}
	j, err := Start(context.Background(), &JobGraph{Vertices: []*Vertex{sourceVertex("s", src, 0, 0), v}}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	select {
	case <-op.started:
	case <-time.After(10 * time.Second):
		t.Fatal("the operator never received its batch")
	}
	return j, op
}

// A cancelled job ends although an operator is inside a call that would
// never return on its own: the operator sees Stopped and gives up, and the
// job ends as cancelled, not failed.
func TestCancelStopsABusyOperator(t *testing.T) {
	j, op := startSpinner(t)
	j.Cancel()
	select {
	case <-j.Done():
	case <-time.After(2 * time.Second):
		t.Fatal("the job did not end within 2 s of Cancel while its operator was busy")
	}
	if err := j.Wait(); !errors.Is(err, ErrCancelled) {
		t.Fatalf("Wait = %v, want ErrCancelled (ErrStopped from the operator is not a failure)", err)
	}
	if !op.sawStop.Load() {
		t.Error("the operator never saw Context.Stopped")
	}
}

// The busy clock names the task stuck in one call, and only while it is.
func TestBusiestNamesTheOperatorInALongCall(t *testing.T) {
	j, _ := startSpinner(t)
	defer j.Cancel()
	deadline := time.Now().Add(5 * time.Second)
	for {
		name, d := j.busiest(false)
		if _, c := j.busiest(true); c < d/2 {
			t.Fatalf("a spinning operator computes: busy %s but computing %s", d, c)
		}
		if d >= 100*time.Millisecond {
			if name != "Spinner (instance 0)" {
				t.Fatalf("busiest = %q, want the spinning operator", name)
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("busiest never reported the spinning operator (last %q, %s)", name, d)
		}
		time.Sleep(20 * time.Millisecond)
	}
	j.Cancel()
	<-j.Done()
	if _, d := j.busiest(false); d != 0 {
		t.Errorf("busiest after the job ended = %s, want 0", d)
	}
}

// Time blocked on a full output channel counts as busy (a barrier cannot
// reach the task) but not as computing (the task moves at its consumer's
// pace, so a savepoint barrier gets through behind the queued data); a
// send that goes through restarts the computing time.
func TestBusyClockSeparatesBlockedFromComputing(t *testing.T) {
	var b busyClock
	b.enter()
	b.blocked()
	time.Sleep(60 * time.Millisecond)
	now := time.Now().UnixNano()
	if d := b.busyFor(now); d < 60*time.Millisecond {
		t.Fatalf("busyFor while blocked = %s, want at least 60ms", d)
	}
	if d := b.computingFor(now); d != 0 {
		t.Fatalf("computingFor while blocked = %s, want 0", d)
	}
	b.unblocked()
	time.Sleep(30 * time.Millisecond)
	now = time.Now().UnixNano()
	if c, d := b.computingFor(now), b.busyFor(now); c < 30*time.Millisecond || c >= d {
		t.Fatalf("after the send went through: computing %s, busy %s; want computing from the send on", c, d)
	}
	b.leave()
	if d := b.computingFor(time.Now().UnixNano()); d != 0 {
		t.Fatalf("computingFor outside a call = %s", d)
	}
}

// A Context outside a job (operator unit tests) is never stopped.
func TestContextWithoutJobIsNotStopped(t *testing.T) {
	if (&Context{}).Stopped() {
		t.Error("a Context built without a job reports Stopped")
	}
}
