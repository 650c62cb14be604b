package agg

import (
	"bytes"
	"encoding/binary"
	"testing"

	"github.com/streamsql/streamsql/expr"
	"github.com/streamsql/streamsql/plan"
	"github.com/streamsql/streamsql/types"
)

// Columns of the rows below: 0 BIGINT, 1 DECIMAL(10,2), 2 DOUBLE, 3 STRING, 4 BOOLEAN.
var moreRows = [][]types.Value{
	{types.IntValue(1), types.DecimalValue(150, 2), types.DoubleValue(1.5), types.StringValue("x"), types.BoolValue(true)},
	{types.IntValue(2), types.DecimalValue(-25, 2), types.DoubleValue(2.5), types.StringValue("y"), types.BoolValue(false)},
	{types.NullValue(), types.NullValue(), types.NullValue(), types.NullValue(), types.NullValue()},
	{types.IntValue(4), types.DecimalValue(100, 2), types.DoubleValue(0.5), types.StringValue("x"), types.BoolValue(true)},
}

// gtCol is column i > k (a FILTER condition).
func gtCol(i int, k int64) expr.Expr {
	e, err := expr.NewCompare(expr.CmpGT, col(i, types.BigInt), &expr.Literal{V: types.IntValue(k), T: types.BigInt})
	if err != nil {
		panic(err)
	}
	return e
}

func moreCalls() []plan.AggCall {
	return []plan.AggCall{
		{Func: plan.AggListAgg, Arg: col(3, types.String), Sep: ",", Type: types.String},
		{Func: plan.AggGroupConcat, Arg: col(3, types.String), Sep: "|", OrderBy: []expr.Expr{col(0, types.BigInt)}, Desc: []bool{true}, Type: types.String},
		{Func: plan.AggGroupConcat, Distinct: true, Arg: col(3, types.String), Sep: ",", Type: types.String},
		{Func: plan.AggFirstValue, Arg: col(0, types.BigInt), Type: types.BigInt},
		{Func: plan.AggLastValue, Arg: col(3, types.String), Type: types.String},
		{Func: plan.AggVarPop, Arg: col(0, types.BigInt), Type: types.Double},
		{Func: plan.AggVarSamp, Arg: col(1, dec2), Type: types.Double},
		{Func: plan.AggStddevPop, Arg: col(2, types.Double), Type: types.Double},
		{Func: plan.AggStddevSamp, Arg: col(0, types.BigInt), Type: types.Double},
		{Func: plan.AggBoolAnd, Arg: col(4, types.Bool), Type: types.Bool},
		{Func: plan.AggBoolOr, Arg: col(4, types.Bool), Type: types.Bool},
		{Func: plan.AggCount, Distinct: true, Arg: col(3, types.String), More: []expr.Expr{col(4, types.Bool)}, Type: types.BigInt},
		{Func: plan.AggCount, Filter: gtCol(0, 1), Type: types.BigInt},
		{Func: plan.AggSum, Arg: col(0, types.BigInt), Filter: gtCol(0, 1), Type: types.BigInt},
	}
}

// Expected results, by hand, over all of moreRows (doubles are rendered
// truncated to three decimals):
//   - LISTAGG(s): x,y,x (NULL skipped); GROUP_CONCAT ORDER BY col 0 DESC: x(4)|y(2)|x(1);
//     DISTINCT: x,y;
//   - FIRST_VALUE(col 0) = 1; LAST_VALUE(s) = x;
//   - VAR_POP({1, 2, 4}) = (21 - 49/3)/3 = 14/9 = 1.5555…;
//   - VAR_SAMP({1.50, -0.25, 1.00}): mean 0.75, deviations .75 -1 .25, squares
//     .5625 + 1 + .0625 = 1.625, / 2 = 0.8125 → 0.812 (three digits, truncated by render);
//   - STDDEV_POP({1.5, 2.5, 0.5}) = sqrt(2/3) = 0.816;
//   - STDDEV_SAMP({1, 2, 4}) = sqrt(14/6) = 1.5275…;
//   - BOOL_AND(TRUE, FALSE, TRUE) = FALSE, BOOL_OR = TRUE;
//   - COUNT(DISTINCT s, b): (x,TRUE) (y,FALSE) (x,TRUE) → 2;
//   - COUNT(*) FILTER (WHERE col0 > 1) = 2; SUM(col0) FILTER (col0 > 1) = 6.
const moreAll = "x,y,x x|y|x x,y 1 x 1.555 0.812 0.816 1.527 false true 2 2 6"

