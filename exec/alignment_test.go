package exec

import (
	"context"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/streamsql/streamsql/checkpoint"
	"github.com/streamsql/streamsql/checkpoint/storage"
	"github.com/streamsql/streamsql/state"
	"github.com/streamsql/streamsql/types"
)

// barrierHarness drives one operator task's message handling directly, in
// an order chosen by the test, and captures what the task tells the
// checkpointer and sends downstream.
type barrierHarness struct {
	task   *operatorTask
	events chan taskEvent
	down   chan Message
	store  *storage.Memory
	op     *inputCounter
}

// inputCounter counts the rows it processed per input.
type inputCounter struct {
	Base
	rows map[int]int
}

func (c *inputCounter) ProcessBatch(input int, b *types.Batch) error {
	c.rows[input] += b.Len()
	return nil
}

func newBarrierHarness(t *testing.T, cp *CheckpointConfig, inputs int) *barrierHarness {
	ctx, cancel := context.WithCancelCause(context.Background())
	t.Cleanup(func() { cancel(nil) })
	job := &Job{ctx: ctx, cancel: cancel, cp: cp}
	h := &barrierHarness{events: make(chan taskEvent, 64), down: make(chan Message, 64),
		store: storage.NewMemory(), op: &inputCounter{rows: map[int]int{}}}
	job.cpr = &checkpointer{job: job, events: h.events}
	v := &Vertex{ID: "op1", Name: "Op", Parallelism: 1, Schema: kvSchema}
	task := &operatorTask{job: job, v: v, op: h.op, ctx: &Context{}, m: &Metrics{},
		out: newCollector(ctx, len(kvSchema), 16, nil), chans: make([]chan Message, inputs)}
	task.out.addEdge(Forward, nil, []chan Message{h.down}, 128)
	task.ended = make([]bool, inputs)
	task.blocked = make([]bool, inputs)
	task.valve = newWatermarkValve(task.ended)
	task.cases = make([]reflect.SelectCase, caseChans+inputs)
	for i := range inputs {
		v.Inputs = append(v.Inputs, Edge{From: i, Partitioning: Forward})
		task.inputOf = append(task.inputOf, i)
		task.chans[i] = make(chan Message)
		task.cases[caseChans+i] = reflect.SelectCase{Dir: reflect.SelectRecv, Chan: reflect.ValueOf(task.chans[i])}
	}
	task.active = inputs
	h.task = task
	return h
}

// trigger registers checkpoint id as the checkpointer does before its
// barriers leave the sources.
func (h *barrierHarness) trigger(id int64, final bool) {
	h.task.job.barriers.Store(id, barrierInfo{final: final,
		target: state.SnapshotTarget{Storage: h.store, Dir: fmt.Sprintf("job/chk-%d", id)}})
}

func (h *barrierHarness) send(t *testing.T, ci int, msg Message) {
	t.Helper()
	if err := h.task.message(ci, msg); err != nil {
		t.Fatalf("message on channel %d: %v", ci, err)
	}
}

func (h *barrierHarness) barrier(t *testing.T, ci int, id int64) {
	t.Helper()
	h.send(t, ci, Message{Kind: MsgBarrier, Barrier: Barrier{CheckpointID: id}})
}

func (h *barrierHarness) rows(t *testing.T, ci int, n int) {
	t.Helper()
	b := types.NewBatch(len(kvSchema), n)
	for i := range n {
		b.Append(types.Insert, []types.Value{types.IntValue(int64(ci*100 + i)), types.TimestampValue(int64(i))})
	}
	h.send(t, ci, Message{Kind: MsgBatch, Batch: b})
}

// takeEvents returns what the task reported to the checkpointer so far.
func (h *barrierHarness) takeEvents() []taskEvent {
	var out []taskEvent
	for {
		select {
		case ev := <-h.events:
			out = append(out, ev)
		default:
			return out
		}
	}
}

// downstreamBarriers returns the ids of the barriers sent downstream so far.
func (h *barrierHarness) downstreamBarriers() []int64 {
	var ids []int64
	for {
		select {
		case m := <-h.down:
			if m.Kind == MsgBarrier {
				ids = append(ids, m.Barrier.CheckpointID)
			}
		default:
			return ids
		}
	}
}

