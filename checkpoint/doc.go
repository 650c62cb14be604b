// Package checkpoint coordinates and stores checkpoints and savepoints,
// following Apache Flink's model.
//
// The Coordinator (coordinator.go) is the protocol of one job run as a
// pure state machine with an injected clock: it decides when checkpoint n
// is triggered (the runtime injects barrier n at every source split),
// collects every task's acknowledgement (TaskState), asks for the
// metadata to be persisted, and then says that the checkpoint is
// complete (sinks commit) or aborted. It enforces the
// execution.checkpointing.* settings: interval, timeout, min-pause,
// max-concurrent-checkpoints and tolerable-failed-checkpoints. It returns
// Actions; the runtime carries them out and reports back.
//
// The Store (store.go) lays checkpoints out in a storage.Storage:
// <job>/chk-<n>/ holds a checkpoint's files and, once complete, its
// _metadata (written last, atomically, in a checksummed envelope);
// <job>/shared/ holds the files incremental checkpoints share; savepoints
// are self-contained directories savepoint-<job>-<n>-<suffix> in the
// savepoints storage and may be moved. The Store commits metadata,
// applies state.checkpoints.num-retained retention with reference-counted
// shared files, finds the latest intact checkpoint for a restore (skipping
// damaged or partial ones with a warning), and loads a checkpoint or
// savepoint by path.
//
// List and FormatList (list.go) describe the checkpoints and savepoints
// under a directory, as `streamsql checkpoints DIR` shows them.
//
// Metadata (metadata.go) is what a _metadata file holds: every task's
// state handles, source split positions, sink committables and channel
// state, grouped by operator.
package checkpoint
