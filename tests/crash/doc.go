// Package crash holds the crash test driven from outside: two bounded
// jobs (a filter/projection and a tumbling-window count and sum per key)
// run as a separate streamsql process that is killed with SIGKILL a
// random fraction of a checkpoint interval after each job completed a
// checkpoint of that process, and restarted with --restore latest (at
// parallelism 1, 2 and 3 in turn) until it finishes. Every restarted
// process must print, for each job, that it restored a checkpoint that
// was complete before the kill; starting over fails the test. The
// committed output must equal, with no duplicate and nothing missing, the
// answer MariaDB computes with SQL from the same input files (the test
// fails in CI, and skips elsewhere, when MariaDB is not reachable).
// The kill points come from a seed the test logs; STREAMSQL_CRASH_SEED
// replays one.
package crash
