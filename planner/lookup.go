package planner

import (
	"fmt"
	"strings"

	"github.com/streamsql/streamsql/connectors"
	"github.com/streamsql/streamsql/exec"
	"github.com/streamsql/streamsql/exec/operators"
	"github.com/streamsql/streamsql/expr"
	"github.com/streamsql/streamsql/plan"
	"github.com/streamsql/streamsql/types"
)

// buildLookupJoin plans a lookup join (FOR SYSTEM_TIME AS OF a
// processing-time attribute) as one LookupJoin vertex after its probe
// side, with the probe's parallelism and a FORWARD edge: a probe row needs
// no other row, so it is joined where it is. The lookup table is not a
// source vertex: the operator opens it itself (connectors.LookupSource).
// The operator keeps no state: a checkpoint stores nothing for it, and
// after a restore it loads (or queries) the table again.
//
// output, when not nil, are the columns of the joined row (probe columns,
// then the table's) that the vertex emits, in order, named by
// outSchema: a projection of plain columns fused into the join.
//
// The stream's properties pass through: the probe columns keep their
// roles (time attributes, window bounds), the output is a changelog
// exactly when the probe side is, and bounded when the probe side is.
func (b *builder) buildLookupJoin(n *plan.LookupJoin, output []int, outSchema types.Schema) (stream, error) {
	in, err := b.build(n.Input)
	if err != nil {
		return stream{}, err
	}
	if len(n.ProbeKeys) == 0 || len(n.ProbeKeys) != len(n.TableKeys) {
		return stream{}, errorf("lookup join on table %s needs an equality between the probe side and a column of the table", n.Table.Name)
	}
	src, err := connectors.NewLookupSource(n.Table, b.env)
	if err != nil {
		return stream{}, &Error{Msg: err.Error()}
	}
	schema := n.Schema()
	lookupCols := n.LookupColumns()
	spec := operators.LookupJoinSpec{Table: n.Table.Name, Lookup: src, ProbeKeys: n.ProbeKeys, KeyCols: n.TableKeys,
		ProbeWidth: len(in.schema), TableWidth: len(lookupCols), Residual: n.Residual, Left: n.Left, Output: output}
	var conds []string
	for i, k := range n.ProbeKeys {
		conds = append(conds, fmt.Sprintf("%s = %s", k, lookupCols[n.TableKeys[i]].Name))
	}
	kind := "LookupJoin"
	if n.Left {
		kind = "LookupJoin left"
	}
	desc := fmt.Sprintf("%s %s on %s", kind, n.Table.Name, strings.Join(conds, " AND "))
	if n.Residual != nil {
		desc += " where " + n.Residual.String()
	}
	out := in
	out.schema = schema
	if output != nil {
		var ps []string
		out.schema = outSchema
		out.rowtimes, out.windowStart, out.windowEnd = nil, -1, -1
		for i, c := range output {
			ps = append(ps, schema[c].Name)
			if c < len(in.schema) {
				if in.hasRowtime(c) {
					out.rowtimes = append(out.rowtimes, i)
				}
				if c == in.windowStart {
					out.windowStart = i
				}
				if c == in.windowEnd {
					out.windowEnd = i
				}
			}
		}
		desc += " select " + strings.Join(ps, ", ")
	}
	vi := b.add(&exec.Vertex{Name: desc, Parallelism: in.parallelism, Schema: out.schema,
		StateDesc:   fmt.Sprintf("none (lookup table %s, connector '%s': %s)", n.Table.Name, connectorName(n.Table), src.Describe()),
		NewOperator: func() exec.Operator { return operators.NewLookupJoin(spec) }},
		desc+" "+connectorName(n.Table), exec.Edge{From: in.vertex, Partitioning: exec.Forward})
	out.vertex = vi
	return out, nil
}

// buildLookupProject plans a projection over a lookup join (the optimizer's
// lookup-probe-pruning rule has already narrowed the probe side): a
// projection of plain columns is fused into the join's vertex (it emits
// only those); any other projection is a Calc after it.
func (b *builder) buildLookupProject(p *plan.Project, j *plan.LookupJoin) (stream, error) {
	output := make([]int, len(p.Exprs))
	for i, e := range p.Exprs {
		c, ok := expr.AsCol(e)
		if !ok {
			return b.buildCalc(j, nil, p.Exprs, p.Names, p.Schema())
		}
		output[i] = c.Index
	}
	return b.buildLookupJoin(j, output, p.Schema())
}
