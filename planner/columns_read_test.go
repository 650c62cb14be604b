package planner

import (
	"reflect"
	"testing"

	"github.com/streamsql/streamsql/catalog"
	"github.com/streamsql/streamsql/expr"
	"github.com/streamsql/streamsql/plan"
	"github.com/streamsql/streamsql/types"
)

func TestScanColumns(t *testing.T) {
	// bid (auction, bidder, price, channel, ts, pt AS PROCTIME()), watermark on ts
	bid := &catalog.Table{Name: "bid", ProctimeColumn: 5, Watermark: &catalog.Watermark{Column: 4}, Columns: types.Schema{
		{Name: "auction", Type: types.BigInt}, {Name: "bidder", Type: types.BigInt}, {Name: "price", Type: types.BigInt},
		{Name: "channel", Type: types.String}, {Name: "ts", Type: types.Timestamp}, {Name: "pt", Type: types.Timestamp}}}
	col := func(i int, name string, ty types.Type) *expr.Col { return &expr.Col{Index: i, Name: name, T: ty} }
	scan := &plan.Scan{Table: bid}
	// SELECT auction, COUNT(*), SUM(price) FILTER (WHERE bidder > 0) ... GROUP BY auction, HOP(ts, ...)
	gt, _ := expr.NewCompare(expr.CmpGT, col(1, "bidder", types.BigInt), &expr.Literal{V: types.IntValue(0), T: types.BigInt})
	agg := &plan.Aggregate{Input: scan, GroupKeys: []expr.Expr{col(0, "auction", types.BigInt)}, KeyNames: []string{"auction"},
		Window: &plan.Window{Kind: plan.Hop, TimeCol: 4, Size: 10, Slide: 2},
		Aggs: []plan.AggCall{{Func: plan.AggCount, Type: types.BigInt, Name: "n"},
			{Func: plan.AggSum, Arg: col(2, "price", types.BigInt), Type: types.BigInt, Name: "s", Filter: gt}}}
	// A projection reading only the key of another scan of bid, filtered on channel.
	isX, _ := expr.NewCompare(expr.CmpEQ, col(3, "channel", types.String), &expr.Literal{V: types.StringValue("x"), T: types.String})
	proj := &plan.Project{Input: &plan.Filter{Input: &plan.Scan{Table: bid, Alias: "b2"}, Cond: isX},
		Exprs: []expr.Expr{col(0, "auction", types.BigInt)}, Names: []string{"auction"}}

	cases := []struct {
		roots []plan.Node
		want  []bool
	}{
		// the aggregate reads auction, bidder, price and ts; the watermark column is read anyway
		{[]plan.Node{agg}, []bool{true, true, true, false, true, false}},
		{[]plan.Node{proj}, []bool{true, false, false, true, true, false}},
		// a scan that is a result reads every column
		{[]plan.Node{proj, scan}, []bool{true, true, true, true, true, true}},
		// a projection above the aggregate does not narrow what it reads
		{[]plan.Node{&plan.Project{Input: agg, Exprs: []expr.Expr{col(1, "window_start", types.Timestamp)}, Names: []string{"w"}}},
			[]bool{true, true, true, false, true, false}},
		// below other nodes (a join) every column of their input is read
		{[]plan.Node{&plan.Join{Kind: plan.InnerJoin, Left: proj, Right: &plan.Values{Columns: types.Schema{{Name: "x", Type: types.BigInt}}}}},
			[]bool{true, false, false, true, true, false}},
		{[]plan.Node{&plan.Join{Kind: plan.InnerJoin, Left: &plan.Scan{Table: bid}, Right: &plan.Values{Columns: types.Schema{{Name: "x", Type: types.BigInt}}}}},
			[]bool{true, true, true, true, true, true}},
	}
	for i, c := range cases {
		got := scanColumns(c.roots)
		if len(got) != 1 || !reflect.DeepEqual(got[bid], c.want) {
			t.Errorf("case %d: read %v, want %v", i, got[bid], c.want)
		}
	}
	if got := physicalRead(bid, []bool{true, false, false, true, true, false}); !reflect.DeepEqual(got, []bool{true, false, false, true, true}) {
		t.Errorf("physicalRead: %v", got)
	}
}
