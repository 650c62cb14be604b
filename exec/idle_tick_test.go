package exec

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/streamsql/streamsql/connectors"
	"github.com/streamsql/streamsql/types"
)

// slowSource: one split, one row per Next, each read taking delay.
type slowSource struct {
	rows  [][2]int64
	delay time.Duration
}

func (s *slowSource) Splits(int) ([]connectors.Split, error) {
	return []connectors.Split{fakeSplit(0)}, nil
}
func (s *slowSource) Bounded() bool { return false }
func (s *slowSource) OpenSplit(context.Context, connectors.Split, []byte) (connectors.SplitReader, error) {
	return &slowReader{src: s}, nil
}

type slowReader struct {
	src  *slowSource
	next int
}

func (r *slowReader) Next(ctx context.Context, b *types.Batch) error {
	select {
	case <-ctx.Done():
		return nil
	case <-time.After(r.src.delay):
	}
	if r.next < len(r.src.rows) {
		row := r.src.rows[r.next]
		r.next++
		b.Append(types.Insert, []types.Value{types.IntValue(row[0]), types.TimestampValue(row[1])})
	}
	return nil
}
func (r *slowReader) Position() []byte { return nil }
func (r *slowReader) Close() error     { return nil }

// tickEmitter passes rows on and, once its task went idle, emits one row
// from OnTick (as a processing-time timer, an early fire or a mini-batch
// flush would).
type tickEmitter struct {
	passOp
	idle, done bool
}

func (e *tickEmitter) ProcessIdle(idle bool) error { e.idle = idle; return nil }
func (e *tickEmitter) OnTick(int64) error {
	if e.idle && !e.done {
		e.done = true
		e.out.Emit(types.Insert, []types.Value{types.IntValue(8), types.TimestampValue(2500)})
	}
	return nil
}

// TestRowsOfAnIdleTaskLeaveItIdle: rows an idle task emits from a timer
// do not make its output channel active downstream (as in Flink): were
// they to, the channel would rejoin the minimum and hold the watermark
// until the task's input resumed.
func TestRowsOfAnIdleTaskLeaveItIdle(t *testing.T) {
	var mu sync.Mutex
	var fired []string
	var busyRows [][2]int64
	for i := int64(0); i < 8; i++ {
		busyRows = append(busyRows, [2]int64{1, 100 + 1000*i})
	}
	busy := &slowSource{rows: busyRows, delay: 150 * time.Millisecond}
	quiet := &fakeSource{splits: [][][2]int64{{{7, 2000}}}, unbounded: true}
	bv := sourceVertex("busy", nil, 0, 0)
	bv.Source.Source = busy
	g := &JobGraph{Vertices: []*Vertex{
		bv,
		sourceVertex("quiet", quiet, 0, 50),
		{Name: "First", Parallelism: 1, Schema: kvSchema, Inputs: []Edge{{From: 1, Partitioning: Forward}},
			NewOperator: func() Operator { return &tickEmitter{} }},
		{Name: "Window", Parallelism: 1, Schema: kvSchema,
			Inputs:      []Edge{{From: 0, Partitioning: Global}, {From: 2, Partitioning: Global}},
			NewOperator: func() Operator { return &tumbleLog{size: 1000, mu: &mu, fired: &fired} }},
	}}
	runFor(t, g, Options{TickInterval: 5 * time.Millisecond}, 2*time.Second)
	mu.Lock()
	got := strings.Join(fired, ",")
	mu.Unlock()
	if !strings.Contains(got, "[5000,6000)") {
		t.Errorf("windows after the idle task's tick row did not fire: %q", got)
	}
}
