package state

import (
	"encoding/binary"
	"sort"
)

// writeDelta writes, as state name, every entry put and every key deleted
// in an epoch after `after` (incremental mode). Values are encoded as
// they are written (or taken from what deltaSize encoded: see encoded).
// With tails (w is a "changelog-v2" writer), a value whose TailCodec
// gives a tail is written as an append of it; every value written is
// then marked (TailCodec.MarkWritten). It returns the number of records
// written.
func (m *heapMap[V]) writeDelta(w *stateFileWriter, name string, after uint32, tails bool) int {
	if m.clock == nil {
		return 0
	}
	tails = tails && m.tails != nil
	n := 0
	var dels []string
	for gi, g := range m.groups {
		if g == nil {
			continue
		}
		started := false
		begin := func() {
			if n == 0 {
				w.beginState(name)
			}
			if !started {
				w.beginGroup(m.kgs.Start + gi)
				started = true
			}
			n++
		}
		for i, ep := range g.epochs {
			if ep <= after {
				continue
			}
			begin()
			if tails && g.encs[i] == nil {
				var ok bool
				if m.scratch, ok = m.tails.AppendTail(m.scratch[:0], g.vals[i]); ok {
					w.appendStr(g.keys[i], m.scratch)
					m.tails.MarkWritten(g.vals[i])
					continue
				}
			}
			w.putStr(g.keys[i], m.encoded(g, i))
			if m.tails != nil {
				m.tails.MarkWritten(g.vals[i])
			}
		}
		// deletions in key order: the same changes give the same file
		dels = dels[:0]
		for k, ep := range g.dels {
			if ep > after {
				dels = append(dels, k)
			}
		}
		sort.Strings(dels)
		for _, k := range dels {
			begin()
			w.delStr(k)
		}
	}
	return n
}

// deltaSize returns the bytes writeDelta(after, tails) would write (an
// upper bound: varints counted at their largest) and how many of its
// entries would be appends, encoding the changed values it writes whole
// into the cache as writeDelta would (tails are encoded again by
// writeDelta: they are small, and the cache holds whole encodings only,
// which a full base may use instead).
func (m *heapMap[V]) deltaSize(after uint32, tails bool) (size, appends int) {
	if m.clock == nil {
		return 0, 0
	}
	tails = tails && m.tails != nil
	n := 0
	for _, g := range m.groups {
		if g == nil {
			continue
		}
		for i, ep := range g.epochs {
			if ep <= after {
				continue
			}
			if tails && g.encs[i] == nil {
				var ok bool
				if m.scratch, ok = m.tails.AppendTail(m.scratch[:0], g.vals[i]); ok {
					n += len(g.keys[i]) + len(m.scratch) + 2*binary.MaxVarintLen32
					appends++
					continue
				}
			}
			if g.encs[i] == nil {
				g.encs[i] = m.encode(g.vals[i])
			}
			n += len(g.keys[i]) + len(g.encs[i]) + 2*binary.MaxVarintLen32
		}
		for k, ep := range g.dels {
			if ep > after {
				n += len(k) + binary.MaxVarintLen32 + 1
			}
		}
	}
	return n, appends
}

// dropDeletions forgets the deletions of epochs up to upTo: a base that
// every later checkpoint builds on no longer holds those keys.
func (m *heapMap[V]) dropDeletions(upTo uint32) {
	for _, g := range m.groups {
		if g == nil || len(g.dels) == 0 {
			continue
		}
		for k, ep := range g.dels {
			if ep <= upTo {
				delete(g.dels, k)
			}
		}
	}
}
