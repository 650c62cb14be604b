package agg

import (
	"math/rand"
	"slices"
	"testing"
)

// TestIntSetAgainstMap: random inserts (0, negatives, clustered and
// spread values) answer insert, has and len as a map does, each lists every
// value once, and a clone does not share the table.
func TestIntSetAgainstMap(t *testing.T) {
	r := rand.New(rand.NewSource(3))
	for trial := 0; trial < 50; trial++ {
		var s intSet
		want := map[int64]bool{}
		n := r.Intn(5000)
		for i := 0; i < n; i++ {
			var v int64
			switch r.Intn(4) {
			case 0:
				v = int64(r.Intn(64)) - 32 // 0 and negatives, many repeats
			case 1:
				v = int64(i) * 1024 // the same low bits
			default:
				v = r.Int63() - r.Int63()
			}
			if got := s.insert(v); got != !want[v] {
				t.Fatalf("trial %d: insert(%d) = %v, want %v", trial, v, got, !want[v])
			}
			want[v] = true
			if probe := r.Int63n(100) - 50; s.has(probe) != want[probe] {
				t.Fatalf("trial %d: has(%d) = %v", trial, probe, s.has(probe))
			}
		}
		if s.len() != len(want) {
			t.Fatalf("trial %d: len %d, want %d", trial, s.len(), len(want))
		}
		var got []int64
		s.each(func(v int64) { got = append(got, v) })
		slices.Sort(got)
		if len(slices.Compact(slices.Clone(got))) != len(got) || len(got) != len(want) {
			t.Fatalf("trial %d: each listed %d values (%d distinct), want %d", trial, len(got), len(slices.Compact(slices.Clone(got))), len(want))
		}
		for _, v := range got {
			if !want[v] || !s.has(v) {
				t.Fatalf("trial %d: each listed %d, not in the set", trial, v)
			}
		}
		c := s.clone()
		c.insert(1 << 62)
		c.insert(0)
		if s.has(1<<62) != want[1<<62] || s.len() != len(want) {
			t.Fatalf("trial %d: inserting into a clone changed the set", trial)
		}
	}
}

// A set sized with reserve takes that many values without growing.
func TestIntSetReserve(t *testing.T) {
	var s intSet
	s.reserve(1000)
	size := len(s.slots)
	for i := int64(1); i <= 1000; i++ {
		s.insert(i * 7919)
	}
	if len(s.slots) != size || s.len() != 1000 {
		t.Fatalf("reserved %d slots, now %d with %d values", size, len(s.slots), s.len())
	}
}
