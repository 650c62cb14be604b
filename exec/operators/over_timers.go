package operators

import "github.com/streamsql/streamsql/exec/window"

// entryTimers is timers for the memory backend, whose entries are the
// stored ones: buckets of entry pointers by end. Like timers, it is not
// state: Open rebuilds it from the entries' armed timers.
type entryTimers struct {
	buckets map[int64][]*overEntry
	ends    timeQueue
	free    [][]*overEntry
}

func (t *entryTimers) add(end int64, e *overEntry) {
	b, ok := t.buckets[end]
	if !ok {
		t.ends.push(end)
		if n := len(t.free); n > 0 {
			b, t.free = t.free[n-1], t.free[:n-1]
		}
	}
	t.buckets[end] = append(b, e)
}

// pop removes and returns the entries of the smallest end that has fired
// at wm; the caller hands the slice back with release.
func (t *entryTimers) pop(wm int64) (int64, []*overEntry, bool) {
	if t.ends.len() == 0 || !window.Fired(t.ends.min(), wm) {
		return 0, nil, false
	}
	end := t.ends.pop()
	b := t.buckets[end]
	delete(t.buckets, end)
	return end, b, true
}

func (t *entryTimers) release(b []*overEntry) {
	clear(b)
	t.free = append(t.free, b[:0])
}
