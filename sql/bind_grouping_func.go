package sql

import (
	"slices"
	"strings"

	"github.com/pingcap/tidb/pkg/parser/ast"

	"github.com/streamsql/streamsql/expr"
	"github.com/streamsql/streamsql/plan"
	"github.com/streamsql/streamsql/types"
)

// The grouping functions over an aggregate with grouping sets
// (bind_grouping.go), bound by aggBinder.match in the select list and
// HAVING. Each reads the grouping set index, the Aggregate's last key.

var groupingFuncs = map[string]bool{"GROUPING": true, "GROUPING_ID": true, "GROUP_ID": true}

// bindGroupingCall binds GROUPING(a, ...) / GROUPING_ID(a, ...) in the
// select list or HAVING: a BIGINT whose bit i (counted from the last
// argument) is 1 when the row's grouping set does not hold argument i.
func (ab *aggBinder) bindGroupingCall(v *ast.FuncCallExpr) (expr.Expr, error) {
	cx := ab.cx
	name := strings.ToUpper(v.FnName.O)
	if name == "GROUP_ID" {
		return ab.bindGroupID(v)
	}
	if len(v.Args) == 0 {
		return nil, cx.p.errAt(ErrInvalid, off(v), name+" needs at least one argument", "e.g. "+name+"(supplier_id)")
	}
	if len(v.Args) > 63 {
		return nil, cx.p.errAt(ErrInvalid, off(v), name+" takes at most 63 arguments", "")
	}
	args := make([]int, len(v.Args))
	var names []string
	for i, a := range v.Args {
		e, err := cx.bindExpr(a, &ectx{sc: ab.in, clause: name})
		if err != nil {
			return nil, err
		}
		id, k := exprID(e), -1
		for j, kid := range ab.keyIDs {
			if kid == id {
				k = j
			}
		}
		if k < 0 {
			return nil, cx.p.errAt(ErrNotGrouped, off(a), "argument to "+name+" must be a grouped expression, but "+e.String()+" is not in GROUP BY", "")
		}
		args[i] = k
		names = append(names, ab.keyNames[k])
	}
	display := name + "(" + strings.Join(names, ", ") + ")"
	g := ab.grouping
	if g == nil { // a plain GROUP BY: every key is in the one grouping set
		return &expr.Literal{V: types.IntValue(0), T: groupingIDType}, nil
	}
	values := make([]int64, len(g.sets))
	for s, set := range g.sets {
		for i, k := range args {
			if !set[k] {
				values[s] |= 1 << (len(args) - 1 - i)
			}
		}
	}
	return ab.perSet(values, display)
}

// bindGroupID binds GROUP_ID(): 0 for the first occurrence of a grouping
// set, 1, 2, ... for its repetitions (Calcite's and Flink's semantics).
func (ab *aggBinder) bindGroupID(v *ast.FuncCallExpr) (expr.Expr, error) {
	if len(v.Args) != 0 {
		return nil, ab.cx.p.errAt(ErrInvalid, off(v), "GROUP_ID takes no arguments", "")
	}
	g := ab.grouping
	if g == nil {
		return &expr.Literal{V: types.IntValue(0), T: groupingIDType}, nil
	}
	values := make([]int64, len(g.sets))
	for s := range g.sets {
		for e := 0; e < s; e++ {
			if slices.Equal(g.sets[e], g.sets[s]) {
				values[s]++
			}
		}
	}
	return ab.perSet(values, "GROUP_ID()")
}

// perSet returns the expression that gives values[s] in the rows of
// grouping set s (a CASE on the grouping set index, shown as display).
func (ab *aggBinder) perSet(values []int64, display string) (expr.Expr, error) {
	g := ab.grouping
	gid := ab.outCol(g.gidKey, plan.GroupingIDName, groupingIDType)
	var whens, thens []expr.Expr
	for s, v := range values {
		if v == 0 {
			continue
		}
		w, err := expr.NewCompare(expr.CmpEQ, gid, &expr.Literal{V: types.IntValue(int64(s)), T: groupingIDType})
		if err != nil {
			return nil, err
		}
		whens = append(whens, w)
		thens = append(thens, &expr.Literal{V: types.IntValue(v), T: groupingIDType})
	}
	zero := &expr.Literal{V: types.IntValue(0), T: groupingIDType}
	if len(whens) == 0 {
		return zero, nil
	}
	c, err := expr.NewCase(whens, thens, zero)
	if err != nil {
		return nil, err
	}
	c.Display = display
	return c, nil
}
