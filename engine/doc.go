// Package engine executes statements for a session: it owns the catalog,
// the SET configuration, the in-memory tables and the jobs started by
// INSERT and SELECT. The CLI, the shell and the sqllogic runner all drive
// an Engine; none of them talks to the planner or the runtime directly.
//
// Contract: an Engine's statement methods are serialised by the engine
// itself (one statement at a time); jobs run in the background and are
// tracked in the job registry until they finish, fail or are stopped.
//
// Bad input rows skipped under 'format.ignore-parse-errors' are counted
// per source vertex (exec.Metrics.BadRowsSkipped) and shown in SHOW FULL JOBS
// ('skipped'), by Job.SkippedRows (the shell's status line), and, when
// RunScript returns or one of its SELECTs ends, as one line per table on
// the engine's Stderr: "table t: N bad rows skipped (first at file:line:
// reason)", the first row coming from the source
// (connectors.SkippedRowSampler).
package engine
