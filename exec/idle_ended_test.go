package exec

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/streamsql/streamsql/connectors"
	"github.com/streamsql/streamsql/types"
)

// mixedSource: split 0 is bounded (ends after its rows), split 1 never
// ends and has no rows after its first.
type mixedSource struct{ splits [][][2]int64 }

func (m *mixedSource) Splits(int) ([]connectors.Split, error) {
	return []connectors.Split{fakeSplit(0), fakeSplit(1)}, nil
}
func (m *mixedSource) Bounded() bool { return false }
func (m *mixedSource) OpenSplit(_ context.Context, s connectors.Split, _ []byte) (connectors.SplitReader, error) {
	i := int(s.(fakeSplit))
	return &fakeReader{rows: m.splits[i], unbounded: i == 1}, nil
}

type idleCounter struct {
	Base
	mu          sync.Mutex
	idle, activ int
}

func (c *idleCounter) ProcessBatch(int, *types.Batch) error { return nil }
func (c *idleCounter) ProcessIdle(idle bool) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if idle {
		c.idle++
	} else {
		c.activ++
	}
	return nil
}

// An idle split next to an ended one: the task should go idle once and
// stay idle.
func TestIdleSourceWithEndedSplitStaysIdle(t *testing.T) {
	src := &mixedSource{splits: [][][2]int64{{{1, 100}}, {{2, 200}}}}
	v := sourceVertex("s", nil, 0, 50)
	v.Source.Source = src
	c := &idleCounter{}
	g := &JobGraph{Vertices: []*Vertex{v,
		{Name: "Counter", Parallelism: 1, Schema: kvSchema, Inputs: []Edge{{From: 0, Partitioning: Forward}},
			NewOperator: func() Operator { return c }}}}
	runFor(t, g, Options{}, time.Second)
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.idle != 1 {
		t.Errorf("want the task idle once and staying idle, got idle %d times, active %d times", c.idle, c.activ)
	}
}
