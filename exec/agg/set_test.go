package agg

import (
	"fmt"
	"math/rand"
	"testing"

	"github.com/streamsql/streamsql/types"
)

// setText renders a multiset's values and counts in Each's order.
func setText(s *ValueSet) string {
	out := ""
	s.Each(func(v types.Value, n int64) { out += fmt.Sprintf("%v:%d ", v, n) })
	return out
}

// TestValueSetChanges: after MarkWritten, the changes AppendChanges lists
// (values added, recounted and removed, integers and others), applied to
// a copy of the set as it was at the mark, give the set as it is; counts
// read the same whether tracked or not; a clone is not held and a new
// MarkWritten starts over.
func TestValueSetChanges(t *testing.T) {
	r := rand.New(rand.NewSource(5))
	for trial := 0; trial < 200; trial++ {
		s := NewValueSet()
		plain := NewValueSet() // the same operations, never marked
		var kbuf []byte
		val := func() types.Value {
			if trial%2 == 0 {
				return types.IntValue(int64(r.Intn(20)))
			}
			return types.StringValue(fmt.Sprint("v", r.Intn(20)))
		}
		op := func() {
			v := val()
			if r.Intn(3) == 0 {
				f1, g1 := s.remove(&kbuf, v)
				f2, g2 := plain.remove(&kbuf, v)
				if f1 != f2 || g1 != g2 {
					t.Fatalf("trial %d: remove %v: %v %v, unmarked %v %v", trial, v, f1, g1, f2, g2)
				}
				return
			}
			if a, b := s.add(&kbuf, v, 1), plain.add(&kbuf, v, 1); a != b {
				t.Fatalf("trial %d: add %v: fresh %v, unmarked %v", trial, v, a, b)
			}
		}
		for i := r.Intn(30); i > 0; i-- {
			op()
		}
		if s.Held() || s.Changes() != 0 {
			t.Fatalf("trial %d: an unmarked set tracks changes", trial)
		}
		for round := 0; round < 3; round++ {
			s.MarkWritten()
			at := s.Clone()
			for i := r.Intn(30); i > 0; i-- {
				op()
			}
			if got, want := setText(s), setText(plain); got != want || s.Len() != plain.Len() {
				t.Fatalf("trial %d: tracked set %s, want %s", trial, got, want)
			}
			changes, fresh := s.AppendChanges(nil)
			if fresh > s.Changes() {
				t.Fatalf("trial %d: %d fresh of %d changes", trial, fresh, s.Changes())
			}
			rest, err := at.decodeChanges(changes, &kbuf)
			if err != nil || len(rest) != 0 {
				t.Fatalf("trial %d: decode: %v, %d bytes left", trial, err, len(rest))
			}
			if got, want := setText(at), setText(s); got != want {
				t.Fatalf("trial %d round %d: patched %s, want %s", trial, round, got, want)
			}
			c := s.Clone()
			if c.Held() || c.Changes() != 0 || setText(c) != setText(s) {
				t.Fatalf("trial %d: clone held %v with %d changes: %s", trial, c.Held(), c.Changes(), setText(c))
			}
		}
		s.MarkWritten()
		if s.Changes() != 0 {
			t.Fatalf("trial %d: %d changes after MarkWritten", trial, s.Changes())
		}
		if b, _ := s.AppendChanges(nil); len(b) != 1 || b[0] != 0 {
			t.Fatalf("trial %d: changes of an unchanged set: %x", trial, b)
		}
	}
}

// TestPresenceSetChanges: a presence set answers add and has as a multiset
// does (first occurrence fresh), holds each value once, and after
// MarkWritten its changes are the values added since, which applied to a
// copy of it as it was at the mark give it as it is; it removes nothing.
func TestPresenceSetChanges(t *testing.T) {
	r := rand.New(rand.NewSource(9))
	for trial := 0; trial < 200; trial++ {
		s := NewPresenceSet()
		plain := NewValueSet()
		var kbuf []byte
		val := func() types.Value {
			if trial%2 == 0 {
				return types.IntValue(int64(r.Intn(40)) - 5)
			}
			return types.StringValue(fmt.Sprint("v", r.Intn(40)))
		}
		op := func() {
			v := val()
			if a, b := s.add(&kbuf, v, 1), plain.add(&kbuf, v, 1); a != b {
				t.Fatalf("trial %d: add %v: fresh %v, multiset %v", trial, v, a, b)
			}
			if !s.has(v) {
				t.Fatalf("trial %d: %v added but not held", trial, v)
			}
		}
		for i := r.Intn(30); i > 0; i-- {
			op()
		}
		for round := 0; round < 3; round++ {
			s.MarkWritten()
			at := s.Clone()
			if !at.Presence() || at.Held() {
				t.Fatalf("trial %d: clone presence %v held %v", trial, at.Presence(), at.Held())
			}
			added := 0
			for i := r.Intn(30); i > 0; i-- {
				before := s.Len()
				op()
				added += s.Len() - before
			}
			if s.Changes() != added {
				t.Fatalf("trial %d: %d changes for %d values added", trial, s.Changes(), added)
			}
			once := ""
			plain.Each(func(v types.Value, _ int64) { once += fmt.Sprintf("%v:1 ", v) })
			if got := setText(s); got != once || s.Len() != plain.Len() {
				t.Fatalf("trial %d: presence set %s, want %s", trial, got, once)
			}
			changes, fresh := s.AppendChanges(nil)
			if fresh != added {
				t.Fatalf("trial %d: %d fresh, %d added", trial, fresh, added)
			}
			if rest, err := at.decodeChanges(changes, &kbuf); err != nil || len(rest) != 0 {
				t.Fatalf("trial %d: decode: %v, %d bytes left", trial, err, len(rest))
			}
			if got, want := setText(at), setText(s); got != want {
				t.Fatalf("trial %d round %d: patched %s, want %s", trial, round, got, want)
			}
		}
		if v := val(); s.has(v) {
			if found, gone := s.remove(&kbuf, v); found || gone || !s.has(v) {
				t.Fatalf("trial %d: a presence set removed %v", trial, v)
			}
		}
	}
}
