package planner

import (
	"slices"

	"github.com/streamsql/streamsql/exec"
	"github.com/streamsql/streamsql/exec/operators"
	"github.com/streamsql/streamsql/plan"
)

// buildExpand plans the grouping sets step under an Aggregate: a stateless
// operator forward-connected to its input, at the input's parallelism.
// The input's time attributes and window columns that are passed through
// follow to their new positions; the op of each row is kept, so a
// changelog input stays a changelog.
func (b *builder) buildExpand(n *plan.Expand) (stream, error) {
	in, err := b.build(n.Input)
	if err != nil {
		return stream{}, err
	}
	schema := n.Schema()
	desc := "Expand " + n.SetsString()
	spec := operators.ExpandSpec{Pass: n.Pass, Keys: n.Keys, Sets: n.Sets}
	vi := b.add(&exec.Vertex{Name: desc, Parallelism: in.parallelism, Schema: schema,
		NewOperator: func() exec.Operator { return operators.NewExpand(spec) }},
		desc, exec.Edge{From: in.vertex, Partitioning: exec.Forward})
	out := in
	out.vertex, out.schema = vi, schema
	out.windowStart, out.windowEnd, out.rowtimes = -1, -1, nil
	for i, c := range n.Pass {
		if c == in.windowStart {
			out.windowStart = i
		}
		if c == in.windowEnd {
			out.windowEnd = i
		}
		if slices.Contains(in.rowtimes, c) {
			out.rowtimes = append(out.rowtimes, i)
		}
	}
	return out, nil
}
