package expr

import (
	"fmt"

	"github.com/streamsql/streamsql/types"
)

// OuterCol reads column Index of the outer row of a correlated subquery:
// the row of the input of the plan.Apply the subquery belongs to. It
// stands in a subquery's plan (bound by the sql binder) until the
// optimizer's decorrelate rule rewrites the Apply into a join, turning
// every OuterCol into a join key over the outer input's column Index.
//
// An OuterCol is never evaluated: a plan that still holds one cannot run
// (the planner refuses an Apply the rule left), so Eval fails.
type OuterCol struct {
	Index int
	Name  string
	T     types.Type
}

func (c *OuterCol) Type() types.Type { return c.T }
func (c *OuterCol) Eval([]types.Value) (types.Value, error) {
	return types.Value{}, &EvalError{Msg: fmt.Sprintf("outer column %s read outside its correlated subquery", c.Name)}
}

// String marks the reference as outer: outer.name.
func (c *OuterCol) String() string { return "outer." + c.Name }

// ToOuter returns e with every column reference turned into an OuterCol
// of the same index (e bound against an outer query's input, to be read
// inside a subquery).
func ToOuter(e Expr) Expr {
	return MapColumns(e, func(c *Col) Expr { return &OuterCol{Index: c.Index, Name: c.Name, T: c.T} })
}

// FromOuter returns e with every OuterCol turned back into a column
// reference of the same index (e read by a join over the outer input).
func FromOuter(e Expr) Expr {
	return MapOuterColumns(e, func(c *OuterCol) Expr { return &Col{Index: c.Index, Name: c.Name, T: c.T} })
}

// MapOuterColumns returns a copy of e in which each OuterCol is replaced
// by fn(col), as MapColumns does for column references.
func MapOuterColumns(e Expr, fn func(*OuterCol) Expr) Expr {
	return mapRefs(e, func(c *Col) Expr { return c }, fn)
}

// ReadsOuter reports whether e reads an outer column.
func ReadsOuter(e Expr) bool {
	found := false
	Walk(e, func(x Expr) {
		if _, ok := x.(*OuterCol); ok {
			found = true
		}
	})
	return found
}
