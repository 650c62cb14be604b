package exec

import (
	"fmt"

	"github.com/streamsql/streamsql/catalog"
	"github.com/streamsql/streamsql/checkpoint"
	"github.com/streamsql/streamsql/connectors"
	"github.com/streamsql/streamsql/state"
	"github.com/streamsql/streamsql/types"
)

// Partitioning says how an edge distributes rows among the instances of
// its downstream vertex.
type Partitioning uint8

const (
	// Forward connects instance i to instance i; both vertices have the same parallelism.
	Forward Partitioning = iota
	// Hash routes a row to the instance owning the key group of its KeyCols.
	Hash
	// Rebalance spreads batches round robin.
	Rebalance
	// Global sends everything to instance 0 (downstream parallelism 1).
	Global
)

var partitioningNames = [...]string{"FORWARD", "HASH", "REBALANCE", "GLOBAL"}

func (p Partitioning) String() string { return partitioningNames[p] }

// Edge is an input of a vertex.
type Edge struct {
	From         int // index of the upstream vertex in JobGraph.Vertices
	Partitioning Partitioning
	KeyCols      []int // for Hash: columns of the upstream's output rows
}

// SourceSpec configures a source vertex.
type SourceSpec struct {
	Table  *catalog.Table
	Source connectors.Source
	// Splits, when not nil, are the splits listed at planning time; split
	// k goes to instance k mod parallelism. When nil, the runtime lists them.
	Splits []connectors.Split
	// Schema is the output schema: the table's columns (physical columns
	// as read, plus the PROCTIME column filled by the task).
	Watermark   *catalog.Watermark // nil: no event-time progress until the end
	ProctimeCol int                // -1 when none
	// IdleTimeoutMs > 0: a split with no rows for this long stops holding
	// the watermark back (table.exec.source.idle-timeout); a task whose
	// splits are all idle tells its consumers (see watermarkValve). A
	// split whose reader implements connectors.IdleReporter is also idle
	// while the reader says so, whatever the timeout.
	IdleTimeoutMs int64
	// ReaderWatermarks: the split readers report each split's watermark
	// (connectors.WatermarkReader; an exchange between stages) and
	// Watermark is nil. A reader that does not report one holds the
	// watermark at its start until its split ends.
	ReaderWatermarks bool
}

// Vertex is a node of the job graph: a source, or an operator with inputs.
type Vertex struct {
	// ID is the stable operator id derived from the query by the planner.
	ID          string
	Name        string
	Parallelism int
	Schema      types.Schema // output schema
	Source      *SourceSpec  // set for sources
	// NewOperator creates the operator of one instance (non-sources).
	NewOperator func() Operator
	Inputs      []Edge
	// Keyed, for EXPLAIN: description of key fields and state.
	KeyDesc   string
	StateDesc string
	// Sink marks terminal vertices (no outputs expected).
	Sink bool
	// Optional marks a vertex the planner adds or leaves out for the same
	// query depending on settings such as the parallelism (the local
	// phase of a two-phase aggregate). It holds no state, and what
	// identifies the job across runs (its checkpoint directory) leaves it
	// out.
	Optional bool
	// KeyGroups, when set on a vertex at parallelism 1, are the key
	// groups its instance owns (its state backend's range), instead of
	// all of them: a unit of a later stage owns the key groups of the
	// partitions it reads, so that its checkpoints hold that range and a
	// restore takes only that range from checkpoints of other units.
	KeyGroups *state.KeyGroupRange
}

// JobGraph is a keyed operator graph ready to run. Vertices are in
// topological order (every edge points to an earlier vertex).
type JobGraph struct {
	Name           string
	Vertices       []*Vertex
	MaxParallelism int
	// BatchSize is the target number of rows per batch.
	BatchSize int
	// Stage, for the graph of a unit of a job cut into stages, is the
	// unit layout its checkpoints record (checkpoint.Metadata.Stage).
	Stage *checkpoint.StageLayout
}

// Validate checks structural invariants.
func (g *JobGraph) Validate() error {
	for i, v := range g.Vertices {
		if v.Parallelism < 1 {
			return fmt.Errorf("vertex %s: parallelism %d", v.ID, v.Parallelism)
		}
		if (v.Source == nil) == (v.NewOperator == nil) {
			return fmt.Errorf("vertex %s: must be either a source or an operator", v.ID)
		}
		for _, e := range v.Inputs {
			if e.From >= i {
				return fmt.Errorf("vertex %s: input %d is not earlier in topological order", v.ID, e.From)
			}
			up := g.Vertices[e.From]
			switch e.Partitioning {
			case Forward:
				if up.Parallelism != v.Parallelism {
					return fmt.Errorf("vertex %s: forward edge from %s with parallelism %d != %d", v.ID, up.ID, up.Parallelism, v.Parallelism)
				}
			case Global:
				if v.Parallelism != 1 {
					return fmt.Errorf("vertex %s: global edge needs parallelism 1", v.ID)
				}
			}
		}
	}
	return nil
}
