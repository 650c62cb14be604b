package expr

import (
	"strconv"
	"strings"

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

// Key identifies a list of expressions: their text and the input columns
// they read in order (two columns may share a name).
func Key(es ...Expr) string {
	var b strings.Builder
	for _, e := range es {
		b.WriteString(e.String())
		Walk(e, func(s Expr) {
			if c, ok := s.(*Col); ok {
				b.WriteByte('#')
				b.WriteString(strconv.Itoa(c.Index))
			}
		})
		b.WriteByte(0)
	}
	return b.String()
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
	case *Col, *OuterCol:
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
	return mapRefs(e, fn, func(c *OuterCol) Expr { return c })
}

// mapRefs is MapColumns, with outer(c) replacing each OuterCol c too.
func mapRefs(e Expr, fn func(*Col) Expr, outer func(*OuterCol) Expr) Expr {
	switch n := e.(type) {
	case *Col:
		return fn(n)
	case *OuterCol:
		return outer(n)
	case *Literal:
		return n
	case *Arith:
		c := *n
		c.L, c.R = mapRefs(n.L, fn, outer), mapRefs(n.R, fn, outer)
		return &c
	case *Neg:
		return &Neg{X: mapRefs(n.X, fn, outer), T: n.T}
	case *Compare:
		return &Compare{Op: n.Op, L: mapRefs(n.L, fn, outer), R: mapRefs(n.R, fn, outer)}
	case *And:
		return newAnd(mapRefs(n.L, fn, outer), mapRefs(n.R, fn, outer))
	case *Or:
		return newOr(mapRefs(n.L, fn, outer), mapRefs(n.R, fn, outer))
	case *Not:
		return &Not{X: mapRefs(n.X, fn, outer)}
	case *IsNull:
		return &IsNull{X: mapRefs(n.X, fn, outer), Not: n.Not}
	case *IsBool:
		return &IsBool{X: mapRefs(n.X, fn, outer), Want: n.Want, Not: n.Not}
	case *In:
		c := &In{X: mapRefs(n.X, fn, outer), Not: n.Not}
		for i, it := range n.List {
			c.List = append(c.List, mapRefs(it, fn, outer))
			cm := Compare{Op: CmpEQ, L: c.X, R: mapRefs(n.cmps[i].R, fn, outer)}
			if n.cmps[i].L != n.X {
				cm.L = mapRefs(n.cmps[i].L, fn, outer)
			}
			c.cmps = append(c.cmps, cm)
		}
		return c
	case *Between:
		c := &Between{X: mapRefs(n.X, fn, outer), Lo: mapRefs(n.Lo, fn, outer), Hi: mapRefs(n.Hi, fn, outer), Not: n.Not}
		c.ge = Compare{Op: CmpGE, L: mapRefs(n.ge.L, fn, outer), R: mapRefs(n.ge.R, fn, outer)}
		c.le = Compare{Op: CmpLE, L: mapRefs(n.le.L, fn, outer), R: mapRefs(n.le.R, fn, outer)}
		return c
	case *Like:
		c := *n
		c.X, c.Pattern = mapRefs(n.X, fn, outer), mapRefs(n.Pattern, fn, outer)
		return &c
	case *Case:
		c := &Case{T: n.T, Display: n.Display}
		for i := range n.Whens {
			c.Whens = append(c.Whens, mapRefs(n.Whens[i], fn, outer))
			c.Thens = append(c.Thens, mapRefs(n.Thens[i], fn, outer))
		}
		if n.Else != nil {
			c.Else = mapRefs(n.Else, fn, outer)
		}
		return c
	case *Coalesce:
		c := &Coalesce{T: n.T, Name: n.Name}
		for _, a := range n.Args {
			c.Args = append(c.Args, mapRefs(a, fn, outer))
		}
		return c
	case *Cast:
		return &Cast{X: mapRefs(n.X, fn, outer), T: n.T, Lenient: n.Lenient}
	case *Call:
		c := *n
		c.Args = make([]Expr, len(n.Args))
		for i, a := range n.Args {
			c.Args[i] = mapRefs(a, fn, outer)
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
