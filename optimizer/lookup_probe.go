package optimizer

import (
	"github.com/streamsql/streamsql/expr"
	"github.com/streamsql/streamsql/plan"
)

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

// pruneLookupProbes is the lookup-probe-pruning rule: a projection over a
// lookup join whose probe side is a projection reads below that
// projection (bypassProbeProject) or narrows it (pruneLookupJoin).
func pruneLookupProbes(n plan.Node) plan.Node {
	return plan.TransformDown(n, func(n plan.Node) (plan.Node, bool) {
		p, ok := n.(*plan.Project)
		if !ok {
			return n, false
		}
		j, ok := p.Input.(*plan.LookupJoin)
		if !ok {
			return n, false
		}
		if np, ok := bypassProbeProject(p, j); ok {
			return np, true
		}
		if np, ok := pruneLookupJoin(p, j); ok {
			return np, true
		}
		return n, false
	})
}
