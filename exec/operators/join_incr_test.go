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
	"github.com/streamsql/streamsql/expr"
	"github.com/streamsql/streamsql/state"
	"github.com/streamsql/streamsql/types"
)

// TestBagCodecTails: a bag's encoding followed by the tails AppendTail
// wrote after each MarkWritten decodes to the bag as it is (rows, counts,
// marks, match counts, the last stamp); a change to a row the marks hold
// makes AppendTail refuse, one to a row appended since does not; a tail
// cut short does not decode.
func TestBagCodecTails(t *testing.T) {
	for _, counts := range []bool{false, true} {
		c := bagCodec{counts: counts}
		b := &bag{ttlStamp: ttlStamp{access: 5, due: 9}, rows: []bagRow{
			{enc: encRow(types.IntValue(1)), n: 2, aux: 3},
			{enc: encRow(types.StringValue("x")), n: -1}}}
		if _, ok := c.AppendTail(nil, b); ok {
			t.Fatal("a bag never marked gave a tail")
		}
		enc := c.Append(nil, b)
		c.MarkWritten(b)
		b.rows = append(b.rows, bagRow{enc: encRow(types.IntValue(7), types.NullValue()), n: 1, aux: 2})
		b.rewrite(2) // a row appended since the mark: still a tail
		b.rows[2].mark()
		b.ttlStamp = ttlStamp{access: 11, due: 20}
		tail, ok := c.AppendTail(nil, b)
		if !ok || tail[0] != 0 {
			t.Fatalf("tail %x, %v", tail, ok)
		}
		enc = append(enc, tail...)
		c.MarkWritten(b)
		if tail, ok = c.AppendTail(nil, b); !ok { // only the stamp
			t.Fatal("no tail for an unchanged bag")
		}
		enc = append(enc, tail...)
		b.rows = append(b.rows, bagRow{enc: encRow(types.StringValue("y")), n: 4, aux: 1}, bagRow{enc: encRow(types.BoolValue(true)), n: 1})
		tail, _ = c.AppendTail(nil, b)
		whole := append([]byte(nil), enc...)
		enc = append(enc, tail...)
		d, err := c.Decode(enc)
		if err != nil {
			t.Fatalf("counts %v: decode: %v", counts, err)
		}
		if got, want := c.Append(nil, d), c.Append(nil, b); !bytes.Equal(got, want) || d.ttlStamp != b.ttlStamp || d.held != 0 {
			t.Fatalf("counts %v: decoded %+v, want %+v", counts, d, b)
		}
		if counts && (d.rows[2].aux != 2 || d.rows[3].aux != 1) || !counts && d.rows[2].aux != 0 {
			t.Fatalf("counts %v: match counts %+v", counts, d.rows)
		}
		if !d.rows[2].matched() || d.rows[3].count() != 4 {
			t.Fatalf("counts %v: rows %+v", counts, d.rows)
		}
		for i := len(whole) + 1; i < len(enc); i++ {
			if _, err := c.Decode(enc[:i]); err == nil {
				t.Fatalf("counts %v: a tail cut at %d of %d bytes decoded", counts, i, len(enc))
			}
		}
		for _, change := range []func(){
			func() { b.rewrite(0); b.rows[0].addCount(1) },
			func() { b.rewrite(1); b.rows[1].aux++ },
			func() { b.removeAt(3, new([]byte)) },
		} {
			c.MarkWritten(b)
			change()
			if _, ok := c.AppendTail(nil, b); ok {
				t.Fatalf("counts %v: a tail after a held row changed", counts)
			}
		}
	}
}

// incrJoin is one join instance on a memory backend with incremental
// checkpoints, restored from them when it fails.
type incrJoin struct {
	t       *testing.T
	spec    JoinSpec
	st      storage.Storage
	backend *state.HashMapBackend
	ctx     *exec.Context
	op      exec.Operator
	out     *sink
	now     int64
}

func (j *incrJoin) open(handle *state.Handle, now int64) {
	j.backend = newIncrementalBackend(j.t, j.st, handle)
	j.now = now
	j.out = &sink{}
	j.ctx = newTestContext(j.backend, j.out)
	j.ctx.Now = func() int64 { return j.now }
	j.op = NewJoin(j.spec)
	if err := j.op.Open(j.ctx); err != nil {
		j.t.Fatalf("open: %v", err)
	}
}

// step processes event i (one row or a watermark, at processing time
// 10*i; a tick every 7 events) and returns the output, sorted (rows that
// expire at one watermark come in the order of the timers, which a
// restore rebuilds).
func (j *incrJoin) step(i int, in int, ev event) []string {
	j.now = int64(10 * i)
	if ev.row == nil {
		if err := j.op.ProcessWatermark(ev.wm); err != nil {
			j.t.Fatalf("event %d: %v", i, err)
		}
	} else {
		b := types.NewBatch(2, 1)
		b.Append(ev.op, ev.row)
		if err := j.op.ProcessBatch(in, b); err != nil {
			j.t.Fatalf("event %d: %v", i, err)
		}
	}
	if i%7 == 0 {
		if err := j.op.OnTick(j.now); err != nil {
			j.t.Fatalf("event %d: tick: %v", i, err)
		}
	}
	var out []string
	for _, e := range j.out.take() {
		out = append(out, formatRow(e))
	}
	slices.Sort(out)
	return out
}

