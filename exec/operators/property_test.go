package operators

import (
	"fmt"
	"math/rand"
	"slices"
	"strings"
	"testing"

	"github.com/streamsql/streamsql/exec"
	"github.com/streamsql/streamsql/exec/window"
	"github.com/streamsql/streamsql/expr"
	"github.com/streamsql/streamsql/plan"
	"github.com/streamsql/streamsql/types"
)

// event is a row or a watermark of a generated input.
type event struct {
	row []types.Value // nil for a watermark
	op  types.Op
	wm  int64
}

// genWindowInput makes rows (k BIGINT, ts TIMESTAMP, v BIGINT) with
// out-of-order times, and watermarks that sometimes overtake rows.
func genWindowInput(r *rand.Rand, n int) []event {
	var evs []event
	maxTs := int64(-50)
	for i := 0; i < n; i++ {
		if r.Intn(6) == 0 {
			evs = append(evs, event{wm: maxTs - int64(r.Intn(15))})
			continue
		}
		ts := maxTs + int64(r.Intn(30)) - 20
		maxTs = max(maxTs, ts)
		var k types.Value
		if r.Intn(8) > 0 {
			k = types.IntValue(int64(r.Intn(4)))
		}
		evs = append(evs, event{row: []types.Value{k, types.TimestampValue(ts), types.IntValue(int64(r.Intn(100)))}})
	}
	return append(evs, event{wm: exec.MaxWatermark})
}

// runEvents drives an operator over events, batching consecutive rows at
// random, restoring at random points when restore is set; it returns the
// output rows (formatted) and the late-row count.
func runEvents(t *testing.T, r *rand.Rand, newOp func() exec.Operator, widths []int, evs []event, inputs []int, restore bool) ([]string, int64) {
	h := newHarness(t, newOp, widths...)
	var out []string
	collect := func(rows []emitted) {
		for _, e := range rows {
			out = append(out, formatRow(e))
		}
	}
	for i := 0; i < len(evs); {
		if restore && r.Intn(5) == 0 {
			h.restore()
		}
		if evs[i].row == nil {
			collect(h.watermark(evs[i].wm))
			i++
			continue
		}
		in := 0
		if inputs != nil {
			in = inputs[i]
		}
		var rows []emitted
		for j := 0; j < 1+r.Intn(6) && i < len(evs) && evs[i].row != nil && (inputs == nil || inputs[i] == in); j++ {
			rows = append(rows, emitted{op: evs[i].op, vals: evs[i].row})
			i++
		}
		collect(h.process(in, rows))
	}
	if err := h.op.Finish(); err != nil {
		t.Fatal(err)
	}
	return out, h.ctx.Metrics.LateRowsDropped.Load()
}

// referenceWindows computes tumble/hop/cumulate results row by row from
// the window definitions (no slices): COUNT(*), SUM(v) per key and window.
func referenceWindows(w plan.Window, evs []event) ([]string, int64) {
	type wk struct {
		key      string
		start    int64
		end      int64
		keyValue types.Value
	}
	type acc struct{ n, sum int64 }
	open := map[wk]*acc{}
	var out []string
	var late int64
	wm := exec.MinWatermark
	var ws []window.Bounds
	for _, ev := range evs {
		if ev.row == nil {
			if ev.wm <= wm {
				continue
			}
			wm = ev.wm
			var due []wk
			for k := range open {
				if window.Fired(k.end, wm) {
					due = append(due, k)
				}
			}
			for _, k := range due {
				a := open[k]
				out = append(out, formatRow(emitted{op: types.Insert, vals: []types.Value{k.keyValue,
					types.TimestampValue(k.start), types.TimestampValue(k.end), types.IntValue(a.n), types.IntValue(a.sum)}}))
				delete(open, k)
			}
			continue
		}
		ts := ev.row[1].Millis()
		ws = ws[:0]
		switch w.Kind {
		case plan.Tumble:
			ws = append(ws, window.Tumble(ts, w.Size))
		case plan.Hop:
			ws = window.AppendHop(ws, ts, w.Slide, w.Size)
		case plan.Cumulate:
			ws = window.AppendCumulate(ws, ts, w.Step, w.Size)
		}
		isLate := false
		for _, b := range ws {
			if window.Fired(b.End, wm) {
				isLate = true
				continue
			}
			k := wk{key: formatValue(ev.row[0]), start: b.Start, end: b.End, keyValue: ev.row[0]}
			a := open[k]
			if a == nil {
				a = &acc{}
				open[k] = a
			}
			a.n++
			a.sum += ev.row[2].Int()
		}
		if isLate {
			late++
		}
	}
	return out, late
}

