package plan

import (
	"fmt"
	"strings"

	"github.com/streamsql/streamsql/expr"
	"github.com/streamsql/streamsql/types"
)

// Join is an inner equi-join. Output schema: the left columns followed by
// the right columns. LeftKeys[i] (bound against Left) equals RightKeys[i]
// (bound against Right). Residual, if not nil, is bound against the output
// schema and filters joined rows.
//
// A regular join keeps both sides in state and emits a changelog. When both
// inputs are windowed aggregates joined on their window bounds, the planner
// runs it as a window join: append-only output, state cleared when the
// window closes.
type Join struct {
	Left, Right         Node
	LeftKeys, RightKeys []expr.Expr
	Residual            expr.Expr
}

func (j *Join) Schema() types.Schema {
	l, r := j.Left.Schema(), j.Right.Schema()
	s := make(types.Schema, 0, len(l)+len(r))
	return append(append(s, l...), r...)
}
func (j *Join) Children() []Node { return []Node{j.Left, j.Right} }
func (j *Join) Describe() string {
	var conds []string
	for i := range j.LeftKeys {
		conds = append(conds, fmt.Sprintf("%s = %s", j.LeftKeys[i], j.RightKeys[i]))
	}
	s := "InnerJoin on " + strings.Join(conds, " AND ")
	if j.Residual != nil {
		s += " where " + j.Residual.String()
	}
	return s
}
