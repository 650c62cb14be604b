package heapfloor

import (
	"runtime"
	"runtime/debug"
	"testing"
	"time"
)

func TestPercentFor(t *testing.T) {
	for _, c := range []struct {
		live, floor uint64
		want        int
	}{
		{0, 64 << 20, 100},        // not known yet
		{40 << 20, 64 << 20, 100}, // over half the floor: the default goal is above it
		{32 << 20, 64 << 20, 100},
		{16 << 20, 64 << 20, 300}, // 16 MiB × 4 = 64 MiB
		{8 << 20, 64 << 20, 700},
		{4 << 20, 64 << 20, 1500},
		{1 << 20, 64 << 20, 1600},      // 4 MiB × 16 = 64 MiB: the runtime's minimum goal at that GOGC
		{1 << 20, 1 << 30, maxPercent}, // bounded
		{1 << 20, 6 << 20, 150},        // a floor under 8 MiB: GOGC 150 keeps the minimum goal at 6 MiB
	} {
		if got := percentFor(c.live, c.floor); got != c.want {
			t.Errorf("percentFor(%d MiB, %d MiB) = %d, want %d", c.live>>20, c.floor>>20, got, c.want)
		}
	}
}

// TestStartTunesAfterEveryCycle: once started, the tuner runs after every
// garbage collection and sets GOGC from the live heap (this test's is a
// few MiB, far under a 1 GiB floor).
func TestStartTunesAfterEveryCycle(t *testing.T) {
	t.Setenv("GOGC", "")
	old := debug.SetGCPercent(100)
	defer debug.SetGCPercent(old)
	Start(1 << 30)
	if started == nil {
		t.Fatal("Start did not start")
	}
	// A sentinel armed while a cycle marks lives through that cycle: keep
	// collecting until the tuner has run three times.
	deadline := time.Now().Add(5 * time.Second)
	for started.cycles.Load() < 3 {
		if time.Now().After(deadline) {
			t.Fatalf("the tuner ran %d times in 5 s of collections", started.cycles.Load())
		}
		runtime.GC()
		time.Sleep(time.Millisecond)
	}
	got := debug.SetGCPercent(100)
	if got != maxPercent {
		t.Fatalf("GOGC %d after the collections, want %d (a live heap of a few MiB under a 1 GiB floor)", got, maxPercent)
	}
}
