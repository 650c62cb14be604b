package planner

import (
	"fmt"

	"github.com/streamsql/streamsql/exec"
	"github.com/streamsql/streamsql/exec/operators"
	"github.com/streamsql/streamsql/plan"
)

// buildSetOp plans INTERSECT [ALL] / EXCEPT [ALL]: a SetOp operator fed
// by both inputs hashed on every column (a row's state lives in the key
// group of the whole row's hash). The output is a changelog (+I/-D).
func (b *builder) buildSetOp(n *plan.SetOp) (stream, error) {
	l, err := b.build(n.Left)
	if err != nil {
		return stream{}, err
	}
	r, err := b.build(n.Right)
	if err != nil {
		return stream{}, err
	}
	cols := make([]int, len(l.schema))
	for i := range cols {
		cols[i] = i
	}
	le, par := b.exchange(l, cols)
	re, _ := b.exchange(r, cols)
	schema := n.Schema()
	spec := operators.SetOpSpec{Except: n.Kind == plan.Except, All: n.All, Width: len(schema)}
	kd := keyDesc(l.schema, cols)
	desc := fmt.Sprintf("%s keys=[%s] changelog", n.Describe(), kd)
	vi := b.add(&exec.Vertex{Name: desc, Parallelism: par, Schema: schema, KeyDesc: kd,
		StateDesc:   "per row: its count in each input",
		NewOperator: func() exec.Operator { return operators.NewSetOp(spec) }}, desc, le, re)
	return stream{vertex: vi, parallelism: par, schema: schema, bounded: l.bounded && r.bounded,
		eventTime: l.eventTime && r.eventTime, windowStart: -1, windowEnd: -1}, nil
}
