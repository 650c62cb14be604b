package agg

import (
	"bytes"
	"math/big"
	"math/rand"
	"slices"
	"testing"

	"github.com/streamsql/streamsql/expr"
	"github.com/streamsql/streamsql/plan"
	"github.com/streamsql/streamsql/types"
)

func col(i int, t types.Type) expr.Expr { return &expr.Col{Index: i, Name: "c", T: t} }

var dec2 = types.DecimalType(10, 2)

func results(f *Funcs, a *Acc) []types.Value {
	out := make([]types.Value, f.Len())
	if err := f.Results(out, a); err != nil {
		panic(err)
	}
	return out
}

func render(vals []types.Value) string {
	var b []byte
	for i, v := range vals {
		if i > 0 {
			b = append(b, ' ')
		}
		b = types.AppendRender(b, v, types.Type{Kind: v.Kind(), Scale: v.Scale(), Precision: 3})
		if v.Kind() == types.KindDecimal {
			b = append(b, 'd')
		}
	}
	return string(b)
}

func TestFunctions(t *testing.T) {
	ival := func(i int64) types.Value { return types.IntValue(i) }
	dval := func(u int64) types.Value { return types.DecimalValue(u, 2) }
	null := types.NullValue()
	// columns: 0 int, 1 decimal(10,2), 2 double, 3 string
	rows := [][]types.Value{
		{ival(1), dval(150), types.DoubleValue(1.5), types.StringValue("b")},
		{ival(2), dval(-25), types.DoubleValue(2), types.StringValue("a")},
		{null, null, null, null},
		{ival(2), dval(100), types.DoubleValue(0.25), types.StringValue("c")},
	}
	cases := []struct {
		call plan.AggCall
		want string // result after all rows
		none string // result over no rows
	}{
		{plan.AggCall{Func: plan.AggCount, Type: types.BigInt}, "4", "0"},
		{plan.AggCall{Func: plan.AggCount, Arg: col(0, types.BigInt), Type: types.BigInt}, "3", "0"},
		{plan.AggCall{Func: plan.AggCount, Distinct: true, Arg: col(0, types.BigInt), Type: types.BigInt}, "2", "0"},
		{plan.AggCall{Func: plan.AggSum, Arg: col(0, types.BigInt), Type: types.BigInt}, "5", "NULL"},
		{plan.AggCall{Func: plan.AggSum, Distinct: true, Arg: col(0, types.BigInt), Type: types.BigInt}, "3", "NULL"},
		{plan.AggCall{Func: plan.AggSum, Arg: col(1, dec2), Type: types.DecimalType(38, 2)}, "2.25d", "NULL"},
		{plan.AggCall{Func: plan.AggSum, Arg: col(2, types.Double), Type: types.Double}, "3.75", "NULL"},
		{plan.AggCall{Func: plan.AggMin, Arg: col(0, types.BigInt), Type: types.BigInt}, "1", "NULL"},
		{plan.AggCall{Func: plan.AggMax, Arg: col(1, dec2), Type: dec2}, "1.50d", "NULL"},
		{plan.AggCall{Func: plan.AggMin, Arg: col(1, dec2), Type: dec2}, "-0.25d", "NULL"},
		{plan.AggCall{Func: plan.AggMax, Arg: col(3, types.String), Type: types.String}, "c", "NULL"},
		{plan.AggCall{Func: plan.AggMin, Distinct: true, Arg: col(3, types.String), Type: types.String}, "a", "NULL"},
		// AVG(int) into DECIMAL(38, 6): 5/3 = 1.666667 (half away from zero)
		{plan.AggCall{Func: plan.AggAvg, Arg: col(0, types.BigInt), Type: types.DecimalType(38, 6)}, "1.666667d", "NULL"},
		// AVG(int) into an integer type truncates
		{plan.AggCall{Func: plan.AggAvg, Arg: col(0, types.BigInt), Type: types.BigInt}, "1", "NULL"},
		// AVG(decimal(10,2)) into DECIMAL(38, 6): 2.25/3 = 0.75
		{plan.AggCall{Func: plan.AggAvg, Arg: col(1, dec2), Type: types.DecimalType(38, 6)}, "0.750000d", "NULL"},
		{plan.AggCall{Func: plan.AggAvg, Distinct: true, Arg: col(0, types.BigInt), Type: types.DecimalType(38, 2)}, "1.50d", "NULL"},
		{plan.AggCall{Func: plan.AggAvg, Arg: col(2, types.Double), Type: types.Double}, "1.25", "NULL"},
	}
	for _, c := range cases {
		for _, retract := range []bool{false, true} {
			f, err := Compile([]plan.AggCall{c.call}, retract)
			if err != nil {
				t.Fatal(err)
			}
			var a Acc
			f.Init(&a)
			if got := render(results(f, &a)); got != c.none {
				t.Errorf("%s over nothing = %s, want %s", c.call, got, c.none)
			}
			for _, r := range rows {
				if err := f.Add(&a, r); err != nil {
					t.Fatal(err)
				}
			}
			got := results(f, &a)
			if render(got) != c.want {
				t.Errorf("%s (retract=%v) = %s, want %s", c.call, retract, render(got), c.want)
			}
			if got[0].Kind() != c.call.Type.Kind {
				t.Errorf("%s result kind %s, want %s", c.call, got[0].Kind(), c.call.Type.Kind)
			}
			// Codec round trip keeps results and bytes.
			enc := AppendAcc(nil, &a)
			var d Acc
			rest, err := DecodeAcc(enc, &d)
			if err != nil || len(rest) != 0 {
				t.Fatalf("decode: %v rest %d", err, len(rest))
			}
			if render(results(f, &d)) != c.want || !bytes.Equal(AppendAcc(nil, &d), enc) {
				t.Errorf("%s: codec round trip changed the accumulator", c.call)
			}
			if retract || c.call.Distinct {
				// retracting every row gives the empty result again
				for _, r := range rows {
					if err := f.Retract(&a, r); err != nil {
						t.Fatal(err)
					}
				}
				if got := render(results(f, &a)); got != c.none || a.Rows != 0 {
					t.Errorf("%s after retracting all = %s rows %d, want %s", c.call, got, a.Rows, c.none)
				}
			}
		}
	}
}

