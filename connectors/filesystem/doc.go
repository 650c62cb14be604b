// Package filesystem is the 'filesystem' connector: it reads and writes
// files of text records (one row per line) in the csv, json or text
// format.
//
// Options:
//   - 'path' (required): a file, or a directory. A sink path ending with
//     '/' is a directory even when it does not exist yet.
//   - 'format' (required): 'csv', 'json', or 'text' (alias 'raw': the line
//     is the value of the table's single column).
//   - format options: 'csv.field-delimiter', 'csv.quote-character',
//     'csv.disable-quote-character', 'csv.null-literal',
//     'csv.ignore-first-line' (source: skip a header line of each file),
//     'csv.allow-comments', 'json.fail-on-missing-field' (see package format).
//   - 'format.ignore-parse-errors' (also 'csv.ignore-parse-errors',
//     'json.ignore-parse-errors'): skip and count bad rows instead of
//     failing (see package textsrc for the policy).
//
// Source: bounded. A file is one split; a directory gives one split per
// regular file directly inside it, sorted by name, skipping hidden files
// (names starting with '.' or '_', which includes the sink's in-progress
// files). The split ID is the file name. Position: the byte offset just
// after the last row returned, 8 bytes big-endian; reopening at a position
// continues exactly with the next row (a header is skipped only when
// reading from offset 0). Bad rows are reported with the file path and the
// byte offset of the row start. Files are read in large chunks; a reader
// holds its file open and its buffer only while reading it.
//
// Sink: writes Insert rows as lines; any other op is an error naming the
// table (the sink does not accept a changelog: AcceptsChangelog is false).
// Rows are written to a hidden in-progress file and committed by Flush:
// Flush is the commit point (the engine calls it when a checkpoint
// completes and at the end of input). Nothing written after the last Flush
// becomes visible: Close discards it.
//   - When 'path' is a directory, instance i of the sink commits each
//     flushed file as 'part-<i>-<n>.<ext>' (ext: csv, json, txt), with n
//     counting up from the highest number already present for that
//     instance; the in-progress file is '.part-<i>-<n>.<ext>.inprogress'.
//     A commit writes, syncs and renames the file into place.
//   - When 'path' is a file, the sink needs parallelism 1; the first commit
//     renames the in-progress file to 'path' (or appends to 'path' when it
//     exists), later commits append to it.
//
// A Flush with nothing written since the previous one commits nothing.
package filesystem
