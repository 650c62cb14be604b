package operators

import "github.com/streamsql/streamsql/exec/window"

// entryTimers is timers for the memory backend, whose entries are the
// stored ones: buckets of entry pointers by end. Like timers, it is not
// state: Open rebuilds it from the entries' armed timers.
type entryTimers struct {
	buckets map[int64][]*overEntry
	ends    endHeap
	free    [][]*overEntry
}

func (t *entryTimers) add(end int64, e *overEntry) {
	b, ok := t.buckets[end]
	if !ok {
		t.pushEnd(end)
		if n := len(t.free); n > 0 {
			b, t.free = t.free[n-1], t.free[:n-1]
		}
	}
	t.buckets[end] = append(b, e)
}

// pop removes and returns the entries of the smallest end that has fired
// at wm; the caller hands the slice back with release.
func (t *entryTimers) pop(wm int64) (int64, []*overEntry, bool) {
	if len(t.ends) == 0 || !window.Fired(t.ends[0], wm) {
		return 0, nil, false
	}
	end := t.popEnd()
	b := t.buckets[end]
	delete(t.buckets, end)
	return end, b, true
}

func (t *entryTimers) release(b []*overEntry) {
	clear(b)
	t.free = append(t.free, b[:0])
}

// pushEnd and popEnd keep ends a min-heap (container/heap without the
// boxing of its interface).
func (t *entryTimers) pushEnd(end int64) {
	h := append(t.ends, end)
	for i := len(h) - 1; i > 0; {
		p := (i - 1) / 2
		if h[p] <= h[i] {
			break
		}
		h[p], h[i] = h[i], h[p]
		i = p
	}
	t.ends = h
}

func (t *entryTimers) popEnd() int64 {
	h := t.ends
	top := h[0]
	n := len(h) - 1
	h[0] = h[n]
	h = h[:n]
	for i := 0; ; {
		l, m := 2*i+1, i
		if l < n && h[l] < h[m] {
			m = l
		}
		if r := l + 1; r < n && h[r] < h[m] {
			m = r
		}
		if m == i {
			break
		}
		h[i], h[m] = h[m], h[i]
		i = m
	}
	t.ends = h
	return top
}
