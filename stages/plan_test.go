package stages

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/streamsql/streamsql/catalog"
	"github.com/streamsql/streamsql/connectors"
	"github.com/streamsql/streamsql/exec"
	"github.com/streamsql/streamsql/state"
	"github.com/streamsql/streamsql/types"
)

type fakeSplit int

func (s fakeSplit) ID() string { return fmt.Sprint(int(s)) }

// fakeSource has a fixed number of splits; nothing reads it.
type fakeSource struct{ splits int }

func (f fakeSource) Splits(int) ([]connectors.Split, error) {
	out := make([]connectors.Split, f.splits)
	for i := range out {
		out[i] = fakeSplit(i)
	}
	return out, nil
}
func (fakeSource) Bounded() bool { return false }
func (fakeSource) OpenSplit(context.Context, connectors.Split, []byte) (connectors.SplitReader, error) {
	return nil, fmt.Errorf("not read")
}

type fakeExchange struct{}

func (fakeExchange) Source(Edge, []int) (connectors.Source, error) { return fakeSource{}, nil }
func (fakeExchange) Sink(Edge, int) (connectors.Sink, error)       { return nil, nil }

var schema = types.Schema{{Name: "k", Type: types.BigInt}}

func source(id string, splits int) *exec.Vertex {
	return &exec.Vertex{ID: id, Name: "Source " + id, Parallelism: 2, Schema: schema,
		Source: &exec.SourceSpec{Table: &catalog.Table{Name: id}, Source: fakeSource{splits}, ProctimeCol: -1}}
}

func op(id string, par int, inputs ...exec.Edge) *exec.Vertex {
	return &exec.Vertex{ID: id, Name: id, Parallelism: par, Schema: schema,
		NewOperator: func() exec.Operator { return nil }, Inputs: inputs}
}

// TestCut cuts a graph with a HASH and a GLOBAL edge: a stage per side
// of each, units capped by the source's splits, one unit behind GLOBAL,
// and unit graphs that read contiguous key groups and keep vertex ids.
func TestCut(t *testing.T) {
	g := &exec.JobGraph{Name: "j", MaxParallelism: 10, Vertices: []*exec.Vertex{
		source("src", 2),
		op("calc", 2, exec.Edge{From: 0}),
		op("agg", 2, exec.Edge{From: 1, Partitioning: exec.Hash, KeyCols: []int{0}}),
		op("sink", 2, exec.Edge{From: 2}),
		op("total", 1, exec.Edge{From: 1, Partitioning: exec.Global}),
	}}
	p, err := Cut(g, 3)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, st := range p.Stages {
		got = append(got, fmt.Sprintf("%v/%d", st.Vertices, st.Units))
	}
	if want := "[0 1]/2 [2 3]/3 [4]/1"; strings.Join(got, " ") != want {
		t.Fatalf("stages %s, want %s", strings.Join(got, " "), want)
	}
	if e := p.Edges[0]; e.ID != "agg.in0" || e.Partitions != 10 || e.Producers != 2 || e.Global() {
		t.Fatalf("edge %+v", e)
	}
	if e := p.Edges[1]; e.ID != "total.in0" || e.Partitions != 1 || !e.Global() {
		t.Fatalf("edge %+v", e)
	}
	var ranges []string
	for u := 0; u < 3; u++ {
		ranges = append(ranges, fmt.Sprint(p.Partitions(p.Edges[0], u)))
	}
	if want := "[0 1 2 3] [4 5 6] [7 8 9]"; strings.Join(ranges, " ") != want {
		t.Fatalf("partitions %s, want %s", strings.Join(ranges, " "), want)
	}
	ug, err := p.UnitGraph(1, 2, fakeExchange{})
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, v := range ug.Vertices {
		ids = append(ids, fmt.Sprintf("%s/%d", v.ID, v.Parallelism))
	}
	if want := "exchange-agg.in0/1 agg/1 sink/1"; strings.Join(ids, " ") != want {
		t.Fatalf("unit graph %s, want %s", strings.Join(ids, " "), want)
	}
	// The later stage's vertices own the key groups of the unit's
	// partitions; the exchange source, the source stage's and the
	// GLOBAL stage's vertices own every key group (none set).
	for _, v := range ug.Vertices[1:] {
		if v.KeyGroups == nil || *v.KeyGroups != (state.KeyGroupRange{Start: 7, End: 10}) {
			t.Errorf("unit 2's %s owns %v, want [7,10)", v.ID, v.KeyGroups)
		}
	}
	if ug.Vertices[0].KeyGroups != nil {
		t.Errorf("the exchange source owns %v", ug.Vertices[0].KeyGroups)
	}
	for _, su := range [][2]int{{0, 0}, {2, 0}} {
		g, err := p.UnitGraph(su[0], su[1], fakeExchange{})
		if err != nil {
			t.Fatal(err)
		}
		for _, v := range g.Vertices {
			if v.KeyGroups != nil {
				t.Errorf("stage %d's %s owns %v, want every key group", su[0], v.ID, *v.KeyGroups)
			}
		}
	}
	ug, err = p.UnitGraph(0, 1, fakeExchange{})
	if err != nil {
		t.Fatal(err)
	}
	if sp := ug.Vertices[0].Source.Splits; len(sp) != 1 || sp[0].ID() != "1" {
		t.Fatalf("unit 1 of the source stage reads splits %v", sp)
	}
	if _, err := p.UnitGraph(1, 3, fakeExchange{}); err == nil || !strings.Contains(err.Error(), "no unit 3") {
		t.Fatalf("unit 3 of 3: %v", err)
	}
}

// TestCutRefusesAHashEdgeInsideAStage: a vertex fed by FORWARD and HASH
// edges from one stage cannot be cut.
func TestCutRefusesAHashEdgeInsideAStage(t *testing.T) {
	g := &exec.JobGraph{Name: "j", MaxParallelism: 10, Vertices: []*exec.Vertex{
		source("src", 2),
		op("join", 2, exec.Edge{From: 0}, exec.Edge{From: 0, Partitioning: exec.Hash, KeyCols: []int{0}}),
	}}
	_, err := Cut(g, 2)
	if err == nil || !strings.Contains(err.Error(), "join") {
		t.Fatalf("got %v", err)
	}
}

// TestCutRefusesMoreUnitsThanKeyGroups: a stage's units read its topics'
// partitions, one per key group.
func TestCutRefusesMoreUnitsThanKeyGroups(t *testing.T) {
	g := &exec.JobGraph{Name: "j", MaxParallelism: 4, Vertices: []*exec.Vertex{
		source("src", 8),
		op("agg", 2, exec.Edge{From: 0, Partitioning: exec.Hash, KeyCols: []int{0}}),
	}}
	_, err := Cut(g, 5)
	if err == nil || !strings.Contains(err.Error(), "5 units") || !strings.Contains(err.Error(), "pipeline.max-parallelism") {
		t.Fatalf("got %v", err)
	}
	if _, err := Cut(g, 4); err != nil {
		t.Fatal(err)
	}
}
