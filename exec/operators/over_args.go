package operators

import (
	"github.com/streamsql/streamsql/expr"
	"github.com/streamsql/streamsql/plan"
	"github.com/streamsql/streamsql/types"
)

// overArgs lays out the argument row of the OVER operator: the values of
// every expression its calls read, computed once per input row, kept in
// the partition's history for the rows its bounded frames cover and
// handed to the accumulators on Add and again, unchanged, on Retract (so
// that a FILTER, an ORDER BY key or a further COUNT(DISTINCT) argument
// gives a retracted row the same verdict it had when it was added).
//
// Slot i (i < number of calls) is call i's argument (NULL for COUNT(*)),
// so that the history of calls without further expressions keeps the
// layout of one value per call. The calls' further expressions (More,
// OrderBy, Filter) follow, in call order.
type overArgs struct {
	exprs []expr.Expr // per slot: the expression over the input row (nil: NULL)
	cols  []int       // per slot: the input column it reads, or -1
	calls []plan.AggCall
}

// newOverArgs lays out the slots of calls and returns, per call, the call
// with its expressions replaced by references to their slots.
func newOverArgs(calls []plan.OverCall) *overArgs {
	a := &overArgs{}
	for _, c := range calls {
		a.add(c.Arg)
	}
	for i, c := range calls {
		call := c.AggCall
		if c.Arg != nil {
			call.Arg = slotRef(i, c.Arg)
		}
		call.More = a.refs(c.More)
		call.OrderBy = a.refs(c.OrderBy)
		if c.Filter != nil {
			call.Filter = slotRef(a.add(c.Filter), c.Filter)
		}
		a.calls = append(a.calls, call)
	}
	return a
}

// add appends a slot for e and returns its index.
func (a *overArgs) add(e expr.Expr) int {
	col := -1
	if e != nil {
		if c, ok := expr.AsCol(e); ok {
			col = c.Index
		}
	}
	a.exprs = append(a.exprs, e)
	a.cols = append(a.cols, col)
	return len(a.exprs) - 1
}

// refs appends a slot per expression and returns references to them.
func (a *overArgs) refs(es []expr.Expr) []expr.Expr {
	if es == nil {
		return nil
	}
	out := make([]expr.Expr, len(es))
	for i, e := range es {
		out[i] = slotRef(a.add(e), e)
	}
	return out
}

func slotRef(slot int, e expr.Expr) expr.Expr {
	return &expr.Col{Index: slot, Name: e.String(), T: e.Type()}
}

// width is the number of slots.
func (a *overArgs) width() int { return len(a.exprs) }

// eval computes the slots of row into dst (len(dst) == width()).
func (a *overArgs) eval(dst, row []types.Value) error {
	for i, e := range a.exprs {
		switch {
		case e == nil:
			dst[i] = types.Value{}
		case a.cols[i] >= 0:
			dst[i] = row[a.cols[i]]
		default:
			v, err := e.Eval(row)
			if err != nil {
				return err
			}
			dst[i] = v
		}
	}
	return nil
}
