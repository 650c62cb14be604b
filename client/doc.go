// Package client talks to a streamsql server's REST API (REST.md): it
// opens a session, runs statements in it (a SELECT over an unbounded
// input as a stream of changelog rows), lists and stops the server's
// jobs.
//
// Who calls: cmd/streamsql when -f, -e or standard input run with
// --server URL. A Client may be shared; a Session runs one statement at a
// time.
package client
