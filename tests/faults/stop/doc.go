// Package stop checks that every stop is honoured within about a second
// whatever an operator is doing (issue: a SIGTERM took minutes while a
// HOP window with a huge size/slide ratio was firing).
//
// The busy operator is a HOP(1 s, 100000 s) COUNT over 2000 keys: at the
// end of its bounded input it fires 2000 x 100000 windows inside one
// ProcessWatermark call, minutes of work. The tests run it as a separate
// streamsql process (built in TestMain) with checkpointing on and send
// SIGTERM or SIGINT, and through the engine API with STOP JOB (with and
// without a savepoint); each asserts that the stop is honoured within
// 2 s, how the process exits, and what it says. An idle job stopped the
// same way still takes its final checkpoint.
//
// The package holds only tests; it is skipped with -short.
package stop
