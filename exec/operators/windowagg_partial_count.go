package operators

import (
	"github.com/streamsql/streamsql/types"
)

// countGroups holds the groups of one slice of a local window aggregate
// that counts (localWindowAgg.counting: every aggregate is COUNT(*), one
// key column): the keys in creation order, and their counts. The counts of
// keys of the slice's table kind (the kind of its first key of a
// fixed-size kind, which every other non-NULL key of a column normally
// shares) live in an open-addressing table whose 16-byte slots hold the
// key's payload and its count and no pointer, so that the thousand-odd
// groups of a slice stay in the first-level cache and a row costs one
// probe and one increment in one slot. Other keys (NULL, strings,
// decimals, another kind) are counted by their grouping encoding in a map.
//
// Keys of the table's kind whose payload lies in a window of
// denseCounts values from base are counted in dense instead, an array
// indexed by payload - base: a row then costs one increment at a computed
// address, with no hash and no probe. Integer keys of a small range (ids,
// codes, buckets) are the common case; base follows the keys a slice saw
// (reset centres the next slice's window on them), and keys outside the
// window go to tab.
//
// Invariant: every key of keys has exactly one count, in dense, tab or
// other, of at least one; dense and tab hold keys of kind only, a key in
// dense is within the window, and a key in tab is outside it.
type countGroups struct {
	kind  types.Kind  // the table's kind; KindNull until the first fixed-size key
	dense []int64     // len 0 or denseCounts; dense[x-base]: count of payload x
	base  int64       // payload of dense[0]
	tab   []countSlot // len a power of two (or 0), at most half full
	inTab int         // groups in tab
	keys  []types.Value
	other map[string]int64 // grouping encoding -> count
}

// denseCounts is the size of countGroups.dense (32 KiB of counts).
const denseCounts = 1 << 12

// denseIndex returns the index of payload x in g.dense, or -1 when x is
// outside the window (or g has no dense counts).
func (g *countGroups) denseIndex(x int64) int {
	if d := uint64(x - g.base); d < uint64(len(g.dense)) {
		return int(d)
	}
	return -1
}

// countSlot is a table slot: a key's payload and its count.
type countSlot struct {
	x int64 // the key value's payload (types.Value.Int)
	n int64 // rows counted; 0: an empty slot
}

// fixedKey reports whether keys of kind k can be counted through the table
// (a payload of one int64 says the whole value).
func fixedKey(k types.Kind) bool {
	return k != types.KindString && k != types.KindDecimal && k != types.KindNull
}

// countHash is the table's hash of a key payload.
func countHash(x int64) uint64 {
	h := (uint64(0x9E3779B97F4A7C15) ^ uint64(x)) * 0xbf58476d1ce4e5b9
	return h ^ h>>31
}

// len returns the number of groups.
func (g *countGroups) len() int { return len(g.keys) }

// add counts one more row of key v: it returns whether that made a new
// group. enc is scratch for a key's encoding. (countBatch counts a key in
// the dense window itself, new or not, and a key whose table slot exists;
// it calls add for the rest.)
func (g *countGroups) add(v types.Value, enc *[]byte) bool {
	if k := v.Kind(); fixedKey(k) && (k == g.kind || g.kind == types.KindNull) {
		g.kind = k
		return g.addFixed(v)
	}
	*enc = types.AppendKey((*enc)[:0], v)
	if _, ok := g.other[string(*enc)]; ok {
		g.other[string(*enc)]++
		return false
	}
	if g.other == nil {
		g.other = make(map[string]int64)
	}
	g.other[string(*enc)] = 1
	g.keys = append(g.keys, v)
	return true
}

// addFixed is add of a key of the table's kind.
func (g *countGroups) addFixed(v types.Value) bool {
	x := v.Int()
	if g.dense == nil {
		// the first fixed-size key: a window around it
		g.dense = make([]int64, denseCounts)
		g.base = x - denseCounts/2
	}
	if d := g.denseIndex(x); d >= 0 {
		g.dense[d]++
		if g.dense[d] > 1 {
			return false
		}
		g.keys = append(g.keys, v)
		return true
	}
	if sl := g.find(x); sl != nil {
		sl.n++
		return false
	}
	if 2*(g.inTab+1) > len(g.tab) {
		g.grow()
	}
	g.place(x, 1)
	g.inTab++
	g.keys = append(g.keys, v)
	return true
}

// find returns the slot of payload x, or nil.
func (g *countGroups) find(x int64) *countSlot {
	if len(g.tab) == 0 {
		return nil
	}
	mask := uint64(len(g.tab) - 1)
	for j := countHash(x) & mask; ; j = (j + 1) & mask {
		sl := &g.tab[j]
		if sl.n == 0 {
			return nil
		}
		if sl.x == x {
			return sl
		}
	}
}

// place puts payload x with count n into the first free slot of its probe
// sequence.
func (g *countGroups) place(x, n int64) {
	mask := uint64(len(g.tab) - 1)
	j := countHash(x) & mask
	for g.tab[j].n != 0 {
		j = (j + 1) & mask
	}
	g.tab[j] = countSlot{x: x, n: n}
}

// grow doubles the table (at least 64 slots) and places its groups again.
func (g *countGroups) grow() {
	old := g.tab
	g.tab = make([]countSlot, max(64, 2*len(old)))
	for _, sl := range old {
		if sl.n != 0 {
			g.place(sl.x, sl.n)
		}
	}
}

// count returns the count of key k, a key of g; enc is scratch for its
// encoding.
func (g *countGroups) count(k types.Value, enc *[]byte) int64 {
	if k.Kind() == g.kind && fixedKey(k.Kind()) {
		if d := g.denseIndex(k.Int()); d >= 0 {
			return g.dense[d]
		}
		return g.find(k.Int()).n
	}
	*enc = types.AppendKey((*enc)[:0], k)
	return g.other[string(*enc)]
}

// reset forgets every group, keeping the memory (a table that grew stays
// as large: the next slice of the same stream needs about as many slots),
// and centres the dense window on the payloads of this slice's keys of
// the table's kind when they fit in it (the next slice of the stream
// likely has the same keys).
func (g *countGroups) reset() {
	if g.dense != nil && fixedKey(g.kind) {
		lo, hi := int64(0), int64(0)
		n := 0
		for _, k := range g.keys {
			if k.Kind() != g.kind {
				continue
			}
			x := k.Int()
			if d := g.denseIndex(x); d >= 0 {
				g.dense[d] = 0
			}
			if n == 0 || x < lo {
				lo = x
			}
			if n == 0 || x > hi {
				hi = x
			}
			n++
		}
		if n > 0 && uint64(hi-lo) < denseCounts {
			g.base = lo - int64(denseCounts-1-uint64(hi-lo))/2
		}
	}
	g.kind = types.KindNull
	clear(g.tab)
	g.inTab = 0
	clear(g.keys) // drop the strings the keys held
	g.keys = g.keys[:0]
	clear(g.other)
}
