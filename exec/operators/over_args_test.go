package operators

import (
	"testing"

	"github.com/streamsql/streamsql/exec"
	"github.com/streamsql/streamsql/expr"
	"github.com/streamsql/streamsql/plan"
	"github.com/streamsql/streamsql/types"
)

// TestOverCallExpressions: a call's FILTER, GROUP_CONCAT's ORDER BY keys
// and COUNT(DISTINCT)'s further arguments read input columns other than
// the argument; they are evaluated per row and kept with it, so that a
// row leaving a bounded frame is retracted as it was added, across
// restores through the codecs.
func TestOverCallExpressions(t *testing.T) {
	kCol := &expr.Col{Index: 0, Name: "k", T: types.BigInt}
	vCol := &expr.Col{Index: 1, Name: "v", T: types.BigInt}
	tsCol := &expr.Col{Index: 2, Name: "ts", T: types.Timestamp}
	vGt2, err := expr.NewCompare(expr.CmpGT, vCol, &expr.Literal{V: types.IntValue(2), T: types.BigInt})
	if err != nil {
		t.Fatal(err)
	}
	calls := []plan.OverCall{
		{AggCall: plan.AggCall{Func: plan.AggCount, Filter: vGt2, Type: types.BigInt, Name: "COUNT(*) FILTER (WHERE v > 2)"}, Frame: 0},
		{AggCall: plan.AggCall{Func: plan.AggGroupConcat, Arg: vCol, Sep: ";", OrderBy: []expr.Expr{tsCol}, Desc: []bool{true},
			Type: types.String, Name: "GROUP_CONCAT(v ORDER BY ts DESC SEPARATOR ';')"}, Frame: 0},
		{AggCall: plan.AggCall{Func: plan.AggCount, Distinct: true, Arg: vCol, More: []expr.Expr{kCol}, Type: types.BigInt,
			Name: "COUNT(DISTINCT v, k)"}, Frame: 1},
		{AggCall: plan.AggCall{Func: plan.AggSum, Arg: vCol, Filter: vGt2, Type: types.BigInt, Name: "SUM(v) FILTER (WHERE v > 2)"}, Frame: 1},
	}
	for _, serialise := range []bool{false, true} {
		for _, restore := range []bool{false, true} {
			serialiseState = serialise
			spec := overSpec(false, []plan.OverFrame{{Rows: true, Preceding: 1}, {Preceding: 10}}, calls...)
			h := newHarness(t, func() exec.Operator { return NewOver(spec) }, 3)
			maybeRestore := func() {
				if restore {
					h.restore()
				}
			}
			h.process(0, []emitted{overRow(1, 5, 10), overRow(1, 1, 12)})
			maybeRestore()
			// ROWS 1 PRECEDING: [5@10] -> 1 row with v > 2, "5";
			// [5@10 1@12] -> 1, "1;5" (ts descending).
			// RANGE 10 ms: [0, 10] {(5,1)} -> 1 tuple, sum 5;
			// [2, 12] {(5,1) (1,1)} -> 2, sum of v > 2 is 5.
			expectRows(t, "watermark 12", h.watermark(12),
				"+I 1 5 10 1 '5' 1 5",
				"+I 1 1 12 1 '1;5' 2 5")
			maybeRestore()
			h.process(0, []emitted{overRow(1, 5, 15), overRow(1, 3, 30)})
			maybeRestore()
			// ROWS: [1@12 5@15] -> 1, "5;1"; [5@15 3@30] -> 2, "3;5".
			// RANGE: [5, 15] {5 1 5} -> tuples (5,1) (1,1), sum 10;
			// [20, 30] {3}: the three earlier rows retracted -> 1, 3.
			expectRows(t, "finish", h.finish(),
				"+I 1 5 15 1 '5;1' 2 10",
				"+I 1 3 30 2 '3;5' 1 3")
		}
	}
	serialiseState = false
}
