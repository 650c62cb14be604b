package plan

import (
	"fmt"

	"github.com/streamsql/streamsql/expr"
	"github.com/streamsql/streamsql/types"
)

// Apply is a subquery as written, before decorrelation: for each row of
// Input, Subquery is run with its expr.OuterCol references reading that
// row (OuterCol.Index is a column of Input). Two kinds:
//
//   - SemiJoin, AntiJoin (a WHERE clause's IN, EXISTS, NOT IN, NOT
//     EXISTS): the row is kept when some subquery row satisfies Cond
//     (semi) or when none does (anti). Cond is bound against Input's
//     columns followed by Subquery's (x = y for x IN (SELECT y ...)); nil
//     for EXISTS, where any subquery row will do. The output is Input's
//     rows and columns.
//   - LeftJoin (a subquery read as a value): Subquery is an aggregate
//     under projections, with at most one row per outer row (no GROUP BY,
//     or GROUP BY columns its correlation equates with outer values); the
//     output is each Input row followed by that row's columns, or by
//     NULLs when there is none, as a LEFT join's (the columns nullable).
//     Cond is nil.
//
// No operator runs an Apply: the optimizer's decorrelate rule rewrites it
// into a Join keyed by Cond's equalities and the subquery's correlated
// equalities (inner = outer). The planner refuses an Apply the rule could
// not rewrite, with an error at Pos that names the subquery (What) and
// says what to write instead.
type Apply struct {
	Kind     JoinKind // SemiJoin or AntiJoin
	Input    Node
	Subquery Node
	Cond     expr.Expr
	// What is the subquery's form: "IN", "NOT IN", "EXISTS" or "NOT
	// EXISTS" as written, or "scalar" for the LeftJoin kind.
	What string
	Pos  TextPos
}

// TextPos is a position in a script: the 1-based statement, line and
// column (characters) of a construct, for errors raised after binding.
type TextPos struct{ Stmt, Line, Col int }

func (p TextPos) String() string {
	return fmt.Sprintf("statement %d, line %d, column %d", p.Stmt, p.Line, p.Col)
}

func (a *Apply) Schema() types.Schema {
	if a.Kind.Filters() {
		return a.Input.Schema()
	}
	s := append(types.Schema{}, a.Input.Schema()...)
	from := len(s)
	s = append(s, a.Subquery.Schema()...)
	nullable(s[from:])
	return s
}
func (a *Apply) Children() []Node { return []Node{a.Input, a.Subquery} }
func (a *Apply) Describe() string {
	s := fmt.Sprintf("Apply %s (%s subquery at line %d, column %d)", a.Kind, a.What, a.Pos.Line, a.Pos.Col)

	if a.Cond != nil {
		s += " where " + a.Cond.String()
	}
	return s
}
