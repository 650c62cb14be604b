// Package heapfloor keeps the Go garbage collector's heap goal from
// falling below a floor.
//
// The collector starts a cycle each time the heap grows by GOGC percent
// (100) of what the last cycle found live. A streaming job's live heap is
// often a few tens of MiB (batches in flight, small state) while it
// allocates at hundreds of MiB per second (strings of decoded rows), so it
// would collect several times a second, and each cycle costs about the
// same whatever the garbage: marking, the write barriers it switches on,
// the assists it asks of the allocating goroutines. With a floor, a small
// live heap gets a proportionally larger GOGC, so that the goal is the
// floor; once the live heap passes half the floor, GOGC is 100 again.
// A soft memory limit (GOMEMLIMIT, taskmanager.memory.process.size) still
// bounds the heap: the runtime honours the lower of the two goals.
//
// Who calls: the streamsql command, once, when it starts (Start). An
// explicit GOGC in the environment wins: Start then does nothing.
package heapfloor
