package checkpoint

import (
	"strconv"

	"github.com/streamsql/streamsql/checkpoint/storage"
	"github.com/streamsql/streamsql/state"
)

// TaskID names one parallel instance of one operator.
type TaskID struct {
	OperatorID string
	Instance   int
}

// String renders a task as "operator/instance".
func (t TaskID) String() string { return t.OperatorID + "/" + strconv.Itoa(t.Instance) }

// TaskState is what one task instance acknowledges for a checkpoint: its
// share of the job's state at the barrier.
type TaskState struct {
	OperatorID string
	Instance   int
	// Keyed is the instance's keyed state (nil when it has none).
	Keyed *state.Handle `json:",omitempty"`
	// Splits holds, for a source instance, the position of every split it
	// reads, recorded in the same step as the barrier was emitted.
	Splits []SplitState `json:",omitempty"`
	// Committables holds, for a sink instance, the transactions it
	// pre-committed at this barrier (to be committed once the checkpoint
	// completes, or on restore).
	Committables [][]byte `json:",omitempty"`
	// CommittableBytes is the size of the files the committables
	// reference outside the checkpoint's directory (e.g. a JDBC sink's
	// spill files), counted in the checkpoint's size; 0 when they carry
	// their data inline (then it is inside _metadata).
	CommittableBytes int64 `json:",omitempty"`
	// Channels holds in-flight rows recorded by an unaligned checkpoint.
	Channels []ChannelState `json:",omitempty"`
	// Watermark is the instance's current watermark at the barrier.
	Watermark int64
	// AlignmentNs is how long the instance waited, from the checkpoint's
	// first barrier on any input to its last (0 for sources); AckedAt is
	// when the coordinator received its acknowledgement, Unix ms. Both are
	// for monitoring only (restore ignores them).
	AlignmentNs int64 `json:",omitempty"`
	AckedAt     int64 `json:",omitempty"`
}

// StateSize is the bytes of the instance's state in the checkpoint: its
// keyed state (with the shared files it references) and its recorded
// in-flight rows. A sink's committable files are not state (see
// CommittableBytes).
func (t TaskState) StateSize() int64 {
	var n int64
	if t.Keyed != nil {
		n = t.Keyed.Size
	}
	for _, ch := range t.Channels {
		n += ch.Size
	}
	return n
}

// SplitState is the checkpointed position of one source split.
type SplitState struct {
	SplitID  string
	Position []byte
	// Watermark is the split's watermark (largest event time minus delay).
	Watermark int64
}

// ChannelState is a file of rows that were in flight on one input of an
// operator instance when an unaligned checkpoint was taken; they are
// replayed into that input (routed by KeyCols at another parallelism)
// before anything else on restore.
type ChannelState struct {
	Input   int
	Path    string
	Rows    int64
	Size    int64
	KeyCols []int `json:",omitempty"`
	// From is the operator id of the upstream vertex whose rows these are
	// (absent in checkpoints of earlier versions). A restore whose plan
	// feeds the input from another operator (e.g. the global phase of a
	// two-phase aggregate fed by its local phase instead of by the rows
	// themselves) cannot replay them.
	From string `json:",omitempty"`
}

// OperatorState groups the task states of one operator (vertex).
type OperatorState struct {
	ID          string
	Name        string
	Parallelism int
	Tasks       []TaskState
}

// MetadataVersion is the current format version of _metadata.
const MetadataVersion = 1

// Metadata is the content of a checkpoint's or savepoint's _metadata
// file. A checkpoint exists (is complete) exactly when its _metadata
// exists and is intact.
type Metadata struct {
	JobID        string
	JobName      string
	CheckpointID int64
	Savepoint    bool
	// TriggeredAt and CompletedAt are wall-clock Unix milliseconds.
	TriggeredAt    int64
	CompletedAt    int64
	MaxParallelism int
	Operators      []OperatorState
	// Stage is set in the checkpoints of a unit of a job cut into stages:
	// how many units its stage ran as, and since when (omitted otherwise;
	// releases before it ignore it).
	Stage *StageLayout `json:",omitempty"`
	// Size is the bytes this checkpoint needs (including shared files it
	// references); IncrementalSize the bytes it wrote anew.
	Size            int64
	IncrementalSize int64

	// Storage and Dir say where a Metadata read back from storage (by
	// Store.Latest, Store.Load, Load, LoadLocal) was found: the file paths
	// in it are relative to Storage's root, and Dir is its directory
	// there. Restoring tasks read their files from Storage. Neither is
	// stored; both are zero in Metadata built by the Coordinator.
	Storage storage.Storage `json:"-"`
	Dir     string          `json:"-"`
}

// StageLayout is the unit layout a unit's checkpoint was taken under:
// Units is how many units the unit's stage ran as, Since the layout's id
// (the epoch milliseconds of the start that chose it: for the layout a
// run was submitted with, the run id, execution.stages.run-id). A start with another unit count restores the
// units of the new layout from the checkpoints of the newest layout (see
// SCALEOUT.md, "Rescaling a staged job").
type StageLayout struct {
	Units int
	Since int64 `json:",omitempty"`
}
