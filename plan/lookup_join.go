package plan

import (
	"fmt"
	"strings"

	"github.com/streamsql/streamsql/catalog"
	"github.com/streamsql/streamsql/expr"
	"github.com/streamsql/streamsql/types"
)

// LookupJoin is a lookup join, Flink's processing-time temporal join:
//
//	... FROM probe AS p [LEFT] JOIN t FOR SYSTEM_TIME AS OF p.proc_time AS s ON p.x = s.k
//
// Each row of Input (the probe side, a stream) is joined with the rows of
// Table whose key columns equal its key values at the moment the row is
// processed. Table is not an input stream: it is read by key (or loaded
// whole, when bounded) by the join itself. The output has Input's op on
// every row (append-only when Input is); later changes of Table never
// retract results.
//
// Output schema: Input's columns followed by Table's physical columns
// (nullable when Left). ProbeKeys[i] (bound against Input, of the kind of
// the key column's type) equals physical column TableKeys[i] of Table.
// Residual, if not nil, is bound against the output schema and decides
// which looked-up rows match. With Left, a probe row that matches no row
// is emitted once with NULLs for Table's columns.
type LookupJoin struct {
	Input     Node
	Table     *catalog.Table
	Alias     string // the name used in the query ("" when none)
	ProbeKeys []expr.Expr
	TableKeys []int // indexes into Table.PhysicalColumns()
	Residual  expr.Expr
	Left      bool
	// TimeAttr names the probe's processing-time attribute of FOR
	// SYSTEM_TIME AS OF (for EXPLAIN; its value is not used).
	TimeAttr string
}

// LookupColumns returns the columns the join appends: Table's physical
// columns, nullable for a LEFT join.
func (j *LookupJoin) LookupColumns() types.Schema {
	cols := j.Table.PhysicalColumns()
	out := make(types.Schema, len(cols))
	for i, c := range cols {
		if j.Left {
			c.Type = c.Type.Nullable()
		}
		out[i] = c
	}
	return out
}

func (j *LookupJoin) Schema() types.Schema {
	in := j.Input.Schema()
	s := make(types.Schema, 0, len(in)+len(j.Table.PhysicalColumns()))
	return append(append(s, in...), j.LookupColumns()...)
}

// Children is the probe side only: the lookup table is not an input.
func (j *LookupJoin) Children() []Node { return []Node{j.Input} }

func (j *LookupJoin) Describe() string {
	kind := "LookupJoin"
	if j.Left {
		kind = "LeftLookupJoin"
	}
	name := j.Table.Name
	if j.Alias != "" && !strings.EqualFold(j.Alias, j.Table.Name) {
		name += " AS " + j.Alias
	}
	cols := j.Table.PhysicalColumns()
	var conds []string
	for i, k := range j.ProbeKeys {
		conds = append(conds, fmt.Sprintf("%s = %s", k, cols[j.TableKeys[i]].Name))
	}
	s := fmt.Sprintf("%s %s FOR SYSTEM_TIME AS OF %s on %s", kind, name, j.TimeAttr, strings.Join(conds, " AND "))
	if j.Residual != nil {
		s += " where " + j.Residual.String()
	}
	return s
}
