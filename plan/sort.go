package plan

import (
	"fmt"
	"strings"

	"github.com/streamsql/streamsql/types"
)

// Sort is a top-level query's ORDER BY [LIMIT]. Keys are bound against
// the input (columns of the select list); Limit is -1 when absent.
//
// Over a bounded input it changes no operator: the collected result is
// sorted (and cut to Limit rows) at the end. Over an unbounded input the
// planner makes it a streaming Top-N (with Limit; a changelog of the first
// Limit rows), a temporal sort (without Limit, when the first key is an
// ascending time attribute: rows released in time order by the
// watermark), or rejects it.
//
// Nested marks an ORDER BY ... LIMIT below the top (a subquery or a
// derived table): it always runs, as a Top-N, bounded input or not.
type Sort struct {
	Input  Node
	Keys   []SortKey
	Limit  int64
	Nested bool
}

func (s *Sort) Schema() types.Schema { return s.Input.Schema() }
func (s *Sort) Children() []Node     { return []Node{s.Input} }
func (s *Sort) Describe() string {
	var ks []string
	for _, k := range s.Keys {
		ks = append(ks, k.String())
	}
	d := "Sort " + strings.Join(ks, ", ")
	if s.Limit >= 0 {
		d += fmt.Sprintf(" LIMIT %d", s.Limit)
	}
	return d
}
