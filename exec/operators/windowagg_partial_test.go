package operators

import (
	"math"
	"math/rand"
	"testing"

	"github.com/streamsql/streamsql/exec"
	"github.com/streamsql/streamsql/expr"
	"github.com/streamsql/streamsql/plan"
	"github.com/streamsql/streamsql/state"
	"github.com/streamsql/streamsql/types"
)

// runTwoPhase drives local phases (one per input instance, each row going
// to one of them at random) and the global phase behind them over evs: a
// watermark reaches every local phase, then the global one (the minimum
// of equal watermarks), as the runtime sends it after the partial rows
// before it. Checkpoint barriers come at random (every local phase sends
// its groups on; the global phase restores from its state when restore is
// set). With targets > 0 the local phases' outputs are hash exchanges
// over that many instances (routedSink) that let the operator route its
// rows. It returns the global phase's output and late-row count.
func runTwoPhase(t *testing.T, r *rand.Rand, spec WindowAggSpec, width int, evs []event, locals int, restore bool, targets int) ([]string, int64) {
	t.Helper()
	ls := make([]*harness, locals)
	gspec := GlobalWindowAggSpec(spec)
	for i := range ls {
		ls[i] = newHarness(t, func() exec.Operator { return NewLocalWindowAgg(spec) }, width)
		if targets > 0 {
			ls[i].ctx.Out = &routedSink{sink: ls[i].out, t: t, targets: targets, keyCols: gspec.KeyCols}
		}
	}
	g := newHarness(t, func() exec.Operator { return NewWindowAgg(gspec) }, len(spec.KeyCols)+2)
	var out []string
	collect := func(rows []emitted) {
		for _, e := range rows {
			out = append(out, formatRow(e))
		}
	}
	feed := func(rows []emitted) {
		for len(rows) > 0 { // in batches of random sizes
			n := min(len(rows), 1+r.Intn(5))
			collect(g.process(0, rows[:n]))
			rows = rows[n:]
		}
	}
	for i := 0; i < len(evs); {
		if r.Intn(6) == 0 {
			for _, l := range ls {
				if err := l.op.SnapshotState(1); err != nil {
					t.Fatal(err)
				}
				feed(l.out.take())
			}
			if restore {
				g.restore()
			}
		}
		if evs[i].row == nil {
			for _, l := range ls {
				feed(l.watermark(evs[i].wm))
			}
			collect(g.watermark(evs[i].wm))
			i++
			continue
		}
		l := ls[r.Intn(locals)]
		var rows []emitted
		for j := 0; j < 1+r.Intn(6) && i < len(evs) && evs[i].row != nil; j++ {
			rows = append(rows, emitted{op: types.Insert, vals: evs[i].row})
			i++
		}
		feed(l.process(0, rows))
	}
	for _, l := range ls {
		feed(l.finish())
	}
	collect(g.finish())
	return out, g.ctx.Metrics.LateRowsDropped.Load()
}

// Two-phase aggregation gives what one phase gives: the same rows and the
// same late-row count, for TUMBLE, HOP and CUMULATE windows, keyed by a
// number, a string or nothing, over rows out of order and late, with
// checkpoint barriers and restores of the global phase between them.
func TestTwoPhaseWindowsMatchOnePhase(t *testing.T) {
	r := rand.New(rand.NewSource(5))
	v := &expr.Col{Index: 2, Name: "v", T: types.BigInt}
	aggSets := map[string][]plan.AggCall{
		"count(*)": {{Func: plan.AggCount, Type: types.BigInt}},
		"count, sum, min, max, avg": {
			{Func: plan.AggCount, Arg: v, Type: types.BigInt},
			{Func: plan.AggSum, Arg: v, Type: types.BigInt},
			{Func: plan.AggMin, Arg: v, Type: types.BigInt},
			{Func: plan.AggMax, Arg: v, Type: types.BigInt},
			{Func: plan.AggAvg, Arg: v, Type: types.BigInt},
		},
	}
	keySets := map[string][]int{"number key": {0}, "string key": {3}, "no key": nil, "two keys": {0, 3}}
	for trial := 0; trial < 240; trial++ {
		w := randomWindow(r, trial)
		evs := genWindowInput(r, 60+r.Intn(100))
		for i := range evs { // a fourth column: a string key
			if evs[i].row != nil {
				evs[i].row = append(evs[i].row, types.StringValue([]string{"a", "bb", ""}[r.Intn(3)]))
			}
		}
		for an, aggs := range aggSets {
			for kn, keys := range keySets {
				spec := WindowAggSpec{KeyCols: keys, Window: w, Aggs: aggs}
				if !CanSplitWindowAgg(spec) {
					t.Fatalf("%s: cannot split", an)
				}
				want, wantLate := runEvents(t, r, func() exec.Operator { return NewWindowAgg(spec) }, []int{4}, evs, nil, false)
				got, late := runTwoPhase(t, r, spec, 4, evs, 1+r.Intn(3), trial%2 == 0, r.Intn(4))
				if !sameMultiset(got, want) || late != wantLate {
					t.Fatalf("trial %d %s, %s, %s: late %d want %d\n%s", trial, w.String(), an, kn, late, wantLate, diffLines(got, want))
				}
			}
		}
	}
}

