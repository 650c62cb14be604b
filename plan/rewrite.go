package plan

import "fmt"

// WithChildren returns a copy of n whose inputs are children (in the order
// Children lists them), or n itself when every child is the one n has.
// Only the node is copied: its expressions and the children are shared,
// which is safe because nodes are never mutated. It panics when the
// number of children is wrong (a bug in the caller, not bad input).
func WithChildren(n Node, children []Node) Node {
	old := n.Children()
	if len(old) != len(children) {
		panic(fmt.Sprintf("plan.WithChildren: %T has %d children, got %d", n, len(old), len(children)))
	}
	same := true
	for i := range old {
		if old[i] != children[i] {
			same = false
		}
	}
	if same {
		return n
	}
	switch n := n.(type) {
	case *Filter:
		c := *n
		c.Input = children[0]
		return &c
	case *Project:
		c := *n
		c.Input = children[0]
		return &c
	case *Union:
		c := *n
		c.Inputs = append([]Node(nil), children...)
		return &c
	case *Aggregate:
		c := *n
		c.Input = children[0]
		return &c
	case *WindowTVF:
		c := *n
		c.Input = children[0]
		return &c
	case *Expand:
		c := *n
		c.Input = children[0]
		return &c
	case *Join:
		c := *n
		c.Left, c.Right = children[0], children[1]
		return &c
	case *LookupJoin:
		c := *n
		c.Input = children[0]
		return &c
	case *Apply:
		c := *n
		c.Input, c.Subquery = children[0], children[1]
		return &c
	case *SetOp:
		c := *n
		c.Left, c.Right = children[0], children[1]
		return &c
	case *Sort:
		c := *n
		c.Input = children[0]
		return &c
	case *Over:
		c := *n
		c.Input = children[0]
		return &c
	case *Rank:
		c := *n
		c.Input = children[0]
		return &c
	}
	panic(fmt.Sprintf("plan.WithChildren: unknown node %T", n))
}

// TransformDown rewrites the tree rooted at n top-down: f is applied to a
// node first (until it reports no change), then to the children of what
// it returned. f returns the replacement and whether it changed anything;
// it must not modify its argument. The result shares every subtree f did
// not change.
func TransformDown(n Node, f func(Node) (Node, bool)) Node {
	for i := 0; ; i++ {
		next, changed := f(n)
		if !changed {
			break
		}
		if i > 1000 {
			panic(fmt.Sprintf("plan.TransformDown: a rewrite of %T does not settle", n))
		}
		n = next
	}
	kids := n.Children()
	if len(kids) == 0 {
		return n
	}
	out := make([]Node, len(kids))
	for i, k := range kids {
		out[i] = TransformDown(k, f)
	}
	return WithChildren(n, out)
}
