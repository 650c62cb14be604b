package expr

import (
	"github.com/streamsql/streamsql/types"
)

// Children returns the direct sub-expressions of e (for walking a tree).
func Children(e Expr) []Expr {
	switch n := e.(type) {
	case *Arith:
		return []Expr{n.L, n.R}
	case *Neg:
		return []Expr{n.X}
	case *Compare:
		return []Expr{n.L, n.R}
	case *And:
		return []Expr{n.L, n.R}
	case *Or:
		return []Expr{n.L, n.R}
	case *Not:
		return []Expr{n.X}
	case *IsNull:
		return []Expr{n.X}
	case *IsBool:
		return []Expr{n.X}
	case *In:
		out := []Expr{n.X}
		for _, c := range n.cmps {
			if c.L != n.X {
				out = append(out, c.L)
			}
			out = append(out, c.R)
		}
		return out
	case *Between:
		return []Expr{n.ge.L, n.ge.R, n.le.L, n.le.R}
	case *Like:
		return []Expr{n.X, n.Pattern}
	case *Case:
		out := append([]Expr{}, n.Whens...)
		out = append(out, n.Thens...)
		if n.Else != nil {
			out = append(out, n.Else)
		}
		return out
	case *Coalesce:
		return n.Args
	case *Cast:
		return []Expr{n.X}
	case *Call:
		return n.Args
	}
	return nil
}

// Walk calls fn for e and every sub-expression, depth first.
func Walk(e Expr, fn func(Expr)) {
	fn(e)
	for _, c := range Children(e) {
		Walk(c, fn)
	}
}

// Columns returns the input column indexes e reads, in first-use order.
func Columns(e Expr) []int {
	var out []int
	seen := map[int]bool{}
	Walk(e, func(x Expr) {
		if c, ok := x.(*Col); ok && !seen[c.Index] {
			seen[c.Index] = true
			out = append(out, c.Index)
		}
	})
	return out
}

// IsConstant reports whether e reads no column and calls no volatile function.
func IsConstant(e Expr) bool { return new(Folder).isConstant(e) }

// Fold evaluates a constant expression to a Literal (errors such as a
// failing CAST surface here, at bind time). Non-constant expressions are
// returned unchanged.
func Fold(e Expr) (Expr, error) { return new(Folder).Fold(e) }

// Folder folds the expressions of one statement. It remembers, for every
// sub-expression it has examined, whether that sub-expression is constant,
// so that a binder folding bottom-up (each node after its operands, as
// sql's binder does) examines every node once: folding a chain of n
// operators costs O(n), not O(n²). The zero value is ready to use; a
// Folder is not safe for concurrent use, and it must not outlive the
// expressions it has seen (it keeps them alive).
type Folder struct {
	constant map[Expr]bool
}

// Fold is the package-level Fold, remembering what it learns.
func (f *Folder) Fold(e Expr) (Expr, error) {
	if _, ok := e.(*Literal); ok || !f.isConstant(e) {
		return e, nil
	}
	v, err := e.Eval(nil)
	if err != nil {
		return nil, err
	}
	t := e.Type()
	if !v.IsNull() {
		t.NotNull = true
	}
	return &Literal{V: v, T: t}, nil
}

func (f *Folder) isConstant(e Expr) bool {
	switch n := e.(type) {
	case *Literal:
		return true
	case *Col:
		return false
	case *Call:
		if n.Volatile {
			return false
		}
	}
	if c, ok := f.constant[e]; ok {
		return c
	}
	c := true
	for _, x := range Children(e) {
		if !f.isConstant(x) {
			c = false
			break
		}
	}
	if f.constant == nil {
		f.constant = make(map[Expr]bool)
	}
	f.constant[e] = c
	return c
}

