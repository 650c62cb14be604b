// Package planner turns a bound logical plan (package plan) into a keyed
// operator graph (exec.JobGraph): it decides partitioning (hash by key
// group before every keyed operator), parallelism, stable operator ids,
// whether a stream is append-only or a changelog, and rejects plans that
// cannot run (a window over an unbounded input without event-time
// progress, a changelog into an append-only sink).
//
// Operator ids are derived from the query's structure (operator kind, its
// description and its inputs' ids), never from memory addresses or
// creation order, so the same query always gets the same ids.
//
// A subtree equal to one translated already is not translated again: its
// readers share the first one's vertex (sub-plan reuse, reuse.go; off with
// Config.NoSubPlanReuse). A window aggregate may run in two phases, a
// local one before the hash exchange and a global one behind it, the
// global keeping the one-phase operator's id (twophase.go; Config.AggPhase).
// Sources that can skip columns are told which of
// their table's columns the job reads (columns_read.go).
//
// Who calls: the engine, once per INSERT or SELECT (and for EXPLAIN). The
// returned Plan is immutable; Graph may be started once.
package planner