// stateOf renders the join's live state: per side and key, the stamp's
// access time (with a TTL) and the rows with their counts and match
// counts, sorted (bags that the TTL has
// expired are left out: when they are swept depends on the sweep, not
// on the input).
func stateOf(o *join) string {
	var lines []string
	for s, st := range o.sides {
		st.rangeAll(func(kg int, key string, b *bag) bool {
			if o.ttl.on() && o.ttl.expired(&b.ttlStamp) {
				return true
			}
			var rows []string
			for _, r := range b.rows {
				aux := int64(0) // an interval join's cached expiry is no state
				if o.counts[s] {
					aux = r.aux
				}
				rows = append(rows, fmt.Sprintf("%x/%d/%d", r.enc, r.n, aux))
			}
			slices.Sort(rows)
			access := int64(0)
			if o.ttl.on() {
				access = b.access
			}
			lines = append(lines, fmt.Sprintf("%d %d %x @%d: %s", s, kg, key, access, strings.Join(rows, " ")))
			return true
		})
	}
	slices.Sort(lines)
	return strings.Join(lines, "\n")
}

// TestJoinRestoredFromIncrementalCheckpoints runs regular joins (inner,
// outer, semi, anti; one with a state TTL) over random changelogs, and
// interval joins (outer, semi, anti: rows marked matched, dropped on
// their first match, expired from the middle of their bags) over
// append-only inputs with watermarks, twice:
// once never stopped, once with incremental checkpoints of the memory
// backend taken at random (written while the join goes on, completing,
// aborting or completing late) and failures at random, each restoring
// the latest completed checkpoint and replaying the input from there.
// After every restore the output equals the never-stopped one's for the
// same input, and at the end so does the state; deltas with appends
// (version 2 segments) were written.
func TestJoinRestoredFromIncrementalCheckpoints(t *testing.T) {
	residual := &cmpExpr{l: &expr.Col{Index: 1, T: types.BigInt}, r: &expr.Col{Index: 3, T: types.BigInt}, op: "<="}
	r := rand.New(rand.NewSource(16))
	for _, kind := range []string{"inner", "left", "right", "full", "semi", "anti", "inner-ttl", "inner-append-only",
		"interval-left", "interval-full", "interval-semi", "interval-anti"} {
		interval := strings.HasPrefix(kind, "interval-")
		kind := strings.TrimPrefix(kind, "interval-")
		tailed := 0
		spec := JoinSpec{LeftKeyCols: []int{0}, RightKeyCols: []int{0}, LeftWidth: 2, RightWidth: 2, Residual: residual,
			Outer: [2]bool{kind == "left" || kind == "full", kind == "right" || kind == "full"},
			Semi:  kind == "semi", Anti: kind == "anti"}
		if kind == "inner-ttl" {
			spec.StateTTL = 400 * time.Millisecond
		}
		appendOnly := kind == "inner-append-only" || interval
		if appendOnly {
			spec.AppendOnly = [2]bool{true, true}
		}
		if interval {
			// a row expires 200 ms after its time; no residual
			spec.Residual = nil
			for s := range spec.Expire {
				spec.Expire[s] = []JoinExpiry{{At: &expr.Col{Index: 1, T: types.Timestamp}, Minus: -200}}
			}
		}
		for trial := 0; trial < 6; trial++ {
			var live [2][][]types.Value
			var evs []event
			var inputs []int
			maxTs := int64(0)
			for i := 0; i < 1500; i++ {
				s := r.Intn(2)
				inputs = append(inputs, s)
				if interval && r.Intn(8) == 0 {
					evs = append(evs, event{wm: maxTs - int64(r.Intn(40))})
					continue
				}
				if interval {
					ts := maxTs + int64(r.Intn(20)) - 10
					maxTs = max(maxTs, ts)
					row := []types.Value{{}, types.TimestampValue(ts)}
					if r.Intn(12) > 0 {
						row[0] = types.IntValue(int64(r.Intn(8)))
					}
					evs = append(evs, event{row: row, op: types.Insert})
					continue
				}
				if !appendOnly && len(live[s]) > 0 && r.Intn(4) == 0 {
					j := r.Intn(len(live[s]))
					evs = append(evs, event{row: live[s][j], op: types.Delete})
					live[s] = slices.Delete(live[s], j, j+1)
					continue
				}
				row := []types.Value{{}, types.IntValue(int64(r.Intn(6)))}
				if r.Intn(12) > 0 {
					row[0] = types.IntValue(int64(r.Intn(40)))
				}
				evs = append(evs, event{row: row, op: types.Insert})
				live[s] = append(live[s], row)
			}
			name := fmt.Sprintf("%s (interval %v) trial %d", kind, interval, trial)
			ref := &incrJoin{t: t, spec: spec}
			ref.open(nil, 0)
			want := make([][]string, len(evs))
			for i, ev := range evs {
				want[i] = ref.step(i, inputs[i], ev)
			}
			st := storage.NewMemory()
			j := &incrJoin{t: t, spec: spec, st: st}
			checkIncrementalRestores(t, r, name, st, len(evs), want, stateOf(ref.op.(*join)), incrRun{
				open:    j.open,
				backend: func() *state.HashMapBackend { return j.backend },
				op:      func() exec.Operator { return j.op },
				step:    func(i int) []string { return j.step(i, inputs[i], evs[i]) },
				state:   func() string { return stateOf(j.op.(*join)) },
			})
			tailed += changelogFilesOf(t, st, 2)
		}
		if tailed == 0 {
			t.Fatalf("%s (interval %v): no delta with appends was written", kind, interval)
		}
		t.Logf("%s (interval %v): %d deltas with appends", kind, interval, tailed)
	}
}
