package planner

import (
	"github.com/streamsql/streamsql/exec"
	"github.com/streamsql/streamsql/exec/operators"
	"github.com/streamsql/streamsql/plan"
)

// buildExpand plans the grouping sets step under an Aggregate: a stateless
// operator forward-connected to its input, at the input's parallelism.
// The input's columns keep their positions, so its time attributes and
// window columns stay where they were; the op of each row is kept, so a
// changelog input stays a changelog.
func (b *builder) buildExpand(n *plan.Expand) (stream, error) {
	in, err := b.build(n.Input)
	if err != nil {
		return stream{}, err
	}
	schema := n.Schema()
	desc := "Expand " + n.SetsString()
	spec := operators.ExpandSpec{Keys: n.Keys, Sets: n.Sets}
	vi := b.add(&exec.Vertex{Name: desc, Parallelism: in.parallelism, Schema: schema,
		NewOperator: func() exec.Operator { return operators.NewExpand(spec) }},
		desc, exec.Edge{From: in.vertex, Partitioning: exec.Forward})
	out := in
	out.vertex, out.schema = vi, schema
	return out, nil
}
