package plan

import "github.com/streamsql/streamsql/types"

// SetOpKind is INTERSECT or EXCEPT.
type SetOpKind uint8

const (
	Intersect SetOpKind = iota
	Except
)

func (k SetOpKind) String() string {
	if k == Except {
		return "EXCEPT"
	}
	return "INTERSECT"
}

// SetOp is Left INTERSECT [ALL] Right or Left EXCEPT [ALL] Right. Both
// inputs have the same column types (the binder casts them); rows compare
// as whole rows, NULL equal to NULL. A row occurring l times in Left and r
// times in Right occurs, in the result:
//
//	INTERSECT ALL  min(l, r)
//	INTERSECT      1 when l > 0 and r > 0, else 0
//	EXCEPT ALL     max(l - r, 0)
//	EXCEPT         1 when l > 0 and r = 0, else 0
//
// (SQL standard and MySQL/MariaDB 10.4+). Output schema: Left's.
type SetOp struct {
	Kind        SetOpKind
	All         bool
	Left, Right Node
}

func (s *SetOp) Schema() types.Schema { return s.Left.Schema() }
func (s *SetOp) Children() []Node     { return []Node{s.Left, s.Right} }

// Describe names the operation as EXPLAIN does: Intersect, IntersectAll,
// Except, ExceptAll.
func (s *SetOp) Describe() string {
	d := "Intersect"
	if s.Kind == Except {
		d = "Except"
	}
	if s.All {
		d += "All"
	}
	return d
}