func windowSpec(w plan.Window) WindowAggSpec {
	return WindowAggSpec{KeyCols: []int{0}, Window: w, Aggs: []plan.AggCall{
		{Func: plan.AggCount, Type: types.BigInt},
		{Func: plan.AggSum, Arg: &expr.Col{Index: 2, Name: "v", T: types.BigInt}, Type: types.BigInt},
	}}
}

func TestWindowsAgainstReference(t *testing.T) { checkWindows(t, 11, 300) }

// TestWindowsHashCollisions reruns the reference check with an operator-local
// hash of two bits, so that keys collide in the hot index all the time.
func TestWindowsHashCollisions(t *testing.T) {
	hotHashMask = 3
	defer func() { hotHashMask = ^uint64(0) }()
	checkWindows(t, 21, 150)
}

// randomWindow is a TUMBLE, HOP or CUMULATE window over column 1 (by
// trial modulo 3) with random sizes.
func randomWindow(r *rand.Rand, trial int) plan.Window {
	w := plan.Window{TimeCol: 1}
	switch trial % 3 {
	case 0:
		w.Kind, w.Size = plan.Tumble, int64(1+r.Intn(20))
	case 1:
		w.Kind, w.Slide, w.Size = plan.Hop, int64(1+r.Intn(10)), int64(1+r.Intn(25))
	case 2:
		w.Kind, w.Step = plan.Cumulate, int64(1+r.Intn(6))
		w.Size = w.Step * int64(1+r.Intn(5))
	}
	return w
}

func checkWindows(t *testing.T, seed int64, trials int) {
	r := rand.New(rand.NewSource(seed))
	for trial := 0; trial < trials; trial++ {
		w := randomWindow(r, trial)
		evs := genWindowInput(r, 60+r.Intn(100))
		want, wantLate := referenceWindows(w, evs)
		spec := windowSpec(w)
		newOp := func() exec.Operator { return NewWindowAgg(spec) }
		for _, m := range []mode{modeMemory, modeSerialised, modeRestore} {
			serialiseState = m == modeSerialised
			got, late := runEvents(t, r, newOp, []int{3}, evs, nil, m == modeRestore)
			serialiseState = false
			if !sameMultiset(got, want) || late != wantLate {
				t.Fatalf("trial %d %s %s: late %d want %d\n%s", trial, w.String(), m, late, wantLate, diffLines(got, want))
			}
		}
	}
}

// TestSessionsRestore checks that sessions give the same results with and
// without restores and with a serialising backend.
func TestSessionsRestore(t *testing.T) {
	r := rand.New(rand.NewSource(12))
	for trial := 0; trial < 200; trial++ {
		w := plan.Window{Kind: plan.Session, TimeCol: 1, Gap: int64(1 + r.Intn(12))}
		evs := genWindowInput(r, 60+r.Intn(100))
		spec := windowSpec(w)
		newOp := func() exec.Operator { return NewWindowAgg(spec) }
		want, wantLate := runEvents(t, r, newOp, []int{3}, evs, nil, false)
		if ref, refLate := referenceSessions(w.Gap, evs); !sameMultiset(want, ref) || refLate != wantLate {
			t.Fatalf("trial %d gap %d: late %d want %d\n%s", trial, w.Gap, wantLate, refLate, diffLines(want, ref))
		}
		// a session spans at least the gap (a session that fired may be
		// followed by one that touches or overlaps it, as in Flink)
		for _, l := range want {
			var k string
			var s, e int64
			fmt.Sscanf(l, "+I %s %d %d", &k, &s, &e)
			if e-s < w.Gap {
				t.Fatalf("trial %d: session [%d, %d) shorter than the gap %d", trial, s, e, w.Gap)
			}
		}
		for _, m := range []mode{modeSerialised, modeRestore} {
			serialiseState = m == modeSerialised
			got, late := runEvents(t, r, newOp, []int{3}, evs, nil, m == modeRestore)
			serialiseState = false
			if !sameMultiset(got, want) || late != wantLate {
				t.Fatalf("trial %d %s: late %d want %d\n%s", trial, m, late, wantLate, diffLines(got, want))
			}
		}
	}
}