// channelRows is "input:rows" for each recorded channel of an ack, after
// checking that the recorded file holds that many rows.
func (h *barrierHarness) channelRows(t *testing.T, st *checkpoint.TaskState) string {
	t.Helper()
	var parts []string
	for _, cs := range st.Channels {
		payload, err := storage.Read(h.store, cs.Path, storage.KindChannel, 1)
		if err != nil {
			t.Fatalf("channel state %s: %v", cs.Path, err)
		}
		n := 0
		for len(payload) > 0 {
			_, rest, err := types.DecodeValues(payload[1:])
			if err != nil {
				t.Fatalf("channel state %s: %v", cs.Path, err)
			}
			payload = rest
			n++
		}
		if int64(n) != cs.Rows {
			t.Fatalf("channel state %s holds %d rows, its metadata says %d", cs.Path, n, cs.Rows)
		}
		parts = append(parts, fmt.Sprintf("in%d:%d", cs.Input, cs.Rows))
	}
	return strings.Join(parts, ",")
}

// expectAck checks that events are exactly one acknowledgement of id (no
// decline) and returns its state.
func expectAck(t *testing.T, events []taskEvent, id int64) *checkpoint.TaskState {
	t.Helper()
	if len(events) != 1 || events[0].decline != nil || events[0].id != id || events[0].state == nil {
		var got []string
		for _, ev := range events {
			if ev.decline != nil {
				got = append(got, fmt.Sprintf("decline %d: %v", ev.id, ev.decline))
			} else {
				got = append(got, fmt.Sprintf("ack %d", ev.id))
			}
		}
		t.Fatalf("want exactly an ack of checkpoint %d, got %v", id, got)
	}
	return events[0].state
}

func expectNoEvents(t *testing.T, h *barrierHarness, when string) {
	t.Helper()
	if evs := h.takeEvents(); len(evs) != 0 {
		t.Fatalf("%s: want no checkpoint event yet, got %+v", when, evs)
	}
}

// In unaligned mode the barrier of checkpoint 2 reaches a two-input task on
// input 0 while checkpoint 1 still waits for its barrier on input 1 (the
// sources emitted 2 before the task saw 1 on every input). Both
// checkpoints complete, each with its own in-flight rows of input 1.
func TestUnalignedNewerBarrierDoesNotDeclineOlderCheckpoint(t *testing.T) {
	h := newBarrierHarness(t, &CheckpointConfig{Unaligned: true}, 2)
	h.trigger(1, false)
	h.trigger(2, false)

	h.barrier(t, 0, 1) // checkpoint 1 starts: snapshot, barrier forwarded
	h.rows(t, 1, 2)    // in flight for 1
	h.barrier(t, 0, 2) // checkpoint 2 starts while 1 is aligning
	expectNoEvents(t, h, "after the barrier of 2 on input 0")
	h.rows(t, 1, 3) // in flight for 1 and for 2
	h.barrier(t, 1, 1)
	st1 := expectAck(t, h.takeEvents(), 1)
	if got := h.channelRows(t, st1); got != "in1:5" {
		t.Errorf("checkpoint 1 in-flight rows = %q, want in1:5", got)
	}
	h.rows(t, 1, 4) // in flight for 2 only
	h.barrier(t, 1, 2)
	st2 := expectAck(t, h.takeEvents(), 2)
	if got := h.channelRows(t, st2); got != "in1:7" {
		t.Errorf("checkpoint 2 in-flight rows = %q, want in1:7", got)
	}
	if got := h.downstreamBarriers(); !reflect.DeepEqual(got, []int64{1, 2}) {
		t.Errorf("barriers sent downstream = %v, want [1 2] (each once, in order)", got)
	}
	if h.op.rows[1] != 9 {
		t.Errorf("operator processed %d rows of input 1, want 9", h.op.rows[1])
	}
	// A late copy of a completed checkpoint's barrier is ignored.
	h.barrier(t, 0, 2)
	expectNoEvents(t, h, "after a duplicate barrier")
}

