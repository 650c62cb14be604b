package expr

// Conjuncts splits an AND tree into its terms, left to right (nil gives
// none).
func Conjuncts(e Expr) []Expr {
	if e == nil {
		return nil
	}
	if a, ok := e.(*And); ok {
		return append(Conjuncts(a.L), Conjuncts(a.R)...)
	}
	return []Expr{e}
}

// AndAll joins terms with AND, left-deep (nil for none). Terms must be
// boolean; a term of another type makes the result nil.
func AndAll(terms []Expr) Expr {
	var out Expr
	for _, t := range terms {
		if out == nil {
			out = t
			continue
		}
		a, err := NewAnd(out, t)
		if err != nil {
			return nil
		}
		out = a
	}
	return out
}
