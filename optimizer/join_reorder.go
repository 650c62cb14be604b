package optimizer

import (
	"github.com/streamsql/streamsql/expr"
	"github.com/streamsql/streamsql/plan"
)

// reorderJoins is the join-reorder rule. A chain of inner joins (with the
// filter above it, a WHERE) is taken as a set of relations and
// conditions and joined again in an order where every join has an
// equality whenever the join graph is connected:
//
//   - the relations are the chain's inputs that are not inner joins
//     themselves (outer, semi, anti and lookup joins, projections of USING
//     and NATURAL joins, derived tables are relations), in the order the
//     query wrote them;
//   - the conditions are the joins' keys (as equalities), their residual
//     terms and the filter's terms;
//   - greedy order: start with the first relation, then repeatedly add
//     the first relation (in written order) that an equality connects to
//     those joined so far (one side reads only joined relations, the other
//     only the new one); when none is connected, cross join the next
//     relation in written order (a nested-loop join).
//
// When that order is the written one the chain is left as it is (the
// binder already made the written order's equalities keys). Otherwise the
// chain is rebuilt left-deep in the new order: a connecting equality is a
// key of the join that connects it; any other join condition is a
// residual term of the first join where all the relations it reads are
// joined; the filter's other terms stay in a filter above. A projection
// puts the columns back in written order, so the output (SELECT *, column
// positions) does not depend on the order. The order depends only on the
// plan: the same query gets the same plan.
func reorderJoins(n plan.Node) plan.Node {
	var filter *plan.Filter
	root := n
	if f, ok := n.(*plan.Filter); ok {
		if j, ok := f.Input.(*plan.Join); ok && j.Kind == plan.InnerJoin {
			filter, root = f, j
		}
	}
	j, ok := root.(*plan.Join)
	if !ok || j.Kind != plan.InnerJoin {
		kids := n.Children()
		if len(kids) == 0 {
			return n
		}
		out := make([]plan.Node, len(kids))
		for i, k := range kids {
			out[i] = reorderJoins(k)
		}
		return plan.WithChildren(n, out)
	}
	chain := mapChainInputs(j, reorderJoins)
	unchanged := func() plan.Node {
		if filter != nil {
			return plan.WithChildren(filter, []plan.Node{chain})
		}
		return chain
	}
	var c joinChain
	c.flatten(chain, 0)
	if filter != nil {
		for _, t := range expr.Conjuncts(filter.Cond) {
			c.add(t, true)
		}
	}
	if len(c.rels) > maxChain {
		return unchanged()
	}
	order := c.greedyOrder()
	identity := true
	for i, r := range order {
		identity = identity && r == i
	}
	if identity {
		return unchanged()
	}
	return c.rebuild(order)
}

// maxChain is the most relations a chain reorders (a relSet's bits); a
// longer chain keeps its written order.
const maxChain = 64

// relSet is a set of a chain's relations (bit i: relation i).
type relSet uint64

// chainRel is one relation of a chain: its plan and where its columns
// start in the chain's written-order output.
type chainRel struct {
	node         plan.Node
	start, width int
}

// chainCond is a condition of a chain, bound against the chain's
// written-order output.
type chainCond struct {
	e      expr.Expr // the condition (for an equality: L = R)
	l, r   expr.Expr // an equality's sides (nil otherwise)
	where  bool      // a term of the filter above (not of a join)
	rels   relSet    // relations it reads
	lr, rr relSet    // relations an equality's sides read
	done   bool
}

type joinChain struct {
	rels  []chainRel
	conds []chainCond
}

// mapChainInputs applies f to the inputs of the inner-join chain rooted
// at j (the nodes that are not inner joins), keeping the chain's shape.
func mapChainInputs(n plan.Node, f func(plan.Node) plan.Node) plan.Node {
	j, ok := n.(*plan.Join)
	if !ok || j.Kind != plan.InnerJoin {
		return f(n)
	}
	return plan.WithChildren(j, []plan.Node{mapChainInputs(j.Left, f), mapChainInputs(j.Right, f)})
}

// flatten collects the relations and conditions of the chain rooted at n,
// whose output starts at column offset of the chain's output.
func (c *joinChain) flatten(n plan.Node, offset int) {
	j, ok := n.(*plan.Join)
	if !ok || j.Kind != plan.InnerJoin {
		c.rels = append(c.rels, chainRel{node: n, start: offset, width: len(n.Schema())})
		return
	}
	lw := len(j.Left.Schema())
	c.flatten(j.Left, offset)
	c.flatten(j.Right, offset+lw)
	shift := func(e expr.Expr, by int) expr.Expr {
		return remapColumns(e, func(i int) int { return i + by })
	}
	for i := range j.LeftKeys {
		l, r := shift(j.LeftKeys[i], offset), shift(j.RightKeys[i], offset+lw)
		eq := &expr.Compare{Op: expr.CmpEQ, L: l, R: r}
		c.addEq(eq, l, r, false)
	}
	for _, t := range expr.Conjuncts(j.Residual) {
		c.add(shift(t, offset), false)
	}
}

