package expr

import (
	"github.com/streamsql/streamsql/types"
)

func init() {
	Register(&Func{Name: "COALESCE", MinArgs: 1, MaxArgs: -1, Usage: "COALESCE(a, b, ...)", Build: func(args []Expr) (Expr, error) {
		return NewCoalesce("COALESCE", args)
	}})
	Register(&Func{Name: "IFNULL", MinArgs: 2, MaxArgs: 2, Usage: "IFNULL(a, b)", Build: func(args []Expr) (Expr, error) {
		return NewCoalesce("IFNULL", args)
	}})
	Register(&Func{Name: "IF", MinArgs: 3, MaxArgs: 3, Usage: "IF(cond, a, b)", Build: func(args []Expr) (Expr, error) {
		c, err := NewCase(args[:1], args[1:2], args[2])
		if err != nil {
			return nil, err
		}
		c.Display = "IF(" + joinExprs(args) + ")"
		return c, nil
	}})
	Register(&Func{Name: "NULLIF", MinArgs: 2, MaxArgs: 2, Usage: "NULLIF(a, b)", Build: func(args []Expr) (Expr, error) {
		eq, err := NewCompare(CmpEQ, args[0], args[1])
		if err != nil {
			return nil, err
		}
		c, err := NewCase([]Expr{eq}, []Expr{&Literal{V: types.NullValue(), T: types.Null}}, args[0])
		if err != nil {
			return nil, err
		}
		c.Display = "NULLIF(" + joinExprs(args) + ")"
		return c, nil
	}})
}
