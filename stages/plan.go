package stages

import (
	"fmt"
	"slices"

	"github.com/streamsql/streamsql/connectors"
	"github.com/streamsql/streamsql/exec"
	"github.com/streamsql/streamsql/types"
)

// Edge is an edge of the job graph between two stages: the topic the
// upstream stage's units write and the downstream stage's units read.
type Edge struct {
	// ID names the edge stably across runs of the same query: the
	// downstream vertex's id and the input's index ("join-8fb2.in1").
	ID string
	// From and To are vertex indices in the cut graph; Input is the
	// edge's index among To's inputs.
	From, To, Input int
	// FromStage and ToStage are indices into Plan.Stages.
	FromStage, ToStage int
	// Schema is the rows' schema (From's output).
	Schema types.Schema
	// KeyCols are the columns hashed to pick a row's partition (nil for a
	// GLOBAL edge, whose topic has one partition).
	KeyCols []int
	// Partitions is the topic's partition count: the job's max
	// parallelism (one partition per key group), 1 for a GLOBAL edge.
	Partitions int
	// Producers is how many units write the topic (FromStage's units);
	// unit u writes as producer u.
	Producers int
	// Bounded reports whether every source upstream of the edge is
	// bounded, so that the topic ends once every producer ended.
	Bounded bool
}

// Global reports whether the edge gathers every row into one partition.
func (e Edge) Global() bool { return e.KeyCols == nil }

// Stage is a set of vertices that run together in one unit.
type Stage struct {
	// Vertices are the stage's vertex indices in topological order.
	Vertices []int
	// Inputs and Outputs are indices into Plan.Edges.
	Inputs, Outputs []int
	// Units is how many units run the stage.
	Units int
	// Sources reports whether the stage reads the job's sources.
	Sources bool
}

// Plan is a job graph cut into stages. Stages are in topological order:
// every edge goes from an earlier stage to a later one.
type Plan struct {
	Graph   *exec.JobGraph
	Stages  []Stage
	Edges   []Edge
	StageOf []int // stage index by vertex index
}

// Cut cuts g at its HASH and GLOBAL edges. units is how many units a
// stage runs as (at least 1); a stage fed by a GLOBAL edge runs as one,
// and a stage reading sources as at most as many as its sources have
// splits (a unit with nothing to read would hold the event time of the
// stages after it back). The sources are asked for their splits as for
// a parallelism of units.
func Cut(g *exec.JobGraph, units int) (*Plan, error) {
	if units < 1 {
		return nil, fmt.Errorf("a stage needs at least one unit, not %d", units)
	}
	if err := g.Validate(); err != nil {
		return nil, err
	}
	if units > g.MaxParallelism {
		return nil, fmt.Errorf("a stage cannot run as %d units: its topics have one partition per key group, and the job has %d (pipeline.max-parallelism); run fewer units or submit the job with more key groups",
			units, g.MaxParallelism)
	}
	n := len(g.Vertices)
	// Union the vertices joined by edges that stay in one process.
	parent := make([]int, n)
	for i := range parent {
		parent[i] = i
	}
	var find func(int) int
	find = func(i int) int {
		for parent[i] != i {
			parent[i] = parent[parent[i]]
			i = parent[i]
		}
		return i
	}
	for vi, v := range g.Vertices {
		for _, e := range v.Inputs {
			if !crossesStages(e) {
				a, b := find(vi), find(e.From)
				if a != b {
					parent[max(a, b)] = min(a, b)
				}
			}
		}
	}
	// Number the stages by their first vertex, which orders them
	// topologically unless the cut made a cycle (checked below).
	p := &Plan{Graph: g, StageOf: make([]int, n)}
	index := map[int]int{}
	for vi := range g.Vertices {
		root := find(vi)
		si, ok := index[root]
		if !ok {
			si = len(p.Stages)
			index[root] = si
			p.Stages = append(p.Stages, Stage{Units: units})
		}
		p.StageOf[vi] = si
		p.Stages[si].Vertices = append(p.Stages[si].Vertices, vi)
		if g.Vertices[vi].Source != nil {
			p.Stages[si].Sources = true
		}
	}
	for vi, v := range g.Vertices {
		for k, e := range v.Inputs {
			if !crossesStages(e) {
				continue
			}
			from, to := p.StageOf[e.From], p.StageOf[vi]
			if from == to {
				return nil, fmt.Errorf("the job cannot run in stages: %s reads %s both in its own process and over a %s edge",
					v.Name, g.Vertices[e.From].Name, e.Partitioning)
			}
			if from > to {
				return nil, fmt.Errorf("the job cannot run in stages: the %s edge from %s to %s goes back to an earlier stage",
					e.Partitioning, g.Vertices[e.From].Name, v.Name)
			}
			ed := Edge{ID: fmt.Sprintf("%s.in%d", v.ID, k), From: e.From, To: vi, Input: k,
				FromStage: from, ToStage: to, Schema: g.Vertices[e.From].Schema, Partitions: 1}
			if e.Partitioning == exec.Hash {
				ed.KeyCols = slices.Clone(e.KeyCols)
				ed.Partitions = g.MaxParallelism
			} else {
				p.Stages[to].Units = 1
			}
			p.Edges = append(p.Edges, ed)
			p.Stages[from].Outputs = append(p.Stages[from].Outputs, len(p.Edges)-1)
			p.Stages[to].Inputs = append(p.Stages[to].Inputs, len(p.Edges)-1)
		}
	}
	for si := range p.Stages {
		st := &p.Stages[si]
		if !st.Sources {
			continue
		}
		for _, vi := range st.Vertices {
			v := g.Vertices[vi]
			if v.Source == nil {
				continue
			}
			splits, err := listSplits(v.Source, units)
			if err != nil {
				return nil, err
			}
			st.Units = max(1, min(st.Units, len(splits)))
		}
	}
	bounded := make([]bool, len(p.Stages))
	for si, st := range p.Stages {
		bounded[si] = true
		for _, vi := range st.Vertices {
			if s := g.Vertices[vi].Source; s != nil && !s.Source.Bounded() {
				bounded[si] = false
			}
		}
		for _, ei := range st.Inputs {
			bounded[si] = bounded[si] && bounded[p.Edges[ei].FromStage]
		}
	}
	for i := range p.Edges {
		e := &p.Edges[i]
		e.Producers = p.Stages[e.FromStage].Units
		e.Bounded = bounded[e.FromStage]
	}
	return p, nil
}

// crossesStages reports whether an edge is cut into a topic.
func crossesStages(e exec.Edge) bool {
	return e.Partitioning == exec.Hash || e.Partitioning == exec.Global
}

// listSplits returns the splits a source vertex reads when its stage runs
// as units units.
func listSplits(s *exec.SourceSpec, units int) ([]connectors.Split, error) {
	if s.Splits != nil {
		return s.Splits, nil
	}
	splits, err := s.Source.Splits(units)
	if err != nil {
		return nil, fmt.Errorf("source %s: %w", s.Table.Name, err)
	}
	return splits, nil
}
