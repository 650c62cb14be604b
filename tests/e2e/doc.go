// Package e2e holds end-to-end exactly-once tests against real protocol
// peers: a Kafka wire-protocol broker (kfake, in this process, on a
// 127.0.0.1 port) and the MariaDB server on 127.0.0.1:3306. The streamsql
// binary runs as a separate process that is killed with SIGKILL several
// times and restarted with --restore latest.
package e2e