// After retracting the first row: s = y, x; col 0 = 2, 4; decimals -0.25,
// 1.00; doubles 2.5, 0.5; booleans FALSE, TRUE.
//   - LISTAGG y,x; ordered x(4)|y(2); DISTINCT y,x; FIRST_VALUE 2; LAST_VALUE x;
//   - VAR_POP({2, 4}) = 1; VAR_SAMP({-0.25, 1}) = 1.25²/2 = 0.78125 → 0.781;
//   - STDDEV_POP({2.5, 0.5}) = 1; STDDEV_SAMP({2, 4}) = sqrt(2) = 1.414;
//   - BOOL_AND FALSE, BOOL_OR TRUE; COUNT(DISTINCT s, b) 2; 2; 6.
const moreRetracted = "y,x x|y y,x 2 x 1.000 0.781 1.000 1.414 false true 2 2 6"

func renderMore(vals []types.Value) string {
	var b []byte
	for i, v := range vals {
		if i > 0 {
			b = append(b, ' ')
		}
		switch v.Kind() {
		case types.KindDouble:
			f := v.Double()
			b = append(b, types.Render(types.DecimalValue(int64(f*1000), 3), types.DecimalType(10, 3))...)
		case types.KindBool:
			if v.Bool() {
				b = append(b, "true"...)
			} else {
				b = append(b, "false"...)
			}
		default:
			b = types.AppendRender(b, v, types.Type{Kind: v.Kind(), Scale: v.Scale()})
		}
	}
	return string(b)
}

func TestMoreFunctions(t *testing.T) {
	for _, retract := range []bool{false, true} {
		f, err := Compile(moreCalls(), retract)
		if err != nil {
			t.Fatal(err)
		}
		var a Acc
		f.Init(&a)
		if got, want := renderMore(results(f, &a)), "NULL NULL NULL NULL NULL NULL NULL NULL NULL NULL NULL 0 0 NULL"; got != want {
			t.Errorf("over nothing: %s, want %s", got, want)
		}
		for _, r := range moreRows {
			if err := f.Add(&a, r); err != nil {
				t.Fatal(err)
			}
		}
		if got := renderMore(results(f, &a)); got != moreAll {
			t.Errorf("retract=%v: %s\nwant %s", retract, got, moreAll)
		}
		roundTrip(t, f, &a, moreAll)
		if !retract {
			continue
		}
		if err := f.Retract(&a, moreRows[0]); err != nil {
			t.Fatal(err)
		}
		if got := renderMore(results(f, &a)); got != moreRetracted {
			t.Errorf("after retracting row 0: %s\nwant %s", got, moreRetracted)
		}
		roundTrip(t, f, &a, moreRetracted)
		for _, r := range moreRows[1:] {
			if err := f.Retract(&a, r); err != nil {
				t.Fatal(err)
			}
		}
		if got, want := renderMore(results(f, &a)), "NULL NULL NULL NULL NULL NULL NULL NULL NULL NULL NULL 0 0 NULL"; got != want || a.Rows != 0 {
			t.Errorf("after retracting all: %s rows %d, want %s", got, a.Rows, want)
		}
	}
}

// roundTrip checks that the encoding keeps the results and re-encodes to
// the same bytes, that every truncation of it is an error, and that a
// clone is independent of the original.
func roundTrip(t *testing.T, f *Funcs, a *Acc, want string) {
	t.Helper()
	enc := AppendAcc(nil, a)
	var d Acc
	rest, err := DecodeAcc(enc, &d)
	if err != nil || len(rest) != 0 {
		t.Fatalf("decode: %v rest %d", err, len(rest))
	}
	if got := renderMore(results(f, &d)); got != want {
		t.Errorf("decoded: %s, want %s", got, want)
	}
	if !bytes.Equal(AppendAcc(nil, &d), enc) {
		t.Error("re-encoding changed the bytes")
	}
	c := a.Clone()
	if err := f.Add(&c, moreRows[0]); err != nil {
		t.Fatal(err)
	}
	if got := renderMore(results(f, a)); got != want {
		t.Errorf("adding to a clone changed the original: %s", got)
	}
	for cut := 0; cut < len(enc); cut++ {
		var x Acc
		if _, err := DecodeAcc(enc[:cut], &x); err == nil {
			t.Fatalf("a state cut to %d of %d bytes decoded without error", cut, len(enc))
		}
	}
}

// A retraction removes the earliest equal value: LISTAGG of x, y, x minus
// x is y,x; FIRST_VALUE and LAST_VALUE are the ends of the remaining list.
func TestListRetractionOrder(t *testing.T) {
	calls := []plan.AggCall{
		{Func: plan.AggListAgg, Arg: col(0, types.String), Sep: "-", Type: types.String},
		{Func: plan.AggFirstValue, Arg: col(0, types.String), Type: types.String},
		{Func: plan.AggLastValue, Arg: col(0, types.String), Type: types.String},
	}
	f, _ := Compile(calls, true)
	var a Acc
	f.Init(&a)
	row := func(s string) []types.Value { return []types.Value{types.StringValue(s)} }
	for _, s := range []string{"x", "y", "x", "z"} {
		_ = f.Add(&a, row(s))
	}
	steps := []struct {
		retract string
		want    string
	}{
		{"x", "y-x-z y z"},
		{"z", "y-x y x"},
		{"q", "y-x y x"}, // absent: nothing changes
		{"y", "x x x"},
		{"x", "NULL NULL NULL"},
	}
	for _, st := range steps {
		if err := f.Retract(&a, row(st.retract)); err != nil {
			t.Fatal(err)
		}
		if got := renderMore(results(f, &a)); got != st.want {
			t.Errorf("after retracting %s: %s, want %s", st.retract, got, st.want)
		}
	}
}

