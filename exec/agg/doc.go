// Package agg holds the accumulators of SQL aggregate functions (COUNT,
// COUNT(*), SUM, MIN, MAX, AVG, each optionally DISTINCT) used by the
// window and group aggregate operators, and the binary encoding that keyed
// state stores them with.
//
// Contract:
//   - Compile turns the plan's AggCalls into a Funcs, owned by one operator
//     instance (it keeps scratch buffers; not for concurrent use).
//   - An Acc holds one group's accumulators, one Slot per call, plus the net
//     number of rows added (Rows). Add/Retract fold one input row in or
//     out; Merge folds another Acc in (panes into windows, slices into
//     cumulative windows); Results computes the output values.
//   - Semantics: COUNT(x) counts non-NULL x, COUNT(*) counts rows; SUM, MIN,
//     MAX and AVG over no non-NULL value are NULL; DISTINCT folds each
//     distinct non-NULL value once. SUM is exact for integers and decimals
//     (unscaled int64 at the argument's scale); AVG into DECIMAL rounds
//     half away from zero to the result scale, AVG into an integer type
//     truncates, AVG into DOUBLE divides in floating point. Each result has
//     the kind of its AggCall.Type.
//   - Retraction: with retract set at Compile, MIN and MAX keep a multiset
//     of values (value -> count) so that removing the current extreme
//     recomputes it; DISTINCT always keeps one. Without it, retracting a row
//     from a MIN/MAX accumulator is an error.
//   - Hot path: Add and Retract do not allocate for COUNT/SUM/AVG/MIN/MAX
//     over plain columns; DISTINCT and retractable MIN/MAX allocate once
//     per new distinct value.
//   - Encoding (AppendAcc/DecodeAcc, AppendValue/DecodeValue) is
//     self-describing and deterministic (multisets are written in key order).
package agg
