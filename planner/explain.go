package planner

import (
	"fmt"
	"strings"

	"github.com/streamsql/streamsql/exec"
)

// Explain renders the operator graph: one vertex per line with its stable
// id, parallelism, key fields and state, and its input edges.
func (p *Plan) Explain() string {
	var b strings.Builder
	g := p.Graph
	fmt.Fprintf(&b, "== Operator graph (max parallelism %d, key groups 0..%d) ==\n", g.MaxParallelism, g.MaxParallelism-1)
	for i, v := range g.Vertices {
		fmt.Fprintf(&b, "%d. %s  [id=%s parallelism=%d]\n", i+1, v.Name, v.ID, v.Parallelism)
		if v.KeyDesc != "" {
			fmt.Fprintf(&b, "     key: %s\n", v.KeyDesc)
		}
		if v.StateDesc != "" {
			fmt.Fprintf(&b, "     state: %s\n", v.StateDesc)
		}
		for _, e := range v.Inputs {
			edge := e.Partitioning.String()
			if e.Partitioning == exec.Hash {
				var ks []string
				up := g.Vertices[e.From]
				for _, k := range e.KeyCols {
					ks = append(ks, up.Schema[k].Name)
				}
				edge += "(" + strings.Join(ks, ", ") + ")"
			}
			fmt.Fprintf(&b, "     <- %d. %s\n", e.From+1, edge)
		}
	}
	mode := "append-only"
	if !p.AppendOnly {
		mode = "changelog (+I, -U, +U, -D)"
	}
	bounded := "unbounded"
	if p.Bounded {
		bounded = "bounded"
	}
	fmt.Fprintf(&b, "== Result: %s, %s ==\n", mode, bounded)
	return b.String()
}
