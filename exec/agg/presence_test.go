package agg

import (
	"encoding/binary"
	"fmt"
	"math/rand"
	"strings"
	"testing"

	"github.com/streamsql/streamsql/plan"
	"github.com/streamsql/streamsql/types"
)

// distinctCalls are DISTINCT aggregates over an integer column 0 and a
// string column 1, one with a FILTER on column 2.
func distinctCalls() []plan.AggCall {
	filter := gtCol(2, 0)
	return []plan.AggCall{
		{Func: plan.AggCount, Arg: col(0, types.BigInt), Distinct: true, Type: types.BigInt},
		{Func: plan.AggSum, Arg: col(0, types.BigInt), Distinct: true, Type: types.BigInt},
		{Func: plan.AggCount, Arg: col(1, types.String), Distinct: true, Type: types.BigInt},
		{Func: plan.AggMax, Arg: col(1, types.String), Distinct: true, Type: types.String},
		{Func: plan.AggCount, Arg: col(0, types.BigInt), Distinct: true, Filter: filter, Type: types.BigInt},
		{Func: plan.AggCount, Type: types.BigInt},
	}
}

func distinctRow(r *rand.Rand) []types.Value {
	row := []types.Value{types.IntValue(int64(r.Intn(50)) - 10), types.StringValue(fmt.Sprint("s", r.Intn(30))), types.IntValue(int64(r.Intn(3)) - 1)}
	if r.Intn(8) == 0 {
		row[r.Intn(2)] = types.NullValue()
	}
	return row
}

// TestInsertOnlyDistinct: DISTINCT calls compiled for an insert-only input
// keep presence sets and give the results of the counted multisets, also
// through a checkpoint: encoded whole (counts written as 0), decoded, and
// patched with the values added after MarkWritten.
func TestInsertOnlyDistinct(t *testing.T) {
	counted, err := Compile(distinctCalls(), false)
	if err != nil {
		t.Fatal(err)
	}
	presence, err := CompileInsertOnly(distinctCalls())
	if err != nil {
		t.Fatal(err)
	}
	r := rand.New(rand.NewSource(11))
	for trial := 0; trial < 50; trial++ {
		var want, got Acc
		counted.Init(&want)
		presence.Init(&got)
		for i := r.Intn(200) + 1; i > 0; i-- {
			row := distinctRow(r)
			if err := counted.Add(&want, row); err != nil {
				t.Fatal(err)
			}
			if err := presence.Add(&got, row); err != nil {
				t.Fatal(err)
			}
		}
		if a, b := render(results(presence, &got)), render(results(counted, &want)); a != b {
			t.Fatalf("trial %d: %s, counted %s", trial, a, b)
		}
		for i, s := range got.Slots[:5] {
			if s.Multiset() != nil && !s.Multiset().Presence() {
				t.Fatalf("trial %d: call %d keeps counts", trial, i)
			}
		}
		enc := AppendAcc(nil, &got)
		var dec Acc
		if rest, err := DecodeAcc(enc, &dec); err != nil || len(rest) != 0 {
			t.Fatalf("trial %d: decode: %v, %d bytes left", trial, err, len(rest))
		}
		if string(AppendAcc(nil, &dec)) != string(enc) || !dec.Slots[0].Multiset().Presence() {
			t.Fatalf("trial %d: a presence set re-encodes differently or decodes with counts", trial)
		}
		MarkWritten(&got)
		for i := r.Intn(50); i > 0; i-- {
			row := distinctRow(r)
			_ = counted.Add(&want, row)
			_ = presence.Add(&got, row)
		}
		patch, _, ok := AppendAccChanges(nil, &got)
		if !ok {
			t.Fatalf("trial %d: no patch of a held accumulator", trial)
		}
		if rest, err := DecodeAccChanges(patch, &dec); err != nil || len(rest) != 0 {
			t.Fatalf("trial %d: patch: %v, %d bytes left", trial, err, len(rest))
		}
		if a, b := render(results(presence, &dec)), render(results(counted, &want)); a != b {
			t.Fatalf("trial %d: patched %s, counted %s", trial, a, b)
		}
	}
}

// An accumulator written with counts (before presence sets, or by a query
// whose input retracts) restores into insert-only calls: its sets become
// presence sets at the first row, which the next checkpoint writes whole.
func TestInsertOnlyDistinctFromCountedState(t *testing.T) {
	counted, _ := Compile(distinctCalls(), false)
	presence, _ := CompileInsertOnly(distinctCalls())
	r := rand.New(rand.NewSource(12))
	var want Acc
	counted.Init(&want)
	for i := 0; i < 300; i++ {
		_ = counted.Add(&want, distinctRow(r))
	}
	var got Acc
	if _, err := DecodeAcc(AppendAcc(nil, &want), &got); err != nil {
		t.Fatal(err)
	}
	if got.Slots[0].Multiset().Presence() {
		t.Fatal("a state with counts decoded as a presence set")
	}
	MarkWritten(&got)
	row := distinctRow(r)
	_ = counted.Add(&want, row)
	if err := presence.Add(&got, row); err != nil {
		t.Fatal(err)
	}
	if !got.Slots[0].Multiset().Presence() || got.Slots[0].Multiset().Held() {
		t.Fatal("the restored set was not replaced by a presence set that no checkpoint holds")
	}
	if _, _, ok := AppendAccChanges(nil, &got); ok {
		t.Fatal("a patch over a set the checkpoint holds with counts")
	}
	if a, b := render(results(presence, &got)), render(results(counted, &want)); a != b {
		t.Fatalf("%s, counted %s", a, b)
	}
}

// Retracting a row is refused by insert-only DISTINCT calls, and by
// retracting calls whose set was restored without counts.
func TestPresenceSetRefusesRetraction(t *testing.T) {
	presence, _ := CompileInsertOnly(distinctCalls()[:1])
	retracting, _ := Compile(distinctCalls()[:1], true)
	row := []types.Value{types.IntValue(7)}
	var a Acc
	presence.Init(&a)
	_ = presence.Add(&a, row)
	if err := presence.Retract(&a, row); err == nil || !strings.Contains(err.Error(), "never retracts") {
		t.Fatalf("insert-only retract: %v", err)
	}
	var b Acc
	if _, err := DecodeAcc(AppendAcc(nil, &a), &b); err != nil {
		t.Fatal(err)
	}
	if err := retracting.Retract(&b, row); err == nil || !strings.Contains(err.Error(), "COUNT(DISTINCT") {
		t.Fatalf("retract from a presence set: %v", err)
	}
}

// A set whose entries mix counts and presence marks (0) is corrupt.
func TestDecodeMixedPresenceCorrupt(t *testing.T) {
	var buf []byte
	buf = binary.AppendVarint(buf, 2)  // Rows
	buf = binary.AppendUvarint(buf, 1) // slots
	buf = append(buf, flagSet)
	buf = binary.AppendVarint(buf, 2) // N
	buf = binary.AppendVarint(buf, 0) // Sum
	buf = types.AppendValue(buf, types.NullValue())
	buf = binary.AppendUvarint(buf, 2)
	buf = types.AppendValue(buf, types.IntValue(1))
	buf = binary.AppendVarint(buf, 0)
	buf = types.AppendValue(buf, types.IntValue(2))
	buf = binary.AppendVarint(buf, 1)
	var a Acc
	if _, err := DecodeAcc(buf, &a); err != ErrCorrupt {
		t.Fatalf("mixed set decoded: %v", err)
	}
}
