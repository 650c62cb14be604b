package plan

import (
	"fmt"
	"strings"

	"github.com/streamsql/streamsql/expr"
	"github.com/streamsql/streamsql/types"
)

// OverFrame is the frame of an OVER window, always ending at the current
// row: ROWS frames count rows, RANGE frames span time.
//   - ROWS BETWEEN n PRECEDING AND CURRENT ROW: Rows, Preceding = n (the
//     row and the n rows before it in time order);
//   - RANGE BETWEEN INTERVAL 'd' PRECEDING AND CURRENT ROW: Preceding = d
//     in ms (every row whose time is in [t - d, t], including the rows at
//     the current row's time t, its peers);
//   - ... UNBOUNDED PRECEDING AND CURRENT ROW: Unbounded (every row up to
//     the current one; its peers too for RANGE).
type OverFrame struct {
	Rows      bool
	Unbounded bool
	Preceding int64
}

func (f OverFrame) String() string {
	kind := "RANGE"
	if f.Rows {
		kind = "ROWS"
	}
	switch {
	case f.Unbounded:
		return kind + " UNBOUNDED PRECEDING"
	case f.Rows:
		return fmt.Sprintf("ROWS %d PRECEDING", f.Preceding)
	}
	return fmt.Sprintf("RANGE %dms PRECEDING", f.Preceding)
}

// OverCall is one aggregate of an Over node and the frame it runs over
// (an index into Over.Frames).
type OverCall struct {
	AggCall
	Frame int
}

// Over is OVER aggregation: agg(x) OVER (PARTITION BY Partition ORDER BY
// the time attribute TimeCol frame). Output schema: the input columns,
// then one column per call. Each input row is emitted once, with the
// values of its calls over its frame; the output is append-only.
//
// Rows are taken in time order per partition: with event time (Proctime
// false) a row waits until the watermark passes its time, rows at or
// behind the watermark when they arrive are late and dropped; with
// processing time a row is aggregated when it arrives.
type Over struct {
	Input     Node
	Partition []expr.Expr // bound against Input
	TimeCol   int         // the ORDER BY time attribute, a column of Input
	Proctime  bool
	Frames    []OverFrame
	Calls     []OverCall
}

func (o *Over) Schema() types.Schema {
	in := o.Input.Schema()
	s := make(types.Schema, 0, len(in)+len(o.Calls))
	s = append(s, in...)
	for _, c := range o.Calls {
		s = append(s, types.Column{Name: c.Name, Type: c.Type})
	}
	return s
}
func (o *Over) Children() []Node { return []Node{o.Input} }
func (o *Over) Describe() string {
	var ps, cs []string
	for _, p := range o.Partition {
		ps = append(ps, p.String())
	}
	for _, c := range o.Calls {
		cs = append(cs, c.AggCall.String()+" "+o.Frames[c.Frame].String())
	}
	order := fmt.Sprintf("#%d", o.TimeCol)
	if in := o.Input.Schema(); o.TimeCol >= 0 && o.TimeCol < len(in) {
		order = in[o.TimeCol].Name
	}
	return fmt.Sprintf("OverAggregate partition=[%s] order=[%s] aggs=[%s]", strings.Join(ps, ", "), order, strings.Join(cs, ", "))
}
