package expr

// FoldSubexpressions returns e with every largest constant sub-expression
// (one that reads no column and calls no volatile function, and is not a
// literal already) evaluated to a Literal of the sub-expression's own type
// (nullability included: the folded tree has e's type), and whether it
// changed anything. A sub-expression whose evaluation fails is kept as
// written, so that its error surfaces at run time as it would have; its
// operands are still folded. A LIKE pattern is kept as written (its
// matcher was prepared for it).
func FoldSubexpressions(e Expr) (Expr, bool) {
	f := new(Folder)
	changed := false
	var fold func(Expr) Expr
	fold = func(e Expr) Expr {
		if _, lit := e.(*Literal); lit {
			return e
		}
		if f.isConstant(e) {
			if v, err := e.Eval(nil); err == nil {
				changed = true
				return &Literal{V: v, T: e.Type()}
			}
		}
		return withChildren(e, fold)
	}
	out := fold(e)
	if !changed {
		return e, false
	}
	return out, true
}

// withChildren returns e with each direct sub-expression c replaced by
// child(c) (a copy; e itself when it has none).
func withChildren(e Expr, child func(Expr) Expr) Expr {
	switch n := e.(type) {
	case *Arith:
		c := *n
		c.L, c.R = child(n.L), child(n.R)
		return &c
	case *Neg:
		return &Neg{X: child(n.X), T: n.T}
	case *Compare:
		return &Compare{Op: n.Op, L: child(n.L), R: child(n.R)}
	case *And:
		return newAnd(child(n.L), child(n.R))
	case *Or:
		return newOr(child(n.L), child(n.R))
	case *Not:
		return &Not{X: child(n.X)}
	case *IsNull:
		return &IsNull{X: child(n.X), Not: n.Not}
	case *IsBool:
		return &IsBool{X: child(n.X), Want: n.Want, Not: n.Not}
	case *In:
		c := &In{X: child(n.X), Not: n.Not}
		for i, it := range n.List {
			c.List = append(c.List, child(it))
			cm := Compare{Op: CmpEQ, L: c.X, R: child(n.cmps[i].R)}
			if n.cmps[i].L != n.X {
				cm.L = child(n.cmps[i].L)
			}
			c.cmps = append(c.cmps, cm)
		}
		return c
	case *Between:
		c := &Between{X: child(n.X), Lo: child(n.Lo), Hi: child(n.Hi), Not: n.Not}
		c.ge = Compare{Op: CmpGE, L: child(n.ge.L), R: child(n.ge.R)}
		c.le = Compare{Op: CmpLE, L: child(n.le.L), R: child(n.le.R)}
		return c
	case *Like:
		c := *n
		c.X = child(n.X)
		return &c
	case *Case:
		c := &Case{T: n.T, Display: n.Display}
		for i := range n.Whens {
			c.Whens = append(c.Whens, child(n.Whens[i]))
			c.Thens = append(c.Thens, child(n.Thens[i]))
		}
		if n.Else != nil {
			c.Else = child(n.Else)
		}
		return c
	case *Coalesce:
		c := &Coalesce{T: n.T, Name: n.Name}
		for _, a := range n.Args {
			c.Args = append(c.Args, child(a))
		}
		return c
	case *Cast:
		return &Cast{X: child(n.X), T: n.T}
	case *Call:
		c := *n
		c.Args = make([]Expr, len(n.Args))
		for i, a := range n.Args {
			c.Args[i] = child(a)
		}
		return &c
	}
	return e
}
