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
// is an error naming the table. Rows written but neither flushed nor
// pre-committed when the writer is closed are discarded. Writers of
// several parallel instances append independently (the store orders whole
// commits). The writer commits in one of two ways, chosen by the runtime:
//
//   - With checkpointing it is a connectors.TwoPhaseCommitWriter, exactly
//     once. PreCommit(n) turns the rows written since the previous
//     PreCommit into a transaction kept by the writer; its committable
//     carries the rows themselves, encoded (in-memory tables are small),
//     with the writer's id (random per Open, and the instance) and the
//     transaction's number. PreCommit also repeats the committables of
//     earlier transactions not committed yet (a checkpoint that did not
//     complete), so committing checkpoint n commits everything written
//     before barrier n. Commit appends each transaction's rows at most
//     once: the store records, per table, the last transaction appended
//     for each writer (writers commit their transactions in order).
//     Recover commits the restored committables the same way, in this
//     process or another one (where the rows come from the committable);
//     there is nothing to abort, since rows not pre-committed lived only
//     in the failed writer. At the end of a bounded input the runtime calls
//     PreCommit and Commit; Flush is not used.
//   - Without checkpointing Flush appends the rows written since the
//     previous Flush (the runtime calls it at the end of input).
//
// The store's record of appended transactions: Store implements
// OnceAppender; with any other MemoryStore the sink keeps the record in a
// hidden log of that store (named "\x00memory-sink-commits/<table>"), one
// small row per commit.
//
// DELETE, UPDATE and REPLACE of in-memory tables replace a table's log at
// once (Store.Rewrite): readers already open keep their snapshot, so jobs
// already reading the table are unaffected.
//
// Store is a ready MemoryStore for engines and tests.
package memory
