package sql

import (
	"github.com/pingcap/tidb/pkg/parser/ast"
)

// usingWord is where a USING / NATURAL join is written: the offset of its
// USING or NATURAL keyword in the original text, and whether it was
// written FULL [OUTER] JOIN (the pre-parse layer turns FULL into LEFT, so
// the parsed join says LEFT).
type usingWord struct {
	at   int
	full bool
}

// findUsingWords maps the USING and NATURAL joins of a parsed statement to
// their keywords in the original text. The parser keeps no positions for
// joins, so the joins are matched to the keywords by order: the AST is
// visited in text order, a join's USING clause ends it (so USING joins
// end, and their USING keywords appear, in the order the visit leaves
// them), and a NATURAL keyword follows the join's left side (so NATURAL
// joins appear in the order the visit leaves their left sides). When the
// counts of joins and keywords differ (a form this does not foresee), it
// returns nil and the caller falls back to the keyword-free rules.
func findUsingWords(st ast.Node, toks []token) map[*ast.Join]usingWord {
	v := &joinOrderVisitor{afterLeft: map[ast.Node]*ast.Join{}}
	st.Accept(v)
	var natural, using []usingWord
	for i, t := range toks {
		switch {
		case t.is("NATURAL"):
			j := i + 1
			full := j < len(toks) && toks[j].is("FULL")
			natural = append(natural, usingWord{at: t.start, full: full})
		case t.is("USING") && i+1 < len(toks) && toks[i+1].is("("):
			using = append(using, usingWord{at: t.start, full: joinBeforeIsFull(toks, i)})
		}
	}
	if len(natural) != len(v.natural) || len(using) != len(v.using) {
		return nil
	}
	out := make(map[*ast.Join]usingWord, len(natural)+len(using))
	for i, j := range v.natural {
		out[j] = natural[i]
	}
	for i, j := range v.using {
		out[j] = using[i]
	}
	return out
}

// joinOrderVisitor lists the NATURAL joins in the order their left sides
// end and the USING joins in the order they end.
type joinOrderVisitor struct {
	afterLeft      map[ast.Node]*ast.Join
	natural, using []*ast.Join
}

func (v *joinOrderVisitor) Enter(n ast.Node) (ast.Node, bool) {
	if j, ok := n.(*ast.Join); ok && j.Right != nil && j.NaturalJoin {
		v.afterLeft[j.Left] = j
	}
	return n, false
}

func (v *joinOrderVisitor) Leave(n ast.Node) (ast.Node, bool) {
	if j, ok := v.afterLeft[n]; ok {
		v.natural = append(v.natural, j)
		delete(v.afterLeft, n)
	}
	if j, ok := n.(*ast.Join); ok && j.Right != nil && !j.NaturalJoin && len(j.Using) > 0 {
		v.using = append(v.using, j)
	}
	return n, true
}

// joinBeforeIsFull reports whether the nearest JOIN before toks[i],
// skipping parenthesised groups (a derived table, a nested join), is
// written FULL [OUTER] JOIN.
func joinBeforeIsFull(toks []token, i int) bool {
	for depth := 0; i > 0; {
		i--
		t := toks[i]
		switch {
		case t.is(")"):
			depth++
		case t.is("("):
			if depth--; depth < 0 {
				return false // the join's own group opens here
			}
		case depth == 0 && t.is("JOIN"):
			j := i - 1
			if j >= 0 && toks[j].is("OUTER") {
				j--
			}
			return j >= 0 && toks[j].is("FULL")
		}
	}
	return false
}