// MapColumns returns a copy of e in which each column reference is replaced
// by fn(col); nodes without columns are shared. It is used to re-base
// expressions onto another input (join keys, pushed-down filters).
func MapColumns(e Expr, fn func(*Col) Expr) Expr {
	switch n := e.(type) {
	case *Col:
		return fn(n)
	case *Literal:
		return n
	case *Arith:
		c := *n
		c.L, c.R = MapColumns(n.L, fn), MapColumns(n.R, fn)
		return &c
	case *Neg:
		return &Neg{X: MapColumns(n.X, fn), T: n.T}
	case *Compare:
		return &Compare{Op: n.Op, L: MapColumns(n.L, fn), R: MapColumns(n.R, fn)}
	case *And:
		return newAnd(MapColumns(n.L, fn), MapColumns(n.R, fn))
	case *Or:
		return newOr(MapColumns(n.L, fn), MapColumns(n.R, fn))
	case *Not:
		return &Not{X: MapColumns(n.X, fn)}
	case *IsNull:
		return &IsNull{X: MapColumns(n.X, fn), Not: n.Not}
	case *IsBool:
		return &IsBool{X: MapColumns(n.X, fn), Want: n.Want, Not: n.Not}
	case *In:
		c := &In{X: MapColumns(n.X, fn), Not: n.Not}
		for i, it := range n.List {
			c.List = append(c.List, MapColumns(it, fn))
			cm := Compare{Op: CmpEQ, L: c.X, R: MapColumns(n.cmps[i].R, fn)}
			if n.cmps[i].L != n.X {
				cm.L = MapColumns(n.cmps[i].L, fn)
			}
			c.cmps = append(c.cmps, cm)
		}
		return c
	case *Between:
		c := &Between{X: MapColumns(n.X, fn), Lo: MapColumns(n.Lo, fn), Hi: MapColumns(n.Hi, fn), Not: n.Not}
		c.ge = Compare{Op: CmpGE, L: MapColumns(n.ge.L, fn), R: MapColumns(n.ge.R, fn)}
		c.le = Compare{Op: CmpLE, L: MapColumns(n.le.L, fn), R: MapColumns(n.le.R, fn)}
		return c
	case *Like:
		c := *n
		c.X, c.Pattern = MapColumns(n.X, fn), MapColumns(n.Pattern, fn)
		return &c
	case *Case:
		c := &Case{T: n.T, Display: n.Display}
		for i := range n.Whens {
			c.Whens = append(c.Whens, MapColumns(n.Whens[i], fn))
			c.Thens = append(c.Thens, MapColumns(n.Thens[i], fn))
		}
		if n.Else != nil {
			c.Else = MapColumns(n.Else, fn)
		}
		return c
	case *Coalesce:
		c := &Coalesce{T: n.T, Name: n.Name}
		for _, a := range n.Args {
			c.Args = append(c.Args, MapColumns(a, fn))
		}
		return c
	case *Cast:
		return &Cast{X: MapColumns(n.X, fn), T: n.T}
	case *Call:
		c := *n
		c.Args = make([]Expr, len(n.Args))
		for i, a := range n.Args {
			c.Args[i] = MapColumns(a, fn)
		}
		return &c
	}
	return e
}

// NullLiteral returns a NULL of type t.
func NullLiteral(t types.Type) *Literal {
	t.NotNull = false
	return &Literal{V: types.NullValue(), T: t}
}

// IntervalLiteral returns an INTERVAL constant of ms milliseconds.
func IntervalLiteral(ms int64) *Literal {
	return &Literal{V: types.IntervalValue(ms), T: types.Type{Kind: types.KindInterval, NotNull: true}}
}

// Sides tells which parts of a row joined from a left part (the columns
// below leftWidth) and a right part e reads: 0 no column, 1 the left part
// only, 2 the right part only, 3 both.
func Sides(e Expr, leftWidth int) int {
	s := 0
	for _, c := range Columns(e) {
		if c < leftWidth {
			s |= 1
		} else {
			s |= 2
		}
	}
	return s
}
