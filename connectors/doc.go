// Package connectors defines the Source and Sink interfaces that every
// connector implements, and the registry that maps a table's 'connector'
// option to its implementation. Each connector lives in its own
// subpackage and registers itself from init (the engine imports them all
// through connectors/all).
//
// Who calls what, in order:
//   - the planner calls Factory.NewSource / NewSink once per query with the
//     table definition, validating options (errors name the table and option);
//   - at job start the runtime calls Source.Splits once (when restoring a
//     checkpoint, a SplitRestorer may then replace the splits), then
//     OpenSplit for each split assigned to a source task (from that task's
//     goroutine);
//   - a source task calls SplitReader.Next repeatedly from one goroutine, and
//     Position between calls; Close once at the end;
//   - each sink task calls Sink.Open once and uses the returned SinkWriter from
//     its own goroutine only;
//   - for a lookup join (FOR SYSTEM_TIME AS OF), the planner calls
//     NewLookupSource once per query, and each instance of the lookup-join
//     operator calls LookupSource.Open when it opens and uses the returned
//     LookupReader from its own goroutine only (see LookupSource).
package connectors
