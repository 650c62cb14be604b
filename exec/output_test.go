package exec

import (
	"context"
	"fmt"
	"math/rand"
	"testing"

	"github.com/streamsql/streamsql/state"
	"github.com/streamsql/streamsql/types"
)

// A batch emitted whole onto a hash edge over several targets reaches
// each target with the rows (and operations) Emit would have sent it, in
// order, cut into the same batches of at most the batch size, each row at
// the instance owning its key group (HashKey): for rows of
// one to five columns, keys of one or two columns holding numbers, NULLs,
// strings and decimals, and rows already pending from Emit before the
// batch.
func TestEmitBatchHashedMatchesEmit(t *testing.T) {
	const batch, targets = 64, 3
	r := rand.New(rand.NewSource(11))
	value := func(i int64) types.Value {
		switch i % 11 {
		case 0:
			return types.NullValue()
		case 1:
			return types.StringValue(fmt.Sprint("k", i%37))
		case 2:
			return types.DecimalValue(i%29*10, 1)
		default:
			return types.IntValue(i * 7919 % 1013)
		}
	}
	for _, c := range []struct {
		width int
		keys  []int
	}{{1, []int{0}}, {2, []int{0}}, {2, []int{1, 0}}, {3, []int{2}}, {4, []int{0, 3}}, {5, []int{4}}} {
		rows := 200 + r.Intn(1000)
		before := r.Intn(40) // rows emitted one by one before the batch
		b := types.NewBatch(c.width, rows)
		for i := int64(0); i < int64(rows); i++ {
			row := make([]types.Value, c.width)
			for j := range row {
				row[j] = value(i*int64(j+1) + int64(j))
			}
			b.Append(types.Op(i%4), row)
		}
		run := func(whole bool) [][]string {
			chans := make([]chan Message, targets)
			for i := range chans {
				chans[i] = make(chan Message, 2*rows)
			}
			col := newCollector(context.Background(), c.width, batch, nil)
			col.addEdge(Hash, c.keys, chans, 128)
			in := b.Clone()
			for i := 0; i < before; i++ {
				col.Emit(in.Ops[i], in.Row(i))
			}
			if whole {
				rest := types.NewBatch(c.width, rows)
				for i := before; i < in.Len(); i++ {
					rest.Append(in.Ops[i], in.Row(i))
				}
				col.EmitBatch(rest)
			} else {
				for i := before; i < in.Len(); i++ {
					col.Emit(in.Ops[i], in.Row(i))
				}
			}
			col.flush()
			return drainTargets(t, chans, batch, c.keys, true)
		}
		want, got := run(false), run(true)
		n := 0
		for ti := range want {
			if len(got[ti]) != len(want[ti]) {
				t.Fatalf("width %d keys %v, target %d: %d rows and batch ends, want %d", c.width, c.keys, ti, len(got[ti]), len(want[ti]))
			}
			for i := range want[ti] {
				if got[ti][i] != want[ti][i] {
					t.Fatalf("width %d keys %v, target %d row %d: %s, want %s", c.width, c.keys, ti, i, got[ti][i], want[ti][i])
				}
				if want[ti][i] != "(end of batch)" {
					n++
				}
			}
		}
		if n != rows {
			t.Errorf("width %d keys %v: %d rows arrived, want %d", c.width, c.keys, n, rows)
		}
	}
}

// Batches routed by the operator (EmitBatchTo) between rows emitted one
// by one and batches emitted whole reach each target in the order Emit
// of every row would have sent them, in batches of at most the batch
// size: batches smaller and larger than it, onto targets with and
// without rows pending.
func TestEmitBatchToKeepsTheOrderOfEmit(t *testing.T) {
	const batch, targets, width = 64, 3, 2
	keys := []int{0}
	r := rand.New(rand.NewSource(13))
	owner := func(row []types.Value) int {
		return state.InstanceFor(state.KeyGroupOf(HashKey(row, keys), 128), 128, targets)
	}
	type step struct {
		how  int // 0: Emit each row, 1: EmitBatch, 2: EmitBatchTo
		rows [][]types.Value
	}
	var steps []step
	seq := int64(0)
	for len(steps) < 60 {
		s := step{how: r.Intn(3)}
		n := 1 + r.Intn(3*batch)
		dest := r.Intn(targets)
		for len(s.rows) < n {
			seq++
			row := []types.Value{types.IntValue(r.Int63n(500)), types.IntValue(seq)}
			if s.how == 2 && owner(row) != dest {
				continue
			}
			s.rows = append(s.rows, row)
		}
		steps = append(steps, s)
	}
	run := func(routed bool) [][]string {
		chans := make([]chan Message, targets)
		for i := range chans {
			chans[i] = make(chan Message, 100000)
		}
		col := newCollector(context.Background(), width, batch, nil)
		col.addEdge(Hash, keys, chans, 128)
		if col.Targets() != targets {
			t.Fatalf("Targets() = %d, want %d", col.Targets(), targets)
		}
		for _, s := range steps {
			b := types.NewBatch(width, len(s.rows))
			for _, row := range s.rows {
				b.Append(types.Insert, row)
			}
			switch {
			case !routed || s.how == 0:
				for _, row := range s.rows {
					col.Emit(types.Insert, row)
				}
			case s.how == 1:
				col.EmitBatch(b)
			default:
				col.EmitBatchTo(col.TargetOf(s.rows[0]), b)
			}
		}
		col.flush()
		return drainTargets(t, chans, batch, keys, false)
	}
	want, got := run(false), run(true)
	for ti := range want {
		if fmt.Sprint(got[ti]) != fmt.Sprint(want[ti]) {
			t.Fatalf("target %d got\n%v\nwant\n%v", ti, got[ti], want[ti])
		}
	}
	col := newCollector(context.Background(), width, batch, nil)
	col.addEdge(Forward, nil, []chan Message{make(chan Message, 1)}, 128)
	if col.Targets() != 0 {
		t.Errorf("a forward edge: Targets() = %d, want 0", col.Targets())
	}
}

// drainTargets closes the channels of a hash edge's targets and returns
// the rows each received (operation and values), failing t when a batch
// holds more than batch rows or a row reached a target that does not own
// its key group (keys are the edge's key columns; max parallelism 128);
// with ends, "(end of batch)" follows each batch's rows.
func drainTargets(t *testing.T, chans []chan Message, batch int, keys []int, ends bool) [][]string {
	t.Helper()
	out := make([][]string, len(chans))
	for ti, ch := range chans {
		close(ch)
		for m := range ch {
			if m.Batch.Len() > batch {
				t.Fatalf("a batch of %d rows, more than the batch size %d", m.Batch.Len(), batch)
			}
			for i := 0; i < m.Batch.Len(); i++ {
				row := m.Batch.Row(i)
				if owner := state.InstanceFor(state.KeyGroupOf(HashKey(row, keys), 128), 128, len(chans)); owner != ti {
					t.Fatalf("keys %v: row %v went to target %d, but its key group belongs to %d", keys, row, ti, owner)
				}
				out[ti] = append(out[ti], fmt.Sprint(m.Batch.Ops[i], row))
			}
			if ends {
				out[ti] = append(out[ti], "(end of batch)")
			}
		}
	}
	return out
}
