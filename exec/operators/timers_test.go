package operators

import (
	"fmt"
	"math/rand"
	"slices"
	"testing"
)

// endHeap pops times in ascending order, whatever order they were pushed
// in and however pushes and pops interleave.
func TestEndHeap(t *testing.T) {
	r := rand.New(rand.NewSource(5))
	var h endHeap
	var want []int64
	for i := 0; i < 5000; i++ {
		if r.Intn(3) > 0 || len(want) == 0 {
			v := int64(r.Intn(1000))
			h.push(v)
			want = append(want, v)
			slices.Sort(want)
			continue
		}
		if got := h.pop(); got != want[0] {
			t.Fatalf("pop %d: %d, want %d", i, got, want[0])
		}
		want = want[1:]
	}
}

// timeQueue pops times in ascending order when they come mostly in order
// (the ascending run), sometimes behind (the heap), with pops in between,
// long enough for the run to drop its consumed part.
func TestTimeQueue(t *testing.T) {
	r := rand.New(rand.NewSource(7))
	var q timeQueue
	var want []int64
	next := int64(0)
	for i := 0; i < 50000; i++ {
		if r.Intn(5) > 1 || len(want) == 0 {
			v := next
			if r.Intn(10) == 0 {
				v -= int64(r.Intn(50))
			} else {
				next += int64(r.Intn(3))
			}
			q.push(v)
			want = append(want, v)
			slices.Sort(want)
		} else {
			if got, m := q.pop(), want[0]; got != m {
				t.Fatalf("pop %d: %d, want %d", i, got, m)
			}
			want = want[1:]
		}
		if q.len() != len(want) || (len(want) > 0 && q.min() != want[0]) {
			t.Fatalf("step %d: len %d, want %d", i, q.len(), len(want))
		}
	}
}

// timers fire ends in order, each with the keys registered for it, also
// when an end is registered again right after its bucket fired (the
// bucket registered last is not reused for the old end).
func TestTimersFireRegisteredKeys(t *testing.T) {
	r := rand.New(rand.NewSource(6))
	tm := newTimers()
	want := map[int64][]string{}
	fire := func(wm int64) {
		for {
			end, b, ok := tm.pop(wm, false)
			if !ok {
				return
			}
			var got []string
			for i := 0; i < b.len(); i++ {
				got = append(got, fmt.Sprintf("%d/%s", b.kg(i), b.key(i)))
			}
			if !slices.Equal(got, want[end]) {
				t.Fatalf("end %d fired %v, want %v", end, got, want[end])
			}
			delete(want, end)
			tm.release(b)
		}
	}
	end := int64(100)
	for i := 0; i < 3000; i++ {
		switch r.Intn(6) {
		case 0:
			end += int64(r.Intn(5))
		case 1:
			fire(end - int64(r.Intn(3)))
		}
		e := end + int64(r.Intn(2))
		key := fmt.Sprint(r.Intn(50))
		tm.add(e, 3, []byte(key))
		want[e] = append(want[e], "3/"+key)
	}
	fire(end + 10)
	if len(want) != 0 {
		t.Fatalf("%d ends never fired", len(want))
	}
}
