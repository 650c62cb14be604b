package agg

import (
	"testing"

	"github.com/streamsql/streamsql/plan"
	"github.com/streamsql/streamsql/types"
)

// BenchmarkAddSum folds BIGINT rows into SUM, AVG and COUNT(*): the hot
// path of every aggregate query.
func BenchmarkAddSum(b *testing.B) {
	f, err := Compile([]plan.AggCall{
		{Func: plan.AggSum, Arg: col(0, types.BigInt), Type: types.BigInt},
		{Func: plan.AggAvg, Arg: col(0, types.BigInt), Type: types.DecimalType(18, 4)},
		{Func: plan.AggCount},
	}, false)
	if err != nil {
		b.Fatal(err)
	}
	var a Acc
	f.Init(&a)
	row := []types.Value{types.IntValue(12345)}
	for b.Loop() {
		if err := f.Add(&a, row); err != nil {
			b.Fatal(err)
		}
	}
}