// referenceSessions computes session windows row by row, keeping every
// row of a session: COUNT(*) and SUM(v) per key and session.
func referenceSessions(gap int64, evs []event) ([]string, int64) {
	type sess struct {
		b    window.Bounds
		vals []int64
	}
	open := map[string][]*sess{}
	keyVal := map[string]types.Value{}
	var out []string
	var late int64
	wm := exec.MinWatermark
	for _, ev := range evs {
		if ev.row == nil {
			if ev.wm <= wm {
				continue
			}
			wm = ev.wm
			for k, ss := range open {
				var keep []*sess
				for _, s := range ss {
					if !window.Fired(s.b.End, wm) {
						keep = append(keep, s)
						continue
					}
					var sum int64
					for _, v := range s.vals {
						sum += v
					}
					out = append(out, formatRow(emitted{op: types.Insert, vals: []types.Value{keyVal[k],
						types.TimestampValue(s.b.Start), types.TimestampValue(s.b.End),
						types.IntValue(int64(len(s.vals))), types.IntValue(sum)}}))
				}
				open[k] = keep
			}
			continue
		}
		k := formatValue(ev.row[0])
		keyVal[k] = ev.row[0]
		nw := &sess{b: window.Session(ev.row[1].Millis(), gap), vals: []int64{ev.row[2].Int()}}
		var keep []*sess
		merged := false
		for _, s := range open[k] {
			if s.b.Intersects(nw.b) {
				nw.b = nw.b.Cover(s.b)
				nw.vals = append(nw.vals, s.vals...)
				merged = true
				continue
			}
			keep = append(keep, s)
		}
		if !merged && window.Fired(nw.b.End, wm) {
			late++
			continue
		}
		open[k] = append(keep, nw)
	}
	return out, late
}

// applyChangelog applies an upsert changelog keyed by the first nk values
// and fails on inconsistent ops.
func applyChangelog(t *testing.T, table map[string]string, lines []string, nk int) {
	t.Helper()
	for _, l := range lines {
		f := strings.Fields(l)
		key := strings.Join(f[1:1+nk], " ")
		val := strings.Join(f[1:], " ")
		cur, ok := table[key]
		switch f[0] {
		case "+I":
			if ok {
				t.Fatalf("+I for existing key %q", key)
			}
			table[key] = val
		case "-U", "-D":
			if !ok || cur != val {
				t.Fatalf("%s %q does not match current %q", f[0], val, cur)
			}
			delete(table, key)
		case "+U":
			if ok {
				t.Fatalf("+U without -U for %q", key)
			}
			table[key] = val
		}
	}
}

func TestGroupAggChangelog(t *testing.T) {
	r := rand.New(rand.NewSource(13))
	calls := []plan.AggCall{
		{Func: plan.AggCount, Type: types.BigInt},
		{Func: plan.AggSum, Arg: &expr.Col{Index: 1, T: types.BigInt}, Type: types.BigInt},
		{Func: plan.AggMin, Arg: &expr.Col{Index: 1, T: types.BigInt}, Type: types.BigInt},
		{Func: plan.AggMax, Arg: &expr.Col{Index: 1, T: types.BigInt}, Type: types.BigInt},
		{Func: plan.AggCount, Distinct: true, Arg: &expr.Col{Index: 1, T: types.BigInt}, Type: types.BigInt},
		{Func: plan.AggAvg, Arg: &expr.Col{Index: 1, T: types.BigInt}, Type: types.DecimalType(38, 3)},
	}
	for _, miniBatch := range []bool{false, true} {
		spec := GroupAggSpec{KeyCols: []int{0}, Aggs: calls, MiniBatch: miniBatch}
		t.Run(fmt.Sprintf("mini-batch=%v", miniBatch), func(t *testing.T) { groupAggChangelogTrials(t, r, spec) })
	}
}

