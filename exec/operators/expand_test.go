package operators

import (
	"strings"
	"testing"

	"github.com/streamsql/streamsql/exec"
	"github.com/streamsql/streamsql/expr"
	"github.com/streamsql/streamsql/types"
)

// TestExpandEmitsOneRowPerSet: each input row comes out once per grouping
// set, in the order of the sets and with the input's op: the Pass columns,
// the keys (NULL outside the set; a NULL of the data stays NULL in every
// set) and the set's index.
func TestExpandEmitsOneRowPerSet(t *testing.T) {
	a := &expr.Col{Index: 0, Name: "a", T: types.String}
	b := &expr.Col{Index: 1, Name: "b", T: types.BigInt}
	spec := ExpandSpec{Pass: []int{1, 0}, Keys: []expr.Expr{a, b}, Sets: [][]bool{{true, true}, {true, false}, {false, false}}}
	h := newHarness(t, func() exec.Operator { return NewExpand(spec) }, 2)
	out := h.process(0, []emitted{
		{op: types.Insert, vals: []types.Value{types.StringValue("x"), types.IntValue(1)}},
		{op: types.Delete, vals: []types.Value{types.NullValue(), types.IntValue(2)}},
	})
	var got []string
	for _, r := range out {
		got = append(got, formatRow(r))
	}
	want := []string{
		"+I 1 'x' 'x' 1 0",
		"+I 1 'x' 'x' NULL 1",
		"+I 1 'x' NULL NULL 2",
		"-D 2 NULL NULL 2 0",
		"-D 2 NULL NULL NULL 1",
		"-D 2 NULL NULL NULL 2",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("got\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}
