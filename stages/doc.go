// Package stages cuts a job's operator graph into stages that can run on
// different servers, and builds the graph one unit of a stage runs.
//
// A stage is a largest set of vertices connected by edges that stay within
// one process (FORWARD and REBALANCE). The edges between stages are the
// graph's HASH and GLOBAL edges: each becomes a partitioned topic (an
// Exchange) that the stage upstream writes and the stage downstream reads.
// A topic has one partition per key group of the job (GLOBAL: one), so
// that a row's partition is the key group it would have been routed to in
// one process, and a unit that owns a range of partitions owns exactly the
// keyed state of those key groups.
//
// Every stage runs as one or more units, each an ordinary job graph
// (UnitGraph) at parallelism 1: the units of the first stages each read a
// share of the sources' splits, the units of later stages each read a
// contiguous range of the partitions of their input topics (the key groups
// state.RangeFor gives unit u of n), and own exactly those key groups
// (UnitKeyGroups: their vertices' exec.Vertex.KeyGroups, so that their
// checkpoints hold that range and a unit of another layout restores its
// own range from them). A stage fed by a GLOBAL edge has one unit. Each unit checkpoints on its own; the exchange's writers commit
// what they wrote with their unit's checkpoints, so a unit that restarts
// or moves to another server continues from its own last checkpoint and
// the units downstream see every row once.
//
// Plan is immutable once Cut returns it; UnitGraph builds a new graph each
// call and shares the vertices' operator factories with the cut graph.
package stages
