package state

import "github.com/streamsql/streamsql/checkpoint/storage"

// Handle describes the stored keyed state of one operator instance at one
// checkpoint. It is recorded in the checkpoint's metadata and given back to
// Backend.Restore, possibly at another parallelism.
type Handle struct {
	OperatorID string
	Instance   int
	KeyGroups  KeyGroupRange
	// Backend that wrote it ("hashmap", "pebble").
	Backend string
	// Format of the files: FormatFull is canonical and self-contained
	// (every backend reads it; savepoints always use it); FormatPebbleSST
	// is a set of Pebble SST files (with shared files for incremental
	// checkpoints), readable by the pebble backend only.
	Format string
	Files  []FileRef
	// Size is the total size of the files this state needs; IncrementalSize
	// is what this checkpoint wrote anew.
	Size            int64
	IncrementalSize int64
	// Changelog segments appended after the materialised state, in order
	// (changelog mode only).
	Changelog []FileRef `json:",omitempty"`
}

// Handle formats.
const (
	FormatFull      = "full-v1"
	FormatPebbleSST = "pebble-sst-v1"
)

// FileRef is one stored file of a state handle. Path is relative to the
// storage root. Shared files live under <job>/shared/ and may be
// referenced by several checkpoints (incremental checkpoints); the others
// belong to exactly one checkpoint directory.
type FileRef struct {
	Path   string
	Size   int64
	Shared bool `json:",omitempty"`
}

// SnapshotTarget says where Backend.Snapshot writes.
type SnapshotTarget struct {
	Storage storage.Storage
	// Dir is the checkpoint's directory, e.g. "<job>/chk-7" or a savepoint directory.
	Dir string
	// SharedDir is "<job>/shared" (incremental files); empty for savepoints.
	SharedDir string
	// Savepoint requests the canonical, self-contained format.
	Savepoint    bool
	CheckpointID int64
}

// Snapshotter is implemented by every Backend: it writes the state of all
// registered states at a checkpoint barrier and restores it on start.
//
// Order of calls (from the operator instance's goroutine): Restore (only
// when restoring, before any NewKeyedMap), then any number of Snapshot
// calls, each followed eventually by CheckpointComplete or by nothing (an
// aborted checkpoint), then Close.
type Snapshotter interface {
	// Snapshot writes the state as of now and returns its handle.
	Snapshot(t SnapshotTarget) (*Handle, error)
	// Restore loads the key groups this instance owns from handles written
	// at any parallelism (each handle's KeyGroups tells what it holds).
	Restore(st storage.Storage, handles []*Handle) error
	// CheckpointComplete tells the backend that checkpoint id completed
	// (an incremental backend may now treat its files as the base).
	CheckpointComplete(id int64)
	// Close releases resources (files of a local database).
	Close() error
}
