package planner

import (
	"fmt"
	"slices"
	"strings"

	"github.com/streamsql/streamsql/exec"
	"github.com/streamsql/streamsql/exec/operators"
	"github.com/streamsql/streamsql/plan"
)

// buildOver plans an OVER aggregation: a hash exchange on the partition
// keys (computed keys appended by a Calc first; no key: one instance) into
// an OverAggregate vertex, whose output (the input's columns, then one per
// call) is append-only.
//
// The ORDER BY column must be a time attribute of the stream: a PROCTIME()
// column, a column that follows the watermark (stream.rowtimes), or any
// TIMESTAMP column of a bounded input without watermark (whose rows are
// all taken, in time order, at the end of the input).
func (b *builder) buildOver(n *plan.Over) (stream, error) {
	in, err := b.build(n.Input)
	if err != nil {
		return stream{}, err
	}
	width := len(in.schema)
	timeName := in.schema[n.TimeCol].Name
	if !in.appendOnly {
		return stream{}, errorf("OverAggregate doesn't support consuming update and delete changes: its input is a changelog (a non-windowed aggregate, a Top-N or a join over updates); apply the OVER aggregate to append-only rows")
	}
	if !n.Proctime && !in.bounded && !slices.Contains(in.rowtimes, n.TimeCol) {
		return stream{}, errorf("OVER windows' ordering in stream mode must be defined on a time attribute. Column '%s' is not one: declare `WATERMARK FOR %s AS %s - INTERVAL '1' SECOND` on the table, or order by a PROCTIME() column", timeName, timeName, timeName)
	}
	in, keyCols, err := b.keyColumns(in, n.Partition)
	if err != nil {
		return stream{}, err
	}
	edge, par := b.exchange(in, keyCols)
	spec := operators.OverSpec{PartitionCols: keyCols, TimeCol: n.TimeCol, Proctime: n.Proctime,
		Frames: n.Frames, Calls: n.Calls, OutWidth: width}
	var calls []string
	for _, c := range n.Calls {
		calls = append(calls, c.AggCall.String()+" "+frameDesc(n.Frames[c.Frame]))
	}
	kd := keyDesc(in.schema, keyCols)
	timeKind := "rowtime"
	if n.Proctime {
		timeKind = "proctime"
	}
	desc := fmt.Sprintf("OverAggregate partition=[%s] order=[%s %s] aggs=[%s]", kd, timeName, timeKind, strings.Join(calls, ", "))
	stateDesc := "per partition: the accumulators and the rows its bounded frames still cover"
	if !n.Proctime {
		stateDesc += ", and the rows waiting for the watermark"
	}
	schema := n.Schema()
	vi := b.add(&exec.Vertex{Name: desc, Parallelism: par, Schema: schema, KeyDesc: kd, StateDesc: stateDesc,
		NewOperator: func() exec.Operator { return operators.NewOver(spec) }}, desc, edge)
	out := stream{vertex: vi, parallelism: par, schema: schema, appendOnly: true, bounded: in.bounded,
		eventTime: in.eventTime, windowStart: -1, windowEnd: -1}
	for _, c := range in.rowtimes {
		if c < width {
			out.rowtimes = append(out.rowtimes, c)
		}
	}
	if in.windowStart < width && in.windowEnd < width {
		out.windowStart, out.windowEnd = in.windowStart, in.windowEnd
	}
	return out, nil
}

// frameDesc renders a frame for EXPLAIN, intervals as durations.
func frameDesc(f plan.OverFrame) string {
	switch {
	case f.Unbounded || f.Rows:
		return f.String()
	}
	return "RANGE " + fmtDuration(f.Preceding) + " PRECEDING"
}
