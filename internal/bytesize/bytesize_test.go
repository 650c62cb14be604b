package bytesize

import (
	"errors"
	"testing"
)

func TestParse(t *testing.T) {
	for in, want := range map[string]int64{
		"0": 0, "1048576": 1 << 20, "7B": 7, "512m": 512 << 20, "64mb": 64 << 20, "512 KB": 512 << 10,
		"2g": 2 << 30, " 3 GiB ": 3 << 30, "1t": 1 << 40, "4 mebibytes": 4 << 20,
	} {
		if got, err := Parse(in); err != nil || got != want {
			t.Errorf("Parse(%q) = %d, %v; want %d", in, got, err, want)
		}
	}
	for in, want := range map[string]Error{
		"": {Input: ""}, "abc": {Input: "abc"}, "-1": {Input: "-1"}, "1.5g": {Input: "1.5g", Unit: ".5g"},
		"12 parsecs": {Input: "12 parsecs", Unit: "parsecs"}, "99999999999t": {Input: "99999999999t", TooLarge: true},
	} {
		_, err := Parse(in)
		var e *Error
		if !errors.As(err, &e) || *e != want {
			t.Errorf("Parse(%q): %v, want %+v", in, err, want)
		}
	}
}
