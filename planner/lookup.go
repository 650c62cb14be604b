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

// buildLookupProject plans a projection over a lookup join. When the
// probe side is itself a projection, the join reads below it: directly
// (bypassProbeProject) when the columns the join and the projection read
// are plain columns or constants there, otherwise after dropping the
// columns nobody reads (pruneLookupJoin; e.g. a PROCTIME() attribute that
// only names the time of the lookup is then not computed). A projection
// of plain columns is then fused into the join's vertex (it emits only
// those); any other projection is a Calc after it. A probe side that is
// not a projection is never narrowed: the join keeps no state, and the
// fused projection emits only what is read.
func (b *builder) buildLookupProject(p *plan.Project, j *plan.LookupJoin) (stream, error) {
	if np, ok := bypassProbeProject(p, j); ok {
		return b.build(np)
	}
	if np, ok := pruneLookupJoin(p, j); ok {
		return b.build(np)
	}
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

// probeUses marks the probe columns (of nl) that the projection p, the
// lookup keys and the join's condition read.
func probeUses(p *plan.Project, j *plan.LookupJoin, nl int) []bool {
	use := make([]bool, nl)
	for _, c := range append(append(columnsOf(p.Exprs...), columnsOf(j.ProbeKeys...)...), columnsOf(j.Residual)...) {
		if c < nl {
			use[c] = true
		}
	}
	return use
}

// bypassProbeProject rewrites Project(LookupJoin(Project(x))) into
// Project(LookupJoin(x)) when every column of the inner projection that
// is read is a plain column of x or a constant (substituted).
func bypassProbeProject(p *plan.Project, j *plan.LookupJoin) (*plan.Project, bool) {
	ip, ok := j.Input.(*plan.Project)
	if !ok {
		return nil, false
	}
	nl := len(ip.Exprs)
	for c, u := range probeUses(p, j, nl) {
		if !u {
			continue
		}
		switch ip.Exprs[c].(type) {
		case *expr.Col, *expr.Literal:
		default:
			return nil, false
		}
	}
	nx := len(ip.Input.Schema())
	subst := func(e expr.Expr) expr.Expr {
		if e == nil {
			return nil
		}
		return expr.MapColumns(e, func(c *expr.Col) expr.Expr {
			if c.Index < nl {
				return ip.Exprs[c.Index]
			}
			return &expr.Col{Index: c.Index - nl + nx, Name: c.Name, T: c.T}
		})
	}
	nj := *j
	nj.Input = ip.Input
	nj.ProbeKeys = nil
	for _, k := range j.ProbeKeys {
		nj.ProbeKeys = append(nj.ProbeKeys, subst(k))
	}
	nj.Residual = subst(j.Residual)
	out := &plan.Project{Input: &nj, Names: p.Names}
	for _, e := range p.Exprs {
		out.Exprs = append(out.Exprs, subst(e))
	}
	return out, true
}

// pruneLookupJoin narrows a probe side that is a projection to the
// columns the projection p, the lookup keys and the condition read (the
// narrowing merges into the probe's projection, so that what nobody reads
// is not computed). It returns p over the narrowed join; ok is false when
// every probe column is read or the probe is not a projection.
func pruneLookupJoin(p *plan.Project, j *plan.LookupJoin) (*plan.Project, bool) {
	ip, ok := j.Input.(*plan.Project)
	if !ok {
		return nil, false
	}
	nl := len(ip.Exprs)
	use := probeUses(p, j, nl)
	mapping := make([]int, nl)
	kept := 0
	// The probe's projection without the columns nobody reads (a
	// narrower copy of it, not a projection over it: the next round of
	// buildLookupProject must not find anything to narrow again).
	narrow := &plan.Project{Input: ip.Input}
	for i, u := range use {
		mapping[i] = -1
		if u {
			mapping[i] = kept
			kept++
			narrow.Exprs = append(narrow.Exprs, ip.Exprs[i])
			narrow.Names = append(narrow.Names, ip.Names[i])
		}
	}
	if kept == nl {
		return nil, false
	}
	to := func(c int) int {
		if c < nl {
			return mapping[c]
		}
		return c - nl + kept
	}
	nj := *j
	nj.Input = narrow
	nj.ProbeKeys = nil
	for _, k := range j.ProbeKeys {
		nj.ProbeKeys = append(nj.ProbeKeys, remapColumns(k, func(c int) int { return mapping[c] }))
	}
	nj.Residual = remapColumns(j.Residual, to)
	out := &plan.Project{Input: &nj, Names: p.Names}
	for _, e := range p.Exprs {
		out.Exprs = append(out.Exprs, remapColumns(e, to))
	}
	return out, true
}
