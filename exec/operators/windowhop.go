package operators

import (
	"cmp"
	"encoding/binary"
	"slices"

	"github.com/streamsql/streamsql/exec"
	"github.com/streamsql/streamsql/exec/window"

	"github.com/streamsql/streamsql/types"
)

// fireHopEnd fires window [end-size, end) of every key due at end, in
// key order. Like fireUpTo, it checks before each
// key whether the job is stopping, and then returns exec.ErrStopped with
// the rest unfired.
func (o *sliceAgg) fireHopEnd(end int64) error {
	lists := o.due.pop(end)
	defer o.due.release(lists)
	sortDue(lists)
	for _, d := range lists {
		l := d.l
		if !l.queued || l.due != end {
			continue // scheduled for an earlier end since, or fired already
		}
		if o.ctx.Stopped() {
			return exec.ErrStopped
		}
		l.queued = false
		o.fireHop(l, end)
		if o.resultErr != nil {
			return nil // fireUpTo fails with it
		}
	}
	return nil
}

// fireHop emits window [end-size, end) of the key of pane list l: the
// merge of the key's panes it covers (those ending in (end-size, end]).
// Panes whose last window this is are deleted: they are the first ones (a
// later pane's last window ends later). It then schedules the key's next
// window covering a remaining pane.
func (o *sliceAgg) fireHop(l *paneList, end int64) {
	s := &o.slicer
	kg := int(l.kg)
	start := end - s.Size
	first := l.search(start + 1)
	o.funcs.Init(&o.scrat)
	var key []types.Value
	found, gone := false, 0
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
			o.keyBuf = appendTime(append(o.keyBuf[:0], l.gk...), pe)
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
			if o.hopLocal && !pane.stored {
				pane.dead = true
			} else {
				o.keyBuf = appendTime(append(o.keyBuf[:0], l.gk...), pe)
				o.remove(kg, o.keyBuf, pane)
			}
		}
	}
	o.panes.drop(l, first, gone)
	if found {
		o.emit(key, start, end, &o.scrat)
	}
	// The panes from first on are in later windows only.
	if first < len(l.panes) {
		if next, ok := s.FirstWindowEnd(l.panes[first].end); ok {
			o.due.add(max(next, end+s.Slide), l)
		}
	}
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

// flushPanes puts every local HOP pane changed since the last flush into
// the backend (hopLocal: new panes are not put when created, nor changed
// ones when changed). A pane deleted after it was put is removed from the
// backend when its last window fires.
func (o *sliceAgg) flushPanes() {
	if !o.hopLocal {
		return
	}
	for _, l := range o.panes {
		for _, ref := range l.panes {
			e := ref.e
			if e == nil || !e.pend || e.dead {
				continue
			}
			e.pend = false
			o.keyBuf = appendTime(append(o.keyBuf[:0], l.gk...), ref.end)
			o.slices.insert(int(l.kg), o.keyBuf, e)
			e.stored = true
		}
	}
}

// paneIndex lists, for each group key of a HOP aggregate, its stored
// panes in ascending end order: firing a window visits only panes that
// exist instead of probing all size/slide pane positions. It is local to
// the operator instance (rebuilt from the slices in Open), like timers.
type paneIndex map[string]*paneList

// paneList holds the panes of one group key in ascending end order, and
// the window end the key is due to fire at.
type paneList struct {
	panes []paneRef
	gk    string // the group key (encoded)
	kg    int32  // its key group
	// k0, k1: keyPrefix(gk), for sorting.
	k0, k1 uint64
	// queued: the list is in hopQueues at due (and maybe, stale, at later
	// ends).
	queued bool
	due    int64
}

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

