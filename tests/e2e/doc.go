// Package e2e holds end-to-end exactly-once tests against real protocol
// peers: a Kafka wire-protocol broker (kfake, in this process, on a
// 127.0.0.1 port) and the MariaDB server on 127.0.0.1:3306. The streamsql
// binary runs as a separate process that is killed with SIGKILL several
// times and restarted with --restore latest.
//
// The Kafka→MySQL test kills a process only after each of its jobs
// completed a checkpoint in that process (a new chk-<n>/_metadata), at a
// random point before the next one; the random seed is in the test log
// and STREAMSQL_E2E_SEED=<seed> repeats it. Every restarted process must
// print, for each job, that it restores the latest checkpoint ("INFO: job
// <id>: attempt 1 restores checkpoint <n> (<dir>)"): a process that
// starts from the beginning fails the test.
//
// The tests need the MariaDB server: when it is not reachable they fail
// if the environment variable CI is set and skip otherwise, naming the
// command that starts it (bash scripts/ensure-mariadb.sh).
package e2e