// groupAggChangelogTrials feeds random changelogs to spec's operator and
// checks that its changelog, applied, equals the aggregate of the rows
// still live.
func groupAggChangelogTrials(t *testing.T, r *rand.Rand, spec GroupAggSpec) {
	newOp := func() exec.Operator { return NewGroupAgg(spec) }
	for trial := 0; trial < 100; trial++ {
		var live [][]types.Value
		var evs []event
		for i := 0; i < 200; i++ {
			if len(live) > 0 && r.Intn(3) == 0 {
				j := r.Intn(len(live))
				op := types.Delete
				if r.Intn(2) == 0 {
					op = types.UpdateBefore
				}
				evs = append(evs, event{row: live[j], op: op})
				live = slices.Delete(live, j, j+1)
				continue
			}
			row := []types.Value{types.IntValue(int64(r.Intn(5))), {}}
			if r.Intn(6) > 0 {
				row[1] = types.IntValue(int64(r.Intn(10)))
			}
			op := types.Insert
			if r.Intn(3) == 0 {
				op = types.UpdateAfter
			}
			evs = append(evs, event{row: row, op: op})
			live = append(live, row)
		}
		// reference: aggregate the rows still live, per key
		ref := newHarness(t, newOp, 2)
		var refRows []emitted
		for _, row := range live {
			refRows = append(refRows, emitted{op: types.Insert, vals: row})
		}
		want := map[string]string{}
		for _, l := range ref.process(0, refRows) {
			applyChangelog(t, want, []string{formatRow(l)}, 1)
		}
		for _, m := range []mode{modeMemory, modeSerialised, modeRestore} {
			serialiseState = m == modeSerialised
			lines, _ := runEvents(t, r, newOp, []int{2}, evs, nil, m == modeRestore)
			serialiseState = false
			got := map[string]string{}
			applyChangelog(t, got, lines, 1)
			for k, v := range want {
				if got[k] != v {
					t.Fatalf("trial %d %s: key %s = %q, want %q", trial, m, k, got[k], v)
				}
			}
			if len(got) != len(want) {
				t.Fatalf("trial %d %s: %d groups, want %d", trial, m, len(got), len(want))
			}
		}
	}
}

func TestJoinChangelog(t *testing.T) {
	r := rand.New(rand.NewSource(14))
	spec := JoinSpec{LeftKeyCols: []int{0}, RightKeyCols: []int{0}, LeftWidth: 2, RightWidth: 2,
		Residual: &cmpExpr{l: &expr.Col{Index: 1, T: types.BigInt}, r: &expr.Col{Index: 3, T: types.BigInt}, op: "<="}}
	newOp := func() exec.Operator { return NewJoin(spec) }
	for trial := 0; trial < 100; trial++ {
		var live [2][][]types.Value
		var evs []event
		var inputs []int
		for i := 0; i < 150; i++ {
			s := r.Intn(2)
			inputs = append(inputs, s)
			if len(live[s]) > 0 && r.Intn(3) == 0 {
				j := r.Intn(len(live[s]))
				evs = append(evs, event{row: live[s][j], op: types.Delete})
				live[s] = slices.Delete(live[s], j, j+1)
				continue
			}
			row := []types.Value{{}, types.IntValue(int64(r.Intn(6)))}
			if r.Intn(8) > 0 {
				row[0] = types.IntValue(int64(r.Intn(3)))
			}
			evs = append(evs, event{row: row, op: types.Insert})
			live[s] = append(live[s], row)
		}
		var want []string
		for _, l := range live[0] {
			for _, rr := range live[1] {
				if !l[0].IsNull() && !rr[0].IsNull() && l[0].Int() == rr[0].Int() && l[1].Int() <= rr[1].Int() {
					want = append(want, formatRow(emitted{op: types.Insert, vals: append(slices.Clone(l), rr...)}))
				}
			}
		}
		for _, m := range []mode{modeMemory, modeSerialised, modeRestore} {
			serialiseState = m == modeSerialised
			lines, _ := runEvents(t, r, newOp, []int{2, 2}, evs, inputs, m == modeRestore)
			serialiseState = false
			// apply as a multiset: +I adds, -D removes one
			bag := map[string]int{}
			for _, l := range lines {
				v := l[3:]
				if strings.HasPrefix(l, "+") {
					bag[v]++
				} else {
					if bag[v] == 0 {
						t.Fatalf("trial %d %s: retraction of absent row %s", trial, m, v)
					}
					bag[v]--
				}
			}
			var got []string
			for v, n := range bag {
				for ; n > 0; n-- {
					got = append(got, "+I "+v)
				}
			}
			if !sameMultiset(got, want) {
				t.Fatalf("trial %d %s:\n%s", trial, m, diffLines(got, want))
			}
		}
	}
}

