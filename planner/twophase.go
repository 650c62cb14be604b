package planner

import (
	"github.com/streamsql/streamsql/exec"
	"github.com/streamsql/streamsql/exec/operators"
	"github.com/streamsql/streamsql/types"
)

// Two-phase window aggregation (table.optimizer.agg-phase-strategy, as in
// Flink): a LocalWindowAggregate on each instance of the input folds its
// rows per key and slice, and only those partial accumulators cross the
// hash exchange to the GlobalWindowAggregate, which merges them. With few
// keys per slice the exchange carries a fraction of the rows, which is
// what lets a window aggregate scale with parallelism: the exchange (hash,
// copy into per-target batches, hand-off to another core) costs about as
// much per row as the aggregate itself.
//
// The global phase keeps the one-phase aggregate's operator id and state
// (the same accumulators per key and slice), and the local phase has no
// state (it sends everything on before a checkpoint barrier), so a
// checkpoint of either form restores into the other: at another
// parallelism, or with another strategy. In-flight rows of an unaligned
// checkpoint are the exception: they are rows of the one form, and a
// restore into the other refuses them (exec's replay checks the edge they
// were recorded on).

// twoPhase reports whether the window aggregate spec over in runs in two
// phases.
func (b *builder) twoPhase(in stream, spec operators.WindowAggSpec, emit operators.EmitStrategy) bool {
	switch b.cfg.AggPhase {
	case AggPhaseOne:
		return false
	case AggPhaseAuto:
		if in.parallelism <= 1 {
			return false
		}
	}
	return !emit.Active() && in.appendOnly && operators.CanSplitWindowAgg(spec)
}

// addTwoPhaseWindowAgg adds the local phase of spec on in's instances and
// the global phase behind the exchange edge (with parallelism par), and
// returns the global phase's vertex. desc, stateDesc and keyDesc describe
// the one-phase aggregate.
func (b *builder) addTwoPhaseWindowAgg(in stream, spec operators.WindowAggSpec, edge exec.Edge, par int, schema types.Schema, desc, stateDesc, keyDesc string) int {
	localSchema := operators.PartialSchema(in.schema, spec)
	localDesc := "Local" + desc
	lv := b.add(&exec.Vertex{Name: localDesc, Parallelism: in.parallelism, Schema: localSchema, Optional: true,
		StateDesc:   "none (partial accumulators go on before each checkpoint barrier)",
		NewOperator: func() exec.Operator { return operators.NewLocalWindowAgg(spec) }},
		localDesc, exec.Edge{From: in.vertex, Partitioning: exec.Forward})
	global := operators.GlobalWindowAggSpec(spec)
	gEdge := edge
	gEdge.From = lv
	if len(edge.KeyCols) > 0 {
		gEdge.KeyCols = global.KeyCols
	}
	return b.addAs(&exec.Vertex{Name: "Global" + desc, Parallelism: par, Schema: schema, KeyDesc: keyDesc,
		StateDesc:   stateDesc,
		NewOperator: func() exec.Operator { return operators.NewWindowAgg(global) }},
		desc, desc, []exec.Edge{edge}, gEdge)
}
