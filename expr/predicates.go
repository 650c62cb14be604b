package expr

import (
	"strings"

	"github.com/streamsql/streamsql/types"
)

// In is X [NOT] IN (List...): TRUE if X equals an item; otherwise NULL if X
// or an item is NULL; otherwise FALSE (negated for NOT IN).
type In struct {
	X    Expr
	List []Expr
	Not  bool
	cmps []Compare // X = item, with coercions; L of each is X or a cast of it
}

// NewIn type-checks X [NOT] IN (list).
func NewIn(x Expr, list []Expr, not bool) (Expr, error) {
	n := &In{X: x, List: list, Not: not, cmps: make([]Compare, len(list))}
	for i, it := range list {
		l, r, err := coercePair(x, it)
		if err != nil {
			return nil, typeErr(i+1, err.Error())
		}
		n.cmps[i] = Compare{Op: CmpEQ, L: l, R: r}
	}
	return n, nil
}

func (n *In) Type() types.Type {
	nn := n.X.Type().NotNull
	for _, e := range n.List {
		nn = nn && e.Type().NotNull
	}
	return boolT(nn)
}

func (n *In) String() string {
	var b strings.Builder
	b.WriteString(operand(n.X))
	if n.Not {
		b.WriteString(" NOT")
	}
	b.WriteString(" IN (")
	for i, e := range n.List {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(e.String())
	}
	b.WriteString(")")
	return b.String()
}

func (n *In) Eval(row []types.Value) (types.Value, error) {
	x, err := n.X.Eval(row)
	if err != nil {
		return x, err
	}
	if x.IsNull() {
		return types.NullValue(), nil
	}
	sawNull := false
	for i := range n.cmps {
		c := &n.cmps[i]
		xv := x
		if c.L != n.X {
			if xv, err = c.L.Eval(row); err != nil {
				return xv, err
			}
		}
		v, err := c.R.Eval(row)
		if err != nil {
			return v, err
		}
		if v.IsNull() {
			sawNull = true
			continue
		}
		if types.Compare(xv, v) == 0 {
			return types.BoolValue(!n.Not), nil
		}
	}
	if sawNull {
		return types.NullValue(), nil
	}
	return types.BoolValue(n.Not), nil
}

// Between is X [NOT] BETWEEN Lo AND Hi, i.e. X >= Lo AND X <= Hi.
type Between struct {
	X, Lo, Hi Expr
	Not       bool
	ge, le    Compare
}

// NewBetween type-checks X [NOT] BETWEEN lo AND hi.
func NewBetween(x, lo, hi Expr, not bool) (Expr, error) {
	a, b, err := coercePair(x, lo)
	if err != nil {
		return nil, typeErr(1, err.Error())
	}
	c, d, err := coercePair(x, hi)
	if err != nil {
		return nil, typeErr(2, err.Error())
	}
	return &Between{X: x, Lo: lo, Hi: hi, Not: not,
		ge: Compare{Op: CmpGE, L: a, R: b}, le: Compare{Op: CmpLE, L: c, R: d}}, nil
}

func (n *Between) Type() types.Type {
	return boolT(n.X.Type().NotNull && n.Lo.Type().NotNull && n.Hi.Type().NotNull)
}
func (n *Between) String() string {
	s := operand(n.X)
	if n.Not {
		s += " NOT"
	}
	return s + " BETWEEN " + operand(n.Lo) + " AND " + operand(n.Hi)
}
func (n *Between) Eval(row []types.Value) (types.Value, error) {
	a, err := n.ge.Eval(row)
	if err != nil {
		return a, err
	}
	if truth(a) == 0 {
		return types.BoolValue(n.Not), nil
	}
	b, err := n.le.Eval(row)
	if err != nil {
		return b, err
	}
	switch {
	case truth(b) == 0:
		return types.BoolValue(n.Not), nil
	case truth(a) == 1 && truth(b) == 1:
		return types.BoolValue(!n.Not), nil
	}
	return types.NullValue(), nil
}

// Like is X [NOT] LIKE Pattern [ESCAPE e]: '%' matches any run of
// characters, '_' one character; the match is case-sensitive.
type Like struct {
	X, Pattern Expr
	Escape     rune
	Not        bool
	fixed      *likePattern // compiled when Pattern is a literal
}

// NewLike type-checks X [NOT] LIKE pattern; non-string operands are cast to VARCHAR.
func NewLike(x, pattern Expr, escape rune, not bool) (Expr, error) {
	var err error
	if x, err = toString(x); err != nil {
		return nil, typeErr(0, err.Error())
	}
	if pattern, err = toString(pattern); err != nil {
		return nil, typeErr(1, err.Error())
	}
	n := &Like{X: x, Pattern: pattern, Escape: escape, Not: not}
	if lit, ok := pattern.(*Literal); ok && !lit.V.IsNull() {
		n.fixed = compileLike(lit.V.Str(), escape)
	}
	return n, nil
}

func toString(e Expr) (Expr, error) {
	switch e.Type().Kind {
	case types.KindString, types.KindNull:
		return e, nil
	}
	return NewCast(e, types.String)
}

func (n *Like) Type() types.Type { return boolT(n.X.Type().NotNull && n.Pattern.Type().NotNull) }
func (n *Like) String() string {
	s := operand(n.X)
	if n.Not {
		s += " NOT"
	}
	s += " LIKE " + operand(n.Pattern)
	if n.Escape != '\\' {
		s += " ESCAPE '" + string(n.Escape) + "'"
	}
	return s
}
func (n *Like) Eval(row []types.Value) (types.Value, error) {
	x, err := n.X.Eval(row)
	if err != nil || x.IsNull() {
		return types.NullValue(), err
	}
	p := n.fixed
	if p == nil {
		pv, err := n.Pattern.Eval(row)
		if err != nil || pv.IsNull() {
			return types.NullValue(), err
		}
		p = compileLike(pv.Str(), n.Escape)
	}
	return types.BoolValue(p.match(x.Str()) != n.Not), nil
}