func sameMultiset(a, b []string) bool {
	return slices.Equal(slices.Sorted(slices.Values(a)), slices.Sorted(slices.Values(b)))
}

func diffLines(got, want []string) string {
	g, w := slices.Sorted(slices.Values(got)), slices.Sorted(slices.Values(want))
	return "got:\n" + strings.Join(g, "\n") + "\nwant:\n" + strings.Join(w, "\n")
}

// TestOuterJoinChangelog checks regular outer, semi and anti joins over
// random changelogs of both sides (NULL keys, duplicates, a residual):
// the output, applied as a multiset, never retracts a row it does not
// hold and ends as the join of the final inputs.
func TestOuterJoinChangelog(t *testing.T) {
	r := rand.New(rand.NewSource(15))
	residual := &cmpExpr{l: &expr.Col{Index: 1, T: types.BigInt}, r: &expr.Col{Index: 3, T: types.BigInt}, op: "<="}
	null := types.Value{}
	for _, kind := range []string{"left", "right", "full", "semi", "anti"} {
		spec := JoinSpec{LeftKeyCols: []int{0}, RightKeyCols: []int{0}, LeftWidth: 2, RightWidth: 2, Residual: residual,
			Outer: [2]bool{kind == "left" || kind == "full", kind == "right" || kind == "full"},
			Semi:  kind == "semi", Anti: kind == "anti"}
		newOp := func() exec.Operator { return NewJoin(spec) }
		for trial := 0; trial < 60; trial++ {
			var live [2][][]types.Value
			var evs []event
			var inputs []int
			for i := 0; i < 120; i++ {
				s := r.Intn(2)
				inputs = append(inputs, s)
				if len(live[s]) > 0 && r.Intn(3) == 0 {
					j := r.Intn(len(live[s]))
					evs = append(evs, event{row: live[s][j], op: types.Delete})
					live[s] = slices.Delete(live[s], j, j+1)
					continue
				}
				row := []types.Value{{}, types.IntValue(int64(r.Intn(6)))}
				if r.Intn(8) > 0 {
					row[0] = types.IntValue(int64(r.Intn(3)))
				}
				evs = append(evs, event{row: row, op: types.Insert})
				live[s] = append(live[s], row)
			}
			match := func(l, rr []types.Value) bool {
				return !l[0].IsNull() && !rr[0].IsNull() && l[0].Int() == rr[0].Int() && l[1].Int() <= rr[1].Int()
			}
			var want []string
			add := func(vals ...types.Value) {
				want = append(want, formatRow(emitted{op: types.Insert, vals: vals}))
			}
			rightMatched := make([]bool, len(live[1]))
			for _, l := range live[0] {
				n := 0
				for j, rr := range live[1] {
					if match(l, rr) {
						n++
						rightMatched[j] = true
						if !spec.Semi && !spec.Anti {
							add(l[0], l[1], rr[0], rr[1])
						}
					}
				}
				switch {
				case spec.Semi && n > 0, spec.Anti && n == 0:
					add(l...)
				case spec.Outer[0] && n == 0:
					add(l[0], l[1], null, null)
				}
			}
			for j, rr := range live[1] {
				if spec.Outer[1] && !rightMatched[j] {
					add(null, null, rr[0], rr[1])
				}
			}
			for _, m := range []mode{modeMemory, modeSerialised, modeRestore} {
				serialiseState = m == modeSerialised
				lines, _ := runEvents(t, r, newOp, []int{2, 2}, evs, inputs, m == modeRestore)
				serialiseState = false
				bag := map[string]int{}
				for _, l := range lines {
					v := l[3:]
					switch l[:2] {
					case "+I":
						bag[v]++
					case "-D":
						if bag[v] == 0 {
							t.Fatalf("%s trial %d %s: retraction of absent row %s", kind, trial, m, v)
						}
						bag[v]--
					default:
						t.Fatalf("%s trial %d %s: op of %s: want +I or -D", kind, trial, m, l)
					}
				}
				var got []string
				for v, n := range bag {
					for ; n > 0; n-- {
						got = append(got, "+I "+v)
					}
				}
				if !sameMultiset(got, want) {
					t.Fatalf("%s trial %d %s:\n%s", kind, trial, m, diffLines(got, want))
				}
			}
		}
	}
}
