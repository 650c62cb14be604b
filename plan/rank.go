package plan

import (
	"fmt"
	"strings"

	"github.com/streamsql/streamsql/expr"
	"github.com/streamsql/streamsql/types"
)

// SortKey is one ORDER BY term: an expression bound against the node's
// input, descending when Desc. NULL sorts before every value (first in
// ascending order, last in descending order), as in MySQL.
type SortKey struct {
	Expr expr.Expr
	Desc bool
}

func (k SortKey) String() string {
	if k.Desc {
		return k.Expr.String() + " DESC"
	}
	return k.Expr.String()
}

// Rank is ROW_NUMBER() OVER (PARTITION BY Partition ORDER BY Order): it
// numbers the rows of each partition from 1 in sort order. Output schema:
// the input columns, then the row number (BIGINT NOT NULL) named Name.
//
// A stream has no last row, so a Rank only runs as a Top-N: the planner
// needs a filter on the number above it (rn <= N, rn < N, rn = 1) and keeps
// only the first N rows of each partition.
type Rank struct {
	Input     Node
	Partition []expr.Expr
	Order     []SortKey
	Name      string
}

func (r *Rank) Schema() types.Schema {
	in := r.Input.Schema()
	s := make(types.Schema, 0, len(in)+1)
	s = append(s, in...)
	return append(s, types.Column{Name: r.Name, Type: types.Type{Kind: types.KindInt, Precision: 64, NotNull: true}})
}
func (r *Rank) Children() []Node { return []Node{r.Input} }
func (r *Rank) Describe() string {
	var ps, os []string
	for _, p := range r.Partition {
		ps = append(ps, p.String())
	}
	for _, o := range r.Order {
		os = append(os, o.String())
	}
	return fmt.Sprintf("Rank ROW_NUMBER() partition=[%s] order=[%s] AS %s", strings.Join(ps, ", "), strings.Join(os, ", "), r.Name)
}
