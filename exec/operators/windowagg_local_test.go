package operators

import (
	"math/rand"
	"slices"
	"testing"

	"github.com/streamsql/streamsql/exec"
	"github.com/streamsql/streamsql/exec/window"
	"github.com/streamsql/streamsql/plan"
	"github.com/streamsql/streamsql/types"
)

// Tumble windows on the memory backend keep their slices local (see
// sliceAgg); with COUNT(*) only, the common rows take countRun. These tests
// pin both against a reference and against the serialising backend, which
// takes the general path: same rows in the same order.

// genRetractInput is genWindowInput with some rows turned into retractions
// (-D, -U) of rows sent before, some of keys that no longer have a window.
func genRetractInput(r *rand.Rand, n int) []event {
	evs := genWindowInput(r, n)
	var sent [][]types.Value
	for i := range evs {
		if evs[i].row == nil {
			continue
		}
		if len(sent) > 0 && r.Intn(4) == 0 {
			evs[i].row = sent[r.Intn(len(sent))]
			evs[i].op = []types.Op{types.Delete, types.UpdateBefore}[r.Intn(2)]
			continue
		}
		if r.Intn(5) == 0 {
			evs[i].op = types.UpdateAfter
		}
		sent = append(sent, evs[i].row)
	}
	return evs
}

// referenceTumbleCount computes TUMBLE(size) COUNT(*) per key row by row:
// a retraction takes one from its window when the window has rows (or had
// some), windows whose count is not positive emit nothing, and a row
// (inserted or retracted) whose window fired is late.
func referenceTumbleCount(size int64, evs []event) ([]string, int64) {
	type wk struct {
		key string
		end int64
	}
	type acc struct {
		key types.Value
		n   int64
	}
	open := map[wk]*acc{}
	var out []string
	var late int64
	wm := exec.MinWatermark
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
				if a := open[k]; a.n > 0 {
					out = append(out, formatRow(emitted{op: types.Insert, vals: []types.Value{a.key,
						types.TimestampValue(k.end - size), types.TimestampValue(k.end), types.IntValue(a.n)}}))
				}
				delete(open, k)
			}
			continue
		}
		b := window.Tumble(ev.row[1].Millis(), size)
		if window.Fired(b.End, wm) {
			late++
			continue
		}
		k := wk{key: formatValue(ev.row[0]), end: b.End}
		a := open[k]
		if ev.op.IsRetraction() {
			if a != nil {
				a.n--
			}
			continue
		}
		if a == nil {
			a = &acc{key: ev.row[0]}
			open[k] = a
		}
		a.n++
	}
	return out, late
}

func TestTumbleCountStarLocal(t *testing.T) {
	t.Run("plain", func(t *testing.T) { checkTumbleCountStar(t, 31, 300) })
	t.Run("collisions", func(t *testing.T) {
		hotHashMask = 3
		defer func() { hotHashMask = ^uint64(0) }()
		checkTumbleCountStar(t, 32, 150)
	})
}

func checkTumbleCountStar(t *testing.T, seed int64, trials int) {
	r := rand.New(rand.NewSource(seed))
	for trial := 0; trial < trials; trial++ {
		w := plan.Window{Kind: plan.Tumble, TimeCol: 1, Size: int64(1 + r.Intn(20))}
		aggs := countStar()
		if trial%2 == 1 {
			aggs = append(aggs, countStar()...) // two COUNT(*) slots
		}
		spec := WindowAggSpec{KeyCols: []int{0}, Window: w, Aggs: aggs}
		newOp := func() exec.Operator { return NewWindowAgg(spec) }
		evs := genRetractInput(r, 60+r.Intn(150))
		want, wantLate := referenceTumbleCount(w.Size, evs)
		if len(aggs) == 2 {
			for i, l := range want {
				want[i] = l + l[lastSpace(l):]
			}
		}
		// the same batching for every mode, so that orders compare
		seed := r.Int63()
		var outs [3][]string
		for i, m := range []mode{modeMemory, modeSerialised, modeRestore} {
			serialiseState = m == modeSerialised
			got, late := runEvents(t, rand.New(rand.NewSource(seed)), newOp, []int{3}, evs, nil, m == modeRestore)
			serialiseState = false
			if !sameMultiset(got, want) || late != wantLate {
				t.Fatalf("trial %d %s %s: late %d want %d\n%s", trial, w.String(), m, late, wantLate, diffLines(got, want))
			}
			outs[i] = got
		}
		if !slices.Equal(outs[0], outs[1]) {
			t.Fatalf("trial %d %s: memory and serialised backends emit in different orders:\n%v\n%v", trial, w.String(), outs[0], outs[1])
		}
	}
}

