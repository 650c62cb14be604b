package operators

import (
	"fmt"
	"maps"
	"math/rand"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/streamsql/streamsql/exec"
	"github.com/streamsql/streamsql/expr"
	"github.com/streamsql/streamsql/plan"
	"github.com/streamsql/streamsql/types"
)

// latencySpec is GROUP BY k (none for a global aggregate): COUNT(*),
// SUM(v) in mini-batches held up to latency ms, of at most size rows.
func latencySpec(keys []int, latency int64, size int) GroupAggSpec {
	return GroupAggSpec{KeyCols: keys, MiniBatch: true, MiniBatchSize: size,
		MiniBatchLatency: time.Duration(latency) * time.Millisecond,
		Aggs: []plan.AggCall{
			{Func: plan.AggCount, Type: types.BigInt},
			{Func: plan.AggSum, Arg: &expr.Col{Index: 1, T: types.BigInt}, Type: types.BigInt},
		}}
}

// kvRows parses "+I 1 10"-style rows of two BIGINT columns.
func kvRows(t *testing.T, lines ...string) []emitted {
	t.Helper()
	rows, err := parseRows(lines, []col{{"k", types.BigInt}, {"v", types.BigInt}})
	if err != nil {
		t.Fatal(err)
	}
	return rows
}

// serialisedNoPressure runs f with the serialising store (an entry cache
// of 4) and a byte bound no test reaches, so that a held mini-batch never
// has to end early (store.pressed).
func serialisedNoPressure(f func()) {
	serialiseState, serialisedCacheBytes = true, 1<<40
	defer func() { serialiseState, serialisedCacheBytes = false, 4096 }()
	f()
}

// expectChanges checks what a step emitted.
func expectChanges(t *testing.T, what string, got []emitted, want ...string) {
	t.Helper()
	if g := formatAll(got); !slices.Equal(g, want) {
		t.Fatalf("%s:\ngot:\n%s\nwant:\n%s", what, strings.Join(g, "\n"), strings.Join(want, "\n"))
	}
}

