package sql

import (
	"strings"

	"github.com/pingcap/tidb/pkg/parser/ast"
	driver "github.com/pingcap/tidb/pkg/parser/test_driver"

	"github.com/streamsql/streamsql/expr"
	"github.com/streamsql/streamsql/plan"
	"github.com/streamsql/streamsql/types"
)

// Binding grouping sets (see preparse_grouping.go for the syntax). A GROUP
// BY with GROUPING SETS, ROLLUP, CUBE or WITH ROLLUP binds to
//
//	Aggregate(keys = key columns of Expand + the grouping set index)
//	  Expand(input, keys, sets)
//
// bindAggregate calls, in this order:
//  1. deferGrouping for each GROUP BY item: a grouping element is kept
//     aside while the plain items become keys as usual;
//  2. bindGroupingSets after the GROUP BY items: the elements' columns are
//     added to the keys, the sets are computed (the cross product of the
//     plain items and the elements), the keys' types become nullable where
//     a set leaves them out, and the grouping set index is appended as the
//     last key, so that every output column of the Aggregate has its final
//     position while the select list and HAVING are bound;
//  3. expandGroupingSets once the Aggregate's input is final (after a
//     window TVF was detached): it builds the Expand and points the keys at
//     its columns.
//
// GROUPING(a, ...), GROUPING_ID(a, ...) and GROUP_ID() (bind_grouping_func.go)
// read the grouping set index. In GROUPING and GROUPING_ID bit i (counted
// from the last argument) is 1 when the row's grouping set does not hold
// argument i, as in Flink; GROUP_ID numbers repeated sets.

// maxGroupingSets bounds the grouping sets of one GROUP BY (each input row
// is emitted once per set).
const maxGroupingSets = 4096

// groupingSpec is the grouping sets of one GROUP BY.
type groupingSpec struct {
	elems  []*ast.FuncCallExpr // the grouping elements (placeholder calls), in order
	keys   []expr.Expr         // the group keys, bound against the aggregate's input scope
	sets   [][]bool            // sets[s][k]: set s holds key k
	gidKey int                 // index of the grouping set index among ab.keys
}

// groupingElement returns the note of n when n is a grouping element
// placeholder call.
func (cx *compiler) groupingElement(n ast.ExprNode) (groupingNote, *ast.FuncCallExpr, bool) {
	fc, ok := n.(*ast.FuncCallExpr)
	if !ok {
		return groupingNote{}, nil, false
	}
	note, ok := cx.notes.grouping.elems[fc.FnName.L]
	return note, fc, ok
}

// deferGrouping keeps a grouping element of GROUP BY for bindGroupingSets
// and reports whether n was one.
func (ab *aggBinder) deferGrouping(n ast.ExprNode) bool {
	if ab.cx.isEmptySet(n) {
		return true // GROUP BY (): crossed with the other items, the empty set adds nothing
	}
	_, fc, ok := ab.cx.groupingElement(n)
	if !ok {
		return false
	}
	if ab.grouping == nil {
		ab.grouping = &groupingSpec{}
	}
	ab.grouping.elems = append(ab.grouping.elems, fc)
	return true
}

// bindGroupingSets computes the grouping sets of gb once its plain items
// are ab.keys (see the steps above). fields are the select items (GROUP
// BY may name their aliases).
func (ab *aggBinder) bindGroupingSets(gb *ast.GroupByClause, fields []*ast.SelectField) error {
	cx := ab.cx
	if gb == nil || (ab.grouping == nil && !gb.Rollup) {
		return nil
	}
	if ab.grouping == nil {
		ab.grouping = &groupingSpec{}
	}
	g := ab.grouping
	if ab.tvf != nil && ab.tvf.kind == "SESSION" {
		at := cx.findWord("GROUP", 0)
		if len(g.elems) > 0 {
			at = off(g.elems[0])
		}
		return cx.p.errAt(ErrUnsupported, at, "grouping sets over a SESSION window table function are not supported",
			"use the group-window form: GROUP BY SESSION(ts, gap), ROLLUP (...)")
	}
	plain := make([]int, len(ab.keys))
	for i := range plain {
		plain[i] = i
	}
	var sets [][]int
	if gb.Rollup {
		if len(g.elems) > 0 {
			return cx.p.errAt(ErrUnsupported, cx.findWord("ROLLUP", off(g.elems[0])), "WITH ROLLUP cannot be combined with GROUPING SETS, ROLLUP(...) or CUBE(...)",
				"write GROUP BY ROLLUP(a, b) instead of GROUP BY a, b WITH ROLLUP")
		}
		for i := len(plain); i >= 0; i-- {
			sets = append(sets, plain[:i])
		}
	} else {
		sets = [][]int{plain}
		for _, fc := range g.elems {
			es, err := ab.elementSets(fc, fields)
			if err != nil {
				return err
			}
			if len(sets)*len(es) > maxGroupingSets {
				return cx.p.errAt(ErrUnsupported, off(fc), "GROUP BY has more than "+itoa(maxGroupingSets)+" grouping sets",
					"each input row is aggregated once per grouping set; use fewer sets")
			}
			var next [][]int
			for _, s := range sets {
				for _, e := range es {
					next = append(next, append(append([]int{}, s...), e...))
				}
			}
			sets = next
		}
	}
	n := len(ab.keys)
	g.sets = make([][]bool, len(sets))
	for s, set := range sets {
		g.sets[s] = make([]bool, n)
		for _, k := range set {
			g.sets[s][k] = true
		}
	}
	// The select list and HAVING see the keys with their output types;
	// the expressions themselves move to the Expand.
	g.keys = append([]expr.Expr{}, ab.keys...)
	shape := &plan.Expand{Keys: g.keys, Sets: g.sets}
	for k := range ab.keys {
		ab.keys[k] = &expr.Literal{V: types.NullValue(), T: shape.KeyType(k)}
	}
	g.gidKey = len(ab.keys)
	ab.keys = append(ab.keys, &expr.Literal{V: types.IntValue(0), T: groupingIDType})
	ab.keyIDs = append(ab.keyIDs, "\x00"+plan.GroupingIDName) // no expression matches it
	ab.keyNames = append(ab.keyNames, plan.GroupingIDName)
	ab.keyProc = append(ab.keyProc, false)
	return nil
}

