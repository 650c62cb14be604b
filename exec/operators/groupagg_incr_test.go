package operators

import (
	"bytes"
	"fmt"
	"math/rand"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/streamsql/streamsql/checkpoint/storage"
	"github.com/streamsql/streamsql/exec"
	"github.com/streamsql/streamsql/exec/agg"
	"github.com/streamsql/streamsql/expr"
	"github.com/streamsql/streamsql/plan"
	"github.com/streamsql/streamsql/state"
	"github.com/streamsql/streamsql/types"
)

// distinctCalls are aggregates over rows (key BIGINT, v BIGINT, s
// VARCHAR) that keep multisets: integers, strings and tuples.
func distinctCalls() []plan.AggCall {
	v := &expr.Col{Index: 1, T: types.BigInt}
	s := &expr.Col{Index: 2, T: types.String}
	return []plan.AggCall{
		{Func: plan.AggCount, Type: types.BigInt},
		{Func: plan.AggCount, Distinct: true, Arg: v, Type: types.BigInt},
		{Func: plan.AggCount, Distinct: true, Arg: s, Type: types.BigInt},
		{Func: plan.AggSum, Distinct: true, Arg: v, Type: types.BigInt},
		{Func: plan.AggMin, Arg: s, Type: types.String},
		{Func: plan.AggCount, Distinct: true, Arg: v, More: []expr.Expr{s}, Type: types.BigInt},
		{Func: plan.AggSum, Arg: v, Type: types.BigInt},
	}
}

// TestGroupCodecPatches: a group's encoding followed by the patches
// AppendPatch wrote after each MarkWritten decodes to the group as it is
// (values added, recounted and removed; the stamp and the scalars); a
// group with a multiset created since, or never marked, gives no patch;
// a patch cut short does not decode (one cut where a patch ends is the
// group as it was then).
func TestGroupCodecPatches(t *testing.T) {
	f, err := agg.Compile(distinctCalls(), true)
	if err != nil {
		t.Fatal(err)
	}
	row := func(v int64, s string) []types.Value {
		return []types.Value{types.IntValue(1), types.IntValue(v), types.StringValue(s)}
	}
	var c groupCodec
	e := &groupEntry{key: []types.Value{types.IntValue(1)}}
	f.Init(&e.acc)
	if _, _, ok := c.AppendPatch(nil, e); ok {
		t.Fatal("a group without multisets gave a patch")
	}
	for i := 0; i < 20; i++ {
		if err := f.Add(&e.acc, row(int64(i%7), fmt.Sprint("s", i%5))); err != nil {
			t.Fatal(err)
		}
	}
	if _, _, ok := c.AppendPatch(nil, e); ok {
		t.Fatal("a group never marked gave a patch")
	}
	enc := c.Append(nil, e)
	c.MarkWritten(e)
	r := rand.New(rand.NewSource(3))
	var live [][]types.Value
	for i := 0; i < 20; i++ {
		live = append(live, row(int64(i%7), fmt.Sprint("s", i%5)))
	}
	whole := 0
	var ends []int // where each patch ends
	for round := 0; round < 32; round++ {
		for k := r.Intn(6); k > 0; k-- {
			if len(live) > 0 && r.Intn(2) == 0 {
				j := r.Intn(len(live))
				if err := f.Retract(&e.acc, live[j]); err != nil {
					t.Fatal(err)
				}
				live = slices.Delete(live, j, j+1)
				continue
			}
			x := row(int64(r.Intn(12)), fmt.Sprint("s", r.Intn(9)))
			if err := f.Add(&e.acc, x); err != nil {
				t.Fatal(err)
			}
			live = append(live, x)
		}
		e.ttlStamp = ttlStamp{access: int64(round), due: int64(round + 3)}
		patch, grown, ok := c.AppendPatch(nil, e)
		if !ok || patch[0] != groupPatch || grown < 0 || grown > len(patch) {
			t.Fatalf("round %d: patch %x, grown %d, %v", round, patch, grown, ok)
		}
		if round%10 == 9 { // written whole now and then
			enc = c.Append(nil, e)
			whole, ends = len(enc), nil
		} else {
			enc = append(enc, patch...)
			ends = append(ends, len(enc))
		}
		c.MarkWritten(e)
		d, err := c.Decode(enc)
		if err != nil {
			t.Fatalf("round %d: decode: %v", round, err)
		}
		if got, want := c.Append(nil, d), c.Append(nil, e); !bytes.Equal(got, want) {
			t.Fatalf("round %d: decoded %x, want %x", round, got, want)
		}
		if d.acc.Slots[1].Multiset().Held() {
			t.Fatalf("round %d: a decoded set is held", round)
		}
	}
	if len(enc) == whole {
		t.Fatal("no patch after the last whole encoding")
	}
	for i := whole + 1; i < len(enc); i++ {
		if _, err := c.Decode(enc[:i]); err == nil && !slices.Contains(ends, i) {
			t.Fatalf("a patch cut at %d of %d bytes decoded", i, len(enc))
		}
	}
	if _, err := c.Decode(append(slices.Clone(enc), 0x02)); err == nil {
		t.Fatal("a patch of an unknown kind decoded")
	}
	// a multiset created since the mark: written whole
	e2 := &groupEntry{key: []types.Value{types.IntValue(2)}}
	f.Init(&e2.acc)
	if err := f.Add(&e2.acc, []types.Value{types.IntValue(2), types.NullValue(), types.NullValue()}); err != nil {
		t.Fatal(err)
	}
	c.MarkWritten(e2)
	if err := f.Add(&e2.acc, row(4, "x")); err != nil {
		t.Fatal(err)
	}
	if _, _, ok := c.AppendPatch(nil, e2); ok {
		t.Fatal("a patch of a group whose multisets the checkpoint does not hold")
	}
}