// TestMiniBatchLatencyTriggers: with an allow-latency a mini-batch spans
// input batches and emits nothing until it ends: when OnTick finds its
// first row latency old (not before; later rows do not restart the
// clock), at SnapshotState, at Finish, or when it reaches the size
// (across input batches). It then emits one change per changed group, in
// the order it first touched them: a group emptied and started again
// (in another input batch) is one -U/+U, one created and emptied, or
// ending where it began, emits nothing, and a retraction for a missing
// group is ignored. The same on the serialising store.
func TestMiniBatchLatencyTriggers(t *testing.T) {
	for _, serialised := range []bool{false, true} {
		run := func(f func()) {
			if serialised {
				serialisedNoPressure(f)
			} else {
				f()
			}
		}
		run(func() {
			h := newHarness(t, func() exec.Operator { return NewGroupAgg(latencySpec([]int{0}, 100, -1)) }, 2)
			expectChanges(t, "batch at 0", h.process(0, kvRows(t, "+I 1 10", "+I 2 20")))
			h.clock = 50
			expectChanges(t, "batch at 50", h.process(0, kvRows(t, "+I 3 30")))
			expectChanges(t, "tick at 99", h.tick(99))
			expectChanges(t, "tick at 100", h.tick(100), "+I 1 1 10", "+I 2 1 20", "+I 3 1 30")
			expectChanges(t, "tick at 300, nothing held", h.tick(300))

			h.clock = 400
			expectChanges(t, "batch at 400", h.process(0, kvRows(t, "+I 2 5", "-D 1 10", "+I 4 40")))
			h.clock = 410
			expectChanges(t, "batch at 410", h.process(0, kvRows(t, "+I 1 7", "+I 5 50", "-D 5 50", "-D 3 30", "+I 6 1")))
			h.clock = 420
			expectChanges(t, "batch at 420", h.process(0, kvRows(t, "-D 9 9", "+I 6 2", "-D 6 2", "+I 2 1", "-D 2 1")))
			expectChanges(t, "tick at 499", h.tick(499))
			if err := h.op.SnapshotState(1); err != nil {
				t.Fatal(err)
			}
			expectChanges(t, "SnapshotState", h.out.take(),
				"-U 2 1 20", "+U 2 2 25",
				"-U 1 1 10", "+U 1 1 7",
				"+I 4 1 40",
				"-D 3 1 30",
				"+I 6 1 1")
			expectChanges(t, "tick at 600, nothing held", h.tick(600))

			h.clock = 700
			expectChanges(t, "batch at 700", h.process(0, kvRows(t, "+I 4 1", "-D 4 1")))
			expectChanges(t, "tick at 800: a group that ended where it began", h.tick(800))
			h.clock = 900
			expectChanges(t, "batch at 900", h.process(0, kvRows(t, "+I 7 7", "-D 6 1")))
			expectChanges(t, "finish", h.finish(), "+I 7 1 7", "-D 6 1 1")
		})
		run(func() {
			// size 3 with a latency of an hour: emits at the 3rd and 6th rows
			h := newHarness(t, func() exec.Operator { return NewGroupAgg(latencySpec([]int{0}, 3_600_000, 3)) }, 2)
			expectChanges(t, "rows 1-2", h.process(0, kvRows(t, "+I 1 1", "+I 1 2")))
			expectChanges(t, "rows 3-4", h.process(0, kvRows(t, "+I 2 3", "+I 1 4")), "+I 1 2 3", "+I 2 1 3")
			expectChanges(t, "rows 5-6", h.process(0, kvRows(t, "+I 1 5", "+I 2 6")),
				"-U 1 2 3", "+U 1 4 12", "-U 2 1 3", "+U 2 2 9")
			expectChanges(t, "rows 7-13", h.process(0, kvRows(t, "+I 3 1", "+I 3 1", "+I 3 1", "+I 3 1", "+I 3 1", "+I 3 1", "+I 4 1")),
				"+I 3 3 3", "-U 3 3 3", "+U 3 6 6")
			expectChanges(t, "finish", h.finish(), "+I 4 1 1")
		})
		run(func() {
			// a global aggregate: its result over zero rows at Open, then
			// -U/+U per mini-batch, nothing for one that ends where it began
			h := newHarness(t, func() exec.Operator { return NewGroupAgg(latencySpec(nil, 100, -1)) }, 2)
			expectChanges(t, "open", h.out.take(), "+I 0 NULL")
			expectChanges(t, "batch at 0", h.process(0, kvRows(t, "+I 0 5")))
			h.clock = 10
			expectChanges(t, "batch at 10", h.process(0, kvRows(t, "-D 0 5")))
			expectChanges(t, "tick at 100", h.tick(100))
			h.clock = 150
			expectChanges(t, "batch at 150", h.process(0, kvRows(t, "+I 0 3")))
			h.clock = 200
			expectChanges(t, "batch at 200", h.process(0, kvRows(t, "+I 0 4")))
			expectChanges(t, "tick at 249", h.tick(249))
			expectChanges(t, "tick at 250", h.tick(250), "-U 0 NULL", "+U 2 7")
			expectChanges(t, "batch at 300", h.process(0, kvRows(t, "-D 0 3", "-D 0 4")))
			expectChanges(t, "finish", h.finish(), "-U 2 7", "+U 0 NULL")
		})
	}
}

