package state

import (
	"fmt"
	"testing"
)

func TestKeyGroupRangesPartitionAndMatchInstanceFor(t *testing.T) {
	for _, maxPar := range []int{1, 7, 128} {
		for par := 1; par <= maxPar && par <= 9; par++ {
			next := 0
			for inst := 0; inst < par; inst++ {
				r := RangeFor(maxPar, par, inst)
				if r.Start != next {
					t.Fatalf("max %d par %d inst %d: range %v does not start at %d", maxPar, par, inst, r, next)
				}
				for kg := r.Start; kg < r.End; kg++ {
					if got := InstanceFor(kg, maxPar, par); got != inst {
						t.Fatalf("max %d par %d: key group %d is in the range of %d but InstanceFor says %d", maxPar, par, kg, inst, got)
					}
				}
				next = r.End
			}
			if next != maxPar {
				t.Fatalf("max %d par %d: ranges end at %d", maxPar, par, next)
			}
		}
	}
}

func TestKeyGroupOfSpreads(t *testing.T) {
	counts := make([]int, 128)
	for i := uint64(0); i < 128000; i++ {
		counts[KeyGroupOf(i, 128)]++
	}
	for kg, n := range counts {
		if n < 700 || n > 1300 {
			t.Errorf("key group %d got %d of 128000 sequential hashes", kg, n)
		}
	}
}

type intCodec struct{}

func (intCodec) Append(b []byte, v int) []byte { return fmt.Appendf(b, "%d", v) }
func (intCodec) Decode(b []byte) (int, error) {
	var v int
	_, err := fmt.Sscanf(string(b), "%d", &v)
	return v, err
}

func TestHashMapKeyedMap(t *testing.T) {
	b := NewHashMapBackend(KeyGroupRange{Start: 10, End: 20})
	m, err := NewKeyedMap[int](b, "counts", intCodec{})
	if err != nil {
		t.Fatal(err)
	}
	again, err := NewKeyedMap[int](b, "counts", intCodec{})
	if err != nil || again != m {
		t.Fatalf("the same name must return the same map: %v", err)
	}
	if _, err := NewKeyedMap[string](b, "counts", nil); err == nil {
		t.Fatal("want an error for the same name with another type")
	}
	key := []byte("a")
	m.Put(10, key, 1)
	key[0] = 'b' // the map copied the key
	m.Put(19, []byte("a"), 2)
	m.Put(10, []byte("a"), 3)
	if m.Len() != 2 {
		t.Fatalf("len %d", m.Len())
	}
	if v, ok := m.Get(10, []byte("a")); !ok || v != 3 {
		t.Fatalf("get: %v %v", v, ok)
	}
	if _, ok := m.Get(10, []byte("b")); ok {
		t.Fatal("key b was never put")
	}
	seen := map[string]int{}
	m.Range(func(kg int, k string, v int) bool {
		seen[fmt.Sprintf("%d/%s", kg, k)] = v
		m.Delete(kg, []byte(k))
		return true
	})
	if len(seen) != 2 || seen["10/a"] != 3 || seen["19/a"] != 2 || m.Len() != 0 {
		t.Fatalf("range saw %v, len after delete %d", seen, m.Len())
	}
}

// A map's key groups exist only once written: reading or deleting in an
// untouched group finds nothing and creates nothing, entries of sparse
// groups range and snapshot, and a key group outside the range still
// panics.
func TestHashMapKeyedMapSparseGroups(t *testing.T) {
	b := NewHashMapBackend(KeyGroupRange{Start: 0, End: 128})
	m, err := NewKeyedMap[int](b, "counts", intCodec{})
	if err != nil {
		t.Fatal(err)
	}
	hm := m.(*heapMap[int])
	if _, ok := m.Get(5, []byte("x")); ok {
		t.Fatal("an empty map found a key")
	}
	m.Delete(6, []byte("x"))
	if hm.groups != nil {
		t.Fatalf("reads and deletes of an empty map allocated %d groups", len(hm.groups))
	}
	m.Put(3, []byte("a"), 1)
	m.Put(127, []byte("b"), 2)
	if _, ok := m.Get(64, []byte("a")); ok {
		t.Fatal("found key a in an untouched group")
	}
	used := 0
	for _, g := range hm.groups {
		if g != nil {
			used++
		}
	}
	if used != 2 {
		t.Fatalf("%d groups allocated after writes to 2", used)
	}
	seen := map[string]int{}
	m.Range(func(kg int, k string, v int) bool {
		seen[fmt.Sprintf("%d/%s", kg, k)] = v
		return true
	})
	if len(seen) != 2 || seen["3/a"] != 1 || seen["127/b"] != 2 {
		t.Fatalf("range saw %v", seen)
	}

	// A snapshot restored into a fresh backend holds the same entries.
	st := newStorage(t)
	h := snapshotIn(t, b, st, "job", 1)
	rb := NewHashMapBackend(KeyGroupRange{Start: 0, End: 128})
	if err := rb.Restore(st, []*Handle{h}); err != nil {
		t.Fatal(err)
	}
	rm, err := NewKeyedMap[int](rb, "counts", intCodec{})
	if err != nil {
		t.Fatal(err)
	}
	if v, ok := rm.Get(3, []byte("a")); !ok || v != 1 || rm.Len() != 2 {
		t.Fatalf("restored a = %d (%v), %d entries", v, ok, rm.Len())
	}
	if v, ok := rm.Get(127, []byte("b")); !ok || v != 2 {
		t.Fatalf("restored b = %d (%v)", v, ok)
	}
	func() {
		defer func() {
			if recover() == nil {
				t.Error("a key group outside the owned range did not panic")
			}
		}()
		m.Get(128, []byte("a"))
	}()
}
