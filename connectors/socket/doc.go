// Package socket is the 'socket' connector: a source that connects as a
// client to a TCP server (as Flink's socketTextStream does, e.g. against
// `nc -lk 9100`) and reads records from it.
//
// Options:
//   - 'hostname' (also 'host'; required) and 'port' (required).
//   - 'format': 'text' (default: the whole record is the value of the
//     table's single column, usually STRING), 'csv' or 'json', with the
//     format options of package format.
//   - 'byte-delimiter': the byte that ends a record (default a line break,
//     with a preceding '\r' dropped): a number 0..255 (Flink's form, e.g.
//     '10'), a single character, or an escape '\n', '\t', '\0'.
//   - 'scan.bounded' (default false): when true the source is bounded and a
//     clean end of the stream from the peer ends the split (a last record
//     without a delimiter is read); otherwise the end of the stream is an
//     error, like any other connection failure, so the job's restart
//     strategy takes over.
//   - 'format.ignore-parse-errors' (also 'csv.ignore-parse-errors',
//     'json.ignore-parse-errors'): skip and count bad rows (see package
//     textsrc); a bad row is reported with host:port, its line number
//     and its stream offset: "socket 127.0.0.1:9000, line 17 (byte
//     offset 512)". Lines are records ended by the delimiter byte,
//     counted from the start of the write-ahead log (or, without one,
//     of the first connection); a position of an earlier version
//     (the offset alone) gives offsets only.
//   - 'scan.wal' (default true): keep a write-ahead log when checkpointing
//     is on (Env.StateDir is set); 'false' turns it off.
//
// Source: one split ('socket'), unbounded unless 'scan.bounded'. OpenSplit
// connects (an unreachable server is an error). Next returns within about
// 100 ms when no record is complete (read deadlines) and promptly when its
// context is cancelled. Position: the number of bytes consumed up to the
// end of the last record returned and the number of lines before it,
// 8 bytes big-endian each.
//
// Without a write-ahead log a socket cannot be rewound: reopening at a
// position reconnects and continues counting from it with whatever the
// server sends next (rows received after the checkpoint by the failed
// attempt are lost).
//
// Write-ahead log (checkpointing on, 'scan.wal' not 'false'): every chunk
// received from the socket is appended to the split's log before any of
// its rows is returned, and positions are offsets in the log, so a restore
// replays exactly once. The reader is a connectors.CheckpointedReader:
//   - SnapshotPosition(n) syncs the log and returns the log offset after
//     the last row returned.
//   - OpenSplit at a position replays the log from that offset (those rows
//     come before any new socket data), then reads the new connection. A
//     record cut off at the end of the log (its connection is gone) is
//     dropped from the log, having never been returned.
//   - OpenSplit without a position starts a new log at offset 0 (an old log
//     of the split is deleted: a job that starts without a checkpoint
//     starts from scratch). To replay everything a first attempt received,
//     a runtime can pass the position 0 (8 zero bytes) instead.
//   - CheckpointComplete(n) deletes the log segments wholly before the
//     position of the checkpoint that completed before n (so the previous
//     checkpoint stays restorable too); restoring an older position is an
//     error saying the log no longer holds it.
//
// The log of a split lives in <StateDir>/socket/ as segment files
// '<table>-<split>-<start>.wal' (table and split lower-cased, characters
// other than letters, digits and '_' replaced, with a hash of the name
// then added; start: the log offset of the segment's first byte, 20
// digits). The names are stable across restarts of the same job, so
// Env.StateDir must be private to the job. A new segment starts at a
// snapshot once the current one holds 8 MiB. If no log exists when
// restoring (e.g. 'scan.wal' was just turned on), a new one starts at the
// position. A failure to write the log fails the job.
package socket
