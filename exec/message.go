package exec

import (
	"math"

	"github.com/streamsql/streamsql/types"
)

// Watermark bounds. A watermark is event time in milliseconds: no row with
// event time <= watermark is expected any more.
const (
	MinWatermark int64 = math.MinInt64 // no event-time progress yet
	MaxWatermark int64 = math.MaxInt64 // end of input: every window fires
)

// MsgKind is the kind of a message on an edge.
type MsgKind uint8

const (
	MsgBatch     MsgKind = iota // Batch holds rows
	MsgWatermark                // Watermark holds the sender's new watermark
	MsgBarrier                  // Barrier holds a checkpoint barrier
	MsgEnd                      // the sender has no more messages on this channel
)

// Barrier is a checkpoint barrier.
type Barrier struct {
	CheckpointID int64
	// Savepoint is set for savepoint barriers.
	Savepoint bool
}

// Message is one unit on an edge. Exactly the field matching Kind is set.
// Errors never travel as messages: a failing task cancels the job.
type Message struct {
	Kind      MsgKind
	Batch     *types.Batch
	Watermark int64
	// Idle, on a MsgWatermark, says the sender is idle (its watermark
	// does not advance for lack of input, see watermarkValve): the receiver
	// leaves this channel out of its minimum watermark until the sender is
	// active again: a MsgWatermark without Idle, whose Watermark is then
	// the sender's current one (not necessarily an advance). Batches do not
	// change the status: a sender sends that watermark before the rows of
	// an active period, and rows an idle sender emits (from a timer) leave
	// it idle.
	Idle    bool
	Barrier Barrier
	// Borrowed, on a MsgBatch handed to a chained task (never one sent on
	// a channel), says that Batch stays the sender's: the receiver reads it
	// within the call and neither keeps, changes nor recycles it. Only tasks
	// whose operator implements InputBorrower get such batches.
	Borrowed bool
}
