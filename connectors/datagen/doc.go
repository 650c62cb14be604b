// Package datagen is the 'datagen' connector: a source of synthetic rows,
// with Flink's options.
//
// Options:
//   - 'rows-per-second' (default 10000): the rate of the whole source,
//     shared evenly by its splits; 0 means as fast as possible.
//   - 'splits' (default 8): the number of splits, fixed whatever the
//     parallelism (the planner runs at most this many source tasks).
//   - 'number-of-rows': the total number of rows; the source is bounded
//     when it is set (or when a field is a sequence).
//   - 'seed' (default 0): the seed of the random values.
//   - 'fields.<col>.kind': 'random' (default) or 'sequence'.
//   - 'fields.<col>.min' / 'fields.<col>.max': bounds of random numbers,
//     dates and intervals (inclusive; DOUBLE: [min, max)). Defaults: the
//     range of the integer type, ±(10^p - 1) scaled for DECIMAL(p,s), [0, 1)
//     for DOUBLE; a random DATE without bounds is today.
//   - 'fields.<col>.start' / 'fields.<col>.end' (required for a sequence):
//     the first and last value, inclusive. TIMESTAMP: epoch milliseconds or
//     'YYYY-MM-DD HH:MM:SS[.fff]'; DATE: 'YYYY-MM-DD' or days; a STRING
//     sequence is the decimal text of an integer sequence.
//   - 'fields.<col>.step': the sequence step (default 1; milliseconds for a
//     TIMESTAMP, also as a duration such as '1 s' or '500ms'; days for a DATE).
//   - 'fields.<col>.length' (STRING, default 100): length of random strings
//     (hexadecimal characters).
//   - 'fields.<col>.max-past' (TIMESTAMP, default 0): a random timestamp lies
//     up to this far (milliseconds or a duration) before the wall clock.
//   - 'fields.<col>.null-rate' (default 0): the probability of NULL.
//
// <col> must name a physical column of the table (errors name it). A
// TIMESTAMP column is the wall clock at generation (Env.Now) unless it is a
// sequence; BOOLEAN is random.
//
// Determinism: row i of the source (counting from 0 over the whole source)
// is a pure function of the options, the seed and i, except for wall-clock
// timestamps. Splits returns S splits ('splits'), whatever the parallelism
// it is given; split k generates the rows i = k, k+S, k+2S, ... so the union
// of the splits is the whole sequence, the same rows at every parallelism,
// and each split's sequence values ascend. The split ID is
// 'datagen-<k>-of-<S>'. The default 8 spreads evenly over 1, 2, 4 or 8
// source tasks; a job that should read with more tasks sets 'splits'.
//
// Position: the number of rows the split has generated, 8 bytes
// big-endian; reopening at a position continues exactly with the next row.
// As the split set does not depend on the parallelism, a checkpoint taken
// at one parallelism restores at any other. Changing 'splits' changes the
// split IDs: positions of the old splits do not apply (opening a split of
// another split count is an error).
//
// Rate limiting uses Env.Now: each split generates its share of the rate
// (rows-per-second / S), the rows due since it started reading, sleeping
// when none is due (at most 100 ms / S per call, at least 1 ms, so that a
// task reading all its splits in turn comes back within about 100 ms;
// returning early on context cancellation).
package datagen
