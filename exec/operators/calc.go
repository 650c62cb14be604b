package operators

import (
	"github.com/streamsql/streamsql/exec"
	"github.com/streamsql/streamsql/expr"
	"github.com/streamsql/streamsql/types"
)

// NewCalc filters (filter may be nil) and projects (projs nil = pass the
// row through unchanged). Ops are preserved. It serves UNION ALL too: it
// accepts any number of inputs and treats them alike.
//
// A row passes the filter when the condition is TRUE (a non-zero number
// counts as TRUE, as in MySQL); FALSE and NULL drop it. An evaluation error
// fails the job. Calc is stateless.
func NewCalc(filter expr.Expr, projs []expr.Expr) exec.Operator {
	c := &calc{filter: filter, projs: projs}
	if projs != nil {
		c.cols = make([]int, len(projs))
		for i, p := range projs {
			c.cols[i] = -1
			if col, ok := expr.AsCol(p); ok {
				c.cols[i] = col.Index
			}
		}
		c.out = make([]types.Value, len(projs))
	}
	return c
}

type calc struct {
	exec.Base
	filter expr.Expr
	projs  []expr.Expr
	cols   []int
	out    []types.Value
	ctx    *exec.Context
}

func (c *calc) Open(ctx *exec.Context) error { c.ctx = ctx; return nil }

// ReleasesInput implements exec.InputReleaser: rows go out through Emit,
// which copies them.
func (c *calc) ReleasesInput() bool { return true }

// BorrowsInput implements exec.InputBorrower: the batch is only read.
func (c *calc) BorrowsInput() bool { return true }

func (c *calc) ProcessBatch(_ int, b *types.Batch) error {
	out := c.ctx.Out
	for i, n := 0, b.Len(); i < n; i++ {
		row := b.Row(i)
		if c.filter != nil {
			v, err := c.filter.Eval(row)
			if err != nil {
				return err
			}
			if !isTrue(v) {
				continue
			}
		}
		if c.projs == nil {
			out.Emit(b.Ops[i], row)
			continue
		}
		for j, p := range c.projs {
			if k := c.cols[j]; k >= 0 {
				c.out[j] = row[k]
				continue
			}
			v, err := p.Eval(row)
			if err != nil {
				return err
			}
			c.out[j] = v
		}
		out.Emit(b.Ops[i], c.out)
	}
	return nil
}

// isTrue reports whether a condition value is TRUE.
func isTrue(v types.Value) bool {
	switch v.Kind() {
	case types.KindBool:
		return v.Bool()
	case types.KindInt, types.KindDecimal:
		return v.Int() != 0
	case types.KindDouble:
		return v.Double() != 0
	}
	return false
}
