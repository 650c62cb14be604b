// Package types defines the values, column types, rows and batches that flow
// through every layer of streamsql: the binder types expressions with Type,
// operators exchange Batches of Values, sinks render Values MySQL-style.
//
// Values are plain structs (no interface boxing); a Batch stores its rows
// contiguously so that a whole batch costs a handful of allocations.
package types
