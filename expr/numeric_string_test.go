package expr

import (
	"testing"

	"github.com/streamsql/streamsql/types"
)

// TestNumericString: a string compared with a number reads as MySQL reads
// it: its longest numeric prefix after blanks, 0 when there is none.
func TestNumericString(t *testing.T) {
	for _, c := range []struct {
		s    string
		want float64
	}{
		{"3", 3}, {" 3", 3}, {"3x", 3}, {"x", 0}, {"", 0}, {"-2.5e1z", -25},
		{"1e", 1}, {"1e+", 1}, {".5", 0.5}, {"+.5.5", 0.5}, {"-", 0}, {"4.", 4}, {"\t 7 ", 7},
	} {
		e := NumericString(&Literal{V: types.StringValue(c.s), T: types.String})
		v, err := e.Eval(nil)
		if err != nil {
			t.Fatalf("%q: %v", c.s, err)
		}
		if v.Double() != c.want {
			t.Errorf("%q: got %v, want %v", c.s, v.Double(), c.want)
		}
	}
	cmp, err := NewCompare(CmpEQ, &Literal{V: types.StringValue("3x"), T: types.String}, &Literal{V: types.IntValue(3), T: types.BigInt})
	if err != nil {
		t.Fatal(err)
	}
	if v, err := cmp.Eval(nil); err != nil || !v.Bool() {
		t.Errorf("'3x' = 3: got %v, %v; want TRUE", v, err)
	}
}