// Merge appends the later accumulator's values after the earlier's, in
// both modes (panes of a HOP window, steps of a CUMULATE window).
func TestMoreMergeOrder(t *testing.T) {
	calls := []plan.AggCall{
		{Func: plan.AggListAgg, Arg: col(3, types.String), Sep: ",", Type: types.String},
		{Func: plan.AggFirstValue, Arg: col(0, types.BigInt), Type: types.BigInt},
		{Func: plan.AggLastValue, Arg: col(0, types.BigInt), Type: types.BigInt},
		{Func: plan.AggVarPop, Arg: col(0, types.BigInt), Type: types.Double},
		{Func: plan.AggVarPop, Arg: col(2, types.Double), Type: types.Double},
		{Func: plan.AggBoolAnd, Arg: col(4, types.Bool), Type: types.Bool},
	}
	for _, retract := range []bool{false, true} {
		f, _ := Compile(calls, retract)
		var early, late, whole Acc
		f.Init(&early)
		f.Init(&late)
		f.Init(&whole)
		for i, r := range moreRows {
			_ = f.Add(&whole, r)
			if i < 2 {
				_ = f.Add(&early, r)
			} else {
				_ = f.Add(&late, r)
			}
		}
		f.Merge(&early, &late)
		// LISTAGG x,y,x; FIRST 1; LAST 4; VAR_POP({1,2,4}) 14/9;
		// VAR_POP({1.5,2.5,0.5}) 2/3; BOOL_AND FALSE.
		want := "x,y,x 1 4 1.555 0.666 false"
		if got := renderMore(results(f, &early)); got != want {
			t.Errorf("retract=%v merged: %s, want %s", retract, got, want)
		}
		if got := renderMore(results(f, &whole)); got != want {
			t.Errorf("retract=%v whole: %s, want %s", retract, got, want)
		}
	}
}

func TestFirstValueInsertOnlyRejectsRetraction(t *testing.T) {
	f, _ := Compile([]plan.AggCall{{Func: plan.AggFirstValue, Arg: col(0, types.BigInt), Type: types.BigInt}}, false)
	var a Acc
	f.Init(&a)
	row := []types.Value{types.IntValue(1)}
	_ = f.Add(&a, row)
	if err := f.Retract(&a, row); err == nil {
		t.Fatal("retracting from an insert-only FIRST_VALUE succeeded")
	}
}

// A state written before the list and square fields existed (the layout
// of the earlier encoding, built here field by field: rows, slot count,
// then per slot flags, N, Sum, the extreme value) still decodes.
func TestDecodeEarlierLayout(t *testing.T) {
	var buf []byte
	buf = binary.AppendVarint(buf, 3)  // Rows
	buf = binary.AppendUvarint(buf, 2) // slots
	// SUM: flags 0, N 3, Sum 60, Ext NULL
	buf = append(buf, 0)
	buf = binary.AppendVarint(buf, 3)
	buf = binary.AppendVarint(buf, 60)
	buf = types.AppendValue(buf, types.NullValue())
	// MAX with a multiset: flags flagSet, N 3, Sum 0, Ext 30, set {10:1, 30:2}
	buf = append(buf, flagSet)
	buf = binary.AppendVarint(buf, 3)
	buf = binary.AppendVarint(buf, 0)
	buf = types.AppendValue(buf, types.IntValue(30))
	buf = binary.AppendUvarint(buf, 2)
	buf = types.AppendValue(buf, types.IntValue(10))
	buf = binary.AppendVarint(buf, 1)
	buf = types.AppendValue(buf, types.IntValue(30))
	buf = binary.AppendVarint(buf, 2)

	var a Acc
	rest, err := DecodeAcc(buf, &a)
	if err != nil || len(rest) != 0 {
		t.Fatalf("decode: %v rest %d", err, len(rest))
	}
	if a.Rows != 3 || a.Slots[0].Sum != 60 || a.Slots[0].list() != nil || a.Slots[0].sq() != nil || a.Slots[0].fsq() != 0 ||
		a.Slots[1].Multiset().Len() != 2 || a.Slots[1].Ext.Int() != 30 {
		t.Fatalf("decoded %+v", a)
	}
	if !bytes.Equal(AppendAcc(nil, &a), buf) {
		t.Error("an earlier state re-encodes differently")
	}
}
