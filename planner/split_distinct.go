package planner

import (
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/streamsql/streamsql/expr"
	"github.com/streamsql/streamsql/plan"
	"github.com/streamsql/streamsql/types"
)

// distinctSetName names the Expand's set index column of a split over
// GROUPING SETS, whose own index ($grouping_set) is one of the keys.
const distinctSetName = "$distinct_set"

// Split distinct aggregation (table.optimizer.distinct-agg.split.enabled,
// as in Flink). A non-windowed GROUP BY with a DISTINCT aggregate keeps a
// set of distinct values per group; with few groups (a GROUP BY day, or no
// GROUP BY at all) every row goes to the one instance that owns its group,
// and that instance does all the work whatever the parallelism. Split, the
// query runs as two aggregates:
//
//	Project: COALESCE(count, 0) for the COUNTs
//	  final Aggregate: GROUP BY keys; SUM of the partial COUNTs and SUMs,
//	                   MIN of the MINs, MAX of the MAXs (over a changelog)
//	    partial Aggregate: GROUP BY keys, bucket_0..bucket_D-1, set; the
//	                       original calls, over the columns of their set
//	      Expand: each row once per distinct set j, with bucket_j =
//	              hash(the set's distinct value) mod bucket-num and only
//	              the arguments of set j's calls (the others NULL)
//
// A distinct set is the calls whose distinct value is the same expression
// (COUNT(DISTINCT x) and SUM(DISTINCT x) FILTER (WHERE ...), and also
// COUNT(DISTINCT CASE WHEN c THEN x END), whose non-NULL values are x's).
// Each distinct value lands in one bucket of its set, so the partial
// aggregate's per-bucket results add up to the exact one; the buckets
// spread a hot group's rows over every instance of the partial aggregate.
// Calls without DISTINCT are folded in the rows of set 0 (one per input
// row). COUNT(*) and FILTER clauses become a filter column that is NULL
// outside the call's set.
//
// The final table is the same as unsplit; the changelog has more
// intermediate updates (each partial change is a -U/+U of the final
// group), which mini-batch (table.exec.mini-batch.*) folds away. Calls
// other than COUNT, SUM, MIN and MAX (AVG, LISTAGG, ...) or with an ORDER
// BY leave the aggregate unsplit, as do window aggregates.

// splitDistinct returns the two-aggregate plan of n with buckets buckets
// per distinct set and its partial aggregate (which the planner must not
// split again), or false when n does not qualify (see above). The plan has
// n's output schema.
func splitDistinct(n *plan.Aggregate, buckets int) (plan.Node, *plan.Aggregate, bool) {
	if n.Window != nil || n.WindowKeys != nil || buckets < 1 {
		return nil, nil, false
	}
	distinct := false
	for _, a := range n.Aggs {
		switch a.Func {
		case plan.AggCount, plan.AggSum, plan.AggMin, plan.AggMax:
		default:
			return nil, nil, false
		}
		if len(a.OrderBy) > 0 {
			return nil, nil, false
		}
		distinct = distinct || a.Distinct
	}
	if !distinct {
		return nil, nil, false
	}

	// The distinct sets, in order of their first call.
	var setKeys []string
	var setSources [][]expr.Expr
	callSet := make([]int, len(n.Aggs))
	for i, a := range n.Aggs {
		if !a.Distinct {
			continue
		}
		src := a.DistinctSource()
		key := expr.Key(src...)
		j := slices.Index(setKeys, key)
		if j < 0 {
			j = len(setKeys)
			setKeys = append(setKeys, key)
			setSources = append(setSources, src)
		}
		callSet[i] = j
	}
	nk, nsets := len(n.GroupKeys), len(setKeys)

	// The Expand's columns: group keys (every set), buckets (one set
	// each), then arguments and filters (one set each, shared by calls of
	// the set that read the same expression).
	x := splitColumns{sets: nsets}
	for i, k := range n.GroupKeys {
		x.add(k, n.KeyNames[i], -1)
	}
	for j, src := range setSources {
		x.add(&bucketExpr{args: src, n: buckets}, "$bucket"+strconv.Itoa(j), j)
	}
	type callCols struct{ arg, filter int } // -1: none
	cols := make([]callCols, len(n.Aggs))
	var more [][]int
	for i, a := range n.Aggs {
		s := callSet[i]
		c := callCols{arg: -1, filter: -1}
		if a.Arg != nil {
			c.arg = x.add(a.Arg, "", s)
		}
		var m []int
		for _, e := range a.More {
			m = append(m, x.add(e, "", s))
		}
		more = append(more, m)
		switch {
		case a.Filter != nil:
			c.filter = x.add(a.Filter, "", s)
		case a.Arg == nil: // COUNT(*): count the rows of its set only
			c.filter = x.add(&expr.Literal{V: types.BoolValue(true), T: types.Type{Kind: types.KindBool, NotNull: true}}, "", s)
		}
		cols[i] = c
	}
	expand := &plan.Expand{Input: n.Input, Keys: x.exprs, KeyNames: x.names, Sets: x.setMasks()}
	if slices.Contains(x.names, plan.GroupingIDName) {
		// over GROUPING SETS: the grouping set index is one of the keys
		expand.IDName = distinctSetName
	}
	es := expand.Schema()
	col := func(s types.Schema, i int) expr.Expr { return &expr.Col{Index: i, Name: s[i].Name, T: s[i].Type} }

	partial := &plan.Aggregate{Input: expand}
	for i := 0; i < nk+nsets; i++ {
		partial.GroupKeys = append(partial.GroupKeys, col(es, i))
		partial.KeyNames = append(partial.KeyNames, es[i].Name)
	}
	partial.GroupKeys = append(partial.GroupKeys, col(es, len(es)-1))
	partial.KeyNames = append(partial.KeyNames, es[len(es)-1].Name)
	for i, a := range n.Aggs {
		p := plan.AggCall{Func: a.Func, Distinct: a.Distinct, Type: a.Type, Name: "$partial" + strconv.Itoa(i)}
		if a.Func != plan.AggCount {
			p.Type = a.Type.Nullable()
		}
		if cols[i].arg >= 0 {
			p.Arg = col(es, cols[i].arg)
		}
		for _, m := range more[i] {
			p.More = append(p.More, col(es, m))
		}
		if cols[i].filter >= 0 {
			p.Filter = col(es, cols[i].filter)
		}
		partial.Aggs = append(partial.Aggs, p)
	}

	ps := partial.Schema()
	final := &plan.Aggregate{Input: partial, KeyNames: n.KeyNames}
	for i := range nk {
		final.GroupKeys = append(final.GroupKeys, col(ps, i))
	}
	pa := len(partial.GroupKeys)
	for i, a := range n.Aggs {
		f := plan.AggCall{Func: a.Func, Arg: col(ps, pa+i), Type: a.Type, Name: "$final" + strconv.Itoa(i)}
		if a.Func == plan.AggCount {
			f.Func, f.Type = plan.AggSum, a.Type.Nullable()
		}
		final.Aggs = append(final.Aggs, f)
	}

	fs, want := final.Schema(), n.Schema()
	project := &plan.Project{Input: final}
	for i := range fs {
		var e expr.Expr = col(fs, i)
		if i >= nk && n.Aggs[i-nk].Func == plan.AggCount {
			zero := &expr.Literal{V: types.IntValue(0), T: types.Type{Kind: types.KindInt, Precision: 64, NotNull: true}}
			c, err := expr.NewCoalesce("COALESCE", []expr.Expr{e, zero})
			if err != nil {
				return nil, nil, false
			}
			e = c
		}
		project.Exprs = append(project.Exprs, e)
		project.Names = append(project.Names, want[i].Name)
	}
	if !slices.Equal(project.Schema(), want) {
		return nil, nil, false
	}
	return project, partial, true
}