// A counting local phase (COUNT(*) by one key column) with many groups per
// slice, keys of several kinds (numbers, NULLs, strings, timestamps) in one
// column, numbers near each other (counted densely) and far apart (in the
// table), a key range that moves on, and slices open side by side gives
// what one phase gives.
func TestTwoPhaseCountManyGroups(t *testing.T) {
	r := rand.New(rand.NewSource(9))
	spec := WindowAggSpec{KeyCols: []int{0}, Window: plan.Window{Kind: plan.Tumble, Size: 100, TimeCol: 1},
		Aggs: []plan.AggCall{{Func: plan.AggCount, Type: types.BigInt}, {Func: plan.AggCount, Type: types.BigInt}}}
	var evs []event
	maxTs := int64(0)
	for i := 0; i < 20000; i++ {
		if r.Intn(500) == 0 {
			evs = append(evs, event{wm: maxTs - 150})
			continue
		}
		ts := maxTs + int64(r.Intn(10)) - 3
		maxTs = max(maxTs, ts)
		var k types.Value
		switch n := r.Intn(3000); {
		case n < 20:
			// NULL
		case n < 60:
			k = types.StringValue([]string{"a", "bb", "", "7"}[n%4])
		case n < 100:
			k = types.TimestampValue(int64(n % 5))
		case n < 130: // far apart: beyond the dense counts
			k = types.IntValue(int64(n) * 1_000_003)
		case n < 140:
			k = types.IntValue(math.MinInt64 + int64(n))
		case n < 150:
			k = types.IntValue(math.MaxInt64 - int64(n))
		default: // a range that moves on as time goes by
			k = types.IntValue(int64(n) + int64(i/4000)*2500)
		}
		evs = append(evs, event{row: []types.Value{k, types.TimestampValue(ts), types.NullValue()}})
	}
	evs = append(evs, event{wm: exec.MaxWatermark})
	want, wantLate := runEvents(t, r, func() exec.Operator { return NewWindowAgg(spec) }, []int{3}, evs, nil, false)
	for _, targets := range []int{0, 1, 3} {
		got, late := runTwoPhase(t, r, spec, 3, evs, 2, false, targets)
		if !sameMultiset(got, want) || late != wantLate {
			t.Fatalf("%d targets: late %d want %d\n%s", targets, late, wantLate, diffLines(got, want))
		}
	}
}

// routedSink is a sink behind a hash exchange over targets instances that
// lets the operator route rows (exec.RoutedOutput), as a task's collector
// does: it fails the test when a batch sent to an instance holds a row of
// another.
type routedSink struct {
	*sink
	t       *testing.T
	targets int
	keyCols []int
}

func (s *routedSink) Targets() int { return s.targets }

func (s *routedSink) TargetOf(row []types.Value) int {
	return state.InstanceFor(state.KeyGroupOf(exec.HashKey(row, s.keyCols), 128), 128, s.targets)
}

func (s *routedSink) EmitBatchTo(t int, b *types.Batch) {
	for i := 0; i < b.Len(); i++ {
		if got := s.TargetOf(b.Row(i)); got != t {
			s.t.Fatalf("row %v sent to instance %d, routed to %d", b.Row(i), t, got)
		}
	}
	s.EmitBatch(b)
}

