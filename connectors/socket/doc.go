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
//     textsrc); a bad row is reported with host:port and its stream offset.
//
// Source: one split ('socket'), unbounded unless 'scan.bounded'. OpenSplit
// connects (an unreachable server is an error). Next returns within about
// 100 ms when no record is complete (read deadlines) and promptly when its
// context is cancelled. Position: the number of bytes consumed up to the
// end of the last record returned, 8 bytes big-endian. A socket cannot be
// rewound: reopening at a position reconnects and continues counting from
// it with whatever the server sends next.
package socket
