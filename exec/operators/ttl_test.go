package operators

import (
	"fmt"
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

const testTTL = 100 // ms

func ttlGroupSpec(ttl time.Duration) GroupAggSpec {
	return GroupAggSpec{KeyCols: []int{0}, StateTTL: ttl, Aggs: []plan.AggCall{
		{Func: plan.AggCount, Type: types.BigInt},
		{Func: plan.AggSum, Arg: &expr.Col{Index: 1, T: types.BigInt}, Type: types.BigInt},
	}}
}

func intRow(vals ...int64) []types.Value {
	row := make([]types.Value, len(vals))
	for i, v := range vals {
		row[i] = types.IntValue(v)
	}
	return row
}

func formatAll(rows []emitted) []string {
	var out []string
	for _, r := range rows {
		out = append(out, formatRow(r))
	}
	return out
}

func stateLen(h *harness) string { return h.op.(interface{ stateSizes() string }).stateSizes() }

// TestGroupAggTTLAgainstReference drives GROUP BY k: COUNT(*), SUM(v) with
// a TTL through random batches, clock steps, ticks and (in restore mode)
// restores, against a model that keeps a last-access time per group. Ticks
// must never change results, and after a tick exactly the live groups
// remain stored.
func TestGroupAggTTLAgainstReference(t *testing.T) {
	newOp := func() exec.Operator { return NewGroupAgg(ttlGroupSpec(testTTL * time.Millisecond)) }
	type group struct {
		vals   []int64
		access int64
	}
	for trial := 0; trial < 60; trial++ {
		for _, m := range []mode{modeMemory, modeSerialised, modeRestore} {
			serialiseState = m == modeSerialised
			r := rand.New(rand.NewSource(int64(trial)))
			h := newHarness(t, newOp, 2)
			h.clock = 1_000_000
			ref := map[int64]*group{}
			where := func(step int) string { return fmt.Sprintf("trial %d %s step %d", trial, m, step) }
			for step := 0; step < 400; step++ {
				switch x := r.Intn(12); {
				case x < 3:
					h.clock += r.Int63n(70)
				case x == 3:
					h.tick(h.clock)
					live := 0
					for _, g := range ref {
						if h.clock-g.access < testTTL {
							live++
						}
					}
					if got, want := stateLen(h), fmt.Sprintf("groups=%d", live); got != want {
						t.Fatalf("%s: after tick at %d: %s, want %s", where(step), h.clock, got, want)
					}
				case x == 4:
					if m == modeRestore {
						h.restore()
					}
				default:
					var rows []emitted
					var want []string
					for n := 1 + r.Intn(4); n > 0; n-- {
						k, v := int64(r.Intn(5)), int64(r.Intn(10))
						g := ref[k]
						if g != nil && h.clock-g.access >= testTTL {
							delete(ref, k)
							g = nil
						}
						if r.Intn(3) == 0 { // a retraction
							if g != nil {
								v = g.vals[r.Intn(len(g.vals))]
							}
							rows = append(rows, emitted{op: types.Delete, vals: intRow(k, v)})
							if g == nil {
								continue
							}
							g.access = h.clock
							old := intRow(k, int64(len(g.vals)), sum(g.vals))
							g.vals = slices.Delete(g.vals, slices.Index(g.vals, v), slices.Index(g.vals, v)+1)
							if len(g.vals) == 0 {
								delete(ref, k)
								want = append(want, formatRow(emitted{op: types.Delete, vals: old}))
								continue
							}
							want = append(want, formatRow(emitted{op: types.UpdateBefore, vals: old}),
								formatRow(emitted{op: types.UpdateAfter, vals: intRow(k, int64(len(g.vals)), sum(g.vals))}))
							continue
						}
						rows = append(rows, emitted{op: types.Insert, vals: intRow(k, v)})
						if g == nil {
							ref[k] = &group{vals: []int64{v}, access: h.clock}
							want = append(want, formatRow(emitted{op: types.Insert, vals: intRow(k, 1, v)}))
							continue
						}
						g.access = h.clock
						old := intRow(k, int64(len(g.vals)), sum(g.vals))
						g.vals = append(g.vals, v)
						want = append(want, formatRow(emitted{op: types.UpdateBefore, vals: old}),
							formatRow(emitted{op: types.UpdateAfter, vals: intRow(k, int64(len(g.vals)), sum(g.vals))}))
					}
					if got := formatAll(h.process(0, rows)); !slices.Equal(got, want) {
						t.Fatalf("%s at %d: batch %v\ngot:\n%s\nwant:\n%s", where(step), h.clock, formatAll(rows),
							strings.Join(got, "\n"), strings.Join(want, "\n"))
					}
				}
			}
			serialiseState = false
		}
	}
}

func sum(vals []int64) int64 {
	var s int64
	for _, v := range vals {
		s += v
	}
	return s
}

// TestJoinTTLAgainstReference drives a regular join with a TTL against a
// model that keeps, per side and key, a multiset of rows and a last-access
// time (a row reads and writes its side, and reads the other side).
func TestJoinTTLAgainstReference(t *testing.T) {
	spec := JoinSpec{LeftKeyCols: []int{0}, RightKeyCols: []int{0}, LeftWidth: 2, RightWidth: 2,
		StateTTL: testTTL * time.Millisecond}
	newOp := func() exec.Operator { return NewJoin(spec) }
	type side struct {
		rows   map[int64]int // value -> count
		access int64
	}
	for trial := 0; trial < 60; trial++ {
		for _, m := range []mode{modeMemory, modeSerialised, modeRestore} {
			serialiseState = m == modeSerialised
			r := rand.New(rand.NewSource(int64(trial)))
			h := newHarness(t, newOp, 2, 2)
			h.clock = 1_000_000
			var ref [2]map[int64]*side
			ref[0], ref[1] = map[int64]*side{}, map[int64]*side{}
			// lookup returns the live state of key k on side s (dropping it
			// when expired) and stamps it.
			lookup := func(s int, k int64) *side {
				b := ref[s][k]
				if b != nil && h.clock-b.access >= testTTL {
					delete(ref[s], k)
					return nil
				}
				if b != nil {
					b.access = h.clock
				}
				return b
			}
			where := func(step int) string { return fmt.Sprintf("trial %d %s step %d", trial, m, step) }
			for step := 0; step < 400; step++ {
				switch x := r.Intn(12); {
				case x < 3:
					h.clock += r.Int63n(70)
				case x == 3:
					h.tick(h.clock)
					var live [2]int
					for s := range ref {
						for _, b := range ref[s] {
							if h.clock-b.access < testTTL {
								live[s]++
							}
						}
					}
					if got, want := stateLen(h), fmt.Sprintf("left=%d right=%d", live[0], live[1]); got != want {
						t.Fatalf("%s: after tick at %d: %s, want %s", where(step), h.clock, got, want)
					}
				case x == 4:
					if m == modeRestore {
						h.restore()
					}
				default:
					s := r.Intn(2)
					var rows []emitted
					var want []string
					for n := 1 + r.Intn(4); n > 0; n-- {
						k, v := int64(r.Intn(4)), int64(r.Intn(3))
						mine := lookup(s, k)
						op := types.Insert
						if r.Intn(3) == 0 {
							op = types.Delete
							rows = append(rows, emitted{op: op, vals: intRow(k, v)})
							if mine == nil || mine.rows[v] == 0 {
								continue
							}
							if mine.rows[v]--; mine.rows[v] == 0 {
								delete(mine.rows, v)
							}
							if len(mine.rows) == 0 {
								delete(ref[s], k)
							}
						} else {
							rows = append(rows, emitted{op: op, vals: intRow(k, v)})
							if mine == nil {
								mine = &side{rows: map[int64]int{}, access: h.clock}
								ref[s][k] = mine
							}
							mine.rows[v]++
						}
						other := lookup(1-s, k)
						if other == nil {
							continue
						}
						for ov, c := range other.rows {
							l, rr := intRow(k, v), intRow(k, ov)
							if s == 1 {
								l, rr = rr, l
							}
							for ; c > 0; c-- {
								want = append(want, formatRow(emitted{op: op, vals: append(l, rr...)}))
							}
						}
					}
					got := formatAll(h.process(s, rows))
					if !sameMultiset(got, want) {
						t.Fatalf("%s at %d: side %d batch %v\n%s", where(step), h.clock, s, formatAll(rows), diffLines(got, want))
					}
				}
			}
			serialiseState = false
		}
	}
}

// TestTTLSweepBudget checks that a tick does bounded work: it visits at
// most its budget of registrations, the budget grows while expired state
// is left behind, and access stays exact meanwhile.
func TestTTLSweepBudget(t *testing.T) {
	const keys = 2*ttlSweepBudget + 5
	h := newHarness(t, func() exec.Operator { return NewGroupAgg(ttlGroupSpec(testTTL * time.Millisecond)) }, 2)
	var rows []emitted
	for k := int64(0); k < keys; k++ {
		rows = append(rows, emitted{op: types.Insert, vals: intRow(k, 1)})
	}
	h.process(0, rows)
	h.tick(testTTL - 1)
	if got := stateLen(h); got != fmt.Sprintf("groups=%d", keys) {
		t.Fatalf("before the TTL: %s", got)
	}
	h.tick(testTTL)
	if got, want := stateLen(h), fmt.Sprintf("groups=%d", keys-ttlSweepBudget); got != want {
		t.Fatalf("first tick: %s, want %s", got, want)
	}
	// an expired group not yet swept is not used
	if got := formatAll(h.process(0, rows[keys-1:])); !slices.Equal(got, []string{fmt.Sprintf("+I %d 1 1", keys-1)}) {
		t.Fatalf("access to an expired group: %v", got)
	}
	h.tick(testTTL + 1) // budget doubled: the rest except the key re-created above
	if got := stateLen(h); got != "groups=1" {
		t.Fatalf("second tick: %s, want groups=1", got)
	}
	if h.op.(*groupAgg).ttl.budget != ttlSweepBudget {
		t.Fatalf("budget %d after catching up, want %d", h.op.(*groupAgg).ttl.budget, ttlSweepBudget)
	}
	h.tick(2 * testTTL)
	if got := stateLen(h); got != "groups=0" {
		t.Fatalf("third tick: %s, want groups=0", got)
	}
}

// TestTTLTurnedOn restores state written with the TTL off into an operator
// with a TTL: the entries count as accessed when the operator opens.
func TestTTLTurnedOn(t *testing.T) {
	for _, m := range []mode{modeMemory, modeSerialised} {
		serialiseState = m == modeSerialised
		ttl := time.Duration(0)
		h := newHarness(t, func() exec.Operator { return NewGroupAgg(ttlGroupSpec(ttl)) }, 2)
		h.process(0, []emitted{{op: types.Insert, vals: intRow(1, 5)}, {op: types.Insert, vals: intRow(2, 6)}})
		h.tick(10_000) // no TTL: nothing expires
		ttl = testTTL * time.Millisecond
		h.clock = 20_000
		h.restore()
		h.tick(20_099)
		if got := stateLen(h); got != "groups=2" {
			t.Fatalf("%s: %s, want groups=2", m, got)
		}
		if got := formatAll(h.process(0, []emitted{{op: types.Insert, vals: intRow(1, 1)}})); !slices.Equal(got, []string{"-U 1 1 5", "+U 1 2 6"}) {
			t.Fatalf("%s: %v", m, got)
		}
		h.tick(20_100)
		if got := stateLen(h); got != "groups=1" {
			t.Fatalf("%s: %s, want groups=1", m, got)
		}
		serialiseState = false
	}
}

// TestWindowJoinIgnoresTTL: a window join's state lives until its window
// ends, whatever the TTL.
func TestWindowJoinIgnoresTTL(t *testing.T) {
	spec := JoinSpec{LeftKeyCols: []int{0, 1}, RightKeyCols: []int{0, 1}, LeftWidth: 2, RightWidth: 2,
		WindowEnd: &[2]int{1, 1}, StateTTL: time.Millisecond}
	h := newHarness(t, func() exec.Operator { return NewJoin(spec) }, 2, 2)
	h.process(0, []emitted{{op: types.Insert, vals: []types.Value{types.IntValue(1), types.TimestampValue(10)}}})
	h.clock = 1000
	h.tick(1000)
	got := formatAll(h.process(1, []emitted{{op: types.Insert, vals: []types.Value{types.IntValue(1), types.TimestampValue(10)}}}))
	if !slices.Equal(got, []string{"+I 1 10 1 10"}) {
		t.Fatalf("window join with a TTL: %v", got)
	}
}

// registrations counts the expiry index's pending registrations.
func (t *stateTTL) registrations() int {
	n := 0
	for _, b := range t.index.buckets {
		n += b.len()
	}
	if t.cur != nil {
		n += t.cur.len() - t.pos
	}
	return n
}

// TestTTLStaleRegistrations: a key removed and created again leaves the
// older registration behind; it must be dropped when due rather than kept
// alive by the newer entry, so the index holds one registration per key.
func TestTTLStaleRegistrations(t *testing.T) {
	for _, m := range []mode{modeMemory, modeSerialised} {
		serialiseState = m == modeSerialised
		h := newHarness(t, func() exec.Operator { return NewGroupAgg(ttlGroupSpec(testTTL * time.Millisecond)) }, 2)
		for ; h.clock < 50; h.clock++ {
			h.process(0, []emitted{{op: types.Insert, vals: intRow(1, 1)}, {op: types.Delete, vals: intRow(1, 1)},
				{op: types.Insert, vals: intRow(1, 1)}})
		}
		for ; h.clock < 400; h.clock++ {
			h.process(0, []emitted{{op: types.Insert, vals: intRow(1, 1)}})
			h.tick(h.clock)
		}
		if n := h.op.(*groupAgg).ttl.registrations(); n != 1 {
			t.Fatalf("%s: %d registrations for one key, want 1", m, n)
		}
		serialiseState = false
	}
}
