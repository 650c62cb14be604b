// Package format holds the row codecs of text sources and sinks: CSV
// (RFC 4180), JSON (one object per line) and text (the whole record is the
// value of a table's single column).
//
// A Format is built once per table from the table's schema and WITH options
// (New). Its Decoder turns one record (a line without its terminator) into
// a row of typed values; its Encoder appends a row's text to a buffer.
// Decoders and encoders keep scratch buffers and are not safe for concurrent
// use: each reader or writer makes its own.
//
// Decoding, by column type:
//   - BOOLEAN: true/false (any case), 1/0.
//   - integers: decimal digits with an optional sign, range-checked against
//     the column width (TINYINT .. BIGINT).
//   - DOUBLE: any decimal or exponent notation, NaN, Inf.
//   - DECIMAL(p,s): parsed exactly from the text (never through a float),
//     rounded half away from zero to s digits; more than p digits is an error.
//   - TIMESTAMP: 'YYYY-MM-DD HH:MM:SS[.fff]', 'YYYY-MM-DDTHH:MM:SS[.fff][Z]'
//     (a '+HH:MM' offset is converted to UTC), 'YYYY-MM-DD', or an integer of
//     epoch milliseconds. Digits beyond milliseconds are truncated.
//   - DATE: 'YYYY-MM-DD' or an integer of days since the epoch.
//   - INTERVAL: an integer of milliseconds or '[+-]D HH:MM:SS[.fff]'.
//   - STRING: the text as is; it must be valid UTF-8 (checked with
//     utf8.Valid on STRING values only), else the record is an error
//     naming the column and the first bad byte, so that text a sink would
//     refuse never enters a job.
//
// Surrounding spaces are ignored for every type except STRING.
//
// CSV: fields separated by 'csv.field-delimiter' (default ','), quoted with
// 'csv.quote-character' (default '"', doubled inside a quoted field; a
// quoted field may span lines). An empty unquoted field is NULL, and so is
// an unquoted field equal to 'csv.null-literal' when that option is set; a
// quoted empty field is the empty string. A record must have exactly one
// field per column. An empty record is skipped unless the table has a
// single column (then it is one NULL). 'csv.allow-comments' skips records
// starting with '#'. 'csv.ignore-first-line' (used by sources) skips a
// header line.
//
// JSON: one object per record; fields are matched to columns by name
// (case-insensitive, exact case first); unknown fields are ignored; a missing
// field or null is NULL (an error with 'json.fail-on-missing-field').
// Numbers go into BIGINT/DOUBLE/DECIMAL columns exactly; quoted numbers are
// accepted too; numbers into TIMESTAMP columns are epoch milliseconds. A
// STRING column takes a string's text, or the raw text of any other value.
// Blank records are skipped.
//
// Decoding speed (the results are those of the general parsers): a
// TIMESTAMP or DATE in the canonical form ('YYYY-MM-DD HH:MM:SS[.f]' with
// full-width fields, 'T' and a trailing 'Z' allowed; 'YYYY-MM-DD') is read
// by position, and a decoder remembers the date, hour and minute of the
// last timestamp; any other form goes through the general parser. A
// decoder keeps the strings it made for short STRING values (up to 32
// bytes) in a small table and returns the same string when the same text
// comes again, so that repeated values (words, codes, names) cost no
// allocation; a column whose values rarely repeat stops using the table
// for a while (intern.go).
// A JSON decoder remembers which column each field position of the
// previous record named, so that records with a stable field order are
// matched without a map lookup.
//
// Encoding renders values MySQL-style (types.AppendRender with the column
// type). CSV writes NULL as an empty field (or the null literal) and quotes
// a field when needed (delimiter, quote, line break, empty string, or text
// equal to the null literal). JSON writes numbers and booleans as JSON
// numbers and booleans, NULL as null, everything else as strings; NaN and
// infinities are written as strings. Text writes the single value rendered,
// NULL as an empty line.
package format
