package operators

import (
	"strings"
	"testing"

	"github.com/streamsql/streamsql/exec"
	"github.com/streamsql/streamsql/expr"
	"github.com/streamsql/streamsql/plan"
	"github.com/streamsql/streamsql/types"
)

// Input rows of the OVER tests: (k BIGINT, v BIGINT, ts TIMESTAMP).
func overRow(k, v, ts int64) emitted {
	return emitted{op: types.Insert, vals: []types.Value{types.IntValue(k), types.IntValue(v), types.TimestampValue(ts)}}
}

func overSpec(proctime bool, frames []plan.OverFrame, calls ...plan.OverCall) OverSpec {
	return OverSpec{PartitionCols: []int{0}, TimeCol: 2, Proctime: proctime, Frames: frames, Calls: calls, OutWidth: 3}
}

func sumCall(frame int) plan.OverCall {
	return plan.OverCall{AggCall: plan.AggCall{Func: plan.AggSum, Arg: &expr.Col{Index: 1, Name: "v", T: types.BigInt}, Type: types.BigInt, Name: "SUM(v)"}, Frame: frame}
}

func countCall(frame int) plan.OverCall {
	return plan.OverCall{AggCall: plan.AggCall{Func: plan.AggCount, Type: types.BigInt, Name: "COUNT(*)"}, Frame: frame}
}

func maxCall(frame int) plan.OverCall {
	return plan.OverCall{AggCall: plan.AggCall{Func: plan.AggMax, Arg: &expr.Col{Index: 1, Name: "v", T: types.BigInt}, Type: types.BigInt, Name: "MAX(v)"}, Frame: frame}
}

func formatOverRows(rows []emitted) string {
	var out []string
	for _, r := range rows {
		out = append(out, formatRow(r))
	}
	return strings.Join(out, "\n")
}

func expectRows(t *testing.T, step string, got []emitted, want ...string) {
	t.Helper()
	if g, w := formatOverRows(got), strings.Join(want, "\n"); g != w {
		t.Fatalf("%s:\ngot:\n%s\nwant:\n%s", step, g, w)
	}
}

// TestOverEventTime: rows wait for the watermark, are taken in time order
// per key, late rows are dropped and counted, and state (waiting rows,
// the frame's rows and accumulators) survives a restore through the
// codecs, on the memory backend and on a serialising one.
func TestOverEventTime(t *testing.T) {
	for _, serialise := range []bool{false, true} {
		for _, restore := range []bool{false, true} {
			serialiseState = serialise
			spec := overSpec(false, []plan.OverFrame{{Rows: true, Preceding: 1}, {Preceding: 10}}, sumCall(0), maxCall(0), countCall(1))
			h := newHarness(t, func() exec.Operator { return NewOver(spec) }, 3)
			maybeRestore := func() {
				if restore {
					h.restore()
				}
			}
			// Key 1: 5 @20, 7 @10 (out of order), 1 @30; key 2: 100 @15.
			expectRows(t, "batch 1", h.process(0, []emitted{overRow(1, 5, 20), overRow(1, 7, 10), overRow(2, 100, 15), overRow(1, 1, 30)}))
			maybeRestore()
			// Watermark 20: key 1 takes 7 @10, then 5 @20 (time order);
			// key 2 takes 100 @15. ROWS 1 PRECEDING: SUM/MAX over [7], [7 5];
			// RANGE 10 ms: COUNT over [0, 10] = 1, [10, 20] = 2.
			got := h.watermark(20)
			sortEmitted(got)
			expectRows(t, "watermark 20", got,
				"+I 1 5 20 12 7 2",
				"+I 1 7 10 7 7 1",
				"+I 2 100 15 100 100 1")
			maybeRestore()
			// 3 @20 is late (20 <= watermark 20); 9 @25 is not.
			expectRows(t, "batch 2", h.process(0, []emitted{overRow(1, 3, 20), overRow(1, 9, 25)}))
			if n := h.ctx.Metrics.LateRowsDropped.Load(); n != 1 {
				t.Fatalf("late rows: got %d, want 1", n)
			}
			maybeRestore()
			// 9 @25: [5 9] -> 14, 9; RANGE [15, 25]: 5 @20, 9 @25 -> 2.
			// 1 @30: [9 1] -> 10, 9; RANGE [20, 30]: 5, 9, 1 -> 3.
			expectRows(t, "finish", h.finish(),
				"+I 1 9 25 14 9 2",
				"+I 1 1 30 10 9 3")
		}
	}
	serialiseState = false
}

// TestOverRangePeers: rows of one time get the RANGE value computed with
// all of them, while a ROWS frame gives each row its own.
func TestOverRangePeers(t *testing.T) {
	spec := overSpec(false, []plan.OverFrame{{Unbounded: true}, {Rows: true, Unbounded: true}}, sumCall(0), sumCall(1))
	h := newHarness(t, func() exec.Operator { return NewOver(spec) }, 3)
	h.process(0, []emitted{overRow(1, 1, 10), overRow(1, 2, 20), overRow(1, 3, 20), overRow(1, 4, 30)})
	expectRows(t, "finish", h.finish(),
		"+I 1 1 10 1 1",
		"+I 1 2 20 6 3",
		"+I 1 3 20 6 6",
		"+I 1 4 30 10 10")
}

// TestOverProctime: rows are aggregated on arrival at the operator's
// clock; a RANGE frame of 10 ms slides with it.
func TestOverProctime(t *testing.T) {
	spec := overSpec(true, []plan.OverFrame{{Preceding: 10}}, sumCall(0))
	h := newHarness(t, func() exec.Operator { return NewOver(spec) }, 3)
	h.clock = 100
	expectRows(t, "at 100", h.process(0, []emitted{overRow(1, 1, 0), overRow(1, 2, 0)}),
		"+I 1 1 0 1",
		"+I 1 2 0 3")
	h.clock = 105
	expectRows(t, "at 105", h.process(0, []emitted{overRow(1, 4, 0)}), "+I 1 4 0 7")
	h.restore()
	h.clock = 111 // [101, 111]: the rows at 100 left the frame
	expectRows(t, "at 111", h.process(0, []emitted{overRow(1, 8, 0)}), "+I 1 8 0 12")
}

func sortEmitted(rows []emitted) {
	for i := 1; i < len(rows); i++ {
		for j := i; j > 0 && formatRow(rows[j]) < formatRow(rows[j-1]); j-- {
			rows[j], rows[j-1] = rows[j-1], rows[j]
		}
	}
}