// add records a condition, recognizing an equality between columns of
// disjoint sets of relations.
func (c *joinChain) add(e expr.Expr, where bool) {
	if cmp, ok := e.(*expr.Compare); ok && cmp.Op == expr.CmpEQ {
		c.addEq(e, cmp.L, cmp.R, where)
		return
	}
	c.conds = append(c.conds, chainCond{e: e, where: where, rels: c.relsOf(e)})
}

func (c *joinChain) addEq(e, l, r expr.Expr, where bool) {
	cond := chainCond{e: e, where: where, rels: c.relsOf(e)}
	lr, rr := c.relsOf(l), c.relsOf(r)
	if lr != 0 && rr != 0 && lr&rr == 0 {
		cond.l, cond.r, cond.lr, cond.rr = l, r, lr, rr
	}
	c.conds = append(c.conds, cond)
}

// relsOf is the set of relations e reads.
func (c *joinChain) relsOf(e expr.Expr) relSet {
	var s relSet
	for _, col := range expr.Columns(e) {
		for i, r := range c.rels {
			if col >= r.start && col < r.start+r.width {
				s |= 1 << i
			}
		}
	}
	return s
}

// connects reports whether cond is an equality joining the relations of
// set to relation i.
func (cond *chainCond) connects(set relSet, i int) bool {
	bit := relSet(1) << i
	return cond.l != nil && ((cond.lr&^set == 0 && cond.rr == bit) || (cond.rr&^set == 0 && cond.lr == bit))
}

// greedyOrder is the order described at reorderJoins.
func (c *joinChain) greedyOrder() []int {
	n := len(c.rels)
	order := []int{0}
	set := relSet(1)
	for len(order) < n {
		next := -1
		for i := 1; i < n && next < 0; i++ {
			if set&(1<<i) != 0 {
				continue
			}
			for k := range c.conds {
				if c.conds[k].connects(set, i) {
					next = i
					break
				}
			}
		}
		if next < 0 {
			for i := 1; i < n; i++ {
				if set&(1<<i) == 0 {
					next = i
					break
				}
			}
		}
		order = append(order, next)
		set |= 1 << next
	}
	return order
}

// rebuild joins the relations left-deep in order (see reorderJoins).
func (c *joinChain) rebuild(order []int) plan.Node {
	// pos maps a written-order column to its position in node.
	pos := map[int]int{}
	place := func(r chainRel, at int) {
		for k := 0; k < r.width; k++ {
			pos[r.start+k] = at + k
		}
	}
	first := c.rels[order[0]]
	node := first.node
	place(first, 0)
	width := first.width
	set := relSet(1) << order[0]
	for _, i := range order[1:] {
		r := c.rels[i]
		bit := relSet(1) << i
		j := &plan.Join{Kind: plan.InnerJoin, Left: node, Right: r.node}
		local := func(col int) int { return col - r.start }
		var residual []expr.Expr
		for k := range c.conds {
			cond := &c.conds[k]
			if cond.done || cond.rels&^(set|bit) != 0 {
				continue
			}
			if cond.connects(set, i) {
				l, rt := cond.l, cond.r
				if cond.lr == bit {
					l, rt = rt, l
				}
				lk := remapColumns(l, func(col int) int { return pos[col] })
				rk := remapColumns(rt, local)
				if lk, rk, ok := joinKeyPair(lk, rk); ok {
					j.LeftKeys = append(j.LeftKeys, lk)
					j.RightKeys = append(j.RightKeys, rk)
					cond.done = true
					continue
				}
			}
			if cond.where {
				continue // stays in the filter above
			}
			residual = append(residual, remapColumns(cond.e, func(col int) int {
				if p, ok := pos[col]; ok {
					return p
				}
				return width + local(col)
			}))
			cond.done = true
		}
		j.Residual = expr.AndAll(residual)
		place(r, width)
		width += r.width
		set |= bit
		node = j
	}
	// Back to written order.
	s := node.Schema()
	p := &plan.Project{Input: node}
	for col := 0; col < width; col++ {
		at := pos[col]
		p.Exprs = append(p.Exprs, &expr.Col{Index: at, Name: s[at].Name, T: s[at].Type})
		p.Names = append(p.Names, s[at].Name)
	}
	var rest []expr.Expr
	for _, cond := range c.conds {
		if !cond.done {
			rest = append(rest, cond.e)
		}
	}
	if len(rest) == 0 {
		return p
	}
	return &plan.Filter{Input: p, Cond: expr.AndAll(rest)}
}

// joinKeyPair makes the two sides of an equality a join key pair: sides
// of different types are cast to their common type (a key is hashed and
// compared as a value of one type). ok is false when they have none.
func joinKeyPair(l, r expr.Expr) (expr.Expr, expr.Expr, bool) {
	if l.Type().Nullable() == r.Type().Nullable() {
		return l, r, true
	}
	t, ok := expr.CommonType(l.Type(), r.Type())
	if !ok {
		return nil, nil, false
	}
	l, err := expr.Coerce(l, t.Nullable())
	if err != nil {
		return nil, nil, false
	}
	r, err = expr.Coerce(r, t.Nullable())
	if err != nil {
		return nil, nil, false
	}
	return l, r, true
}
