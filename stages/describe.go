package stages

import (
	"fmt"
	"strings"
)

// Describe renders the plan for EXPLAIN: each stage with its vertices (the
// numbers of the operator graph), its units and the key groups each reads,
// and the topics it reads and writes.
func (p *Plan) Describe() string {
	var b strings.Builder
	fmt.Fprintf(&b, "== Stages (%d; the topics between them have one partition per key group) ==\n", len(p.Stages))
	for si, st := range p.Stages {
		var names []string
		for _, vi := range st.Vertices {
			names = append(names, fmt.Sprintf("%d. %s", vi+1, firstWord(p.Graph.Vertices[vi].Name)))
		}
		fmt.Fprintf(&b, "Stage %d: %s\n", si, strings.Join(names, ", "))
		switch {
		case st.Sources && st.Units > 1:
			fmt.Fprintf(&b, "  %d units, each reading every %d%s split of the sources\n", st.Units, st.Units, ordinalSuffix(st.Units))
		case len(st.Inputs) > 0 && st.Units > 1:
			e := p.Edges[st.Inputs[0]]
			var ranges []string
			for u := 0; u < st.Units; u++ {
				parts := p.Partitions(e, u)
				if len(parts) == 0 {
					ranges = append(ranges, "none")
					continue
				}
				ranges = append(ranges, fmt.Sprintf("%d-%d", parts[0], parts[len(parts)-1]))
			}
			fmt.Fprintf(&b, "  %d units, reading key groups %s\n", st.Units, strings.Join(ranges, ", "))
		case len(st.Inputs) > 0 && p.Edges[st.Inputs[0]].Global():
			fmt.Fprintf(&b, "  1 unit (behind a GLOBAL edge)\n")
		default:
			fmt.Fprintf(&b, "  1 unit\n")
		}
		for _, ei := range st.Inputs {
			e := p.Edges[ei]
			fmt.Fprintf(&b, "  <- topic %s from stage %d (%s, %s, written by %s)\n", e.ID, e.FromStage, p.partitioning(e),
				count(e.Partitions, "partition"), count(e.Producers, "unit"))
		}
		for _, ei := range st.Outputs {
			e := p.Edges[ei]
			fmt.Fprintf(&b, "  -> topic %s to stage %d\n", e.ID, e.ToStage)
		}
	}
	return b.String()
}

// partitioning renders how an edge picks partitions, with column names.
func (p *Plan) partitioning(e Edge) string {
	if e.Global() {
		return "GLOBAL"
	}
	var cols []string
	for _, c := range e.KeyCols {
		cols = append(cols, e.Schema[c].Name)
	}
	return "HASH(" + strings.Join(cols, ", ") + ")"
}

func firstWord(s string) string {
	w, _, _ := strings.Cut(s, " ")
	return w
}

func ordinalSuffix(n int) string {
	switch {
	case n%100 >= 11 && n%100 <= 13:
		return "th"
	case n%10 == 1:
		return "st"
	case n%10 == 2:
		return "nd"
	case n%10 == 3:
		return "rd"
	}
	return "th"
}

func count(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return fmt.Sprintf("%d %ss", n, noun)
}

// UnitReads says what unit unit of stage stage reads, for the cluster's
// views: "key groups A-B" of its input topics, or the ids of the sources'
// splits it reads.
func (p *Plan) UnitReads(stage, unit int) string {
	st := p.Stages[stage]
	if len(st.Inputs) > 0 {
		parts := p.Partitions(p.Edges[st.Inputs[0]], unit)
		switch len(parts) {
		case 0:
			return "no key groups"
		case 1:
			return fmt.Sprintf("key group %d", parts[0])
		}
		return fmt.Sprintf("key groups %d-%d", parts[0], parts[len(parts)-1])
	}
	var ids []string
	for _, vi := range st.Vertices {
		src := p.Graph.Vertices[vi].Source
		if src == nil {
			continue
		}
		splits, err := listSplits(src, st.Units)
		if err != nil {
			return "splits of " + src.Table.Name
		}
		for k, sp := range splits {
			if k%st.Units == unit {
				ids = append(ids, sp.ID())
			}
		}
	}
	return "splits " + strings.Join(ids, ", ")
}
