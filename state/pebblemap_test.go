package state

import (
	"fmt"
	"testing"
)

// TestPebbleMapKnownWritesAndKeys: writes with presence hints keep Len
// exact and land in the database like Put and Delete; RangeKeys lists the
// keys in order without the values.
func TestPebbleMapKnownWritesAndKeys(t *testing.T) {
	b, err := NewPebbleBackend(t.TempDir(), "op", 0, all, PebbleOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	m, err := NewKeyedMap[string](b, "s", strCodec{})
	if err != nil {
		t.Fatal(err)
	}
	kw := m.(KnownWriter[string])
	kw.PutKnown(1, []byte("a"), "x", false)
	kw.PutKnown(2, []byte("b"), "y", false)
	kw.PutKnown(1, []byte("a"), "z", true)
	m.Put(3, []byte("c"), "w")
	if m.Len() != 3 {
		t.Fatalf("Len %d after three keys", m.Len())
	}
	if v, ok := m.Get(1, []byte("a")); !ok || v != "z" {
		t.Fatalf("a = %q %v", v, ok)
	}
	kw.DeleteKnown(2, []byte("b"), true)
	kw.DeleteKnown(9, []byte("never"), false)
	if _, ok := m.Get(2, []byte("b")); ok || m.Len() != 2 {
		t.Fatalf("b still there or Len %d", m.Len())
	}
	var keys []string
	m.(KeyRanger).RangeKeys(func(kg int, key []byte) bool {
		keys = append(keys, fmt.Sprintf("%d/%s", kg, key))
		return true
	})
	if fmt.Sprint(keys) != "[1/a 3/c]" {
		t.Fatalf("RangeKeys gave %v", keys)
	}
}

func TestPebbleEntryCacheEntries(t *testing.T) {
	for _, c := range []struct{ opt, want int }{{0, DefaultCacheEntries}, {-1, 0}, {10, 10}} {
		b, err := NewPebbleBackend(t.TempDir(), "op", 0, all, PebbleOptions{CacheEntries: c.opt})
		if err != nil {
			t.Fatal(err)
		}
		if got := b.EntryCacheEntries(); got != c.want {
			t.Errorf("CacheEntries %d: %d entries, want %d", c.opt, got, c.want)
		}
		cb, err := NewChangelogBackend(b, ChangelogOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if got := cb.EntryCacheEntries(); got != c.want {
			t.Errorf("changelog over CacheEntries %d: %d entries, want %d", c.opt, got, c.want)
		}
		cb.Close()
	}
	if _, ok := Backend(NewHashMapBackend(all)).(EntryCache); ok {
		t.Error("the memory backend asks for an entry cache")
	}
}

// TestChangelogMapKnownWrites: in changelog mode over Pebble, writes with
// presence hints reach the inner map and are logged, and RangeKeys lists
// the inner map's keys.
func TestChangelogMapKnownWrites(t *testing.T) {
	pb, err := NewPebbleBackend(t.TempDir(), "op", 0, all, PebbleOptions{})
	if err != nil {
		t.Fatal(err)
	}
	b, err := NewChangelogBackend(pb, ChangelogOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	m, err := NewKeyedMap[string](b, "s", strCodec{})
	if err != nil {
		t.Fatal(err)
	}
	kw := m.(KnownWriter[string])
	kw.PutKnown(1, []byte("a"), "x", false)
	kw.PutKnown(2, []byte("b"), "y", false)
	kw.DeleteKnown(2, []byte("b"), true)
	kw.DeleteKnown(3, []byte("c"), false)
	if v, ok := m.Get(1, []byte("a")); !ok || v != "x" || m.Len() != 1 {
		t.Fatalf("a = %q %v, Len %d", v, ok, m.Len())
	}
	var keys []string
	m.(KeyRanger).RangeKeys(func(kg int, key []byte) bool {
		keys = append(keys, fmt.Sprintf("%d/%s", kg, key))
		return true
	})
	if fmt.Sprint(keys) != "[1/a]" {
		t.Fatalf("RangeKeys gave %v", keys)
	}
	lm := m.(*logMap[string])
	if n := len(lm.dirty.index); n != 2 {
		t.Fatalf("%d keys logged as changed, want 2 (a put, b put and deleted)", n)
	}
}
