// Package testkit holds the set-up code that the tests of several
// packages share. It is imported only by tests (files ending in _test.go)
// and by packages that exist only for tests (tests/...); production code
// never imports it.
//
// What it offers:
//
//   - BuildBinary, BuildStreamsql and MainWithBinary build the streamsql
//     command (./cmd/streamsql) into a temporary directory, for tests that
//     run it as a process: BuildBinary once per test, MainWithBinary once
//     per test binary from TestMain.
//   - MariaDBAddr, MariaDBConfig, OpenMariaDB, RequireMariaDB,
//     MariaDBUnreachable and OwnDatabase reach the MariaDB (or MySQL)
//     server of the test setup (root without a password on
//     127.0.0.1:3306). A test that needs the server and cannot reach it
//     fails when the environment variable CI is set and skips otherwise,
//     with a message saying how to start the server.
//   - SyncBuffer is an output buffer that a running job or process writes
//     while the test reads it.
//   - CommittedLines reads back what a filesystem sink committed.
//   - LongOr and LongSum build the long expression chains that the
//     planning and binding tests of sql and engine use.
//   - StartProcess runs a command (usually the built binary) and collects
//     its output; the Process it returns tells when it has ended and
//     kills it (SIGKILL) on request or at the end of the test.
//   - CompletedCheckpoints, WaitForNewCheckpoints and Restores serve the
//     kill tests: which checkpoints are complete under a checkpoint root,
//     waiting until each job completed a newer one before a kill, and
//     which checkpoint each attempt of a restarted process restored (the
//     engine's "INFO: job ...: attempt N restores checkpoint ..." lines),
//     or whether one started from the beginning.
//   - StartPTY runs a process on a pseudo-terminal as its controlling
//     terminal and collects what it writes to the screen, for tests of
//     the interactive shell.
package testkit
