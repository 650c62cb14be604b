// Package memory is the connector of in-memory tables: a table created
// without a 'connector' option (or with 'connector'='memory') is an
// append-only log kept in the engine's connectors.MemoryStore
// (Env.Memory). `INSERT INTO t VALUES ...` feeds it; queries over it are
// bounded.
//
// Options: none.
//
// Source: one split ("memory"). The split reads the snapshot of the log
// taken when it is opened (Env.Memory.Snapshot), in insertion order, and
// ends after its last row. Position: the index of the next row, 8 bytes
// big-endian; reopening at a position continues with that row of a new
// snapshot.
//
// Sink: appends rows to the log. Only Insert rows are accepted (the sink
// does not implement a changelog: AcceptsChangelog is false); any other op
// is an error naming the table. Rows become visible in the log when the
// writer is flushed (Flush is the commit point, called at checkpoints and
// at the end of input); rows written but not flushed when the writer is
// closed are discarded, so a job that fails and restarts from a checkpoint
// never appends them twice. Writers of several parallel instances append
// independently (the store orders whole flushes).
//
// Store is a ready MemoryStore for engines and tests.
package memory
