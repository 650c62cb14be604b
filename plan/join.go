package plan

import (
	"fmt"
	"strings"

	"github.com/streamsql/streamsql/expr"
	"github.com/streamsql/streamsql/types"
)

// JoinKind is the kind of a Join.
type JoinKind uint8

const (
	InnerJoin JoinKind = iota
	LeftJoin           // every left row; unmatched ones padded with NULLs
	RightJoin          // every right row; unmatched ones padded with NULLs
	FullJoin           // both
	SemiJoin           // the left rows that have a match, once each; left columns only
	AntiJoin           // the left rows that have no match; left columns only
)

var joinKindNames = [...]string{"InnerJoin", "LeftOuterJoin", "RightOuterJoin", "FullOuterJoin", "SemiJoin", "AntiJoin"}

func (k JoinKind) String() string { return joinKindNames[k] }

// SQL is the join as written: JOIN, LEFT JOIN, RIGHT JOIN, FULL JOIN.
func (k JoinKind) SQL() string {
	return [...]string{"JOIN", "LEFT JOIN", "RIGHT JOIN", "FULL JOIN", "IN / EXISTS (a semi join)", "NOT IN / NOT EXISTS (an anti join)"}[k]
}

// Preserves reports whether the join keeps the unmatched rows of side s
// (0 left, 1 right).
func (k JoinKind) Preserves(s int) bool {
	return k == FullJoin || (s == 0 && k == LeftJoin) || (s == 1 && k == RightJoin)
}

// Join is an equi-join. Output schema: the left columns followed by the
// right columns (those of a side padded with NULLs by an outer join are
// nullable). LeftKeys[i] (bound against Left) equals RightKeys[i] (bound
// against Right). Residual, if not nil, is bound against the output schema
// and is part of the join condition (ON): for an outer join a preserved
// row whose matches all fail it is padded, not dropped. A join may have no
// keys (a nested-loop join: every pair is tested by Residual, or matches
// when it is nil); the planner then runs it in one subtask.
//
// A regular join keeps both sides in state and emits a changelog. When both
// inputs are windowed aggregates joined on their window bounds, the planner
// runs it as a window join: append-only output, state cleared when the
// window closes.
type Join struct {
	Kind                JoinKind
	Left, Right         Node
	LeftKeys, RightKeys []expr.Expr
	Residual            expr.Expr
}

// Filters reports whether the join only filters its left input (semi and
// anti joins): its output is the left columns.
func (k JoinKind) Filters() bool { return k == SemiJoin || k == AntiJoin }

func (j *Join) Schema() types.Schema { return j.appendSchema(nil) }

// appendSchema appends the join's output columns to s. The columns of
// joins and filters below it are appended in place rather than built
// and copied at each level, so that the schema of a chain of n joins
// costs its width, not n times it.
func (j *Join) appendSchema(s types.Schema) types.Schema {
	if j.Kind.Filters() {
		return appendSchemaOf(s, j.Left)
	}
	from := len(s)
	s = appendSchemaOf(s, j.Left)
	if j.Kind.Preserves(1) {
		nullable(s[from:])
	}
	from = len(s)
	s = appendSchemaOf(s, j.Right)
	if j.Kind.Preserves(0) {
		nullable(s[from:])
	}
	return s
}

// appendSchemaOf appends n's output columns to s.
func appendSchemaOf(s types.Schema, n Node) types.Schema {
	switch n := n.(type) {
	case *Join:
		return n.appendSchema(s)
	case *Filter:
		return appendSchemaOf(s, n.Input)
	}
	return append(s, n.Schema()...)
}

func nullable(s types.Schema) {
	for i := range s {
		s[i].Type = s[i].Type.Nullable()
	}
}

func (j *Join) Children() []Node { return []Node{j.Left, j.Right} }
func (j *Join) Describe() string {
	var conds []string
	for i := range j.LeftKeys {
		conds = append(conds, fmt.Sprintf("%s = %s", j.LeftKeys[i], j.RightKeys[i]))
	}
	s := j.Kind.String() + " on " + strings.Join(conds, " AND ")
	if len(conds) == 0 {
		s = j.Kind.String() + " (no equi keys)"
	}
	if j.Residual != nil {
		s += " where " + j.Residual.String()
	}
	return s
}