func lastSpace(s string) int {
	for i := len(s) - 1; i >= 0; i-- {
		if s[i] == ' ' {
			return i
		}
	}
	return 0
}

// TestTumbleLocalCheckpoints takes checkpoints (SnapshotState) between
// batches without restoring: slices put into the backend at one checkpoint
// and changed after it must be put again at the next, and the backend must
// end empty once every window fired.
func TestTumbleLocalCheckpoints(t *testing.T) {
	r := rand.New(rand.NewSource(33))
	for trial := 0; trial < 100; trial++ {
		w := plan.Window{Kind: plan.Tumble, TimeCol: 1, Size: int64(1 + r.Intn(20))}
		spec := WindowAggSpec{KeyCols: []int{0}, Window: w, Aggs: countStar()}
		evs := genRetractInput(r, 60+r.Intn(150))
		want, wantLate := referenceTumbleCount(w.Size, evs)
		h := newHarness(t, func() exec.Operator { return NewWindowAgg(spec) }, 3)
		o := h.op.(*sliceAgg)
		atCheckpoint := map[*winEntry]int64{}
		var got []string
		for i := 0; i < len(evs); {
			var rows []emitted
			if evs[i].row == nil {
				rows = h.watermark(evs[i].wm)
				i++
			} else {
				var in []emitted
				for j := 0; j < 1+r.Intn(8) && i < len(evs) && evs[i].row != nil; j++ {
					in = append(in, emitted{op: evs[i].op, vals: evs[i].row})
					i++
				}
				rows = h.process(0, in)
			}
			for _, e := range rows {
				got = append(got, formatRow(e))
			}
			if r.Intn(4) == 0 {
				// a slice changed since the last checkpoint is put again
				// (a changelog backend logs only what is put)
				for _, hs := range o.hot {
					if hs.loc == nil {
						continue
					}
					for _, e := range hs.loc.ents {
						if e.stored && e.acc.Rows != atCheckpoint[e] && !e.pend {
							t.Fatalf("trial %d: slice %v/%d changed since the last checkpoint is not pending", trial, e.key, hs.end)
						}
					}
				}
				if err := h.op.SnapshotState(1); err != nil {
					t.Fatal(err)
				}
				// every open slice is in the backend, with its current count
				n := 0
				for _, hs := range o.hot {
					if hs.loc == nil {
						continue
					}
					for _, e := range hs.loc.ents {
						key := appendTime(appendKeyValues(nil, e.key), hs.end)
						if s, ok := o.slices.m.Get(int(e.kg), key); !ok || s != e {
							t.Fatalf("trial %d: open slice %v/%d not in the backend", trial, e.key, hs.end)
						}
						atCheckpoint[e] = e.acc.Rows
						n++
					}
				}
				if n != o.slices.m.Len() {
					t.Fatalf("trial %d: backend has %d slices, %d open", trial, o.slices.m.Len(), n)
				}
			}
		}
		if err := h.op.Finish(); err != nil {
			t.Fatal(err)
		}
		if late := h.ctx.Metrics.LateRowsDropped.Load(); !sameMultiset(got, want) || late != wantLate {
			t.Fatalf("trial %d %s: late %d want %d\n%s", trial, w.String(), late, wantLate, diffLines(got, want))
		}
		if n := o.slices.m.Len(); n != 0 {
			t.Fatalf("trial %d: %d slices left in the backend", trial, n)
		}
	}
}
