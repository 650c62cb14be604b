// Package plan defines the bound logical plan: immutable nodes that the sql
// binder builds from a query and the planner turns into a keyed operator
// graph. Every node knows its output schema; expressions inside a node are
// bound against the output schema of its input(s) (for Join: the left
// columns followed by the right columns).
//
// Nodes are values that are never mutated after construction; a rewrite
// builds new nodes. One node only exists between binding and optimizing:
// Apply, a subquery not yet decorrelated, whose expressions may read the
// outer row (expr.OuterCol); the optimizer rewrites it into a Join.
package plan
