package sql

import "github.com/pingcap/tidb/pkg/parser/ast"

// MINUS (Oracle's, MariaDB's in Oracle mode) is EXCEPT: the grammar has no
// such keyword. A MINUS between two queries (followed by SELECT, WITH,
// TABLE, VALUES, '(', ALL or DISTINCT, after a name, a literal or ')')
// becomes UNION, which has its length, and its offset is recorded
// (notes.minus); after parsing, fixMinus turns the set operators written
// MINUS back into EXCEPT [ALL]: the set operators of the AST, in text
// order, are the UNION / EXCEPT / INTERSECT words of the rewritten text.

// rewriteMinus rewrites the set operator MINUS in buf and records which
// set operators (by their ordinal in text order) were MINUS.
func rewriteMinus(buf []byte, toks []token, nt *notes) {
	k := 0
	for i, t := range toks {
		switch {
		case t.is("UNION") || t.is("EXCEPT") || t.is("INTERSECT"):
			k++
		case t.is("MINUS") && i > 0 && i+1 < len(toks) && minusFollower(toks[i+1]) && minusLeader(toks[i-1]):
			put(buf, t.start, t.end, "UNION")
			if nt.minus == nil {
				nt.minus = map[int]bool{}
			}
			nt.minus[k] = true
			k++
		}
	}
	if len(nt.minus) > 0 {
		nt.setOps = k
	}
}

// minusFollower reports whether a token can start the right operand of a
// set operation (or be its ALL / DISTINCT).
func minusFollower(t token) bool {
	for _, w := range []string{"SELECT", "WITH", "TABLE", "VALUES", "(", "ALL", "DISTINCT"} {
		if t.is(w) {
			return true
		}
	}
	return false
}

// minusLeader reports whether a token can end the left operand of a set
// operation: a name, a literal or ')'.
func minusLeader(t token) bool {
	return t.is(")") || t.kind != tOp
}

// setOpWalker visits the set operators of an AST in text order: an
// operand's operator precedes the operand and everything in it.
type setOpWalker struct {
	k     int
	minus map[int]bool
}

func (w *setOpWalker) Enter(n ast.Node) (ast.Node, bool) {
	var op **ast.SetOprType
	switch v := n.(type) {
	case *ast.SelectStmt:
		op = &v.AfterSetOperator
	case *ast.SetOprSelectList:
		op = &v.AfterSetOperator
	}
	if op != nil && *op != nil {
		if w.minus[w.k] {
			t := ast.Except
			if **op == ast.UnionAll {
				t = ast.ExceptAll
			}
			*op = &t
		}
		w.k++
	}
	return n, false
}
func (w *setOpWalker) Leave(n ast.Node) (ast.Node, bool) { return n, true }

// fixMinus turns the set operators written MINUS back into EXCEPT; it
// reports false when the AST's set operators do not line up with the
// text's (the caller then refuses MINUS).
func fixMinus(st ast.Node, nt *notes) bool {
	if len(nt.minus) == 0 {
		return true
	}
	count := &setOpWalker{}
	st.Accept(count)
	if count.k != nt.setOps {
		return false
	}
	st.Accept(&setOpWalker{minus: nt.minus})
	return true
}