// TestMiniBatchLatencyAgainstRowByRow drives mini-batches held by a
// latency (with and without a size, keyed and global) through random
// changelogs cut into random batches, clock steps, ticks and, in restore
// mode, checkpoints and restores, against a row-by-row run. A model
// tracks where each mini-batch must end; at every step:
//   - nothing is emitted unless a mini-batch ended;
//   - a mini-batch emits at most one change per group (+I, -U/+U with
//     different results, or -D), in the order it first touched them;
//   - the changelog so far, applied, is the row-by-row table as of the
//     last row of the last mini-batch that ended.
//
// On the serialising store with an entry cache of 4 the output is the
// memory backend's exactly; with a byte bound of 4096 as well, mini-batches
// also end early when the store must write back, and the tables still
// agree.
func TestMiniBatchLatencyAgainstRowByRow(t *testing.T) {
	const (
		plain = iota
		serialised
		pressure
		restore
		restoreSerialised
	)
	modeNames := []string{"memory", "serialised", "serialised byte bound", "restore", "restore serialised"}
	r := rand.New(rand.NewSource(29))
	var bySize, byTick, byRestore, early int
	for trial := 0; trial < 120; trial++ {
		var keys []int
		if trial%4 != 3 {
			keys = []int{0}
		}
		nkeys := []int{3, 12}[trial%2]
		latency := []int64{50, 300}[r.Intn(2)]
		size := []int{-1, 0, 3, 7, 16}[r.Intn(5)]
		spec := latencySpec(keys, latency, size)
		evs := genChangelog(r, 300, nkeys, keys != nil)

		// the row-by-row tables after each row
		refSpec := spec
		refSpec.MiniBatch, refSpec.MiniBatchSize, refSpec.MiniBatchLatency = false, 0, 0
		ref := newHarness(t, func() exec.Operator { return NewGroupAgg(refSpec) }, 2)
		nk := len(keys)
		table := map[string]string{}
		applyChangelog(t, table, formatAll(ref.out.take()), nk)
		tables := []map[string]string{maps.Clone(table)}
		for _, ev := range evs {
			applyChangelog(t, table, formatAll(ref.process(0, []emitted{{op: ev.op, vals: ev.row}})), nk)
			tables = append(tables, maps.Clone(table))
		}

		// the schedule: batches (at most size rows each, so that a batch
		// ends at most one mini-batch by its size), clock steps, ticks,
		// restores
		type step struct {
			restore bool
			tick    bool
			clock   int64
			lo, hi  int
		}
		var steps []step
		var clock int64
		maxLen := 6
		if size > 0 {
			maxLen = min(maxLen, size)
		}
		for i := 0; i < len(evs); {
			clock += r.Int63n(latency / 2)
			switch x := r.Intn(10); {
			case x < 2:
				steps = append(steps, step{tick: true, clock: clock})
			case x == 2:
				steps = append(steps, step{restore: true, clock: clock})
			default:
				n := min(1+r.Intn(maxLen), len(evs)-i)
				steps = append(steps, step{clock: clock, lo: i, hi: i + n})
				i += n
			}
		}

		var outputs [restoreSerialised + 1][]string
		for m := plain; m <= restoreSerialised; m++ {
			where := func(s int) string {
				return fmt.Sprintf("trial %d (keys %v, latency %d, size %d) %s step %d", trial, keys, latency, size, modeNames[m], s)
			}
			serialiseState = m == serialised || m == pressure || m == restoreSerialised
			if m != pressure {
				serialisedCacheBytes = 1 << 40
			}
			h := newHarness(t, func() exec.Operator { return NewGroupAgg(spec) }, 2)
			var out []string
			got := map[string]string{}
			take := func(rows []emitted) []string {
				lines := formatAll(rows)
				out = append(out, lines...)
				applyChangelog(t, got, lines, nk)
				return lines
			}
			take(h.out.take())
			// the model: rows of the held mini-batch, when its first row
			// came, the keys it touched in order, and the last row of the
			// last mini-batch that ended
			held, ended := 0, 0
			var since int64
			var touched []string
			// end checks a mini-batch's changes (lines, the whole output of
			// the step when it is the only end in it) and starts the next.
			end := func(s, pos int, lines []string, only bool) {
				if only {
					checkMiniBatchChanges(t, where(s), lines, touched, nk)
				}
				held, ended, touched = 0, pos, nil
			}
			for s, st := range steps {
				h.clock = st.clock
				switch {
				case st.tick:
					lines := take(h.tick(st.clock))
					if held > 0 && st.clock-since >= latency {
						byTick++
						end(s, ended+held, lines, true)
					} else if len(lines) > 0 {
						t.Fatalf("%s: tick at %d (mini-batch of %d rows since %d) emitted %v", where(s), st.clock, held, since, lines)
					}
				case st.restore:
					if m != restore && m != restoreSerialised {
						continue
					}
					h.restore()
					if held > 0 {
						byRestore++
					}
					end(s, ended+held, take(h.out.take()), true)
				default:
					ends := 0
					var sized []string // the keys of a mini-batch the size ended
					for i := st.lo; i < st.hi; i++ {
						if held == 0 {
							since = st.clock
						}
						if k := mbKey(evs[i].row, nk); !slices.Contains(touched, k) {
							touched = append(touched, k)
						}
						held++
						if size > 0 && held == size {
							bySize++
							ends++
							sized = touched
							end(s, i+1, nil, false)
						}
					}
					rows := h.process(0, eventRows(evs[st.lo:st.hi]))
					lines := take(rows)
					if m == pressure && held > 0 && h.op.(*groupAgg).mb.rows == 0 {
						// ended early: the store must write back
						early++
						ends++
						end(s, st.hi, nil, false)
					}
					if ends == 0 && len(lines) > 0 {
						t.Fatalf("%s: a batch that ended no mini-batch emitted %v", where(s), lines)
					}
					if ends == 1 && sized != nil {
						checkMiniBatchChanges(t, where(s), lines, sized, nk)
					}
				}
				if got := h.op.(*groupAgg).mb.rows; got != held {
					t.Fatalf("%s: the operator holds %d rows, the model %d", where(s), got, held)
				}
				if !maps.Equal(got, tables[ended]) {
					t.Fatalf("%s: table %v, row by row after %d rows %v", where(s), got, ended, tables[ended])
				}
			}
			take(h.finish())
			if !maps.Equal(got, tables[len(evs)]) {
				t.Fatalf("%s: final table %v, row by row %v", where(len(steps)), got, tables[len(evs)])
			}
			serialiseState, serialisedCacheBytes = false, 4096
			outputs[m] = out
		}
		if !slices.Equal(outputs[serialised], outputs[plain]) {
			t.Fatalf("trial %d: serialised output differs:\n%s", trial, diffLines(outputs[serialised], outputs[plain]))
		}
		if !slices.Equal(outputs[restoreSerialised], outputs[restore]) {
			t.Fatalf("trial %d: serialised output with restores differs:\n%s", trial, diffLines(outputs[restoreSerialised], outputs[restore]))
		}
	}
	t.Logf("mini-batches ended by the size %d, by ticks %d, by restores %d, early %d", bySize, byTick, byRestore, early)
	if bySize == 0 || byTick == 0 || byRestore == 0 || early == 0 {
		t.Fatal("a way to end a mini-batch was never taken")
	}
}

