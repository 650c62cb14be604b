package agg

import (
	"math/rand"
	"slices"
	"testing"

	"github.com/streamsql/streamsql/expr"
	"github.com/streamsql/streamsql/plan"
	"github.com/streamsql/streamsql/types"
)

func TestMaskSet(t *testing.T) {
	r := rand.New(rand.NewSource(21))
	var s maskSet
	want := map[int64]uint8{}
	for i := 0; i < 20000; i++ {
		v := int64(r.Intn(3000)) - 1000
		bit := uint8(1) << r.Intn(8)
		if got, w := s.set(v, bit), want[v]&bit == 0; got != w {
			t.Fatalf("set(%d, %d) = %v, want %v", v, bit, got, w)
		}
		want[v] |= bit
		if u := int64(r.Intn(3000)) - 1000; s.has(u, bit) != (want[u]&bit != 0) {
			t.Fatalf("has(%d, %d) = %v", u, bit, s.has(u, bit))
		}
	}
	for k := 0; k < 8; k++ {
		bit := uint8(1) << k
		var got, w []int64
		s.each(bit, func(v int64) { got = append(got, v) })
		for v, m := range want {
			if m&bit != 0 {
				w = append(w, v)
			}
		}
		slices.Sort(got)
		slices.Sort(w)
		if !slices.Equal(got, w) {
			t.Fatalf("bit %d: %d values, want %d", bit, len(got), len(w))
		}
	}
}

// sharedCalls are DISTINCT calls over integer column 0 under conditions
// on column 1 (as Nexmark q15 and q16 write them), over column 2, and a
// string DISTINCT and COUNT(*) that share nothing.
func sharedCalls() []plan.AggCall {
	when := func(k int64, then expr.Expr, els expr.Expr) expr.Expr {
		c, err := expr.NewCase([]expr.Expr{gtCol(1, k)}, []expr.Expr{then}, els)
		if err != nil {
			panic(err)
		}
		return c
	}
	x, y := col(0, types.BigInt), col(2, types.BigInt)
	return []plan.AggCall{
		{Func: plan.AggCount, Arg: x, Distinct: true, Type: types.BigInt},
		{Func: plan.AggCount, Arg: when(0, x, nil), Distinct: true, Type: types.BigInt},
		{Func: plan.AggCount, Arg: y, Distinct: true, Type: types.BigInt},
		{Func: plan.AggSum, Arg: when(2, x, nil), Distinct: true, Type: types.BigInt},
		{Func: plan.AggCount, Arg: x, Distinct: true, Filter: gtCol(1, 3), Type: types.BigInt},
		{Func: plan.AggCount, Arg: when(1, y, nil), Distinct: true, Type: types.BigInt},
		{Func: plan.AggCount, Arg: col(3, types.String), Distinct: true, Type: types.BigInt},
		{Func: plan.AggCount, Arg: when(1, x, &expr.Literal{V: types.IntValue(-1), T: types.BigInt}), Distinct: true, Type: types.BigInt},
		{Func: plan.AggCount, Type: types.BigInt},
	}
}

func sharedRow(r *rand.Rand) []types.Value {
	row := []types.Value{types.IntValue(int64(r.Intn(400)) - 5), types.IntValue(int64(r.Intn(5))),
		types.IntValue(int64(r.Intn(60))), types.StringValue(string(rune('a' + r.Intn(20))))}
	if r.Intn(10) == 0 {
		row[r.Intn(3)] = types.NullValue()
	}
	return row
}

// slotValues lists each slot's DISTINCT values in canonical order.
func slotValues(a *Acc) [][]types.Value {
	out := make([][]types.Value, len(a.Slots))
	for i := range a.Slots {
		a.Slots[i].Multiset().Each(func(v types.Value, _ int64) { out[i] = append(out[i], v) })
	}
	return out
}

func sameValues(a, b [][]types.Value) bool {
	return slices.EqualFunc(a, b, func(x, y []types.Value) bool { return slices.EqualFunc(x, y, types.Equal) })
}

// Presence sets that share a table give what separate ones give: the
// results, each call's values, through a whole checkpoint, a decode (whose
// sets share again at the next row), patches of the values added after
// MarkWritten, and clones (independent of the original).
func TestSharedDistinctSets(t *testing.T) {
	shared, err := CompileInsertOnly(sharedCalls())
	if err != nil {
		t.Fatal(err)
	}
	separate, _ := CompileInsertOnly(sharedCalls())
	for i := range separate.calls {
		separate.calls[i].shareBit = 0
	}
	var bits []uint8
	for _, c := range shared.calls {
		bits = append(bits, c.shareBit)
	}
	// x's calls (0, 1, 3, 4) share; y's (2, 5); the CASE with an ELSE is
	// not x's values
	if want := []uint8{1, 2, 1, 4, 8, 2, 0, 0, 0}; !slices.Equal(bits, want) {
		t.Fatalf("share bits %v, want %v", bits, want)
	}
	r := rand.New(rand.NewSource(22))
	add := func(n int, accs ...*Acc) {
		for ; n > 0; n-- {
			row := sharedRow(r)
			if err := separate.Add(accs[0], row); err != nil {
				t.Fatal(err)
			}
			for _, a := range accs[1:] {
				if err := shared.Add(a, row); err != nil {
					t.Fatal(err)
				}
			}
		}
	}
	same := func(trial int, what string, want, got *Acc) {
		t.Helper()
		if a, b := render(results(shared, got)), render(results(separate, want)); a != b {
			t.Fatalf("trial %d, %s: %s, separate sets %s", trial, what, a, b)
		}
		if !sameValues(slotValues(got), slotValues(want)) {
			t.Fatalf("trial %d, %s: the calls' values differ from separate sets'", trial, what)
		}
	}
	for trial := 0; trial < 40; trial++ {
		var want, got Acc
		separate.Init(&want)
		shared.Init(&got)
		add(r.Intn(300)+1, &want, &got)
		same(trial, "added", &want, &got)
		if s0, s1 := got.Slots[0].Multiset(), got.Slots[1].Multiset(); s0 == nil || s0.shared == nil || s1 == nil || s1.shared != s0.shared {
			t.Fatalf("trial %d: calls 0 and 1 do not share a table", trial)
		}
		var dec Acc
		if rest, err := DecodeAcc(AppendAcc(nil, &got), &dec); err != nil || len(rest) != 0 {
			t.Fatalf("trial %d: decode: %v, %d bytes left", trial, err, len(rest))
		}
		same(trial, "decoded", &want, &dec)
		clone := got.Clone()
		MarkWritten(&got)
		MarkWritten(&want)
		add(r.Intn(80), &want, &got, &dec)
		same(trial, "after the checkpoint", &want, &got)
		same(trial, "decoded, then added to", &want, &dec)
		patch, _, ok := AppendAccChanges(nil, &got)
		if !ok {
			t.Fatalf("trial %d: no patch of a held accumulator", trial)
		}
		var restored Acc
		if _, err := DecodeAcc(AppendAcc(nil, &clone), &restored); err != nil {
			t.Fatal(err)
		}
		if _, err := DecodeAccChanges(patch, &restored); err != nil {
			t.Fatalf("trial %d: patch: %v", trial, err)
		}
		same(trial, "restored and patched", &want, &restored)
		if a, b := render(results(shared, &clone)), render(results(shared, &got)); a == b && len(got.Slots[0].Multiset().addedInts) > 0 {
			t.Fatalf("trial %d: the clone changed with the original", trial)
		}
	}
}