// Aggregates whose result depends on the order of their rows, or that
// keep every distinct value, stay in one phase; so do processing-time and
// session windows.
func TestCanSplitWindowAgg(t *testing.T) {
	v := &expr.Col{Index: 2, Name: "v", T: types.BigInt}
	tumble := plan.Window{Kind: plan.Tumble, Size: 10, TimeCol: 1}
	for _, c := range []struct {
		name string
		spec WindowAggSpec
		want bool
	}{
		{"sum", WindowAggSpec{Window: tumble, Aggs: []plan.AggCall{{Func: plan.AggSum, Arg: v, Type: types.BigInt}}}, true},
		{"count distinct", WindowAggSpec{Window: tumble, Aggs: []plan.AggCall{{Func: plan.AggCount, Arg: v, Distinct: true, Type: types.BigInt}}}, false},
		{"first_value", WindowAggSpec{Window: tumble, Aggs: []plan.AggCall{{Func: plan.AggFirstValue, Arg: v, Type: types.BigInt}}}, false},
		{"proctime", WindowAggSpec{Window: plan.Window{Kind: plan.Tumble, Size: 10, TimeCol: 1, Proctime: true},
			Aggs: []plan.AggCall{{Func: plan.AggCount, Type: types.BigInt}}}, true},
		{"session", WindowAggSpec{Window: plan.Window{Kind: plan.Session, Gap: 10, TimeCol: 1},
			Aggs: []plan.AggCall{{Func: plan.AggCount, Type: types.BigInt}}}, false},
	} {
		if got := CanSplitWindowAgg(c.spec); got != c.want {
			t.Errorf("%s: CanSplitWindowAgg = %v, want %v", c.name, got, c.want)
		}
	}
}

// The local phase holds at most localFlushEntries groups: past that it
// sends them all on, and the global phase still merges them into one
// result per key and window.
func TestLocalPhaseBoundsItsGroups(t *testing.T) {
	spec := WindowAggSpec{KeyCols: []int{0}, Window: plan.Window{Kind: plan.Tumble, Size: 1000, TimeCol: 1},
		Aggs: []plan.AggCall{{Func: plan.AggCount, Type: types.BigInt}}}
	l := newHarness(t, func() exec.Operator { return NewLocalWindowAgg(spec) }, 3)
	var rows []emitted
	for k := 0; k < localFlushEntries; k++ {
		rows = append(rows, emitted{op: types.Insert, vals: []types.Value{types.IntValue(int64(k)), types.TimestampValue(5), types.IntValue(1)}})
	}
	if out := l.process(0, rows[:len(rows)-1]); len(out) != 0 {
		t.Fatalf("%d partial rows before the bound", len(out))
	}
	if out := l.process(0, rows[len(rows)-1:]); len(out) != localFlushEntries {
		t.Fatalf("%d partial rows at the bound, want %d", len(out), localFlushEntries)
	}
	if out := l.process(0, rows[:1]); len(out) != 0 {
		t.Fatalf("%d partial rows after the flush", len(out))
	}
}

// TestLocalPhaseSendsItsGroupsWhenIdle: a local phase whose task goes idle
// sends its partial accumulators on at once (before the idle status),
// not at the next barrier: by then the global phase, no longer held by
// this input, may have passed their windows.
func TestLocalPhaseSendsItsGroupsWhenIdle(t *testing.T) {
	spec := WindowAggSpec{KeyCols: []int{0}, Window: plan.Window{Kind: plan.Tumble, Size: 1000, TimeCol: 1},
		Aggs: []plan.AggCall{{Func: plan.AggCount, Type: types.BigInt}}}
	l := newHarness(t, func() exec.Operator { return NewLocalWindowAgg(spec) }, 3)
	rows := []emitted{
		{op: types.Insert, vals: []types.Value{types.IntValue(1), types.TimestampValue(5), types.IntValue(1)}},
		{op: types.Insert, vals: []types.Value{types.IntValue(2), types.TimestampValue(1500), types.IntValue(1)}},
	}
	if out := l.process(0, rows); len(out) != 0 {
		t.Fatalf("%d partial rows before any watermark", len(out))
	}
	ia, ok := l.op.(exec.IdleAware)
	if !ok {
		t.Fatal("the local phase does not act on its task's idle status")
	}
	if err := ia.ProcessIdle(false); err != nil {
		t.Fatal(err)
	}
	if out := l.out.take(); len(out) != 0 {
		t.Fatalf("%d partial rows when the task became active", len(out))
	}
	if err := ia.ProcessIdle(true); err != nil {
		t.Fatal(err)
	}
	if out := l.out.take(); len(out) != 2 {
		t.Fatalf("%d partial rows when the task went idle, want both groups", len(out))
	}
}

