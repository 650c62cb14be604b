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
// and pending files). The split ID is the file name. Position: the byte
// offset just after the last row returned (after its line break), 8 bytes
// big-endian; reopening at a position continues exactly with the next row,
// whatever the batch sizes and wherever the read buffer was cut (a quoted
// CSV field spanning lines is part of one record); a header is skipped
// only when reading from offset 0, and a file shorter than the position is
// an error. Bad rows are reported with the file path and the
// byte offset of the row start. Files are read in large chunks; a reader
// holds its file open and its buffer only while reading it.
//
// Sink: writes Insert rows as lines; any other op is an error naming the
// table (the sink does not accept a changelog: AcceptsChangelog is false).
// Rows go to a hidden in-progress file; nothing becomes visible before it
// is committed, and Close discards what is not pre-committed or flushed.
// The writer commits in one of two ways, chosen by the runtime:
//
//   - With checkpointing it is a connectors.TwoPhaseCommitWriter, exactly
//     once. PreCommit(n) syncs and closes the in-progress file and renames
//     it to a hidden pending file named after checkpoint n (durable,
//     invisible); its committable (JSON) names the pending file and the
//     final name. The committables of PreCommit(n) also repeat every
//     earlier pending file not committed yet (a checkpoint that did not
//     complete), so committing checkpoint n commits everything written
//     before barrier n. Commit renames each pending file to its final name
//     (idempotent: a missing pending file whose final file exists was
//     committed before). Open deletes the in-progress files of earlier
//     attempts of the instance; Recover(committables of the restored
//     checkpoint) commits them and deletes the instance's other pending
//     files (written by an attempt after that checkpoint), and the numbering
//     of part files continues after the restored ones, so the replay
//     produces the same names. At the end of a bounded input the runtime
//     calls PreCommit and Commit; Flush is not used.
//   - Without checkpointing Flush commits at once what was written since the
//     previous Flush (the runtime calls it at the end of input).
//
// Directory mode ('path' is a directory), instance i, extension ext (csv,
// json, txt):
//   - committed files: 'part-<i>-<seq>.<ext>', seq counting up per instance
//     from the highest number already committed (a new job never overwrites
//     the files of an earlier one); committed by rename after a sync.
//   - in progress: '.part-<i>-<token>.<ext>.inprogress' (token: random per
//     writer, so attempts never collide).
//   - pending: '.part-<i>-<seq>.<ext>.chk-<n>.<token>.pending'.
//
// The final name depends only on the instance and seq, and the restored
// committables fix seq: a replay after a restore produces the same names,
// and a pending file of the replay replaces a file of the same name that an
// attempt after the restored checkpoint may have committed. On restore at a
// different parallelism q, the runtime must give the committables of the
// former instance k to instance k when k < q (any instance may commit
// those of instances k >= q); instance i deletes the leftovers of former
// instances k >= q with k mod q = i once a checkpoint has completed after
// the restore.
//
// Single-file mode ('path' names a file; parallelism 1 only): a commit
// appends a part to the file. Exactly once too: each committable records
// the offset in the file where its part starts (the file's size when the
// writer opened, or the end of the restored parts, plus the earlier
// parts) and its size. Commit appends the pending part at that offset:
// when the file already holds the part's bytes there, it was committed
// before (also in part, after a crash while appending: only the missing
// tail is appended); when the file holds other bytes there (appended by an
// attempt after the restored checkpoint), they are replaced. The file
// belongs to the sink: other writers must not append to it. Files:
// in progress '.<file>.<token>.inprogress', pending
// '.<file>.<k>.chk-<n>.<token>.pending' in the file's directory. Without
// checkpointing each Flush appends to the file (or creates it).
//
// A PreCommit or Flush with nothing written since the previous one
// commits nothing.
package filesystem