// The final checkpoint (always aligned) is triggered while a periodic
// unaligned checkpoint is still aligning: its barrier blocks input 0, the
// periodic checkpoint completes when input 1 delivers its barrier, then
// the final one completes and input 0 is read again.
func TestFinalCheckpointOvertakingUnalignedCheckpoint(t *testing.T) {
	h := newBarrierHarness(t, &CheckpointConfig{Unaligned: true}, 2)
	h.trigger(1, false)
	h.trigger(2, true)

	h.barrier(t, 0, 1)
	h.barrier(t, 0, 2)
	if !h.task.blocked[0] {
		t.Fatal("input 0 delivered the aligned final barrier but is still read")
	}
	expectNoEvents(t, h, "after the final barrier on input 0")
	h.rows(t, 1, 2) // in flight for 1; before the final barrier, so in its snapshot
	h.barrier(t, 1, 1)
	st1 := expectAck(t, h.takeEvents(), 1)
	if got := h.channelRows(t, st1); got != "in1:2" {
		t.Errorf("checkpoint 1 in-flight rows = %q, want in1:2", got)
	}
	h.barrier(t, 1, 2)
	st2 := expectAck(t, h.takeEvents(), 2)
	if len(st2.Channels) != 0 {
		t.Errorf("the aligned final checkpoint recorded channel state: %+v", st2.Channels)
	}
	if h.task.blocked[0] || h.task.blocked[1] {
		t.Error("inputs still blocked after the final checkpoint aligned")
	}
	if got := h.downstreamBarriers(); !reflect.DeepEqual(got, []int64{1, 2}) {
		t.Errorf("barriers sent downstream = %v, want [1 2]", got)
	}
}

// An input that ends completes the checkpoints still waiting for its
// barrier.
func TestEndOfInputCompletesEveryAligningCheckpoint(t *testing.T) {
	h := newBarrierHarness(t, &CheckpointConfig{Unaligned: true}, 2)
	h.trigger(1, false)
	h.trigger(2, false)
	h.barrier(t, 0, 1)
	h.barrier(t, 0, 2)
	h.send(t, 1, Message{Kind: MsgEnd})
	evs := h.takeEvents()
	if len(evs) != 2 || evs[0].id != 1 || evs[1].id != 2 || evs[0].decline != nil || evs[1].decline != nil {
		t.Fatalf("want acks of 1 then 2, got %+v", evs)
	}
}

// holder keeps the rows it is given and emits them in SnapshotState.
type holder struct {
	Base
	out  Output
	rows [][]types.Value
}

func (o *holder) ProcessBatch(_ int, b *types.Batch) error {
	for i := range b.Len() {
		o.rows = append(o.rows, slices.Clone(b.Row(i)))
	}
	return nil
}

func (o *holder) SnapshotState(int64) error {
	for _, r := range o.rows {
		o.out.Emit(types.Insert, r)
	}
	o.rows = nil
	return nil
}

// Rows an operator emits in SnapshotState reach the output ahead of the
// checkpoint's barrier, in every checkpointing mode.
func TestSnapshotStateRowsPrecedeBarrier(t *testing.T) {
	for _, cp := range []*CheckpointConfig{{}, {Unaligned: true}, {AtLeastOnce: true}} {
		h := newBarrierHarness(t, cp, 2)
		op := &holder{out: h.task.out}
		h.task.op = op
		h.trigger(1, false)
		h.rows(t, 0, 3)
		h.rows(t, 1, 2)
		h.barrier(t, 0, 1)
		h.barrier(t, 1, 1)
		expectAck(t, h.takeEvents(), 1)
		var got []string
		for len(h.down) > 0 {
			m := <-h.down
			switch m.Kind {
			case MsgBatch:
				got = append(got, fmt.Sprintf("rows %d", m.Batch.Len()))
			case MsgBarrier:
				got = append(got, fmt.Sprintf("barrier %d", m.Barrier.CheckpointID))
			}
		}
		if want := []string{"rows 5", "barrier 1"}; !slices.Equal(got, want) {
			t.Errorf("%+v: downstream got %v, want %v", *cp, got, want)
		}
	}
}
