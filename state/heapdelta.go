package state

import (
	"encoding/binary"
	"sort"
)

// writeDelta writes, as state name, every entry put and every key deleted
// in an epoch after `after` (incremental mode). Values are encoded as
// they are written (or taken from what deltaSize encoded: see encoded).
// With tails (w is a "changelog-v2" or "-v3" writer), a value whose
// TailCodec gives a tail is written as an append of it (a PatchCodec's
// patch only into a "-v3" writer); every value written is then marked
// (TailCodec.MarkWritten). It returns the number of records written, and
// how many bytes of them are growth of the state: appends (of a patch,
// the bytes its PatchCodec says are growth), and the values of keys
// inserted after `after` (see HashMapOptions.MaxDeltaRatio).
func (m *heapMap[V]) writeDelta(w *stateFileWriter, name string, after uint32, tails bool) (n, grown int) {
	if m.clock == nil {
		return 0, 0
	}
	tails = tails && m.tails != nil
	pending := m.pending
	if m.pendingAt != *m.clock {
		pending = nil
	}
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
			if tails && g.enc(i) == nil {
				var tail []byte
				var g2 int
				var patch, ok bool
				if len(pending) > 0 && pending[0].gi == int32(gi) && pending[0].i == int32(i) {
					p := pending[0]
					pending = pending[1:]
					tail, g2, patch, ok = m.pendBuf[p.start:p.end], p.grown, p.patch, !p.patch || w.patches
				} else {
					g2, patch, ok = m.tail(g.vals[i], w.patches)
					tail = m.scratch
				}
				if ok {
					w.appendStr(g.keys[i], tail)
					m.tails.MarkWritten(g.vals[i])
					if patch {
						grown += patchGrowth(g.keys[i], tail, g2)
					} else {
						grown += recordSize(g.keys[i], tail)
					}
					continue
				}
			}
			enc := m.encoded(g, i)
			w.putStr(g.keys[i], enc)
			if g.born[i] > after {
				grown += recordSize(g.keys[i], enc)
			}
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
		g.encs = nil // every encoding deltaSize cached was written (see encoded)
	}
	m.dropPending()
	return n, grown
}

// dropPending forgets the tails deltaSize kept, and their buffer when it
// is large.
func (m *heapMap[V]) dropPending() {
	m.pending, m.pendingAt = m.pending[:0], 0
	if cap(m.pendBuf) > 16<<20 {
		m.pendBuf = nil
	}
	m.pendBuf = m.pendBuf[:0]
}

// tail puts into m.scratch the tail of v its Codec gives, if any (see
// TailCodec): with a PatchCodec, a patch, only when patches are allowed.
// grown is how many of its bytes are growth (a PatchCodec's count; all
// of a TailCodec's), patch whether it is a patch.
func (m *heapMap[V]) tail(v V, patches bool) (grown int, patch, ok bool) {
	if m.patches != nil {
		if !patches {
			return 0, false, false
		}
		m.scratch, grown, ok = m.patches.AppendPatch(m.scratch[:0], v)
		return grown, ok, ok
	}
	m.scratch, ok = m.tails.AppendTail(m.scratch[:0], v)
	return len(m.scratch), false, ok
}

// patchGrowth is the share of the entry of key and patch (recordSize)
// that is growth, when grown of the patch's bytes are: a patch that is
// all growth counts as an append does.
func patchGrowth(key string, patch []byte, grown int) int {
	if len(patch) == 0 || grown <= 0 {
		return 0
	}
	return recordSize(key, patch) * min(grown, len(patch)) / len(patch)
}

// recordSize bounds the bytes of a state file entry of key and val.
func recordSize(key string, val []byte) int {
	return len(key) + len(val) + 2*binary.MaxVarintLen32
}

// mapDeltaSize is what deltaSize foresees of a map's part of a delta.
type mapDeltaSize struct {
	rewrite     int // bytes that may replace what the chain holds
	appends     int // entries written as appends (patches included)
	appendBytes int // their bytes that are growth
	patches     int // appends that are patches (the delta is "changelog-v3")
}

// deltaSize estimates what writeDelta(after, tails) would write: the
// bytes of the entries that may replace what the chain up to `after`
// holds (values of keys it holds written whole, the bytes of patches
// that are not growth, and deletions; an upper bound: varints counted at
// their largest), how many entries would be appends (and patches), and
// their bytes of growth. It encodes the values it counts into the
// cache, which writeDelta (or a full base) then uses; it keeps the
// appends it encodes (pending) for writeDelta, in the same snapshot
// only, and does not encode the values of keys inserted since (they are
// growth: writeDelta counts them).
func (m *heapMap[V]) deltaSize(after uint32, tails bool) (d mapDeltaSize) {
	if m.clock == nil {
		return d
	}
	tails = tails && m.tails != nil
	m.dropPending()
	m.pendingAt = *m.clock
	for gi, g := range m.groups {
		if g == nil {
			continue
		}
		for i, ep := range g.epochs {
			if ep <= after || g.born[i] > after {
				continue
			}
			if tails && g.enc(i) == nil {
				if grown, patch, ok := m.tail(g.vals[i], true); ok {
					start := len(m.pendBuf)
					m.pendBuf = append(m.pendBuf, m.scratch...)
					m.pending = append(m.pending, pendingTail{gi: int32(gi), i: int32(i), start: start, end: len(m.pendBuf), grown: grown, patch: patch})
					d.appends++
					if patch {
						d.patches++
						pg := patchGrowth(g.keys[i], m.scratch, grown)
						d.appendBytes += pg
						d.rewrite += recordSize(g.keys[i], m.scratch) - pg
					} else {
						d.appendBytes += recordSize(g.keys[i], m.scratch)
					}
					continue
				}
			}
			enc := g.enc(i)
			if enc == nil {
				enc = m.encode(g.vals[i])
				g.setEnc(i, enc)
			}
			d.rewrite += recordSize(g.keys[i], enc)
		}
		for k, ep := range g.dels {
			if ep > after {
				d.rewrite += len(k) + binary.MaxVarintLen32 + 1
			}
		}
	}
	return d
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
