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
	conf := NewConfig()
	if err := conf.Set(ProcessMemoryKey, "768m"); err != nil {
		t.Fatal(err)
	}
	// the process size less a quarter of the managed memory (0.4 of it),
	// which Pebble keeps outside the Go heap
	managed := 0.4 * float64(768<<20)
	want := int64(768<<20) - int64(managed)/4
	if n, err := ApplyProcessMemory(conf); err != nil || n != want {
		t.Fatalf("%d %v, want %d", n, err, want)
	}
	if got := debug.SetMemoryLimit(-1); got != want {
		t.Fatalf("the runtime's memory limit is %d, want %d", got, want)
	}
	if err := conf.Set(ManagedMemoryKey, "256m"); err != nil {
		t.Fatal(err)
	}
	if n, err := ApplyProcessMemory(conf); err != nil || n != 768<<20-64<<20 {
		t.Fatalf("managed 256m: %d %v", n, err)
	}
	bad := NewConfig()
	bad.vals[ProcessMemoryKey] = "lots" // Set refuses it; a caller could still hand it over
	if _, err := ApplyProcessMemory(bad); err == nil {
		t.Fatal("a bad size is applied")
	}
}
