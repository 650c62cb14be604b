package stages

import (
	"fmt"

	"github.com/streamsql/streamsql/catalog"
	"github.com/streamsql/streamsql/connectors"
	"github.com/streamsql/streamsql/exec"
	"github.com/streamsql/streamsql/state"
)

// Exchange opens the topics of a plan's edges. UnitGraph calls it once
// per edge of the unit's stage.
type Exchange interface {
	// Source reads the listed partitions of e's topic; its split readers
	// report the partitions' watermarks (connectors.WatermarkReader).
	Source(e Edge, partitions []int) (connectors.Source, error)
	// Sink writes e's topic as producer: the writer of its only instance
	// routes every row to the partition of its key group and carries the
	// watermark on (connectors.WatermarkWriter).
	Sink(e Edge, producer int) (connectors.Sink, error)
}

// Partitions returns the partitions of edge e that unit u of the edge's
// downstream stage reads: a contiguous range, the key groups that
// state.RangeFor gives u among the stage's units.
func (p *Plan) Partitions(e Edge, unit int) []int {
	units := p.Stages[e.ToStage].Units
	if e.Partitions < units {
		units = e.Partitions
	}
	if unit >= units {
		return nil
	}
	r := state.RangeFor(e.Partitions, units, unit)
	out := make([]int, 0, r.Len())
	for kg := r.Start; kg < r.End; kg++ {
		out = append(out, kg)
	}
	return out
}

// UnitKeyGroups returns the key groups unit unit of stage stage owns when
// the stage reads only topics with one partition per key group (a later
// stage behind HASH edges): the range of the partitions it reads. It
// reports false for a stage that reads sources or a GLOBAL edge; such a
// unit owns every key group, as a job at parallelism 1 does.
func (p *Plan) UnitKeyGroups(stage, unit int) (state.KeyGroupRange, bool) {
	if stage < 0 || stage >= len(p.Stages) {
		return state.KeyGroupRange{}, false
	}
	st := p.Stages[stage]
	if st.Sources || len(st.Inputs) == 0 || unit < 0 || unit >= st.Units {
		return state.KeyGroupRange{}, false
	}
	for _, ei := range st.Inputs {
		e := p.Edges[ei]
		if e.Global() || e.Partitions != p.Graph.MaxParallelism {
			return state.KeyGroupRange{}, false
		}
	}
	return state.RangeFor(p.Graph.MaxParallelism, st.Units, unit), true
}

// UnitGraph returns the graph that unit unit of stage stage runs: the
// stage's vertices at parallelism 1, keeping their ids (so that a unit's
// checkpoints restore into the same unit of a later run), each input from
// another stage replaced by a source reading the unit's partitions of the
// edge's topic, and each output to another stage by a sink writing the
// topic. The sources of a first stage read every units-th split, from
// the unit's index on. The vertices of a later stage own only the key
// groups of the unit's partitions (UnitKeyGroups).
func (p *Plan) UnitGraph(stage, unit int, ex Exchange) (*exec.JobGraph, error) {
	if stage < 0 || stage >= len(p.Stages) {
		return nil, fmt.Errorf("the job has %d stages: there is no stage %d", len(p.Stages), stage)
	}
	st := p.Stages[stage]
	if unit < 0 || unit >= st.Units {
		return nil, fmt.Errorf("stage %d runs as %d units: there is no unit %d", stage, st.Units, unit)
	}
	g := p.Graph
	out := &exec.JobGraph{Name: fmt.Sprintf("%s [stage %d unit %d]", g.Name, stage, unit),
		MaxParallelism: g.MaxParallelism, BatchSize: g.BatchSize}
	kgs, owns := p.UnitKeyGroups(stage, unit)
	at := map[int]int{} // cut graph's vertex index -> unit graph's
	inputEdge := map[[2]int]int{}
	for _, ei := range st.Inputs {
		e := p.Edges[ei]
		inputEdge[[2]int{e.To, e.Input}] = ei
	}
	for _, vi := range st.Vertices {
		v := g.Vertices[vi]
		nv := *v
		nv.Parallelism = 1
		nv.Inputs = nil
		if owns {
			r := kgs
			nv.KeyGroups = &r
		}
		if v.Source != nil {
			spec := *v.Source
			splits, err := listSplits(v.Source, st.Units)
			if err != nil {
				return nil, err
			}
			spec.Splits = []connectors.Split{}
			for k, s := range splits {
				if k%st.Units == unit {
					spec.Splits = append(spec.Splits, s)
				}
			}
			nv.Source = &spec
		}
		for k, in := range v.Inputs {
			ei, cut := inputEdge[[2]int{vi, k}]
			if !cut {
				nv.Inputs = append(nv.Inputs, exec.Edge{From: at[in.From], Partitioning: in.Partitioning, KeyCols: in.KeyCols})
				continue
			}
			e := p.Edges[ei]
			src, err := ex.Source(e, p.Partitions(e, unit))
			if err != nil {
				return nil, fmt.Errorf("stage %d unit %d: topic of %s: %w", stage, unit, e.ID, err)
			}
			out.Vertices = append(out.Vertices, &exec.Vertex{
				ID:          "exchange-" + e.ID,
				Name:        fmt.Sprintf("Exchange in %s", e.ID),
				Parallelism: 1,
				Schema:      e.Schema,
				Source: &exec.SourceSpec{
					Table:            &catalog.Table{Name: "exchange " + e.ID, Columns: e.Schema, ProctimeColumn: -1},
					Source:           src,
					ProctimeCol:      -1,
					ReaderWatermarks: true,
				},
			})
			// One unit holds one instance of every vertex: the rows the
			// topic gives it are all of its key groups.
			nv.Inputs = append(nv.Inputs, exec.Edge{From: len(out.Vertices) - 1, Partitioning: exec.Forward})
		}
		out.Vertices = append(out.Vertices, &nv)
		at[vi] = len(out.Vertices) - 1
	}
	for _, ei := range st.Outputs {
		e := p.Edges[ei]
		sink, err := ex.Sink(e, unit)
		if err != nil {
			return nil, fmt.Errorf("stage %d unit %d: topic of %s: %w", stage, unit, e.ID, err)
		}
		table := "exchange " + e.ID
		out.Vertices = append(out.Vertices, &exec.Vertex{
			ID:          "exchange-out-" + e.ID,
			Name:        fmt.Sprintf("Exchange out %s", e.ID),
			Parallelism: 1,
			Schema:      e.Schema,
			NewOperator: func() exec.Operator { return exec.NewSinkOperator(table, sink) },
			Inputs:      []exec.Edge{{From: at[e.From], Partitioning: exec.Forward}},
			Sink:        true,
		})
	}
	if err := out.Validate(); err != nil {
		return nil, fmt.Errorf("stage %d unit %d: %w", stage, unit, err)
	}
	return out, nil
}
