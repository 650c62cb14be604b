// Package sinkoutage tests that the exactly-once jdbc sink loses and
// duplicates nothing when its database becomes unreachable mid-run, and
// that a connection that hangs is reported: a TCP proxy on 127.0.0.1
// (Proxy) stands between the engine and the MariaDB server on
// 127.0.0.1:3306 and, while a checkpointed job writes a known number of
// rows through it, resets every connection for a few seconds (Reset) or
// stops forwarding bytes without closing anything (Freeze). The rows in
// the database are then counted against the generated input.
//
// The proxy can also slow every client packet down (SetDelay): the memory
// benchmark of the sink (bench/jdbc_memory_test.go) uses it to make the
// database slower than the input.
//
// The tests need the server (root without a password): they fail when it
// is not reachable and the environment variable CI is set, and skip
// otherwise. Run them with
//
//	CI=true go test -count=1 ./tests/faults/sinkoutage
package sinkoutage
