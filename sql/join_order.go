package sql

import (
	"github.com/pingcap/tidb/pkg/parser/ast"
	"github.com/pingcap/tidb/pkg/parser/opcode"

	"github.com/streamsql/streamsql/expr"
	"github.com/streamsql/streamsql/plan"
)

// A chain of inner joins (comma joins, CROSS JOIN, [INNER] JOIN ... ON) is
// bound as a set of relations and conditions, joined left-deep in
// written order:
//
//   - the relations are the chain's FROM items in written order; an outer
//     join, a USING / NATURAL join or a lookup join in the chain is one
//     relation (a barrier: nothing is reordered across it);
//   - the conditions are the chain's ON conjuncts and the WHERE conjuncts:
//     each ON conjunct belongs to the first join where all the relations
//     it reads are joined (a key when it is an equality between the two
//     sides, a residual term otherwise); a WHERE equality between the two
//     sides of a join is a key of it and leaves WHERE.
//
// The optimizer's join-reorder rule then joins the chain again in an order
// where every join has an equality whenever the join graph is connected
// (today `FROM a, b, c WHERE a.x = c.x AND b.y = c.y` joins a with c
// first), keeping the columns in written order.

// chainJoin reports whether j is an inner join of a chain: written with a
// comma, CROSS JOIN or [INNER] JOIN, neither USING nor NATURAL nor a
// lookup join (FOR SYSTEM_TIME AS OF).
func chainJoin(j *ast.Join) bool {
	return j.Right != nil && j.Tp == ast.CrossJoin && !j.NaturalJoin && len(j.Using) == 0 && lookupRight(j) == nil
}

// flattenChain lists the relations of the inner-join chain rooted at n in
// written order and collects its ON conjuncts.
func flattenChain(n ast.ResultSetNode, items *[]ast.ResultSetNode, ons *[]ast.ExprNode) {
	if j, ok := n.(*ast.Join); ok {
		if j.Right == nil {
			flattenChain(j.Left, items, ons)
			return
		}
		if chainJoin(j) {
			flattenChain(j.Left, items, ons)
			flattenChain(j.Right, items, ons)
			if j.On != nil {
				*ons = append(*ons, splitAnd(j.On.Expr)...)
			}
			return
		}
	}
	*items = append(*items, n)
}

// relSet is a set of a chain's relations (bit i: relation i).
type relSet uint64

// maxChain is the most relations a relSet holds; in a longer chain every
// WHERE equality is tried as a key of every join.
const maxChain = 64

// chainCond is a condition of a chain and the relations it reads.
type chainCond struct {
	n     ast.ExprNode
	on    bool   // an ON conjunct (must be applied in the chain)
	known bool   // it binds against the chain's columns: rels is exact
	rels  relSet // relations it reads
	eq    bool   // an equality whose sides read disjoint non-empty sets
	done  bool
}

// bindJoinChain binds the inner-join chain rooted at v (see above). where
// holds the WHERE conjuncts; the equalities used as join keys are removed.
func (cx *compiler) bindJoinChain(v *ast.Join, where *[]ast.ExprNode) (plan.Node, *scope, error) {
	var items []ast.ResultSetNode
	var ons []ast.ExprNode
	flattenChain(v, &items, &ons)
	ons, subqOns := splitOnSubqueries(ons) // a filter over the chain: bind_on_subquery.go
	nodes := make([]plan.Node, len(items))
	scopes := make([]*scope, len(items))
	full := &scope{}                   // grows in place: a copy per relation would cost n² columns
	start := make([]int, len(items)+1) // first column of each relation in full
	for i, it := range items {
		node, sc, err := cx.bindFrom(it, where)
		if err != nil {
			return nil, nil, err
		}
		for _, q := range sc.quals {
			if q != "" && full.hasQual(q) {
				return nil, nil, cx.p.errAt(ErrDuplicate, cx.tableRefOffset(q), "table name '"+q+"' is used twice in FROM", "give one of them an alias")
			}
		}
		nodes[i], scopes[i] = node, sc
		full.appendScope(sc)
		start[i+1] = len(full.cols)
	}
	// The relations an expression reads.
	relsOf := func(e expr.Expr) relSet {
		var s relSet
		for _, c := range expr.Columns(e) {
			for i := range items {
				if c >= start[i] && c < start[i+1] {
					s |= 1 << i
				}
			}
		}
		return s
	}
	var conds []chainCond
	classify := func(n ast.ExprNode, on bool) {
		c := chainCond{n: n, on: on}
		x := &ectx{sc: full, clause: "ON", quiet: true}
		if e, err := cx.bindExpr(n, x); err == nil {
			c.known, c.rels = true, relsOf(e)
		}
		if b, ok := n.(*ast.BinaryOperationExpr); ok && b.Op == opcode.EQ && c.known {
			le, lerr := cx.bindExpr(b.L, x)
			re, rerr := cx.bindExpr(b.R, x)
			if lerr == nil && rerr == nil {
				lr, rr := relsOf(le), relsOf(re)
				c.eq = lr != 0 && rr != 0 && lr&rr == 0
			}
		}
		if on || c.eq {
			conds = append(conds, c)
		}
	}
	for _, n := range ons {
		classify(n, true)
	}
	if where != nil {
		for _, n := range *where {
			classify(n, false)
		}
	}
	big := len(items) > maxChain // relSet cannot hold it
	// Join left-deep in written order (the optimizer's join-reorder rule
	// reorders the chain).
	node, sc := nodes[0], scopes[0]
	set := relSet(1)
	for i := 1; i < len(items); i++ {
		last := i == len(items)-1
		set |= 1 << i
		var on, keys []ast.ExprNode
		for ci := range conds {
			c := &conds[ci]
			if c.done {
				continue
			}
			ready := c.known && c.rels&^set == 0 && !big
			switch {
			case c.on && (ready || last):
				on = append(on, c.n)
				c.done = true
			case !c.on && (ready || big):
				keys = append(keys, c.n) // big: tried at every join
			}
		}
		js := concatScopes(sc, scopes[i])
		rest := keys
		var err error
		node, sc, err = cx.buildJoin(plan.InnerJoin, node, nodes[i], len(sc.cols), js, on, false, &rest, scopes[i])
		if err != nil {
			return nil, nil, err
		}
		// The WHERE equalities that became keys leave WHERE.
		used := map[ast.ExprNode]bool{}
		for _, n := range keys {
			used[n] = true
		}
		for _, n := range rest {
			delete(used, n)
		}
		// A WHERE equality tried here and not a key reads only joined
		// relations from now on: it stays in WHERE.
		for ci := range conds {
			if !conds[ci].on && conds[ci].known && conds[ci].rels&^set == 0 && !big {
				conds[ci].done = true
			}
		}
		if len(used) > 0 {
			kept := (*where)[:0:0]
			for _, n := range *where {
				if !used[n] {
					kept = append(kept, n)
				}
			}
			*where = kept
		}
	}
	return cx.chainOnFilter(node, sc, subqOns)
}