// splitColumns collects the Expand's key columns of a split: each an
// expression in every set (set -1) or in one set only, added once per
// (expression, set).
type splitColumns struct {
	sets  int
	exprs []expr.Expr
	names []string
	in    []int // set of each column, -1: every set
	index map[string]int
}

// add returns the column of e in set (-1: every set), adding it when new;
// name "" names it after the expression when that is a column, else $eN.
func (x *splitColumns) add(e expr.Expr, name string, set int) int {
	key := expr.Key(e) + "@" + strconv.Itoa(set)
	if i, ok := x.index[key]; ok {
		return i
	}
	if x.index == nil {
		x.index = map[string]int{}
	}
	if name == "" {
		name = "$e" + strconv.Itoa(len(x.exprs))
		if c, ok := expr.AsCol(e); ok {
			name = c.Name + "$" + strconv.Itoa(set)
		}
	}
	i := len(x.exprs)
	x.exprs = append(x.exprs, e)
	x.names = append(x.names, name)
	x.in = append(x.in, set)
	x.index[key] = i
	return i
}

// setMasks returns the Expand's Sets: set j holds the columns of every set
// and of j.
func (x *splitColumns) setMasks() [][]bool {
	masks := make([][]bool, x.sets)
	for j := range masks {
		masks[j] = make([]bool, len(x.exprs))
		for i, s := range x.in {
			masks[j][i] = s < 0 || s == j
		}
	}
	return masks
}

// bucketExpr is a split's bucket of a distinct value: the hash of its
// argument values mod n, as a BIGINT NOT NULL. Equal values always get the
// same bucket (types.HashValue hashes a value by its content).
type bucketExpr struct {
	args []expr.Expr
	n    int
}

func (b *bucketExpr) Type() types.Type {
	return types.Type{Kind: types.KindInt, Precision: 64, NotNull: true}
}

func (b *bucketExpr) Eval(row []types.Value) (types.Value, error) {
	h := types.HashSeed
	for _, a := range b.args {
		v, err := a.Eval(row)
		if err != nil {
			return types.NullValue(), err
		}
		h = types.HashValue(h, v)
	}
	return types.IntValue(int64(h % uint64(b.n))), nil
}

func (b *bucketExpr) String() string {
	args := make([]string, len(b.args))
	for i, a := range b.args {
		args[i] = a.String()
	}
	return fmt.Sprintf("SPLIT_BUCKET(%s, %d)", strings.Join(args, ", "), b.n)
}