func TestRetractMinMaxNeedsSet(t *testing.T) {
	f, _ := Compile([]plan.AggCall{{Func: plan.AggMax, Arg: col(0, types.BigInt), Type: types.BigInt}}, false)
	var a Acc
	f.Init(&a)
	row := []types.Value{types.IntValue(1)}
	_ = f.Add(&a, row)
	if err := f.Retract(&a, row); err != ErrRetractMinMax {
		t.Fatalf("got %v", err)
	}
}

// allCalls covers every function over an int column 0 and a decimal column 1.
func allCalls() []plan.AggCall {
	return []plan.AggCall{
		{Func: plan.AggCount, Type: types.BigInt},
		{Func: plan.AggCount, Arg: col(0, types.BigInt), Type: types.BigInt},
		{Func: plan.AggCount, Distinct: true, Arg: col(0, types.BigInt), Type: types.BigInt},
		{Func: plan.AggSum, Arg: col(0, types.BigInt), Type: types.BigInt},
		{Func: plan.AggSum, Distinct: true, Arg: col(1, dec2), Type: types.DecimalType(38, 2)},
		{Func: plan.AggMin, Arg: col(0, types.BigInt), Type: types.BigInt},
		{Func: plan.AggMax, Arg: col(1, dec2), Type: dec2},
		{Func: plan.AggMax, Distinct: true, Arg: col(0, types.BigInt), Type: types.BigInt},
		{Func: plan.AggAvg, Arg: col(1, dec2), Type: types.DecimalType(38, 4)},
		{Func: plan.AggAvg, Distinct: true, Arg: col(0, types.BigInt), Type: types.DecimalType(38, 3)},
	}
}

func randRow(r *rand.Rand) []types.Value {
	row := make([]types.Value, 2)
	if r.Intn(5) > 0 {
		row[0] = types.IntValue(int64(r.Intn(7) - 3))
	}
	if r.Intn(5) > 0 {
		row[1] = types.DecimalValue(int64(r.Intn(9)-4)*25, 2)
	}
	return row
}

// TestRetractAgainstRecompute folds random adds and retractions and checks
// that the result always equals a fresh aggregation of the current multiset.
func TestRetractAgainstRecompute(t *testing.T) {
	r := rand.New(rand.NewSource(7))
	f, err := Compile(allCalls(), true)
	if err != nil {
		t.Fatal(err)
	}
	var a Acc
	f.Init(&a)
	var live [][]types.Value
	for step := 0; step < 3000; step++ {
		if len(live) > 0 && r.Intn(3) == 0 {
			i := r.Intn(len(live))
			if err := f.Retract(&a, live[i]); err != nil {
				t.Fatal(err)
			}
			live = slices.Delete(live, i, i+1)
		} else {
			row := randRow(r)
			if err := f.Add(&a, row); err != nil {
				t.Fatal(err)
			}
			live = append(live, row)
		}
		var fresh Acc
		f.Init(&fresh)
		for _, row := range live {
			_ = f.Add(&fresh, row)
		}
		if got, want := render(results(f, &a)), render(results(f, &fresh)); got != want {
			t.Fatalf("step %d: incremental %s, recomputed %s", step, got, want)
		}
	}
}

