package planner

import (
	"fmt"
	"slices"
	"strings"

	"github.com/streamsql/streamsql/exec"
	"github.com/streamsql/streamsql/exec/operators"
	"github.com/streamsql/streamsql/expr"
	"github.com/streamsql/streamsql/plan"
	"github.com/streamsql/streamsql/types"
)

// isWindowPartition reports whether a Top-N partitioned on keyCols over in
// is a window Top-N: in is append-only, its rows carry an event-time window
// (a window aggregate's or a window table function's window_start and
// window_end, window_end following the watermark) and the partition holds
// both window columns, as Flink requires.
func isWindowPartition(in stream, keyCols []int) bool {
	return in.appendOnly && in.windowStart >= 0 && in.windowEnd >= 0 &&
		slices.Contains(in.rowtimes, in.windowEnd) &&
		slices.Contains(keyCols, in.windowStart) && slices.Contains(keyCols, in.windowEnd)
}

// buildWindowTopN plans a Top-N whose partition holds the input's window
// as a window Top-N: each window's first rows are emitted once, when the
// watermark closes the window (append-only).
// A single order key that is a TIMESTAMP column with limit 1 is a window
// deduplication: DESC keeps the last row (the latest of equal times), ASC
// the first.
func (b *builder) buildWindowTopN(r *plan.Rank, in stream, keyCols []int, width int, limit int64, emitRank bool,
	rest, projs []expr.Expr, schema types.Schema) (stream, error) {
	var order []operators.RankSortKey
	var os []string
	for _, k := range r.Order {
		order = append(order, operators.RankSortKey{Expr: k.Expr, Desc: k.Desc})
		os = append(os, k.String())
	}
	// Deduplication orders by a time column: the time attribute, or the
	// DESCRIPTOR column of a window table function (a plain TIMESTAMP
	// after it, as in Flink).
	dedup := false
	if limit == 1 && len(r.Order) == 1 {
		if c, ok := expr.AsCol(r.Order[0].Expr); ok && in.schema[c.Index].Type.Kind == types.KindTimestamp {
			dedup = true
		}
	}
	spec := operators.WindowTopNSpec{PartitionCols: keyCols, WindowEnd: in.windowEnd, Order: order,
		Limit: max(limit, 1), OutWidth: width, EmitRank: emitRank, TiesLast: dedup && r.Order[0].Desc}
	edge, par := b.exchange(in, keyCols)
	outSchema := append(types.Schema{}, in.schema[:width]...)
	if emitRank {
		outSchema = append(outSchema, r.Schema()[width])
	}
	kd := keyDesc(in.schema, keyCols)
	kind := fmt.Sprintf("WindowTopN rows=%d", limit)
	if dedup {
		kind = "WindowDeduplicate keep=first"
		if spec.TiesLast {
			kind = "WindowDeduplicate keep=last"
		}
	}
	desc := fmt.Sprintf("%s partition=[%s] order=[%s]", kind, kd, strings.Join(os, ", "))
	if emitRank {
		desc += " with row number " + r.Name
	}
	if limit == 0 {
		rest = append(rest, &expr.Literal{V: types.BoolValue(false), T: types.Bool})
	}
	vi := b.add(&exec.Vertex{Name: desc, Parallelism: par, Schema: outSchema, KeyDesc: kd,
		StateDesc:   "per partition and window: its first rows, until the window closes",
		NewOperator: func() exec.Operator { return operators.NewWindowTopN(spec) }}, desc, edge)
	out := stream{vertex: vi, parallelism: par, schema: outSchema, appendOnly: true, bounded: in.bounded,
		eventTime: in.eventTime, windowStart: in.windowStart, windowEnd: in.windowEnd}
	for _, c := range in.rowtimes {
		if c < width {
			out.rowtimes = append(out.rowtimes, c)
		}
	}
	return b.calcAfterTopN(out, rest, projs, schema)
}
