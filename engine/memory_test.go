package engine

import (
	"math"
	"runtime/debug"
	"testing"
)

func TestParseMemorySize(t *testing.T) {
	for in, want := range map[string]int64{
		"1048576": 1 << 20, "512m": 512 << 20, "512 MB": 512 << 20, "2g": 2 << 30, "2 gibibytes": 2 << 30,
		"64k": 64 << 10, "1t": 1 << 40, "100b": 100, " 3G ": 3 << 30,
	} {
		if got, err := ParseMemorySize(in); err != nil || got != want {
			t.Errorf("%q: %d, %v; want %d", in, got, err, want)
		}
	}
	for _, in := range []string{"", "m", "1.5g", "12 parsecs", "-1g", "99999999999t"} {
		if _, err := ParseMemorySize(in); err == nil {
			t.Errorf("%q: no error", in)
		}
	}
	if err := checkMemorySize("1m"); err == nil {
		t.Errorf("1m is accepted below the 64m minimum")
	}
}

func TestApplyProcessMemory(t *testing.T) {
	defer debug.SetMemoryLimit(math.MaxInt64)
	if n, err := ApplyProcessMemory("768m"); err != nil || n != 768<<20 {
		t.Fatalf("%d %v", n, err)
	}
	if got := debug.SetMemoryLimit(-1); got != 768<<20 {
		t.Fatalf("the runtime's memory limit is %d, want %d", got, 768<<20)
	}
	if _, err := ApplyProcessMemory("lots"); err == nil {
		t.Fatal("a bad size is applied")
	}
}
