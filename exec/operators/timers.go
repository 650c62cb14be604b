package operators

import (
	"bytes"
	"errors"
	"math"
	"slices"

	"github.com/streamsql/streamsql/exec/window"
)

var errCorrupt = errors.New("operators: corrupt encoded state")

// timers is an operator-local index from window ends to the keys that have
// something to fire (or clean up) at that end. It is not state: operators
// rebuild it from their keyed state in Open.
//
// Keys are kept in per-end arenas, so registering a key costs no
// allocation once the arenas have grown. A key may be registered more than
// once for an end; the operators' fire functions are idempotent or avoid it.
type timers struct {
	buckets map[int64]*bucket
	ends    timeQueue
	free    []*bucket
	idx     []int
	tmp     bucket
	// last is the bucket of lastEnd, the end registered last (nil when
	// it fired since): rows in time order register the same end again and
	// again, which then costs no map lookup.
	last    *bucket
	lastEnd int64
	// maxEnd is the largest end ever registered (math.MinInt64 before
	// the first): a larger end has no bucket, so ends that grow with the
	// rows' times cost no map lookup either.
	maxEnd int64
}

// bucket holds the keys registered for one end, in registration order.
type bucket struct {
	kgs   []int32
	offs  []int32 // key i is arena[offs[i]:offs[i+1]]; offs has len(kgs)+1 entries
	arena []byte
}

func (b *bucket) len() int         { return len(b.kgs) }
func (b *bucket) key(i int) []byte { return b.arena[b.offs[i]:b.offs[i+1]] }
func (b *bucket) kg(i int) int     { return int(b.kgs[i]) }
func (b *bucket) add(kg int, k []byte) {
	b.kgs = append(b.kgs, int32(kg))
	b.arena = append(b.arena, k...)
	b.offs = append(b.offs, int32(len(b.arena)))
}

func (b *bucket) reset() {
	b.kgs = b.kgs[:0]
	b.arena = b.arena[:0]
	b.offs = append(b.offs[:0], 0)
}

// sortUnique orders the keys by (key, key group) and drops duplicates,
// using tmp as scratch (its content is swapped with b's).
func (b *bucket) sortUnique(idx *[]int, tmp *bucket) {
	*idx = (*idx)[:0]
	for i := 0; i < b.len(); i++ {
		*idx = append(*idx, i)
	}
	slices.SortFunc(*idx, func(x, y int) int {
		if c := bytes.Compare(b.key(x), b.key(y)); c != 0 {
			return c
		}
		return int(b.kgs[x]) - int(b.kgs[y])
	})
	tmp.reset()
	for j, i := range *idx {
		if j > 0 {
			p := (*idx)[j-1]
			if b.kgs[p] == b.kgs[i] && bytes.Equal(b.key(p), b.key(i)) {
				continue
			}
		}
		tmp.add(b.kg(i), b.key(i))
	}
	*b, *tmp = *tmp, *b
}

func newTimers() *timers {
	return &timers{buckets: make(map[int64]*bucket), maxEnd: math.MinInt64}
}

// add registers key (in key group kg) for end.
func (t *timers) add(end int64, kg int, key []byte) {
	if t.last != nil && t.lastEnd == end {
		t.last.add(kg, key)
		return
	}
	var b *bucket
	if end <= t.maxEnd {
		b = t.buckets[end]
	}
	if b == nil {
		if n := len(t.free); n > 0 {
			b = t.free[n-1]
			t.free = t.free[:n-1]
		} else {
			b = &bucket{}
		}
		b.reset()
		t.buckets[end] = b
		t.ends.push(end)
	}
	t.last, t.lastEnd = b, end
	t.maxEnd = max(t.maxEnd, end)
	b.add(kg, key)
}

// pop removes and returns the bucket of the smallest end that has fired at
// watermark wm (end - 1 <= wm); with unique, its keys are sorted and
// deduplicated. The caller hands it back with release.
func (t *timers) pop(wm int64, unique bool) (int64, *bucket, bool) {
	if t.ends.len() == 0 || !window.Fired(t.ends.min(), wm) {
		return 0, nil, false
	}
	end := t.ends.pop()
	b := t.buckets[end]
	delete(t.buckets, end)
	if b == t.last {
		t.last = nil
	}
	if unique {
		b.sortUnique(&t.idx, &t.tmp)
	}
	return end, b, true
}

func (t *timers) release(b *bucket) { t.free = append(t.free, b) }

// sortAll orders and dedupes every bucket (after a rebuild, whose input
// order is that of a map).
func (t *timers) sortAll() {
	for _, b := range t.buckets {
		b.sortUnique(&t.idx, &t.tmp)
	}
}

// timeQueue is a min-priority queue of times (window ends, row times)
// for times that mostly come in ascending order, as the ends of windows
// over rows in time order do: a time not below the last one queued goes
// at the back of a sorted run (asc, consumed from head), in O(1), and
// only the others into a heap (out). The zero timeQueue is empty.
type timeQueue struct {
	asc  []int64
	head int
	out  endHeap
}

func (q *timeQueue) len() int { return len(q.asc) - q.head + len(q.out) }

// runFirst reports whether the smallest time is the run's first.
func (q *timeQueue) runFirst() bool {
	return q.head < len(q.asc) && (len(q.out) == 0 || q.asc[q.head] <= q.out[0])
}

// min returns the smallest time; q is not empty.
func (q *timeQueue) min() int64 {
	if q.runFirst() {
		return q.asc[q.head]
	}
	return q.out[0]
}

func (q *timeQueue) push(t int64) {
	if n := len(q.asc); n == q.head || t >= q.asc[n-1] {
		if n == q.head {
			q.asc, q.head = q.asc[:0], 0
		}
		q.asc = append(q.asc, t)
		return
	}
	q.out.push(t)
}

// pop removes and returns the smallest time; q is not empty.
func (q *timeQueue) pop() int64 {
	if q.runFirst() {
		t := q.asc[q.head]
		q.head++
		if q.head >= 1024 && q.head*2 >= len(q.asc) {
			// the consumed half goes: the run keeps its room
			n := copy(q.asc, q.asc[q.head:])
			q.asc, q.head = q.asc[:n], 0
		}
		return t
	}
	return q.out.pop()
}

// endHeap is a min-heap of times: h[0] is the smallest. push and pop are
// container/heap's without the boxing of its interface (an int64 passed
// as any allocates).
type endHeap []int64

func (h *endHeap) push(end int64) {
	s := append(*h, end)
	for i := len(s) - 1; i > 0; {
		p := (i - 1) / 2
		if s[p] <= s[i] {
			break
		}
		s[p], s[i] = s[i], s[p]
		i = p
	}
	*h = s
}

// pop removes and returns the smallest time; h is not empty.
func (h *endHeap) pop() int64 {
	s := *h
	top := s[0]
	n := len(s) - 1
	s[0] = s[n]
	s = s[:n]
	for i := 0; ; {
		l, m := 2*i+1, i
		if l < n && s[l] < s[m] {
			m = l
		}
		if r := l + 1; r < n && s[r] < s[m] {
			m = r
		}
		if m == i {
			break
		}
		s[i], s[m] = s[m], s[i]
		i = m
	}
	*h = s
	return top
}
