package expr

import (
	"strings"

	"github.com/streamsql/streamsql/types"
)

// Case is the searched CASE WHEN c1 THEN v1 ... [ELSE e] END (a simple CASE
// x WHEN a ... is bound as WHEN x = a). Only the chosen branch is evaluated.
// Display, when set, replaces the CASE form in String (IF, NULLIF, ...).
type Case struct {
	Whens   []Expr
	Thens   []Expr
	Else    Expr // nil: NULL
	T       types.Type
	Display string
}

// NewCase type-checks a searched CASE: conditions must be boolean, the
// branches must meet in a common type (CommonType) and are cast to it.
func NewCase(whens, thens []Expr, els Expr) (*Case, error) {
	ts := make([]types.Type, 0, len(thens)+1)
	for _, t := range thens {
		ts = append(ts, t.Type())
	}
	if els != nil {
		ts = append(ts, els.Type())
	} else {
		ts = append(ts, types.Null)
	}
	t, ok := CommonType(ts...)
	if !ok {
		var names []string
		for _, x := range ts {
			names = append(names, x.Nullable().String())
		}
		return nil, typeErr(-1, "CASE branches have incompatible types "+strings.Join(names, ", "))
	}
	c := &Case{T: t}
	for i := range whens {
		w, err := AsBool(whens[i])
		if err != nil {
			return nil, typeErr(-1, err.Error())
		}
		v, err := Coerce(thens[i], t)
		if err != nil {
			return nil, typeErr(-1, err.Error())
		}
		c.Whens = append(c.Whens, w)
		c.Thens = append(c.Thens, v)
	}
	if els != nil {
		v, err := Coerce(els, t)
		if err != nil {
			return nil, typeErr(-1, err.Error())
		}
		c.Else = v
	}
	return c, nil
}

func (c *Case) Type() types.Type { return c.T }
func (c *Case) String() string {
	if c.Display != "" {
		return c.Display
	}
	var b strings.Builder
	b.WriteString("CASE")
	for i := range c.Whens {
		b.WriteString(" WHEN " + c.Whens[i].String() + " THEN " + c.Thens[i].String())
	}
	if c.Else != nil {
		b.WriteString(" ELSE " + c.Else.String())
	}
	b.WriteString(" END")
	return b.String()
}
func (c *Case) Eval(row []types.Value) (types.Value, error) {
	for i, w := range c.Whens {
		v, err := w.Eval(row)
		if err != nil {
			return v, err
		}
		if IsTrue(v) {
			return c.Thens[i].Eval(row)
		}
	}
	if c.Else != nil {
		return c.Else.Eval(row)
	}
	return types.NullValue(), nil
}

// Coalesce returns its first non-NULL argument (IFNULL is the two-argument form).
type Coalesce struct {
	Args []Expr
	T    types.Type
	Name string // COALESCE or IFNULL
}

// NewCoalesce type-checks COALESCE(args...).
func NewCoalesce(name string, args []Expr) (Expr, error) {
	ts := make([]types.Type, len(args))
	for i, a := range args {
		ts[i] = a.Type()
	}
	t, ok := CommonType(ts...)
	if !ok {
		return nil, typeErr(-1, name+" arguments have incompatible types")
	}
	nn := false
	out := make([]Expr, len(args))
	for i, a := range args {
		nn = nn || a.Type().NotNull
		var err error
		if out[i], err = Coerce(a, t.Nullable()); err != nil {
			return nil, typeErr(i, err.Error())
		}
	}
	t.NotNull = nn
	return &Coalesce{Args: out, T: t, Name: name}, nil
}

func (c *Coalesce) Type() types.Type { return c.T }
func (c *Coalesce) String() string   { return c.Name + "(" + joinExprs(c.Args) + ")" }
func (c *Coalesce) Eval(row []types.Value) (types.Value, error) {
	for _, a := range c.Args {
		v, err := a.Eval(row)
		if err != nil || !v.IsNull() {
			return v, err
		}
	}
	return types.NullValue(), nil
}

func joinExprs(es []Expr) string {
	var b strings.Builder
	for i, e := range es {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(e.String())
	}
	return b.String()
}
