// Package datagen is the 'datagen' connector: a source of synthetic rows,
// with Flink's options.
//
// Options:
//   - 'rows-per-second' (default 10000): the rate of the whole source,
//     shared evenly by its splits; 0 means as fast as possible.
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
// timestamps. Splits(n) returns n splits; split k of n generates the rows
// i = k, k+n, k+2n, ... so the union of the splits is the single-split
// output at any parallelism, and each split's sequence values ascend. The
// split ID is 'datagen-<k>-of-<n>'.
//
// Position: the number of rows the split has generated, 8 bytes
// big-endian; reopening at a position continues exactly with the next row.
//
// Rate limiting uses Env.Now: a reader generates the rows due since it
// started reading, sleeping (at most 100 ms per call, returning early on
// context cancellation) when none is due.
package datagen
