package planner

import (
	"github.com/streamsql/streamsql/catalog"
	"github.com/streamsql/streamsql/expr"
	"github.com/streamsql/streamsql/plan"
)

// Columns read: a source that can skip building columns
// (connectors.ColumnSkipper, e.g. the nexmark generator) is told which of
// its table's columns the job's queries read. The analysis follows
// projections, filters, aggregates and unions down to the scans; below any
// other node every column counts as read. A table's declared watermark
// column is always read (the source task computes the watermark from it),
// and so is every column of a scan that is a query's result.

// scanColumns returns, for every table scanned in roots, which of its
// columns (indexes of Table.Columns) the queries read.
func scanColumns(roots []plan.Node) map[*catalog.Table][]bool {
	out := map[*catalog.Table][]bool{}
	for _, r := range roots {
		readColumns(r, nil, out)
	}
	return out
}

// readColumns records the columns of the scans below n that are read when
// the output columns need[i] of n are (nil: all of them).
func readColumns(n plan.Node, need []bool, out map[*catalog.Table][]bool) {
	switch n := n.(type) {
	case *plan.Scan:
		t := n.Table
		read := out[t]
		if read == nil {
			read = make([]bool, len(t.Columns))
			out[t] = read
		}
		for i := range read {
			if need == nil || (i < len(need) && need[i]) {
				read[i] = true
			}
		}
		if t.Watermark != nil && t.Watermark.Column < len(read) {
			read[t.Watermark.Column] = true
		}
	case *plan.Project:
		in := make([]bool, len(n.Input.Schema()))
		for i, e := range n.Exprs {
			if need == nil || (i < len(need) && need[i]) {
				markColumns(in, e)
			}
		}
		readColumns(n.Input, in, out)
	case *plan.Filter:
		in := make([]bool, len(n.Input.Schema()))
		if need == nil {
			in = nil
		} else {
			copy(in, need)
			markColumns(in, n.Cond)
		}
		readColumns(n.Input, in, out)
	case *plan.Aggregate:
		// Every key, window and aggregate input is read, whichever of
		// the aggregate's outputs are needed.
		in := make([]bool, len(n.Input.Schema()))
		for _, k := range n.GroupKeys {
			markColumns(in, k)
		}
		if n.Window != nil && n.Window.TimeCol >= 0 && n.Window.TimeCol < len(in) {
			in[n.Window.TimeCol] = true
		}
		for _, a := range n.Aggs {
			markColumns(in, a.Arg)
			markColumns(in, a.Filter)
			for _, e := range a.More {
				markColumns(in, e)
			}
			for _, e := range a.OrderBy {
				markColumns(in, e)
			}
		}
		readColumns(n.Input, in, out)
	case *plan.Union:
		for _, c := range n.Inputs {
			readColumns(c, need, out)
		}
	default:
		for _, c := range n.Children() {
			readColumns(c, nil, out)
		}
	}
}

// markColumns sets in[c] for every column c that e reads (e may be nil).
func markColumns(in []bool, e expr.Expr) {
	if e == nil {
		return
	}
	for _, c := range expr.Columns(e) {
		if c >= 0 && c < len(in) {
			in[c] = true
		}
	}
}

// physicalRead turns read (indexes of t.Columns) into indexes of
// t.PhysicalColumns, the columns a source fills.
func physicalRead(t *catalog.Table, read []bool) []bool {
	var out []bool
	for i, r := range read {
		if i != t.ProctimeColumn {
			out = append(out, r)
		}
	}
	return out
}