var groupingIDType = types.Type{Kind: types.KindInt, Precision: 64, NotNull: true}

// elementSets returns the grouping sets of one GROUPING SETS, ROLLUP or
// CUBE element, as key indexes.
func (ab *aggBinder) elementSets(fc *ast.FuncCallExpr, fields []*ast.SelectField) ([][]int, error) {
	cx := ab.cx
	note := cx.notes.grouping.elems[fc.FnName.L]
	if len(fc.Args) == 0 {
		if note.kind == "GROUPING SETS" {
			return nil, cx.p.errAt(ErrInvalid, note.off, "GROUPING SETS needs at least one grouping set", "e.g. GROUPING SETS ((a, b), (a), ())")
		}
		return nil, cx.p.errAt(ErrInvalid, note.off, note.kind+" needs at least one column", "e.g. "+note.kind+" (a, b)")
	}
	var out [][]int
	if note.kind == "GROUPING SETS" {
		for _, a := range fc.Args {
			if _, inner, ok := cx.groupingElement(a); ok { // GROUPING SETS (ROLLUP (a, b), c)
				es, err := ab.elementSets(inner, fields)
				if err != nil {
					return nil, err
				}
				out = append(out, es...)
				continue
			}
			set, err := ab.groupingSet(a, fields)
			if err != nil {
				return nil, err
			}
			out = append(out, set)
		}
		return out, nil
	}
	// ROLLUP and CUBE take columns or composite columns (a, b).
	var cols [][]int
	for _, a := range fc.Args {
		if _, _, ok := cx.groupingElement(a); ok {
			return nil, cx.p.errAt(ErrUnsupported, off(a), note.kind+" cannot contain GROUPING SETS, ROLLUP or CUBE", "list columns or (column, ...) groups")
		}
		if cx.isEmptySet(a) {
			return nil, cx.p.errAt(ErrInvalid, off(a), "() is not allowed in "+note.kind, "the empty grouping set () belongs in GROUPING SETS")
		}
		c, err := ab.groupingSet(a, fields)
		if err != nil {
			return nil, err
		}
		cols = append(cols, c)
	}
	union := func(use func(i int) bool) []int {
		var s []int
		for i, c := range cols {
			if use(i) {
				s = append(s, c...)
			}
		}
		return s
	}
	if note.kind == "ROLLUP" {
		for n := len(cols); n >= 0; n-- {
			out = append(out, union(func(i int) bool { return i < n }))
		}
		return out, nil
	}
	if len(cols) > 12 {
		return nil, cx.p.errAt(ErrUnsupported, note.off, "CUBE of "+itoa(len(cols))+" columns makes more than "+itoa(maxGroupingSets)+" grouping sets", "")
	}
	for m := 1<<len(cols) - 1; m >= 0; m-- { // CUBE (a, b): (a, b), (a), (b), ()
		out = append(out, union(func(i int) bool { return m&(1<<(len(cols)-1-i)) != 0 }))
	}
	return out, nil
}

// isEmptySet reports whether n is the 0 or the empty string that the
// pre-parse layer wrote for ().
func (cx *compiler) isEmptySet(n ast.ExprNode) bool {
	v, ok := n.(*driver.ValueExpr)
	return ok && cx.notes.grouping.empty[off(v)]
}

// groupingSet binds one grouping set: (), (a, b), (a) or a.
func (ab *aggBinder) groupingSet(n ast.ExprNode, fields []*ast.SelectField) ([]int, error) {
	if ab.cx.isEmptySet(n) {
		return nil, nil
	}
	for {
		p, ok := n.(*ast.ParenthesesExpr)
		if !ok {
			break
		}
		n = p.Expr
	}
	members := []ast.ExprNode{n}
	if r, ok := n.(*ast.RowExpr); ok {
		members = r.Values
	}
	var set []int
	for _, m := range members {
		k, err := ab.groupingKey(m, fields)
		if err != nil {
			return nil, err
		}
		set = append(set, k)
	}
	return set, nil
}

