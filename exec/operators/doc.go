// Package operators holds the SQL operators that run inside exec tasks:
// Calc (filter/project, also UNION ALL), Expand (one row per grouping set,
// stateless, under an aggregate with GROUPING SETS), WindowAgg (TUMBLE, HOP, CUMULATE,
// SESSION group windows; also the global phase of a two-phase window
// aggregate, merging the partial accumulators of LocalWindowAgg, which
// folds rows per key and slice before the exchange and holds no state:
// windowagg_partial.go), GroupAgg (non-windowed GROUP BY, changelog
// output), Join (regular, interval and window equi-joins: inner, LEFT /
// RIGHT / FULL outer, semi and anti; without key columns the nested-loop
// join, every row in one key; see NewJoin) and Over (OVER
// aggregates: state "over", one entry per partition with its waiting rows,
// the rows its bounded frames cover and the frames' accumulators), SetOp
// (INTERSECT/EXCEPT [ALL]: state "rows", per distinct row its count in
// each input) and TimeSort (ORDER BY an ascending time attribute on a
// stream: state "sort", per time the rows waiting for the watermark).
//
// Contracts shared by every operator:
//   - The task calls the exec.Operator hooks from one goroutine. Rows are
//     processed in arrival order, a whole batch per call; output goes to
//     ctx.Out, and rows emitted while handling a watermark precede that
//     watermark downstream.
//   - Keyed operators expect their input hash-partitioned on their key
//     columns: a row's key group is
//     ctx.KeyGroupOfHash(exec.HashKey(row, keyCols)), the group the Hash
//     edge routed it by. Keyless aggregates run as a single group.
//   - Everything that decides results lives in ctx.State, in keyed maps
//     with real codecs (each operator documents its maps). The Put that
//     follows an in-place mutation is amortised (store.go): it is issued
//     at the next checkpoint barrier (SnapshotState), at Finish (on a
//     serialising backend, whose state nothing reads after Finish, it is
//     left pending), or when many entries are pending — never later than
//     the barrier. On Pebble the stores keep a bounded cache of decoded
//     entries across these write-backs (state.backend.pebble.cache.entries,
//     and in bytes the job's managed memory; operators whose entries grow
//     between write-backs report it with store.grew).
//     Operator-local indexes
//     (timers: window end -> keys; the window aggregate's hot index of
//     pointers to live slices; the state TTL's expiry index) are caches
//     rebuilt from state in Open.
//   - GroupAgg and the regular Join honour a state TTL
//     (table.exec.state.ttl): a key's state idle for the TTL in processing
//     time (ctx.Now) is never used again and is removed by OnTick; the
//     last-access time is part of the state (see ttl.go).
//   - Event-time operators store their watermark per key group at
//     barriers, so that after a restore a row is late exactly when it would
//     have been late without the failure.
//   - A window fires when the watermark reaches end - 1 and emits once;
//     ProcessWatermark(exec.MaxWatermark) at end of input fires everything.
//     Under an emit strategy (NewWindowAggEmit: allowed lateness, early
//     and late firing) TUMBLE, HOP and CUMULATE run in emitAgg instead,
//     whose output is a changelog (windowemit.go); the default path does
//     not look at the strategy.
//   - Hot paths allocate nothing per row once warm: keys are encoded with
//     types.AppendKey into reused buffers and looked up as []byte.
package operators
