package planner

import (
	"fmt"
	"slices"
	"strings"

	"github.com/streamsql/streamsql/exec"
	"github.com/streamsql/streamsql/exec/operators"
	"github.com/streamsql/streamsql/expr"
	"github.com/streamsql/streamsql/plan"
)

// buildSort plans a top-level ORDER BY [LIMIT] (plan.Sort, whose keys are
// input columns). A bounded input needs no operator: the engine sorts the
// collected result (a Nested one, ORDER BY ... LIMIT in a subquery, is a
// Top-N whatever its input). On an unbounded input, as in Flink:
//   - with LIMIT n: a Top-N without partition (a changelog of the first n
//     rows in sort order);
//   - without LIMIT, the first key an ascending time attribute (a column
//     that follows the watermark) of an append-only input: a TimeSort
//     releasing rows in time order as the watermark passes them;
//   - otherwise an error.
func (b *builder) buildSort(n *plan.Sort) (stream, error) {
	in, err := b.build(n.Input)
	if err != nil {
		return stream{}, err
	}
	if in.bounded && !n.Nested {
		return in, nil
	}
	if n.Limit >= 0 {
		r := &plan.Rank{Input: n.Input, Order: n.Keys, Name: "$row_number"}
		return b.topN(r, in, n.Limit, false, nil, nil, in.schema)
	}
	cols := make([]int, len(n.Keys))
	for i, k := range n.Keys {
		c, ok := expr.AsCol(k.Expr)
		if !ok {
			return stream{}, errorf("ORDER BY must name output columns")
		}
		cols[i] = c.Index
	}
	first := n.Keys[0]
	if first.Desc || !in.eventTime || !slices.Contains(in.rowtimes, cols[0]) {
		return stream{}, errorf("Sort on a non-time-attribute field is not supported. ORDER BY on an unbounded input must start with an ascending time attribute (a column with a WATERMARK), e.g. ORDER BY ts, v DESC; or add LIMIT n for a continuously updated Top-N; or drop the ORDER BY")
	}
	if !in.appendOnly {
		return stream{}, errorf("ORDER BY a time attribute needs an append-only input, but this query produces updates; sort before aggregating, or add LIMIT n for a Top-N")
	}
	spec := operators.TimeSortSpec{TimeCol: cols[0]}
	var ks []string
	for i, k := range n.Keys {
		ks = append(ks, k.String())
		if i > 0 {
			spec.Then = append(spec.Then, operators.SortKey{Col: cols[i], Desc: k.Desc})
		}
	}
	desc := fmt.Sprintf("TimeSort order=[%s]", strings.Join(ks, ", "))
	edge := exec.Edge{From: in.vertex, Partitioning: exec.Global}
	vi := b.add(&exec.Vertex{Name: desc, Parallelism: 1, Schema: in.schema,
		StateDesc:   "per time: rows waiting for the watermark",
		NewOperator: func() exec.Operator { return operators.NewTimeSort(spec) }}, desc, edge)
	out := in
	out.vertex = vi
	out.parallelism = 1
	return out, nil
}
