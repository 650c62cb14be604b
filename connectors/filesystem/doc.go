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
//   - 'partition.default-name' (tables PARTITIONED BY only; default
//     '__DEFAULT_PARTITION__'): see Partitioned tables.
//   - 'source.split-size' (default '64mb'; '0' for CSV with a quote
//     character, see Byte ranges): files larger than this are cut into
//     byte ranges read as separate splits; a whole number of bytes with an
//     optional unit b, kb, mb, gb, tb (also k, m, g, t, kib, mib, ...; any
//     case); '0' reads each file as one split.
//
// A 'path' holding '${' is an error: it is a script template's
// placeholder (such as the Nexmark runner's ${TMPDIR}) left unsubstituted.
//
// Source: bounded. The files read are 'path' itself, or the regular files
// directly inside the directory 'path' (for a table PARTITIONED BY: inside
// its partition directories, see Partitioned tables), sorted by name,
// skipping hidden files (names starting with '.' or '_', which includes
// the sink's in-progress and pending files). Each file is one split, or,
// when larger than 'source.split-size', several (see Byte ranges). The
// split ID of a file's first (or only) split is the file name. Position:
// the byte offset just after the last row returned (after its line
// break) and the number of line breaks before it, 8 bytes big-endian each
// (all ones when unknown; a position of the offset alone, written by
// earlier versions, means unknown too); reopening at a position continues
// exactly with the next row, whatever the batch sizes and wherever the
// read buffer was cut (a quoted CSV field spanning lines is part of one
// record); a header is skipped only when reading from offset 0, and a file
// shorter than the position is an error. Bad rows are reported with the
// file path, the 1-based line at which the row starts (as an editor
// numbers it: a quoted line break counts, the header line too) and its
// byte offset: "file bids.csv, line 17 (byte offset 512)"; a reader that
// does not know its line count (a range starting mid-file, or a position
// without the count) counts the line breaks before a bad row only when
// it reports one. A STRING field that is not valid UTF-8 is a bad row.
// Files are read in large chunks; a reader holds its file open and its
// buffer only while reading it.
//
// # Byte ranges
//
// A file of size S larger than 'source.split-size' B is cut into
// n = ceil(S/B) byte ranges of equal length (within one byte, each at
// most B bytes), whatever the parallelism: the split list depends on the
// file sizes only, so a job restores at any parallelism, and the runtime
// spreads the ranges over the source instances, so several instances read
// one large file. The first range's split ID is the file's ID, the others'
// '<file ID>/@<start offset>' ('bids.csv/@67108864'; no file of the table
// has such a path).
//
// Records and ranges (the rule of Hadoop's line reader): the reader of the
// range [s, e) reads the records that start in (s, e] (in [0, e] for
// s = 0), where a record starts at offset 0 or just after the line break
// ending the previous one. A range with s > 0 skips the bytes up to and
// including the first line break at or after s (the end of a record that
// the previous range reads) and then reads records while they start at or
// before e, finishing the record that crosses e. So every record is read
// by exactly one range, wherever the cuts fall, and a header
// ('csv.ignore-first-line') is skipped only by the range at offset 0.
// Positions within a range are as above; before its first read a range's
// position is its start s.
//
// Which files are cut by default: json and text files, and CSV files
// with 'csv.disable-quote-character' = 'true'. A CSV file with a quote
// character is cut only when the table sets 'source.split-size' (saying
// that its quoted fields hold no line breaks; that is still checked, as
// below), because of what a quoted line break across a cut costs.
//
// For json and text a raw line break always ends a record, so the first
// line break at or after s is a record boundary. A CSV file with a quote
// character may hold a line break inside a quoted field, which a reader
// starting mid-file cannot tell from a record's end. The scheme stays
// correct by induction: each range starts at a true record boundary (the
// first at offset 0; the others as checked by the range before), so it
// knows its quoting state, and the record it reads across its end e must
// not hold a quoted line break at or after e: the first line break at or
// after e, where the next range starts, then ends a record. When it holds
// one, the reader fails the job with an error naming the file, the
// offset of the quoted line break and the fix ("set 'source.split-size' =
// '0' for table bids"). The next range (read by any instance, at the same
// time) started inside that record and may read wrong rows before the
// check fails the job: the job fails, and only sinks that do not commit
// with checkpoints (such as 'print') may have received them. When such a
// range meets a bad row, it first checks its own start (splitting the
// file's records from offset 0, only then) and reports the quoted line
// break instead of the bad row if it began inside a record.
//
// Restoring: positions are keyed by split ID. When a job restores a
// checkpoint, the source (a connectors.SplitRestorer) cuts each file the
// checkpoint read as the checkpoint did, whatever 'source.split-size' is
// now: at the start offsets its range IDs name, or not at all when the
// checkpoint holds only the file's ID (a checkpoint of whole-file splits,
// such as every one written before files were cut, with a position
// anywhere in the file). Each position thus restores within the split it
// was taken in: no row is lost or read twice. Files the checkpoint does
// not know are cut as usual.
//
// Sink: writes Insert rows as lines (for a table PARTITIONED BY: into its
// partition directories, without the partition columns); any other op is
// an error naming the table (the sink does not accept a changelog:
// AcceptsChangelog is false).
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
//
// # Partitioned tables
//
// A table declared PARTITIONED BY (c1, ..., cN) (Flink's DDL; the sql
// package checks that the columns exist, that at least one column is left
// over, that the connector is 'filesystem' and that 'path' is a directory)
// is a directory tree. The partition columns are regular columns of the
// table: the sink receives them like any other and a query reads them, but
// the data files do not hold them: a row is written, without its partition
// columns, under '<path>/<c1>=<v1>/.../<cN>=<vN>/'. Each value is rendered
// as the engine renders the column's type (e.g. TIMESTAMP(3)
// '2020-10-10 00:00:05.000', DECIMAL with its scale, booleans TRUE/FALSE)
// and escaped as Flink's PartitionPathUtils (and Hive) do: each byte
// 0x00-0x1F and 0x7F and each of  " # % ' * / : = ? \ { [ ] ^  becomes '%'
// and two upper-case hex digits ('10:05' is '10%3A05'); other bytes,
// UTF-8 included, stay. Column names are escaped the same way. A NULL
// value, and, as in Flink, an empty or blank one, goes to the directory
// '<c>=__DEFAULT_PARTITION__' ('partition.default-name' changes the name,
// which must need no escaping); reading it back gives NULL.
//
// The sink is always in directory mode ('path' need not end with '/'; an
// existing regular file there is an error naming the table, from the
// sink's Open and the source's Splits). The two-phase commit holds per
// partition directory: an instance keeps one in-progress file per
// partition it wrote since its last PreCommit or Flush (at most 32 open at
// once, the others reopened to append; at most 4 MiB buffered over all of
// them), each named as above inside its partition directory. PreCommit(n)
// turns every one into a pending file in its own directory, in the order
// of the partitions' relative paths, and returns one committable per file,
// carrying the partition directory ('partition': relative, '/'-separated);
// Flush commits them in that order. The sequence numbers 'seq' count per
// instance over all partitions (part-<i>-<seq> is unique in the whole
// tree), continue after the highest one committed anywhere in the tree
// (Open walks the partition directories), and after a restore follow the
// restored committables, so the replay numbers its files as before. Open
// deletes the instance's in-progress files, Recover commits the restored
// committables and deletes the instance's other pending files, and the
// first Commit the leftovers of former instances k >= q, in every
// partition directory of the tree. A committable whose partition does not
// have the table's levels ('<escaped ci>=...' at level i) is rejected.
// Partition directories are created when a row first goes to them and are
// never deleted (an attempt that failed may leave empty ones).
//
// The source of a partitioned table reads the regular files at depth N
// below 'path': at each level it descends into the directories named
// '<ci>=<value>' (the name compared case-insensitively), skips hidden
// entries (names starting with '.' or '_'), files above depth N and
// directories below it, and fails on any other directory (naming it and
// the expected column). Each file is cut as above (one split, or byte
// ranges), its ID the file's relative path
// ('dt=2020-10-10/hm=10%3A05/part-0-0.csv'), sorted. The
// partition columns are filled from the directory names, unescaped and
// parsed as the column's type (as the 'text' format parses a value);
// '__DEFAULT_PARTITION__' (or 'partition.default-name') is NULL. A value
// that does not parse is an error naming the first file below its
// directory (a directory without files is not read).
package filesystem
