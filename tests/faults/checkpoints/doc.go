// Package checkpoints is a fault-injection suite for checkpoint
// integrity: a real checkpointed job (datagen at a fixed rate -> TUMBLE
// COUNT/SUM -> filesystem, 100 ms checkpoints) runs as a separate
// streamsql process and is killed with SIGKILL once it has several
// complete checkpoints; then one file of its latest checkpoint is damaged
// (truncated, bit-flipped, missing, unreadable) - its _metadata, a
// hashmap .state file, or a Pebble shared .sst - with each state backend,
// and the job is restored with --restore latest. Each case asserts that
// the restore fell back to the previous complete checkpoint, with a
// message naming the damaged file, and that the job's final output is
// identical to an uninterrupted run's.
//
// The suite only runs tests (no library code); it builds cmd/streamsql.
// It is skipped with -short (it runs processes for about a minute).
package checkpoints
