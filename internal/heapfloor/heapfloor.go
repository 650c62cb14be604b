package heapfloor

import (
	"os"
	"runtime"
	"runtime/debug"
	"runtime/metrics"
	"sync/atomic"
)

// maxPercent bounds the GOGC a floor sets (a live heap of 3 MiB under a
// 1 GiB floor asks for about 34,000).
const maxPercent = 2000

// heapMinimum is the runtime's smallest heap goal at GOGC=100 (4 MiB); it
// scales with GOGC, so a GOGC of p never lets the goal fall below
// heapMinimum × p/100, whatever the live heap: a floor of f bytes allows
// at most f×100/heapMinimum (1,600 for 64 MiB), or the goal of a small
// live heap would be above the floor.
const heapMinimum = 4 << 20

// Default is the floor the streamsql command keeps: the heap goal of a job
// whose live heap is under 24 MiB. It is what keeps a job of little state
// within 100 MiB of resident memory (the heap, the runtime's own and the
// binary's pages): 64 MiB left Nexmark q5 at about 104 MiB.
const Default = 48 << 20

// percentFor is the GOGC that puts the heap goal, live × (1 + GOGC/100),
// at floor: 100 when that is already at least floor (or live is not
// known), at most maxPercent and at most what keeps the runtime's minimum
// goal (heapMinimum) within floor.
func percentFor(live, floor uint64) int {
	if live == 0 || live*2 >= floor {
		return 100
	}
	return max(min(int(floor*100/live)-100, maxPercent, int(floor*100/heapMinimum)), 100)
}

// tuner sets GOGC after every garbage collection cycle from the live heap
// that cycle found. It runs on the runtime's finalizer goroutine only.
type tuner struct {
	floor   uint64
	percent int
	sample  []metrics.Sample
	cycles  atomic.Int64 // cycles seen (tests)
}

// sentinel is an object whose finalizer runs once a cycle has found it
// unreachable, that is after every garbage collection: it tunes and arms a
// new sentinel. (Big enough, and holding a pointer, so that the tiny
// allocator never batches it with other objects.)
type sentinel struct{ t *tuner }

func (t *tuner) arm() { runtime.SetFinalizer(&sentinel{t: t}, (*sentinel).fire) }

func (s *sentinel) fire() {
	s.t.tune()
	s.t.arm()
}

func (t *tuner) tune() {
	t.cycles.Add(1)
	metrics.Read(t.sample)
	var live uint64
	if t.sample[0].Value.Kind() == metrics.KindUint64 {
		live = t.sample[0].Value.Uint64()
	}
	if p := percentFor(live, t.floor); p != t.percent {
		debug.SetGCPercent(p)
		t.percent = p
	}
}

// started is the tuner of Start, for tests.
var started *tuner

// Start keeps the heap goal at or above floor bytes for the rest of the
// process (see the package comment). It does nothing when GOGC is set in
// the environment or floor is 0. Call it once.
func Start(floor uint64) {
	if floor == 0 || os.Getenv("GOGC") != "" {
		return
	}
	t := &tuner{floor: floor, percent: 100, sample: []metrics.Sample{{Name: "/gc/heap/live:bytes"}}}
	started = t
	t.arm()
}