// genChangelog makes n rows (k BIGINT, v BIGINT) of a changelog over
// nkeys keys: inserts (+I, +U) and retractions (-D, -U) of live rows, and
// with absent some retractions for a key that never exists.
func genChangelog(r *rand.Rand, n, nkeys int, absent bool) []event {
	var live [][]types.Value
	var evs []event
	for len(evs) < n {
		switch x := r.Intn(20); {
		case x == 0 && absent:
			evs = append(evs, event{row: intRow(99, 1), op: types.Delete})
		case x < 8 && len(live) > 0:
			j := r.Intn(len(live))
			op := types.Delete
			if r.Intn(2) == 0 {
				op = types.UpdateBefore
			}
			evs = append(evs, event{row: live[j], op: op})
			live = slices.Delete(live, j, j+1)
		default:
			row := intRow(int64(r.Intn(nkeys)), int64(r.Intn(10)))
			op := types.Insert
			if r.Intn(3) == 0 {
				op = types.UpdateAfter
			}
			evs = append(evs, event{row: row, op: op})
			live = append(live, row)
		}
	}
	return evs
}

func eventRows(evs []event) []emitted {
	rows := make([]emitted, len(evs))
	for i, ev := range evs {
		rows[i] = emitted{op: ev.op, vals: ev.row}
	}
	return rows
}

// mbKey is the key of row as applyChangelog keys output lines.
func mbKey(row []types.Value, nk int) string {
	if nk == 0 {
		return ""
	}
	return formatValue(row[0])
}

// checkMiniBatchChanges checks the changes one mini-batch emitted: per
// key one +I, one -D or one -U/+U pair with different results; keys in
// the order of touched (the keys it folded, in first-touch order) when
// that is given.
func checkMiniBatchChanges(t *testing.T, where string, lines []string, touched []string, nk int) {
	t.Helper()
	var order []string
	for i := 0; i < len(lines); i++ {
		f := strings.Fields(lines[i])
		key := strings.Join(f[1:1+nk], " ")
		if slices.Contains(order, key) {
			t.Fatalf("%s: key %q changed twice in one mini-batch: %v", where, key, lines)
		}
		order = append(order, key)
		switch f[0] {
		case "+I", "-D":
		case "-U":
			if i+1 == len(lines) || !strings.HasPrefix(lines[i+1], "+U ") {
				t.Fatalf("%s: -U without its +U: %v", where, lines)
			}
			if lines[i][3:] == lines[i+1][3:] {
				t.Fatalf("%s: an update that changes nothing: %v", where, lines)
			}
			i++
		default:
			t.Fatalf("%s: %s out of place: %v", where, f[0], lines)
		}
	}
	if touched == nil {
		return
	}
	j := 0
	for _, k := range order {
		for j < len(touched) && touched[j] != k {
			j++
		}
		if j == len(touched) {
			t.Fatalf("%s: changes in order %v, not in the first-touch order %v", where, order, touched)
		}
	}
}