// incrGroup is one group aggregate on a memory backend with incremental
// checkpoints, restored from them when it fails.
type incrGroup struct {
	t       *testing.T
	spec    GroupAggSpec
	st      storage.Storage
	backend *state.HashMapBackend
	op      exec.Operator
	out     *sink
	now     int64
}

func (g *incrGroup) open(handle *state.Handle, now int64) {
	g.backend = newIncrementalBackend(g.t, g.st, handle)
	g.now = now
	g.out = &sink{}
	ctx := newTestContext(g.backend, g.out)
	ctx.Now = func() int64 { return g.now }
	g.op = NewGroupAgg(g.spec)
	if err := g.op.Open(ctx); err != nil {
		g.t.Fatalf("open: %v", err)
	}
	g.out.take() // a global aggregate's first result
}

// step processes row i (at processing time 10*i; a tick every 7 rows) and
// returns the output.
func (g *incrGroup) step(i int, ev event) []string {
	g.now = int64(10 * i)
	b := types.NewBatch(3, 1)
	b.Append(ev.op, ev.row)
	if err := g.op.ProcessBatch(0, b); err != nil {
		g.t.Fatalf("row %d: %v", i, err)
	}
	if i%7 == 0 {
		if err := g.op.OnTick(g.now); err != nil {
			g.t.Fatalf("row %d: tick: %v", i, err)
		}
	}
	var out []string
	for _, e := range g.out.take() {
		out = append(out, formatRow(e))
	}
	return out
}

// groupStateOf renders the aggregate's live state: per group, its key,
// the stamp's access time (with a TTL) and the accumulators' encoding
// (multisets in a canonical order), sorted; groups the TTL expired are
// left out (when they are swept depends on the sweep).
func groupStateOf(o *groupAgg) string {
	var lines []string
	o.groups.rangeAll(func(kg int, key string, e *groupEntry) bool {
		if o.ttl.on() && o.ttl.expired(&e.ttlStamp) {
			return true
		}
		access := int64(0)
		if o.ttl.on() {
			access = e.access
		}
		lines = append(lines, fmt.Sprintf("%d %x @%d: %x", kg, key, access, agg.AppendAcc(nil, &e.acc)))
		return true
	})
	slices.Sort(lines)
	return strings.Join(lines, "\n")
}

// TestGroupAggRestoredFromIncrementalCheckpoints runs group aggregates
// with DISTINCT multisets (and MIN over a changelog's) over random
// changelogs (retractions remove values from the multisets) and
// insert-only inputs, with mini-batches, a TTL and without keys, twice:
// once never stopped, once with incremental checkpoints of the memory
// backend taken at random (written while the aggregate goes on,
// completing, aborting or completing late) and failures at random, each
// restoring the latest completed checkpoint and replaying the input from
// there. After every restore the output equals the never-stopped one's
// for the same input, and at the end so does the state; deltas with
// patches (version 3 segments) were written.
func TestGroupAggRestoredFromIncrementalCheckpoints(t *testing.T) {
	r := rand.New(rand.NewSource(17))
	for _, kind := range []string{"changelog", "insert-only", "mini-batch", "ttl", "global"} {
		spec := GroupAggSpec{KeyCols: []int{0}, Aggs: distinctCalls()}
		insertOnly := kind == "insert-only"
		switch kind {
		case "insert-only":
			spec.InsertOnlyInput = true
			spec.Aggs = slices.DeleteFunc(spec.Aggs, func(c plan.AggCall) bool { return c.Func == plan.AggMin })
		case "mini-batch":
			spec.MiniBatch = true
		case "ttl":
			spec.StateTTL = 400 * time.Millisecond
		case "global":
			spec.KeyCols = nil
		}
		patched := 0
		for trial := 0; trial < 6; trial++ {
			var live [][]types.Value
			var evs []event
			for i := 0; i < 1500; i++ {
				if !insertOnly && len(live) > 0 && r.Intn(3) == 0 {
					j := r.Intn(len(live))
					evs = append(evs, event{row: live[j], op: types.Delete})
					live = slices.Delete(live, j, j+1)
					continue
				}
				row := []types.Value{types.IntValue(int64(r.Intn(5))), types.IntValue(int64(r.Intn(60))), types.StringValue(fmt.Sprint("s", r.Intn(40)))}
				if r.Intn(10) == 0 {
					row[1] = types.NullValue()
				}
				if r.Intn(10) == 0 {
					row[2] = types.NullValue()
				}
				evs = append(evs, event{row: row, op: types.Insert})
				live = append(live, row)
			}
			name := fmt.Sprintf("%s trial %d", kind, trial)
			ref := &incrGroup{t: t, spec: spec}
			ref.open(nil, 0)
			want := make([][]string, len(evs))
			for i, ev := range evs {
				want[i] = ref.step(i, ev)
			}
			st := storage.NewMemory()
			g := &incrGroup{t: t, spec: spec, st: st}
			checkIncrementalRestores(t, r, name, st, len(evs), want, groupStateOf(ref.op.(*groupAgg)), incrRun{
				open:    g.open,
				backend: func() *state.HashMapBackend { return g.backend },
				op:      func() exec.Operator { return g.op },
				step:    func(i int) []string { return g.step(i, evs[i]) },
				state:   func() string { return groupStateOf(g.op.(*groupAgg)) },
			})
			patched += changelogFilesOf(t, st, 3)
		}
		if patched == 0 {
			t.Fatalf("%s: no delta with patches was written", kind)
		}
		t.Logf("%s: %d deltas with patches", kind, patched)
	}
}
