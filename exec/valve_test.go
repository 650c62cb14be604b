package exec

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/streamsql/streamsql/types"
)

// statusLog is an operator logging the watermarks and idle statuses its
// task hands it, and forwarding its rows.
type statusLog struct {
	Base
	log []string
	out Output
}

func (s *statusLog) Open(ctx *Context) error { s.out = ctx.Out; return nil }

func (s *statusLog) ProcessBatch(_ int, b *types.Batch) error {
	for i := 0; i < b.Len(); i++ {
		s.out.Emit(b.Ops[i], b.Row(i))
	}
	s.log = append(s.log, fmt.Sprintf("rows %d", b.Len()))
	return nil
}

func (s *statusLog) ProcessWatermark(wm int64) error {
	s.log = append(s.log, fmt.Sprintf("wm %d", wm))
	return nil
}

func (s *statusLog) ProcessIdle(idle bool) error {
	s.log = append(s.log, fmt.Sprintf("idle %v", idle))
	return nil
}

// downstream returns what the task sent downstream so far: "rows n",
// "wm N", "idle".
func (h *barrierHarness) downstream() []string {
	var out []string
	for {
		select {
		case m := <-h.down:
			switch {
			case m.Kind == MsgBatch:
				out = append(out, fmt.Sprintf("rows %d", m.Batch.Len()))
			case m.Kind == MsgWatermark && m.Idle:
				out = append(out, "idle")
			case m.Kind == MsgWatermark:
				out = append(out, fmt.Sprintf("wm %d", m.Watermark))
			}
		default:
			return out
		}
	}
}

func wmMsg(w int64) Message { return Message{Kind: MsgWatermark, Watermark: w} }

var idleMsg = Message{Kind: MsgWatermark, Idle: true}

// TestValveIdleInputsAndResume drives a task of three inputs through idle
// and active statuses: an idle input leaves the minimum; the task goes
// idle (once, telling its operator and its outputs) when every live input
// is, at the largest watermark of its inputs; the first watermark of an input makes it active again before the
// message is handled (a batch changes no status); an input that resumes behind the task's watermark
// neither moves it back nor holds it until it has caught up.
func TestValveIdleInputsAndResume(t *testing.T) {
	h := newBarrierHarness(t, nil, 3)
	op := &statusLog{}
	h.task.op = op
	if err := op.Open(&Context{Out: h.task.out}); err != nil {
		t.Fatal(err)
	}
	steps := []struct {
		ci       int
		msg      Message
		op, down string // what the operator saw, what went downstream
	}{
		{0, wmMsg(100), "", ""},
		{1, wmMsg(50), "", ""},
		{2, wmMsg(70), "wm 50", "wm 50"},
		{1, idleMsg, "wm 70", "wm 70"}, // 1 leaves the minimum
		{2, idleMsg, "wm 100", "wm 100"},
		{0, wmMsg(200), "wm 200", "wm 200"},
		// 1 resumes behind 200: active, not aligned (no move back).
		{1, wmMsg(150), "", ""},
		{0, wmMsg(300), "wm 300", "wm 300"}, // 1 does not hold it
		{1, wmMsg(250), "", ""},
		{1, wmMsg(400), "", ""}, // caught up: counts again
		{0, wmMsg(500), "wm 400", "wm 400"},
		{0, idleMsg, "", ""},
		// Every input idle: the task is, after moving to the largest
		// watermark of its inputs (0's 500; 1, at 400, held it back).
		{1, idleMsg, "wm 500,idle true", "wm 500,idle"},
		{1, idleMsg, "", ""},                   // said once
		{2, wmMsg(60), "idle false", "wm 500"}, // active again, behind: hold
		{2, idleMsg, "idle true", "idle"},
		{0, Message{Kind: MsgEnd}, "", ""},
		{1, Message{Kind: MsgEnd}, "", ""},
		// A batch does not change a status: rows of an idle input (a
		// timer's) go on with the task idle; its watermark makes it
		// active.
		{2, Message{Kind: MsgBatch, Batch: batchOfRows(2)}, "rows 2", "rows 2"},
		{2, wmMsg(450), "idle false", "wm 500"},
		{2, wmMsg(550), "wm 550", "wm 550"},
		{2, Message{Kind: MsgEnd}, fmt.Sprintf("wm %d", MaxWatermark), fmt.Sprintf("wm %d", MaxWatermark)},
	}
	for i, s := range steps {
		op.log = nil
		h.send(t, s.ci, s.msg)
		h.task.out.flush()
		if got := strings.Join(op.log, ","); got != s.op {
			t.Errorf("step %d: the operator saw %q, want %q", i, got, s.op)
		}
		if got := strings.Join(h.downstream(), ","); got != s.down {
			t.Errorf("step %d: downstream got %q, want %q", i, got, s.down)
		}
	}
}

