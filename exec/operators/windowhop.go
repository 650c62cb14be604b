package operators

import (
	"cmp"
	"slices"

	"github.com/streamsql/streamsql/types"
)

// fireHop emits window [end-size, end) of the key: the merge of the
// key's panes it covers, found in the panes index (the panes ending in
// (end-size, end]). Panes whose last window this is are deleted: they
// are the first ones (a later pane's last window ends later).
func (o *sliceAgg) fireHop(kg int, gk []byte, end int64) {
	s := &o.slicer
	start := end - s.Size
	l := o.panes.of(gk)
	if l == nil {
		return
	}
	first := l.search(start + 1)
	o.funcs.Init(&o.scrat)
	var key []types.Value
	found, remaining, gone := false, false, 0
	for _, ref := range l.panes[first:] {
		pe := ref.end
		if pe > end {
			break
		}
		last := s.LastWindowEnd(pe) <= end
		if last {
			gone++
		}
		pane := ref.e
		if pane == nil {
			o.keyBuf = appendTime(append(o.keyBuf[:0], gk...), pe)
			var ok bool
			if pane, ok = o.slices.peek(kg, o.keyBuf); !ok {
				continue
			}
		} else if pane.dead {
			continue
		}
		if !found {
			key, found = pane.key, true
		}
		o.funcs.Merge(&o.scrat, &pane.acc)
		if last {
			o.keyBuf = appendTime(append(o.keyBuf[:0], gk...), pe)
			o.remove(kg, o.keyBuf, pane)
		} else {
			remaining = true
		}
	}
	o.panes.drop(gk, l, first, gone)
	if !found {
		return
	}
	o.emit(key, start, end, &o.scrat)
	if !remaining {
		return
	}
	// Panes of the next window created later register it again; pop
	// deduplicates.
	o.timers.add(end+s.Slide, kg, gk)
}

// livePane returns e when the slices store shares its entries (the memory
// backend: e stays the stored pane until it is removed), for the panes
// index to keep; otherwise nil (the store's entries are copies, valid
// until a flush, and firing looks the pane up).
func (o *sliceAgg) livePane(e *winEntry) *winEntry {
	if o.slices.shared {
		return e
	}
	return nil
}

// paneIndex lists, for each group key of a HOP aggregate, its stored
// panes in ascending end order: firing a window visits only panes that
// exist instead of probing all size/slide pane positions. It is local to
// the operator instance (rebuilt from the slices in Open), like timers.
type paneIndex map[string]*paneList

// paneList holds the panes of one group key in ascending end order.
type paneList struct{ panes []paneRef }

// paneRef is one pane: its end and, when the store shares its entries
// (see livePane), its stored entry, else nil.
type paneRef struct {
	end int64
	e   *winEntry
}

// search returns the index of the first pane ending at or after end.
func (l *paneList) search(end int64) int {
	i, _ := slices.BinarySearchFunc(l.panes, end, func(r paneRef, end int64) int {
		return cmp.Compare(r.end, end)
	})
	return i
}

// add records a new pane of gk ending at end, whose entry is e (or nil);
// panes mostly arrive in time order: appending is the common case.
func (x paneIndex) add(gk []byte, end int64, e *winEntry) {
	l := x[string(gk)]
	if l == nil {
		l = &paneList{}
		x[string(gk)] = l
	}
	if n := len(l.panes); n == 0 || l.panes[n-1].end < end {
		l.panes = append(l.panes, paneRef{end: end, e: e})
		return
	}
	if i := l.search(end); i == len(l.panes) || l.panes[i].end != end {
		l.panes = slices.Insert(l.panes, i, paneRef{end: end, e: e})
	}
}

// of returns the pane list of gk, or nil (the caller must not keep it
// across add or drop).
func (x paneIndex) of(gk []byte) *paneList { return x[string(gk)] }

// drop forgets n panes of gk's list l from index i on (deleted panes).
func (x paneIndex) drop(gk []byte, l *paneList, i, n int) {
	if n == 0 {
		return
	}
	if i == 0 {
		// the common case: no copy
		clear(l.panes[:n])
		l.panes = l.panes[n:]
	} else {
		l.panes = slices.Delete(l.panes, i, i+n)
	}
	if len(l.panes) == 0 {
		delete(x, string(gk))
	}
}
