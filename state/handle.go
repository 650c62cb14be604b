package state

import "github.com/streamsql/streamsql/checkpoint/storage"

// Handle describes the stored keyed state of one operator instance at one
// checkpoint. It is recorded in the checkpoint's metadata and given back to
// Backend.Restore, possibly at another parallelism and possibly to another
// kind of backend.
type Handle struct {
	OperatorID string
	Instance   int
	KeyGroups  KeyGroupRange
	// Backend that wrote it ("hashmap", "pebble"; in changelog mode, the
	// backend that wrote the materialisation).
	Backend string
	// Format of the files: FormatFull is canonical and self-contained
	// (every backend reads it; savepoints always use it); FormatPebbleSST
	// is a Pebble checkpoint (an index file first, then SST files shared
	// between incremental checkpoints and the database's small files).
	// Every backend restores both.
	Format string
	Files  []FileRef
	// Size is the total size of the files this state needs (Files and
	// Changelog); IncrementalSize is what this checkpoint wrote anew.
	Size            int64
	IncrementalSize int64
	// Changelog segments appended after the materialised state, in order
	// (changelog mode only). Restore applies them after loading Files.
	Changelog []FileRef `json:",omitempty"`
}

// Handle formats.
const (
	FormatFull      = "full-v1"
	FormatPebbleSST = "pebble-sst-v1"
)

// FileRef is one stored file of a state handle. Path is relative to the
// storage root. Shared files live under <job>/shared/ and may be
// referenced by several checkpoints (incremental checkpoints, changelog
// segments and materialisations); the others belong to exactly one
// checkpoint directory.
//
// The checkpoint store owns deletion: it may delete a checkpoint's own
// files when it discards the checkpoint, and a shared file once no
// retained checkpoint references it. Backends rely on exactly that: they
// reuse only shared files referenced by the latest checkpoint they were
// told completed (or restored from), and only those under the current
// target's SharedDir (a job restored from another job's checkpoint
// uploads its own copies first).
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
	// Without it a backend writes a self-contained snapshot.
	SharedDir string
	// Savepoint requests the canonical, self-contained format (FormatFull,
	// no changelog), which does not change what later incremental
	// checkpoints build on.
	Savepoint bool
	// CheckpointID identifies the snapshot; ids strictly increase within
	// a backend's life.
	CheckpointID int64
	// Committed is the newest checkpoint the store had committed when this
	// one was triggered (0: none). It is complete even if the backend has
	// not heard so yet (CheckpointComplete travels apart from the
	// barrier), and retention keeps what it references until this
	// snapshot is committed or discarded: an incremental snapshot builds
	// on it, never on an older one whose files retention may already
	// have deleted.
	Committed int64
}

// Snapshotter is implemented by every Backend: it writes the state of all
// registered states at a checkpoint barrier and restores it on start.
//
// Order of calls (from the operator instance's goroutine): Restore (only
// when restoring, before any NewKeyedMap), then any number of Snapshot
// calls, each followed eventually by CheckpointComplete or by nothing (an
// aborted checkpoint), then Close. CheckpointComplete may also come from
// another goroutine.
// AsyncSnapshotter is a Snapshotter whose snapshot has a synchronous and
// an asynchronous phase (as Flink's): SnapshotAsync captures the state as
// of now and returns; the returned finish writes what was captured and
// returns the handle once it is durable. finish may run on another
// goroutine while the owner keeps changing the state, and snapshots may
// overlap (each finish writes only its own capture).
type AsyncSnapshotter interface {
	SnapshotAsync(t SnapshotTarget) (finish func() (*Handle, error), err error)
}

type Snapshotter interface {
	// Snapshot writes the state as of now and returns its handle once
	// every file it lists is durable. States restored but not registered
	// yet are written unchanged.
	Snapshot(t SnapshotTarget) (*Handle, error)
	// Restore loads the key groups this instance owns from handles written
	// at any parallelism (each handle's KeyGroups tells what it holds;
	// handles must not overlap). Damaged or missing files give an error
	// naming the file. Restored entries wait, as encoded bytes, until
	// NewKeyedMap registers their state and decodes them with its Codec.
	Restore(st storage.Storage, handles []*Handle) error
	// CheckpointComplete tells the backend that checkpoint id completed
	// (an incremental backend may now treat its files as the base).
	CheckpointComplete(id int64)
	// Close releases resources (files of a local database).
	Close() error
}
