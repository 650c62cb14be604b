package planner

import (
	"fmt"
	"slices"
	"strings"

	"github.com/streamsql/streamsql/exec"
	"github.com/streamsql/streamsql/exec/operators"
	"github.com/streamsql/streamsql/expr"
	"github.com/streamsql/streamsql/plan"
	"github.com/streamsql/streamsql/types"
)

// errRankWithoutLimit is the error for a ROW_NUMBER() that no filter bounds.
var errRankWithoutLimit = errorf("ROW_NUMBER() OVER needs a filter on the row number in an outer query (Top-N), e.g. SELECT * FROM (SELECT *, ROW_NUMBER() OVER (PARTITION BY k ORDER BY v DESC) AS rn FROM t) WHERE rn <= 10")

// buildTopN plans a filter (cond) and projection (projs; nil keeps every
// column) over a Rank as a Top-N: the terms of cond that bound the row
// number from above (rn <= N, rn < N, rn = 1, N >= rn, rn BETWEEN 1 AND N)
// give the limit, the other terms and the projection run after it. When
// neither reads the row number, the Top-N does not compute it and emits
// only rows entering and leaving the first N.
func (b *builder) buildTopN(r *plan.Rank, cond expr.Expr, projs []expr.Expr, schema types.Schema) (stream, error) {
	in, err := b.build(r.Input)
	if err != nil {
		return stream{}, err
	}
	width := len(in.schema)
	rankCol := width
	limit := int64(-1)
	var rest []expr.Expr
	for _, t := range conjuncts(cond) {
		if n, ok := rankLimit(t, rankCol); ok {
			if limit < 0 || n < limit {
				limit = n
			}
			continue
		}
		rest = append(rest, t)
	}
	if limit < 0 {
		return stream{}, errRankWithoutLimit
	}
	emitRank := projs == nil
	for _, e := range slices.Concat(projs, rest) {
		for _, c := range expr.Columns(e) {
			if c == rankCol {
				emitRank = true
			}
		}
	}
	return b.topN(r, in, limit, emitRank, rest, projs, schema)
}

// topN plans the Top-N of r (first limit rows per partition) over its
// built input in (r.Input), then rest and projs as buildTopN describes.
func (b *builder) topN(r *plan.Rank, in stream, limit int64, emitRank bool, rest, projs []expr.Expr, schema types.Schema) (stream, error) {
	width := len(in.schema)
	rankCol := width
	in, keyCols, err := b.keyColumns(in, r.Partition)
	if err != nil {
		return stream{}, err
	}
	if isWindowPartition(in, keyCols) {
		return b.buildWindowTopN(r, in, keyCols, width, limit, emitRank, rest, projs, schema) // windowtopn.go
	}
	var order []operators.RankSortKey
	var os []string
	for _, k := range r.Order {
		order = append(order, operators.RankSortKey{Expr: k.Expr, Desc: k.Desc})
		os = append(os, k.String())
	}
	edge, par := b.exchange(in, keyCols)
	spec := operators.TopNSpec{PartitionCols: keyCols, Order: order, Limit: max(limit, 0), OutWidth: width,
		EmitRank: emitRank, InsertOnly: in.appendOnly}
	outSchema := append(types.Schema{}, in.schema[:width]...)
	if emitRank {
		outSchema = append(outSchema, r.Schema()[rankCol])
	}
	kd := keyDesc(in.schema, keyCols)
	desc := fmt.Sprintf("TopN rows=%d partition=[%s] order=[%s]", limit, kd, strings.Join(os, ", "))
	if emitRank {
		desc += " with row number " + r.Name
	}
	stateDesc := "per partition: its first rows"
	if !in.appendOnly {
		stateDesc = "per partition: all its rows (the input retracts)"
	}
	if limit == 0 {
		// rn < 1: nothing passes.
		rest = append(rest, &expr.Literal{V: types.BoolValue(false), T: types.Bool})
		spec.Limit = 1
	}
	vi := b.add(&exec.Vertex{Name: desc, Parallelism: par, Schema: outSchema, KeyDesc: kd, StateDesc: stateDesc,
		NewOperator: func() exec.Operator { return operators.NewTopN(spec) }}, desc, edge)
	out := stream{vertex: vi, parallelism: par, schema: outSchema, appendOnly: false, bounded: in.bounded,
		eventTime: in.eventTime, windowStart: -1, windowEnd: -1}
	return b.calcAfterTopN(out, rest, projs, schema)
}

// calcAfterTopN adds, over a Top-N's output out, the filter terms rest and
// the projection projs (nil keeps the Top-N's columns) that came with it.
func (b *builder) calcAfterTopN(out stream, rest, projs []expr.Expr, schema types.Schema) (stream, error) {
	if len(rest) == 0 && projs == nil {
		return out, nil
	}
	if projs == nil {
		// A filter alone keeps the Rank's columns.
		for i, c := range out.schema {
			projs = append(projs, &expr.Col{Index: i, Name: c.Name, T: c.Type})
		}
		schema = out.schema
	}
	return b.buildCalcOver(out, andAll(rest), projs, schema)
}

// rankLimit recognises an upper bound of the row number (column rankCol)
// and returns the number of rows it keeps.
func rankLimit(t expr.Expr, rankCol int) (int64, bool) {
	isRank := func(e expr.Expr) bool {
		c, ok := expr.AsCol(e)
		return ok && c.Index == rankCol
	}
	intLit := func(e expr.Expr) (int64, bool) {
		l, ok := e.(*expr.Literal)
		if !ok || l.V.Kind() != types.KindInt {
			return 0, false
		}
		return l.V.Int(), true
	}
	switch c := t.(type) {
	case *expr.Compare:
		l, r, op := c.L, c.R, c.Op
		if isRank(r) {
			l, r = r, l
			switch op {
			case expr.CmpLT:
				op = expr.CmpGT
			case expr.CmpLE:
				op = expr.CmpGE
			case expr.CmpGT:
				op = expr.CmpLT
			case expr.CmpGE:
				op = expr.CmpLE
			}
		}
		if !isRank(l) {
			return 0, false
		}
		n, ok := intLit(r)
		if !ok {
			return 0, false
		}
		switch op {
		case expr.CmpLE:
			return max(n, 0), true
		case expr.CmpLT:
			return max(n-1, 0), true
		case expr.CmpEQ:
			if n == 1 {
				return 1, true
			}
		}
	case *expr.Between:
		lo, ok1 := intLit(c.Lo)
		hi, ok2 := intLit(c.Hi)
		if !c.Not && isRank(c.X) && ok1 && ok2 && lo <= 1 {
			return max(hi, 0), true
		}
	}
	return 0, false
}