// groupingKey binds a column of a grouping set as a group key (one key
// per distinct expression) and returns its index in ab.keys.
func (ab *aggBinder) groupingKey(n ast.ExprNode, fields []*ast.SelectField) (int, error) {
	cx, sc := ab.cx, ab.in
	where := "a grouping set"
	switch v := n.(type) {
	case *ast.RowExpr:
		return 0, cx.p.errAt(ErrUnsupported, off(v), "a grouping set cannot contain a row", "write (a, b), not ((a, b))")
	case *ast.FuncCallExpr:
		if note, _, ok := cx.groupingElement(v); ok {
			return 0, cx.p.errAt(ErrUnsupported, off(v), note.kind+" cannot be nested in "+where, "")
		}
		if windowFuncs[strings.ToUpper(v.FnName.O)] {
			return 0, cx.p.errAt(ErrWindow, off(v), "a group window cannot be part of "+where,
				"write the window as a GROUP BY item of its own: GROUP BY TUMBLE(ts, INTERVAL '5' MINUTE), GROUPING SETS (...)")
		}
	}
	if c, ok := tvfColumn(sc, n); ok && ab.tvf != nil && c.tvf == ab.tvf && (c.tvfRole == tvfStart || c.tvfRole == tvfEnd) {
		return 0, cx.p.errAt(ErrWindow, off(n), c.name+" cannot be part of "+where+" of a window aggregation",
			"write GROUP BY window_start, window_end, GROUPING SETS (...)")
	}
	alias := ""
	if cn, ok := n.(*ast.ColumnNameExpr); ok && cn.Name.Table.O == "" && len(sc.lookup("", cn.Name.Name.O)) == 0 {
		for _, f := range fields {
			if f.Expr != nil && strings.EqualFold(f.AsName.O, cn.Name.Name.O) {
				n, alias = f.Expr, f.AsName.O
				break
			}
		}
	}
	if hasAggregate(n) {
		return 0, cx.p.errAt(ErrInvalid, off(n), "GROUP BY cannot contain aggregate functions", "")
	}
	e, err := cx.bindExpr(n, &ectx{sc: sc, clause: "GROUP BY"})
	if err != nil {
		return 0, err
	}
	id := exprID(e)
	for k, kid := range ab.keyIDs {
		if kid == id {
			return k, nil
		}
	}
	name := "EXPR$" + itoa(len(ab.keys))
	if alias != "" {
		name = alias
	}
	if c, ok := e.(*expr.Col); ok {
		name = c.Name
	}
	ab.keys = append(ab.keys, e)
	ab.keyIDs = append(ab.keyIDs, id)
	ab.keyNames = append(ab.keyNames, name)
	ab.keyProc = append(ab.keyProc, false)
	return len(ab.keys) - 1, nil
}

// expandGroupingSets puts the Expand of the grouping sets over in (the
// Aggregate's final input), passing through the columns the aggregate
// arguments and the window read, and points the keys, the arguments and
// the window's time column at its columns; in is returned unchanged
// without grouping sets.
func (ab *aggBinder) expandGroupingSets(in plan.Node) (plan.Node, error) {
	g := ab.grouping
	if g == nil {
		return in, nil
	}
	keys := g.keys
	if ab.tvf != nil { // the keys were bound over the window TVF's output
		keys = make([]expr.Expr, len(g.keys))
		for i, k := range g.keys {
			nk, ok := remapCols(k, ab.colMap)
			if !ok {
				return nil, ab.cx.p.errAt(ErrWindow, ab.cx.findWord("GROUP", 0), "the group key "+ab.keyNames[i]+" is computed from the window columns of "+
					ab.tvf.kind+"; group by window_start and window_end themselves", "")
			}
			keys[i] = nk
		}
	}
	x := &plan.Expand{Input: in, Keys: keys, KeyNames: ab.keyNames[:len(keys)], Sets: g.sets}
	// Pass through what the Aggregate reads besides its keys.
	read := make([]bool, len(in.Schema()))
	for _, a := range ab.aggs {
		if a.Arg != nil {
			for _, c := range expr.Columns(a.Arg) {
				read[c] = true
			}
		}
	}
	if ab.win != nil {
		read[ab.win.TimeCol] = true
	}
	pos := make([]int, len(read)) // input column -> Expand column, -1 when not passed
	for c, r := range read {
		pos[c] = -1
		if r {
			pos[c] = len(x.Pass)
			x.Pass = append(x.Pass, c)
		}
	}
	for i := range ab.aggs {
		if ab.aggs[i].Arg != nil {
			ab.aggs[i].Arg, _ = remapCols(ab.aggs[i].Arg, pos)
		}
	}
	if ab.win != nil {
		ab.win.TimeCol = pos[ab.win.TimeCol]
	}
	width := len(x.Pass)
	for k := range keys {
		ab.keys[k] = &expr.Col{Index: width + k, Name: ab.keyNames[k], T: x.KeyType(k)}
	}
	ab.keys[g.gidKey] = &expr.Col{Index: width + len(keys), Name: plan.GroupingIDName, T: groupingIDType}
	return x, nil
}
