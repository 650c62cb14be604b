// Package agg holds the accumulators of SQL aggregate functions (COUNT,
// COUNT(*), SUM, MIN, MAX, AVG, each optionally DISTINCT; LISTAGG,
// GROUP_CONCAT, FIRST_VALUE, LAST_VALUE, STDDEV_POP/SAMP, VAR_POP/SAMP,
// BOOL_AND, BOOL_OR, COUNT(DISTINCT a, b, ...); any of them with a FILTER)
// used by the window and group aggregate operators, and the binary
// encoding that keyed state stores them with.
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
//     distinct non-NULL value once. SUM is exact for integers and decimals:
//     the accumulator is 128-bit (an int64 add with an overflow check that
//     counts wraps in the slot's carry), so a sum may pass the int64 range on the
//     way and come back (retraction, negative values). Results fails with
//     an error naming the call (e.g. "SUM(v) = 9223372036854775808 is out
//     of the range of its result type BIGINT") when the exact SUM or AVG
//     does not fit the result type: SUM(BIGINT) is BIGINT, SUM(DECIMAL(p,
//     s)) DECIMAL(18, s), AVG(BIGINT) DECIMAL(18, 4) (MySQL's DECIMAL(65)
//     does not exist here: DECIMAL holds at most 18 digits). A value is
//     never wrapped; a group aggregate emits every intermediate result, so
//     each must fit, a window only its final one. AVG into DECIMAL rounds
//     half away from zero to the result scale, AVG into an integer type
//     truncates, AVG into DOUBLE divides in floating point. Each result has
//     the kind of its AggCall.Type.
//   - The other functions (more.go): LISTAGG / GROUP_CONCAT join the
//     non-NULL values with AggCall.Sep in arrival order (GROUP_CONCAT
//     sorts by its ORDER BY keys at result time, a stable sort, NULL keys
//     first ascending; DISTINCT keeps each value's first place).
//     FIRST_VALUE / LAST_VALUE are the first / last non-NULL value folded
//     in. The variance functions keep the count, the sum and the sum of
//     squares, exactly (a big integer) for integers and decimals, in
//     floating point for DOUBLE; the result is a DOUBLE, NULL over no
//     value (and over one value for the _SAMP forms). BOOL_AND / BOOL_OR
//     count the non-NULL and the TRUE values. COUNT(DISTINCT a, b, ...)
//     keeps the distinct tuples' encodings in the DISTINCT multiset and
//     skips a row with a NULL argument. A call with a FILTER folds a row
//     in (Add) or out (Retract) only when the condition is TRUE; Acc.Rows
//     counts every row regardless.
//   - Order: Merge(dst, src) treats src's rows as arriving after dst's
//     (the operators merge HOP panes, CUMULATE steps and sessions in time
//     order), which is what LISTAGG, GROUP_CONCAT without ORDER BY,
//     FIRST_VALUE and LAST_VALUE depend on.
//   - Retraction: with retract set at Compile, MIN and MAX keep a multiset
//     of values (value -> count) so that removing the current extreme
//     recomputes it; DISTINCT always keeps one. FIRST_VALUE and LAST_VALUE
//     keep the list of values in arrival order (LISTAGG and GROUP_CONCAT
//     always do); a retraction removes the earliest entry equal to the
//     retracted value (and ORDER BY keys), so the result is the first /
//     last value still present. The other functions retract by
//     subtraction. Without retract, retracting a row from a MIN, MAX,
//     FIRST_VALUE or LAST_VALUE accumulator is an error.
//   - Hot path: Add and Retract do not allocate for COUNT/SUM/AVG/MIN/MAX
//     over plain columns; DISTINCT and retractable MIN/MAX allocate once
//     per new distinct value.
//   - Encoding (AppendAcc/DecodeAcc, AppendValue/DecodeValue) is
//     self-describing and deterministic (multisets are written in key order).
//     Optional fields are flagged per slot (the carry word only when
//     non-zero; the value list, the exact and the floating sum of squares
//     when present, after the fields that existed before them), so states
//     written before a field existed still decode.
//   - Presence sets (CompileInsertOnly): over an input that never
//     retracts, DISTINCT keeps which values occurred, not how often, in a
//     flat hash set of integers (intSet) or a map of other values; its
//     entries are written with count 0, which no multiset has, so a build
//     that reads no presence sets refuses the state instead of taking the
//     marks for counts. A set restored with counts becomes a presence set
//     at its first new row; retracting a row from a presence set is an
//     error.
//   - Shared presence sets: DISTINCT calls of integers over one expression
//     under different conditions (COUNT(DISTINCT bidder) and
//     COUNT(DISTINCT CASE WHEN price < 10000 THEN bidder END), or FILTER)
//     keep one table per group (maskSet: each value once, with a bit per
//     call that saw it), so a row costs one cache miss per expression, not
//     per call. Each call's set is a view of the table and is written as
//     its own presence set, so the format is unchanged (a call that has
//     seen no value yet while another of its group has is written as an
//     empty set rather than none); a decoded or cloned set stands alone
//     until the next row folds it into the table.
//   - Patches (MarkWritten, AppendAccChanges/DecodeAccChanges): once its
//     owner's checkpoint holds an accumulator, its multisets track the
//     values whose count changes, and a patch writes those (with their
//     counts now, 0 for a value removed) and the other fields whole; the
//     memory backend's incremental checkpoints append it to what they
//     hold instead of writing the accumulator again.
package agg