// countGroups counts every key exactly, whichever of its three homes
// (dense counts, table, map) holds it, over slices whose keys move from
// one range to another, and lists each key once, in creation order.
func TestCountGroupsCountsEveryKey(t *testing.T) {
	r := rand.New(rand.NewSource(3))
	var g countGroups
	var enc []byte
	for slice := 0; slice < 40; slice++ {
		want := map[types.Value]int64{}
		var order []types.Value
		base := int64(r.Intn(3)-1) * int64(r.Intn(1<<40))
		for i := 0; i < 3000; i++ {
			var k types.Value
			switch n := r.Intn(100); {
			case n < 70:
				k = types.IntValue(base + int64(r.Intn(3000)))
			case n < 80:
				k = types.IntValue(base + int64(r.Intn(1<<20)) - 1<<19)
			case n < 85:
				k = types.IntValue([]int64{math.MinInt64, math.MaxInt64, 0, -1}[r.Intn(4)])
			case n < 90:
				k = types.DateValue(int64(r.Intn(10)))
			case n < 95:
				k = types.StringValue([]string{"x", "y"}[r.Intn(2)])
			default:
				k = types.NullValue()
			}
			created := g.add(k, &enc)
			if _, seen := want[k]; created == seen {
				t.Fatalf("slice %d: add(%v) reported new %v, seen before %v", slice, k, created, seen)
			}
			if created {
				order = append(order, k)
			}
			want[k]++
		}
		if g.len() != len(want) {
			t.Fatalf("slice %d: %d groups, want %d", slice, g.len(), len(want))
		}
		for i, k := range g.keys {
			if k != order[i] {
				t.Fatalf("slice %d: key %d is %v, want %v", slice, i, k, order[i])
			}
			if c := g.count(k, &enc); c != want[k] {
				t.Fatalf("slice %d: count(%v) = %d, want %d", slice, k, c, want[k])
			}
		}
		g.reset()
	}
}

// TestLocalPhaseProcessingTime: a processing-time local phase sends a
// slice on once a row stamped after it arrives or the clock passes it,
// not on event-time watermarks; a row stamped in a slice sent already goes
// on at the end of its batch; and the global phase, firing from its own
// clock, counts every row once, in its window or (a partial row that
// arrives after its window fired) in the open one.
func TestLocalPhaseProcessingTime(t *testing.T) {
	spec := WindowAggSpec{KeyCols: []int{0}, Window: plan.Window{Kind: plan.Tumble, Size: 1000, TimeCol: 1, Proctime: true},
		Aggs: []plan.AggCall{{Func: plan.AggCount, Type: types.BigInt}}}
	l := newHarness(t, func() exec.Operator { return NewLocalWindowAgg(spec) }, 3)
	g := newHarness(t, func() exec.Operator { return NewWindowAgg(GlobalWindowAggSpec(spec)) }, 3)
	row := func(k, ts int64) emitted {
		return emitted{op: types.Insert, vals: []types.Value{types.IntValue(k), types.TimestampValue(ts), types.IntValue(1)}}
	}
	var results []string
	step := func(what string, partials []emitted, want int) {
		t.Helper()
		if len(partials) != want {
			t.Fatalf("%s: %d partial rows, want %d", what, len(partials), want)
		}
		for _, e := range g.process(0, partials) {
			results = append(results, formatRow(e))
		}
	}
	step("rows stamped in the first slice", l.process(0, []emitted{row(1, 5), row(2, 500), row(1, 600)}), 0)
	step("an event-time watermark", l.watermark(5000), 0)
	step("a row stamped in the next slice", l.process(0, []emitted{row(1, 1000)}), 2)
	step("a row stamped in the first slice, late", l.process(0, []emitted{row(2, 700)}), 1)
	step("the clock before the second slice's end", l.tick(1500), 0)
	step("the clock past the second slice's end", l.tick(2000), 1)
	for _, e := range g.tick(2000) {
		results = append(results, formatRow(e))
	}
	step("a row stamped in the second slice after the global phase fired it", l.process(0, []emitted{row(3, 1999)}), 1)
	step("the end of the input", l.finish(), 0)
	for _, e := range g.finish() {
		results = append(results, formatRow(e))
	}
	total := map[string]int{}
	for _, r := range results {
		total[r]++
	}
	// key, window start, end, count: key 2's late row joins its window,
	// which had not fired; key 3's partial row came after its window
	// fired and counts in the next one.
	want := []string{"+I 1 0 1000 2", "+I 2 0 1000 2", "+I 1 1000 2000 1", "+I 3 2000 3000 1"}
	if len(results) != len(want) {
		t.Fatalf("global results %v, want %v", results, want)
	}
	for _, w := range want {
		if total[w] != 1 {
			t.Fatalf("global results %v, want %v", results, want)
		}
	}
}
