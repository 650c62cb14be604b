// Package state holds the keyed state of operators, split into key groups
// so that it can be snapshotted by checkpoints and redistributed when a job
// restores at another parallelism.
//
// Contract: operators never keep state that matters for results in their
// own fields; they read and write it through a Backend's typed maps. A
// value obtained by Get may be mutated in place, but the operator must call
// Put afterwards (the memory backend makes that cheap; a serialising
// backend depends on it). A Backend and its maps belong to one operator
// instance and are used from that instance's goroutine only.
//
// Key groups follow Flink: group = hash(key) mod maxParallelism; instance i
// of p owns the contiguous range [ceil(i*max/p), ceil((i+1)*max/p)).
//
// Backends (Config.NewBackend builds one from the state.backend.* settings):
//
//   - HashMapBackend: Go values in memory; a snapshot is one FormatFull
//     file, or with incremental checkpoints a delta of the entries
//     changed and deleted since the last completed checkpoint (a
//     changelog segment) over a shared FormatFull base, which is written
//     again once the deltas reach HashMapOptions' bounds. A value whose
//     Codec is a TailCodec (a join's bag of rows) and that only grew is
//     written as what it grew by (an append entry). The handle is
//     FormatFull with changelog segments, so every backend restores it.
//   - PebbleBackend: one Pebble database per instance on local disk; a
//     snapshot is a FormatFull file, or with incremental checkpoints a
//     Pebble checkpoint whose SST files are uploaded once and shared by
//     later checkpoints (FormatPebbleSST). It implements EntryCache:
//     callers keep up to PebbleOptions.CacheEntries decoded entries per
//     state in front of it, and its maps take presence hints
//     (KnownWriter), list their keys (KeyRanger) and tell the encoded
//     size of what they read and write (ValueSizer) for such a cache.
//     With a MemoryBudget (a job's managed memory) the backends of a job
//     share one block cache, size their memtables from it and bound each
//     state's entry cache in bytes.
//   - ChangelogBackend: changelog mode over either; a checkpoint writes the
//     keys changed since the last completed one, and the full state is
//     materialised every few checkpoints.
//
// The memory backend's Restore reads and checks each file whole (its
// checksum, and that every block of the key groups it owns holds its
// entries) and keeps the blocks as they are, with the changes of the
// changelog segments by key; each state's entries are decoded when it
// registers (NewKeyedMap), its key groups on up to GOMAXPROCS goroutines,
// straight from the file's bytes into maps sized from the file's index.
// Until then the files stay in memory. Restored keys share blocks of
// 16 KiB (a block is freed once all its keys are deleted).
//
// Every backend restores every format, at any parallelism, and savepoints
// are always FormatFull, so a savepoint moves between backends. File
// layouts are documented in statefile.go (FormatFull and changelog
// segments) and pebbleindex.go (FormatPebbleSST).
//
// A FormatFull file or changelog segment is built in memory while it is
// small: up to 4 MiB (spillThreshold), in a buffer sized from the size the
// backend expects (the previous file's) or grown by copying. Past that it
// is written on as it is encoded to a temporary file (os.TempDir for the
// memory backend and changelog segments, the Pebble backend's working
// directory for its full files), which the storage then
// takes with Storage.PutFile (a rename on local storage on the same
// filesystem, a streamed copy on another, an upload on S3). The file is
// the same byte for byte either way; its header and checksum are written
// last (the checksum computed as the chunks are written, and combined
// with the header's). A spilled file's
// buffer is handed to a goroutine that writes it (state/spiller.go)
// whenever the next entry would not fit, and encoding goes on into a
// second buffer meanwhile (two per file being written, reused);
// the memory backend keeps its last file's buffer (at most about 4 MiB)
// for its next file instead of allocating one per checkpoint. A checkpoint of large
// state thus holds one chunk of the file in memory, not the whole file
// (the memory storage, used in tests, still reads it whole). The memory
// backend's asynchronous snapshot encodes in its synchronous phase, while
// the spiller writes the chunks to the temporary file (the page cache)
// beside it, and waits for the writes, checksums and stores the file in
// its asynchronous phase; a snapshot whose
// asynchronous phase is never run (the task failed in between) leaves its
// temporary file behind until the temporary directory is cleaned.
package state
