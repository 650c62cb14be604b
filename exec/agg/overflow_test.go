package agg

import (
	"math"
	"strings"
	"testing"

	"github.com/streamsql/streamsql/plan"
	"github.com/streamsql/streamsql/types"
)

// wideFuncs is SUM, COUNT and (withAvg) AVG of one BIGINT column.
func wideFuncs(t *testing.T, retract, withAvg bool) *Funcs {
	t.Helper()
	calls := []plan.AggCall{
		{Func: plan.AggSum, Arg: col(0, types.BigInt), Type: types.BigInt},
		{Func: plan.AggCount, Arg: col(0, types.BigInt), Type: types.BigInt},
	}
	if withAvg {
		calls = append(calls, plan.AggCall{Func: plan.AggAvg, Arg: col(0, types.BigInt), Type: types.DecimalType(18, 4)})
	}
	f, err := Compile(calls, retract)
	if err != nil {
		t.Fatal(err)
	}
	return f
}

// TestSumBeyondInt64 checks that SUM/AVG of BIGINT are exact past
// int64: a sum out of BIGINT is an error naming the call (it used to wrap
// to -9223372036854775808, with AVG 0.0000), and retracting rows (or
// merging panes) that bring the sum back gives the exact value again.
func TestSumBeyondInt64(t *testing.T) {
	f := wideFuncs(t, true, false)
	var a Acc
	f.Init(&a)
	row := func(v int64) []types.Value { return []types.Value{types.IntValue(v)} }
	out := make([]types.Value, f.Len())
	for _, v := range []int64{math.MaxInt64, 1} {
		if err := f.Add(&a, row(v)); err != nil {
			t.Fatal(err)
		}
	}
	err := f.Results(out, &a)
	if err == nil || !strings.Contains(err.Error(), "SUM(c) = 9223372036854775808 is out of the range of its result type BIGINT (-9223372036854775808 to 9223372036854775807)") {
		t.Fatalf("SUM(MAX, 1): err = %v, want an out-of-range error naming SUM(c)", err)
	}
	// The state survives a checkpoint exactly.
	var back Acc
	if rest, err := DecodeAcc(AppendAcc(nil, &a), &back); err != nil || len(rest) != 0 {
		t.Fatalf("decode: %v (%d bytes left)", err, len(rest))
	}
	if err := f.Retract(&back, row(2)); err != nil {
		t.Fatal(err)
	}
	if got := render(results(f, &back)); got != "9223372036854775806 1" {
		t.Errorf("after retracting 2: %s", got)
	}
	// Merge of two halves that each fit, whose total does not.
	var x, y Acc
	f.Init(&x)
	f.Init(&y)
	f.Add(&x, row(math.MinInt64))
	f.Add(&y, row(-1))
	f.Merge(&x, &y)
	if err := f.Results(out, &x); err == nil || !strings.Contains(err.Error(), "-9223372036854775809") {
		t.Errorf("merged SUM(MIN, -1): err = %v", err)
	}
}

// TestAvgExact: AVG of BIGINT is exact at scale 4 even when the sum
// passes int64 (three rows of MAX used to give a negative average); an
// average beyond DECIMAL(18,4) is an error, never a wrapped value.
func TestAvgExact(t *testing.T) {
	f := wideFuncs(t, false, true)
	row := func(v int64) []types.Value { return []types.Value{types.IntValue(v)} }
	var a Acc
	f.Init(&a)
	for _, v := range []int64{1e14 - 1, 1e14 - 1, 1e14 - 2} {
		f.Add(&a, row(v))
	}
	if got := render(results(f, &a)); got != "299999999999996 3 99999999999998.6667d" {
		t.Errorf("got %s", got)
	}
	f.Init(&a)
	for range 3 {
		f.Add(&a, row(math.MaxInt64))
	}
	out := make([]types.Value, f.Len())
	err := f.Results(out, &a)
	if err == nil || !strings.Contains(err.Error(), "SUM(c) = 27670116110564327421") {
		t.Errorf("SUM of 3 × MAX: err = %v", err)
	}
	f2, _ := Compile([]plan.AggCall{{Func: plan.AggAvg, Arg: col(0, types.BigInt), Type: types.DecimalType(18, 4)}}, false)
	f2.Init(&a)
	for range 3 {
		f2.Add(&a, row(math.MaxInt64))
	}
	err = f2.Results(out, &a)
	if err == nil || !strings.Contains(err.Error(), "AVG(c) = 9223372036854775807.0000 is out of the range of its result type DECIMAL(18, 4)") {
		t.Errorf("AVG of 3 × MAX: err = %v", err)
	}
}

// TestSumDecimalLimit: SUM of DECIMAL is DECIMAL(18, s): a sum of more
// than 18 digits is an error.
func TestSumDecimalLimit(t *testing.T) {
	dt := types.DecimalType(18, 2)
	f, err := Compile([]plan.AggCall{{Func: plan.AggSum, Arg: col(0, dt), Type: dt}}, false)
	if err != nil {
		t.Fatal(err)
	}
	var a Acc
	f.Init(&a)
	max := types.DecimalValue(999999999999999999, 2)
	f.Add(&a, []types.Value{max})
	if got := render(results(f, &a)); got != "9999999999999999.99d" {
		t.Errorf("got %s", got)
	}
	f.Add(&a, []types.Value{types.DecimalValue(1, 2)})
	out := make([]types.Value, 1)
	if err := f.Results(out, &a); err == nil || !strings.Contains(err.Error(), "10000000000000000.00") {
		t.Errorf("SUM beyond 18 digits: err = %v", err)
	}
}