func TestMerge(t *testing.T) {
	r := rand.New(rand.NewSource(3))
	for _, retract := range []bool{false, true} {
		f, _ := Compile(allCalls(), retract)
		for trial := 0; trial < 200; trial++ {
			var all, x, y Acc
			f.Init(&all)
			f.Init(&x)
			f.Init(&y)
			for i := 0; i < r.Intn(20); i++ {
				row := randRow(r)
				_ = f.Add(&all, row)
				if r.Intn(2) == 0 {
					_ = f.Add(&x, row)
				} else {
					_ = f.Add(&y, row)
				}
			}
			ySnap := render(results(f, &y))
			f.Merge(&x, &y)
			if got, want := render(results(f, &x)), render(results(f, &all)); got != want {
				t.Fatalf("merge %s, want %s", got, want)
			}
			if render(results(f, &y)) != ySnap {
				t.Fatal("merge modified its source")
			}
		}
	}
}

func must(q int64, ok bool) int64 {
	if !ok {
		panic("quotient out of int64")
	}
	return q
}

func TestDivRound(t *testing.T) {
	cases := []struct {
		sum      int64
		from, to uint8
		n, want  int64
	}{
		{1, 0, 2, 3, 33}, {2, 0, 2, 3, 67}, {-2, 0, 2, 3, -67}, {5, 1, 0, 1, 1}, {-5, 1, 0, 1, -1},
		{15, 1, 0, 1, 2}, {14, 1, 0, 1, 1}, {1, 0, 0, 2, 1}, {-1, 0, 0, 2, -1}, {1, 0, 0, 3, 0},
		{225, 2, 6, 3, 750000}, {9223372036854775807, 0, 0, 2, 4611686018427387904},
		{922337203685477580, 2, 3, 1, 9223372036854775800}, {7, 30, 0, 1, 0}, {1, 0, 20, 1, 0},
	}
	for _, c := range cases {
		want := c.want
		if c.to-c.from == 20 {
			want, _ = divRoundBig(big.NewInt(c.sum), c.from, c.to, c.n)
		}
		if got := DivRound(c.sum, c.from, c.to, c.n); got != want {
			t.Errorf("DivRound(%d, %d, %d, %d) = %d, want %d", c.sum, c.from, c.to, c.n, got, want)
		}
	}
	r := rand.New(rand.NewSource(5))
	for i := 0; i < 10000; i++ {
		sum := r.Int63n(1<<40) - 1<<39
		from, to := uint8(r.Intn(8)), uint8(r.Intn(8))
		n := 1 + r.Int63n(1000)
		if got, want := DivRound(sum, from, to, n), must(divRoundBig(big.NewInt(sum), from, to, n)); got != want {
			t.Fatalf("DivRound(%d, %d, %d, %d) = %d, big %d", sum, from, to, n, got, want)
		}
	}
}

func TestValueCodec(t *testing.T) {
	vals := []types.Value{
		types.NullValue(), types.BoolValue(true), types.BoolValue(false), types.IntValue(-42),
		types.DoubleValue(-0.125), types.DecimalValue(-12345, 3), types.StringValue("héllo"),
		types.StringValue(""), types.TimestampValue(-1), types.DateValue(19000), types.IntervalValue(5000),
	}
	enc := types.AppendValues(nil, vals)
	got, rest, err := types.DecodeValues(enc)
	if err != nil || len(rest) != 0 {
		t.Fatal(err)
	}
	for i := range vals {
		if got[i] != vals[i] {
			t.Errorf("value %d: %v != %v", i, got[i], vals[i])
		}
	}
	for i := 0; i < len(enc); i++ {
		if _, _, err := types.DecodeValues(enc[:i]); err == nil {
			t.Fatalf("truncated at %d decoded without error", i)
		}
	}
}

func TestAddDoesNotAllocate(t *testing.T) {
	f, _ := Compile([]plan.AggCall{
		{Func: plan.AggCount, Type: types.BigInt},
		{Func: plan.AggSum, Arg: col(0, types.BigInt), Type: types.BigInt},
		{Func: plan.AggMax, Arg: col(1, dec2), Type: dec2},
		{Func: plan.AggAvg, Arg: col(1, dec2), Type: types.DecimalType(38, 6)},
	}, false)
	var a Acc
	f.Init(&a)
	row := []types.Value{types.IntValue(3), types.DecimalValue(5, 2)}
	if n := testing.AllocsPerRun(1000, func() { _ = f.Add(&a, row) }); n != 0 {
		t.Fatalf("Add allocates %v times", n)
	}
}
