package exec

import (
	"context"
	"sync/atomic"

	"github.com/streamsql/streamsql/state"
	"github.com/streamsql/streamsql/types"
)

// Operator is the logic of one parallel instance of a vertex.
//
// The task calls the methods from one goroutine, never concurrently, in
// this order: Open once; then any sequence of ProcessBatch,
// ProcessWatermark, OnTick and SnapshotState; then, once every input has
// ended, ProcessWatermark(MaxWatermark) (if the watermark was not already
// there) followed by Finish; Close is called last on every path, also
// after a failure or cancellation (then possibly without Finish).
//
// Output goes through ctx.Out (saved in Open). Rows emitted during a call
// are sent downstream before the watermark that caused them is forwarded:
// after ProcessWatermark(w) returns, the task forwards w downstream.
// Likewise rows emitted during SnapshotState go downstream ahead of the
// checkpoint's barrier in every checkpointing mode (aligned, unaligned,
// at least once): the task forwards the barrier after SnapshotState
// returns, and forwarding sends the pending output first.
//
// Embed Base to get no-op defaults for hooks an operator does not need.
type Operator interface {
	Open(ctx *Context) error
	// ProcessBatch handles rows that arrived on input (the index of the
	// vertex's input edge). The operator does not own b after returning.
	ProcessBatch(input int, b *types.Batch) error
	// ProcessWatermark is called when the minimum watermark over all input
	// channels advances to wm.
	ProcessWatermark(wm int64) error
	// OnTick is called about every 100 ms of wall-clock time with the
	// current time in ms (processing-time windows, idle flushes).
	OnTick(nowMs int64) error
	// SnapshotState is called at a checkpoint barrier (aligned: after all
	// inputs delivered it; unaligned and at least once: at its first
	// copy): the operator moves anything it buffers into its state
	// backend, or emits it (rows emitted here precede the barrier).
	SnapshotState(checkpointID int64) error
	// Finish is called once when all inputs have ended.
	Finish() error
	Close() error
}

// InputReleaser is implemented by operators that keep nothing of an input
// batch after ProcessBatch returns: neither the batch nor a row slice of it
// (values copied out are fine). The task then recycles the batch
// (types.PutBatch) for the upstream tasks to fill again, instead of leaving
// it to the garbage collector.
type InputReleaser interface {
	ReleasesInput() bool
}

// InputBorrower is implemented by operators whose ProcessBatch only reads
// its input batch: it neither changes the batch nor keeps it, or a row
// slice of it, after returning. When such an operator runs chained to an
// upstream that feeds several operators, the upstream lends it the batch
// (Message.Borrowed) instead of copying it for each of them.
type InputBorrower interface {
	BorrowsInput() bool
}

// IdleAware is implemented by operators that act on their task's idle
// status (a sink whose writer carries it on: connectors.IdleWriter). The
// task calls ProcessIdle(true) when every input that has not ended went
// idle (see watermarkValve), and ProcessIdle(false) when one becomes
// active again, before it handles that input's message; from the task's
// goroutine, like the other hooks. Output emitted during the call goes
// downstream before the status message (rows a sink's writer flushes on
// going idle precede the idle status).
type IdleAware interface {
	ProcessIdle(idle bool) error
}

// StatelessOperator is implemented by operators that keep no state across
// checkpoints (everything they hold goes on before SnapshotState returns):
// their task writes no state snapshot, so a checkpoint restores into a
// plan without them (e.g. the local phase of a two-phase aggregate,
// which a plan at another parallelism may not have).
type StatelessOperator interface {
	HoldsNoState() bool
}

// Base provides no-op hooks.
type Base struct{}

func (Base) Open(*Context) error          { return nil }
func (Base) ProcessWatermark(int64) error { return nil }
func (Base) OnTick(int64) error           { return nil }
func (Base) SnapshotState(int64) error    { return nil }
func (Base) Finish() error                { return nil }
func (Base) Close() error                 { return nil }

// Output receives an operator's rows.
type Output interface {
	// Emit appends a copy of row with operation op to the output. The
	// caller keeps ownership of row.
	Emit(op types.Op, row []types.Value)
}

// Context is what a task gives its operator in Open.
type Context struct {
	// Ctx is cancelled when the job stops or fails.
	Ctx            context.Context
	JobID          string
	OperatorID     string // stable id of the vertex, from the planner
	Name           string
	Instance       int
	Parallelism    int
	MaxParallelism int
	// KeyGroups is the range of key groups this instance owns; rows routed
	// to it by a Hash edge always fall in it.
	KeyGroups state.KeyGroupRange
	// State is this instance's state backend.
	State state.Backend
	Out   Output
	// Metrics counts what the operator reports (late rows, ...).
	Metrics *Metrics
	// Now returns wall-clock milliseconds.
	Now func() int64
	// Checkpointing is true when the job takes checkpoints.
	Checkpointing bool
	// stop is the job's stopping flag (see Stopped); nil outside a job.
	stop *atomic.Bool
}

// KeyGroupOfHash returns the key group of a key hash (see state.KeyGroupOf).
func (c *Context) KeyGroupOfHash(h uint64) int { return state.KeyGroupOf(h, c.MaxParallelism) }

// HashKey hashes the values at cols of row (the hash that Hash edges and
// keyed state use to pick key groups).
func HashKey(row []types.Value, cols []int) uint64 {
	h := [1]uint64{types.HashSeed}
	for _, c := range cols {
		types.HashColumn(h[:], row, len(row), c) // HashValue, fixed-size kinds inline
	}
	return h[0]
}