// add records a new pane of gk (in key group kg) ending at end, whose
// entry is e (or nil), and returns gk's list; panes mostly arrive in time
// order: appending is the common case.
func (x paneIndex) add(gk []byte, kg int, end int64, e *winEntry) *paneList {
	l := x[string(gk)]
	if l == nil {
		l = &paneList{gk: string(gk), kg: int32(kg)}
		l.k0, l.k1 = keyPrefix(gk)
		x[l.gk] = l
	}
	if n := len(l.panes); n == 0 || l.panes[n-1].end < end {
		l.panes = append(l.panes, paneRef{end: end, e: e})
		return l
	}
	if i := l.search(end); i == len(l.panes) || l.panes[i].end != end {
		l.panes = slices.Insert(l.panes, i, paneRef{end: end, e: e})
	}
	return l
}

// find returns the live pane of gk ending at end, if the index has it
// with its entry.
func (x paneIndex) find(gk []byte, end int64) (*winEntry, bool) {
	l := x[string(gk)]
	if l == nil {
		return nil, false
	}
	i := l.search(end)
	if i == len(l.panes) || l.panes[i].end != end {
		return nil, false
	}
	if e := l.panes[i].e; e != nil && !e.dead {
		return e, true
	}
	return nil, false
}

// drop forgets n panes of list l from index i on (deleted panes); an
// emptied list leaves the index (a new pane of its key starts a new one).
func (x paneIndex) drop(l *paneList, i, n int) {
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
		delete(x, l.gk)
	}
}

// hopQueues holds, for each window end, the pane lists due to fire at it. A list is due at one end at a time
// (paneList.due): scheduling it at an earlier end leaves a stale entry at
// the later one, which firing skips. It is local to the operator instance
// (rebuilt from the slices in Open), like timers.
type hopQueues struct {
	lists map[int64][]dueList
	ends  timeQueue
	free  [][]dueList
}

// add schedules l to fire at end, unless it is due at or before end
// already (firing then schedules it again for its remaining panes).
func (q *hopQueues) add(end int64, l *paneList) {
	if l.queued && l.due <= end {
		return
	}
	l.queued, l.due = true, end
	ls, ok := q.lists[end]
	if !ok {
		q.ends.push(end)
		if n := len(q.free); n > 0 {
			ls, q.free = q.free[n-1], q.free[:n-1]
		}
	}
	q.lists[end] = append(ls, dueList{k0: l.k0, k1: l.k1, l: l})
}

// next returns the smallest end with lists that has fired at wm.
func (q *hopQueues) next(wm int64) (int64, bool) {
	if q.ends.len() == 0 || !window.Fired(q.ends.min(), wm) {
		return 0, false
	}
	return q.ends.min(), true
}

// pop removes and returns the lists of end, the smallest end (see next);
// the caller hands the slice back with release.
func (q *hopQueues) pop(end int64) []dueList {
	q.ends.pop()
	ls := q.lists[end]
	delete(q.lists, end)
	return ls
}

func (q *hopQueues) release(ls []dueList) {
	clear(ls)
	q.free = append(q.free, ls[:0])
}

// dueList is a pane list scheduled in hopQueues, with the first 16 bytes
// of its key (big-endian, zero-padded) for sorting without reading the
// list.
type dueList struct {
	k0, k1 uint64
	l      *paneList
}

// keyPrefix returns the first 16 bytes of gk, big-endian, zero-padded.
func keyPrefix(gk []byte) (k0, k1 uint64) {
	var b [16]byte
	copy(b[:], gk)
	return binary.BigEndian.Uint64(b[:8]), binary.BigEndian.Uint64(b[8:])
}

// sortDue orders the lists of one window end by key, then key group: the
// order in which their windows fire.
func sortDue(ds []dueList) {
	slices.SortFunc(ds, func(a, b dueList) int {
		if c := cmp.Compare(a.k0, b.k0); c != 0 {
			return c
		}
		if c := cmp.Compare(a.k1, b.k1); c != 0 {
			return c
		}
		if c := cmp.Compare(a.l.gk, b.l.gk); c != 0 {
			return c
		}
		return cmp.Compare(a.l.kg, b.l.kg)
	})
}
