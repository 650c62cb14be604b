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
// Integrity: before a checkpoint is restored (Latest, Load, LoadLocal)
// every file it references is checked, first for existence and recorded
// size, then by reading it: state files, changelog segments and recorded
// channels carry a checksummed envelope; a Pebble checkpoint's files are
// checked against the sizes and CRC-32C recorded in its index
// (state.VerifyHandle). Any damage makes Latest fall back to the newest
// intact checkpoint, with a warning naming the damaged file. The
// _metadata format is unchanged by this (version 1).
//
// Retention (retention.go) deletes an old checkpoint crash-safely: it
// records the shared files to delete in _discard, deletes _metadata, then
// the files and the directory; a directory without _metadata is
// incomplete (never damaged) and the next pass finishes it.
//
// List and FormatList (list.go) describe the checkpoints and savepoints
// under a directory, as `streamsql checkpoints DIR` shows them: the size
// counts _metadata and every referenced file; ListOptions.Verify (-verify)
// reads every file as a restore does.
//
// Metadata (metadata.go) is what a _metadata file holds: every task's
// state handles, source split positions, sink committables and channel
// state, grouped by operator.
package checkpoint
