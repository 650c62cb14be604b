package operators

import (
	"github.com/streamsql/streamsql/exec"
	"github.com/streamsql/streamsql/expr"
	"github.com/streamsql/streamsql/types"
)

// ExpandSpec configures the operator of a plan.Expand.
type ExpandSpec struct {
	// Pass are the input columns copied to each output row, in order.
	Pass []int
	// Keys are the group key expressions, bound against the input.
	Keys []expr.Expr
	// Sets[s][k] is true when grouping set s holds key k.
	Sets [][]bool
}

// NewExpand emits each input row once per grouping set, in the order of
// Sets, with the op of the input row: the Pass columns, then each key's
// value (NULL when the set does not hold the key), then the set's index
// as a BIGINT. Keys are evaluated once per row; an evaluation error fails
// the job. Expand is stateless and keeps the input's order, so it runs
// forward-connected to its input at the input's parallelism.
func NewExpand(spec ExpandSpec) exec.Operator {
	return &expand{spec: spec, keys: make([]types.Value, len(spec.Keys))}
}

type expand struct {
	exec.Base
	spec ExpandSpec
	ctx  *exec.Context
	keys []types.Value
	out  []types.Value
}

func (o *expand) Open(ctx *exec.Context) error { o.ctx = ctx; return nil }

// ReleasesInput implements exec.InputReleaser: rows are copied by Emit.
func (o *expand) ReleasesInput() bool { return true }

func (o *expand) ProcessBatch(_ int, b *types.Batch) error {
	width, nk := len(o.spec.Pass), len(o.spec.Keys)
	if cap(o.out) < width+nk+1 {
		o.out = make([]types.Value, width+nk+1)
	}
	out := o.out[:width+nk+1]
	for i, n := 0, b.Len(); i < n; i++ {
		row := b.Row(i)
		for k, e := range o.spec.Keys {
			v, err := e.Eval(row)
			if err != nil {
				return err
			}
			o.keys[k] = v
		}
		for j, c := range o.spec.Pass {
			out[j] = row[c]
		}
		for s, set := range o.spec.Sets {
			for k, in := range set {
				if in {
					out[width+k] = o.keys[k]
				} else {
					out[width+k] = types.NullValue()
				}
			}
			out[width+nk] = types.IntValue(int64(s))
			o.ctx.Out.Emit(b.Ops[i], out)
		}
	}
	return nil
}