// TestValveEndOfLastActiveInputMakesTaskIdle: when the only active input
// ends and the others are idle, the task is idle.
func TestValveEndOfLastActiveInputMakesTaskIdle(t *testing.T) {
	h := newBarrierHarness(t, nil, 2)
	op := &statusLog{}
	h.task.op = op
	h.send(t, 0, idleMsg)
	h.send(t, 1, wmMsg(10))
	h.send(t, 1, Message{Kind: MsgEnd})
	if got, want := strings.Join(op.log, ","), "wm 10,idle true"; got != want {
		t.Errorf("operator saw %q, want %q", got, want)
	}
	if got, want := strings.Join(h.downstream(), ","), "wm 10,idle"; got != want {
		t.Errorf("downstream got %q, want %q", got, want)
	}
}

func batchOfRows(n int) *types.Batch {
	b := types.NewBatch(len(kvSchema), n)
	for i := range n {
		b.Append(types.Insert, []types.Value{types.IntValue(int64(i)), types.TimestampValue(int64(i))})
	}
	return b
}

// passOp forwards its rows.
type passOp struct {
	Base
	out Output
}

func (p *passOp) Open(ctx *Context) error { p.out = ctx.Out; return nil }
func (p *passOp) ProcessBatch(_ int, b *types.Batch) error {
	for i := 0; i < b.Len(); i++ {
		p.out.Emit(b.Ops[i], b.Row(i))
	}
	return nil
}

// tumbleLog counts rows per tumbling window of size ms on ts and logs
// each window when the watermark passes its end.
type tumbleLog struct {
	Base
	size  int64
	mu    *sync.Mutex
	fired *[]string
	count map[int64]int
}

func (w *tumbleLog) Open(*Context) error { w.count = map[int64]int{}; return nil }
func (w *tumbleLog) ProcessBatch(_ int, b *types.Batch) error {
	for i := 0; i < b.Len(); i++ {
		ts := b.Row(i)[1].Millis()
		w.count[ts-ts%w.size]++
	}
	return nil
}
func (w *tumbleLog) ProcessWatermark(wm int64) error {
	w.mu.Lock()
	defer w.mu.Unlock()
	for start := int64(0); start < 100*w.size; start += w.size {
		if n, ok := w.count[start]; ok && start+w.size-1 <= wm {
			*w.fired = append(*w.fired, fmt.Sprintf("[%d,%d) %d", start, start+w.size, n))
			delete(w.count, start)
		}
	}
	return nil
}

// TestIdleSourcePropagatesBehindHashAndOperators: a source that goes idle
// feeds a hash exchange and two operators in a row; their instances have
// only that source as input, so they go idle with it, and the window
// operator that also reads a busy source fires its windows on the busy
// source's watermark (without the idle status passing through the
// operators it would wait for the quiet source forever).
func TestIdleSourcePropagatesBehindHashAndOperators(t *testing.T) {
	var mu sync.Mutex
	var fired []string
	busy := &fakeSource{splits: [][][2]int64{{{1, 100}, {2, 1100}, {3, 2100}, {4, 3500}}}, unbounded: true}
	quiet := &fakeSource{splits: [][][2]int64{{{7, 10}}}, unbounded: true}
	g := &JobGraph{Vertices: []*Vertex{
		sourceVertex("busy", busy, 0, 0),
		sourceVertex("quiet", quiet, 0, 100),
		{Name: "First", Parallelism: 2, Schema: kvSchema, Inputs: []Edge{{From: 1, Partitioning: Hash, KeyCols: []int{0}}},
			NewOperator: func() Operator { return &passOp{} }},
		{Name: "Second", Parallelism: 2, Schema: kvSchema, Inputs: []Edge{{From: 2, Partitioning: Forward}},
			NewOperator: func() Operator { return &passOp{} }},
		{Name: "Window", Parallelism: 1, Schema: kvSchema,
			Inputs:      []Edge{{From: 0, Partitioning: Global}, {From: 3, Partitioning: Global}},
			NewOperator: func() Operator { return &tumbleLog{size: 1000, mu: &mu, fired: &fired} }},
	}}
	j, err := Start(context.Background(), g, Options{})
	if err != nil {
		t.Fatal(err)
	}
	want := "[0,1000) 2,[1000,2000) 1,[2000,3000) 1"
	got := ""
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		mu.Lock()
		got = strings.Join(fired, ",")
		mu.Unlock()
		if got == want {
			break
		}
	}
	j.Cancel()
	if err := j.Wait(); !errors.Is(err, ErrCancelled) {
		t.Fatalf("want cancelled, got %v", err)
	}
	if got != want {
		t.Errorf("windows fired: %q, want %q", got, want)
	}
}
