package expr

import (
	"github.com/streamsql/streamsql/types"
)

// AsBool makes e usable as a condition: BOOLEAN stays, numbers become
// x <> 0 (MySQL), the NULL literal stays; anything else is a TypeError.
func AsBool(e Expr) (Expr, error) {
	t := e.Type()
	switch {
	case t.Kind == types.KindBool || t.Kind == types.KindNull:
		return e, nil
	case t.IsNumeric():
		return &Cast{X: e, T: types.Type{Kind: types.KindBool, NotNull: t.NotNull}}, nil
	}
	return nil, typeErr(0, "expected a BOOLEAN condition, got "+t.Nullable().String())
}

func bools(l, r Expr) (Expr, Expr, error) {
	l2, err := AsBool(l)
	if err != nil {
		return nil, nil, typeErr(0, err.Error())
	}
	r2, err := AsBool(r)
	if err != nil {
		return nil, nil, typeErr(1, err.Error())
	}
	return l2, r2, nil
}

// truth reads a condition value: 1 true, 0 false, -1 NULL.
func truth(v types.Value) int {
	if v.IsNull() {
		return -1
	}
	if v.Bool() {
		return 1
	}
	return 0
}

// IsTrue reports whether a condition value is TRUE (not FALSE, not NULL).
func IsTrue(v types.Value) bool { return v.Kind() == types.KindBool && v.Bool() }

// And is three-valued L AND R (FALSE wins over NULL); R is not evaluated
// when L is FALSE. Build it with NewAnd (or MapColumns): notNull caches
// the type so that Type is O(1) on a chain of thousands of ANDs.
type And struct {
	L, R    Expr
	notNull bool
}

// Or is three-valued L OR R (TRUE wins over NULL); R is not evaluated when
// L is TRUE. Build it with NewOr (or MapColumns); notNull as for And.
type Or struct {
	L, R    Expr
	notNull bool
}

func newAnd(l, r Expr) *And { return &And{L: l, R: r, notNull: l.Type().NotNull && r.Type().NotNull} }
func newOr(l, r Expr) *Or   { return &Or{L: l, R: r, notNull: l.Type().NotNull && r.Type().NotNull} }

// Not is three-valued NOT X.
type Not struct{ X Expr }

// NewAnd builds L AND R.
func NewAnd(l, r Expr) (Expr, error) {
	l, r, err := bools(l, r)
	if err != nil {
		return nil, err
	}
	return newAnd(l, r), nil
}

// NewOr builds L OR R.
func NewOr(l, r Expr) (Expr, error) {
	l, r, err := bools(l, r)
	if err != nil {
		return nil, err
	}
	return newOr(l, r), nil
}

// NewNot builds NOT X.
func NewNot(x Expr) (Expr, error) {
	x, err := AsBool(x)
	if err != nil {
		return nil, err
	}
	return &Not{X: x}, nil
}

func boolT(notNull bool) types.Type { return types.Type{Kind: types.KindBool, NotNull: notNull} }

func (a *And) Type() types.Type { return boolT(a.notNull) }
func (a *And) String() string   { return render(a) }
func (a *And) Eval(row []types.Value) (types.Value, error) {
	l, err := a.L.Eval(row)
	if err != nil {
		return l, err
	}
	lt := truth(l)
	if lt == 0 {
		return types.BoolValue(false), nil
	}
	r, err := a.R.Eval(row)
	if err != nil {
		return r, err
	}
	rt := truth(r)
	switch {
	case rt == 0:
		return types.BoolValue(false), nil
	case lt == 1 && rt == 1:
		return types.BoolValue(true), nil
	}
	return types.NullValue(), nil
}

func (o *Or) Type() types.Type { return boolT(o.notNull) }
func (o *Or) String() string   { return render(o) }
func (o *Or) Eval(row []types.Value) (types.Value, error) {
	l, err := o.L.Eval(row)
	if err != nil {
		return l, err
	}
	lt := truth(l)
	if lt == 1 {
		return types.BoolValue(true), nil
	}
	r, err := o.R.Eval(row)
	if err != nil {
		return r, err
	}
	rt := truth(r)
	switch {
	case rt == 1:
		return types.BoolValue(true), nil
	case lt == 0 && rt == 0:
		return types.BoolValue(false), nil
	}
	return types.NullValue(), nil
}

func (n *Not) Type() types.Type { return boolT(n.X.Type().NotNull) }
func (n *Not) String() string   { return "NOT " + operand(n.X) }
func (n *Not) Eval(row []types.Value) (types.Value, error) {
	v, err := n.X.Eval(row)
	if err != nil || v.IsNull() {
		return types.NullValue(), err
	}
	return types.BoolValue(!v.Bool()), nil
}

// IsNull is X IS [NOT] NULL; never NULL itself.
type IsNull struct {
	X   Expr
	Not bool
}

func (n *IsNull) Type() types.Type { return types.Type{Kind: types.KindBool, NotNull: true} }
func (n *IsNull) String() string {
	if n.Not {
		return operand(n.X) + " IS NOT NULL"
	}
	return operand(n.X) + " IS NULL"
}
func (n *IsNull) Eval(row []types.Value) (types.Value, error) {
	v, err := n.X.Eval(row)
	if err != nil {
		return v, err
	}
	return types.BoolValue(v.IsNull() != n.Not), nil
}

// IsBool is X IS [NOT] TRUE / X IS [NOT] FALSE; never NULL itself.
type IsBool struct {
	X    Expr
	Want bool // TRUE or FALSE
	Not  bool
}

// NewIsBool builds X IS [NOT] TRUE|FALSE.
func NewIsBool(x Expr, want, not bool) (Expr, error) {
	x, err := AsBool(x)
	if err != nil {
		return nil, err
	}
	return &IsBool{X: x, Want: want, Not: not}, nil
}

func (n *IsBool) Type() types.Type { return types.Type{Kind: types.KindBool, NotNull: true} }
func (n *IsBool) String() string {
	s := operand(n.X) + " IS "
	if n.Not {
		s += "NOT "
	}
	if n.Want {
		return s + "TRUE"
	}
	return s + "FALSE"
}
func (n *IsBool) Eval(row []types.Value) (types.Value, error) {
	v, err := n.X.Eval(row)
	if err != nil {
		return v, err
	}
	is := !v.IsNull() && v.Bool() == n.Want
	return types.BoolValue(is != n.Not), nil
}
