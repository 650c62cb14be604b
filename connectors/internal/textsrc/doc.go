// Package textsrc holds what the text sources (filesystem, socket, and any
// other connector reading csv/json/text records) share: the record
// splitter (LineReader; SetLimit makes it read the records that start in
// a byte range, checking that a quoted CSV line break does not cross the
// range's end), the table's format and its options, and the parse-error
// policy.
//
// Parse-error policy: by default a record that does not decode fails the
// job with a *connectors.BadRowError naming the table, the source (file
// path, host:port), the line (LineReader counts them; positions carry the
// count so that a restored reader goes on numbering) and byte offset of
// the record's start, and the record text. With 'format.ignore-parse-errors'='true' (or Flink's
// 'csv.ignore-parse-errors' / 'json.ignore-parse-errors') such records are
// skipped and counted (the readers implement
// connectors.SkippedRowCounter), and the first few of each table are
// written to Env.Stderr with the same location. The first skipped row of
// a table is kept (Policy.FirstSkipped; sources return it as
// connectors.SkippedRowSampler) for end-of-job summaries.
package textsrc
