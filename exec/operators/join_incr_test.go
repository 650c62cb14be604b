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

func (j *incrJoin) open(handle *state.Handle) {
	j.backend = state.NewHashMapBackendWith("op", 0, state.RangeFor(128, 1, 0), state.HashMapOptions{Incremental: true, MaxDeltas: 6, MaxDeltaRatio: 100})
	if handle != nil {
		if err := j.backend.Restore(j.st, []*state.Handle{handle}); err != nil {
			j.t.Fatalf("restore: %v", err)
		}
	}
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
			ref.open(nil)
			want := make([][]string, len(evs))
			for i, ev := range evs {
				want[i] = ref.step(i, inputs[i], ev)
			}
			st := storage.NewMemory()
			j := &incrJoin{t: t, spec: spec, st: st}
			j.open(nil)
			type done struct {
				id  int64
				pos int
				h   *state.Handle
			}
			var completed *done
			var pending []done
			var finish func() (*state.Handle, error)
			var writing chan struct{}
			var written *state.Handle
			var writeErr error
			id := int64(0)
			inFlight := done{}
			// settle waits for the snapshot being written and decides its
			// fate: complete now, abort, or complete after the next one.
			settle := func() {
				if writing == nil {
					return
				}
				<-writing
				writing = nil
				if writeErr != nil {
					t.Fatalf("%s: checkpoint %d: %v", name, inFlight.id, writeErr)
				}
				inFlight.h = written
				for _, p := range pending {
					j.backend.CheckpointComplete(p.id)
					if completed == nil || p.id > completed.id {
						c := p
						completed = &c
					}
				}
				pending = pending[:0]
				switch x := r.Intn(10); {
				case x < 6:
					j.backend.CheckpointComplete(inFlight.id)
					c := inFlight
					completed = &c
				case x < 8: // aborted
				default:
					pending = append(pending, inFlight)
				}
			}
			for i := 0; i < len(evs); {
				switch x := r.Intn(60); {
				case x < 3:
					settle()
					id++
					if err := j.op.SnapshotState(id); err != nil {
						t.Fatal(err)
					}
					var err error
					finish, err = j.backend.SnapshotAsync(state.SnapshotTarget{Storage: st, Dir: fmt.Sprintf("job/chk-%d", id), SharedDir: "job/shared", CheckpointID: id})
					if err != nil {
						t.Fatalf("%s: checkpoint %d: %v", name, id, err)
					}
					inFlight = done{id: id, pos: i}
					writing = make(chan struct{})
					go func(finish func() (*state.Handle, error), ch chan struct{}) {
						written, writeErr = finish()
						close(ch)
					}(finish, writing)
				case x == 3 && completed != nil:
					settle()
					pending = pending[:0]
					j.op.Close()
					// processing time as it was at the checkpoint (the
					// TTL's clock never runs backwards)
					j.now = int64(10 * completed.pos)
					j.open(completed.h)
					for k := completed.pos; k < i; k++ {
						if got := j.step(k, inputs[k], evs[k]); !slices.Equal(got, want[k]) {
							t.Fatalf("%s: restored from checkpoint %d (event %d), replayed event %d: output\n%s\nwant\n%s", name, completed.id, completed.pos, k, strings.Join(got, "\n"), strings.Join(want[k], "\n"))
						}
					}
				}
				if got := j.step(i, inputs[i], evs[i]); !slices.Equal(got, want[i]) {
					t.Fatalf("%s: event %d: output\n%s\nwant\n%s", name, i, strings.Join(got, "\n"), strings.Join(want[i], "\n"))
				}
				i++
			}
			settle()
			if got, want := stateOf(j.op.(*join)), stateOf(ref.op.(*join)); got != want {
				t.Fatalf("%s: state\n%s\nwant\n%s", name, got, want)
			}
			// the state a last checkpoint restores is the live one
			id++
			j.op.SnapshotState(id)
			h, err := j.backend.Snapshot(state.SnapshotTarget{Storage: st, Dir: fmt.Sprintf("job/chk-%d", id), SharedDir: "job/shared", CheckpointID: id})
			if err != nil {
				t.Fatal(err)
			}
			j.open(h)
			if got, want := stateOf(j.op.(*join)), stateOf(ref.op.(*join)); got != want {
				t.Fatalf("%s: state restored from the last checkpoint\n%s\nwant\n%s", name, got, want)
			}
			// deltas with appends were written
			files, err := st.List("job/shared")
			if err != nil {
				t.Fatal(err)
			}
			for _, p := range files {
				data, err := st.Get(p)
				if err != nil {
					t.Fatal(err)
				}
				if _, v, err := storage.Open(p, data, storage.KindChangelog, 2); err == nil && v == 2 {
					tailed++
				}
			}
		}
		if tailed == 0 {
			t.Fatalf("%s (interval %v): no delta with appends was written", kind, interval)
		}
		t.Logf("%s (interval %v): %d deltas with appends", kind, interval, tailed)
	}
}
