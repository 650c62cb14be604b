package operators

import (
	"github.com/streamsql/streamsql/types"
)

// countGroups holds the groups of one slice of a local window aggregate
// that counts (localWindowAgg.counting: every aggregate is COUNT(*), one
// key column): the keys and their counts in creation order, and an
// open-addressing table over the keys of a fixed-size kind whose slots
// take 16 bytes and hold no pointer, so that the thousand-odd groups of a
// slice stay in the first-level cache and a row costs one probe and one
// increment. Keys of another kind (NULL, strings, decimals) are found by
// their grouping encoding in a map.
//
// Invariant: keys, counts and the table's references describe the same
// groups; every count is at least one.
type countGroups struct {
	tab    []countSlot // len a power of two (or 0), at most half full
	keys   []types.Value
	counts []int64
	other  map[string]int32 // grouping encoding -> index in keys
}

// countSlot is a table slot: the key's payload and kind, and its group.
type countSlot struct {
	x    int64      // the key value's payload (types.Value.Int)
	ref  uint32     // index in keys + 1; 0: an empty slot
	kind types.Kind // the key value's kind
}

// fixedKey reports whether keys of kind k are counted through the table
// (a payload of one int64 says the whole value).
func fixedKey(k types.Kind) bool {
	return k != types.KindString && k != types.KindDecimal && k != types.KindNull
}

// countHash is the table's hash of a fixed-size key.
func countHash(x int64, kind types.Kind) uint64 {
	h := (uint64(0x9E3779B97F4A7C15) ^ uint64(x) ^ uint64(kind)<<58) * 0xbf58476d1ce4e5b9
	return h ^ h>>31
}

// len returns the number of groups.
func (g *countGroups) len() int { return len(g.keys) }

// addFixed counts one more row of fixed-size key v: it returns whether
// that made a new group.
func (g *countGroups) addFixed(v types.Value) bool {
	x, kind := v.Int(), v.Kind()
	h := countHash(x, kind)
	if len(g.tab) > 0 {
		mask := uint64(len(g.tab) - 1)
		for j := h & mask; ; j = (j + 1) & mask {
			sl := &g.tab[j]
			if sl.ref == 0 {
				break
			}
			if sl.x == x && sl.kind == kind {
				g.counts[sl.ref-1]++
				return false
			}
		}
	}
	if 2*(len(g.keys)+1) > len(g.tab) {
		g.grow()
	}
	mask := uint64(len(g.tab) - 1)
	j := h & mask
	for g.tab[j].ref != 0 {
		j = (j + 1) & mask
	}
	g.keys = append(g.keys, v)
	g.counts = append(g.counts, 1)
	g.tab[j] = countSlot{x: x, ref: uint32(len(g.keys)), kind: kind}
	return true
}

// grow doubles the table (at least 64 slots) and places the groups of
// fixed-size keys again.
func (g *countGroups) grow() {
	g.tab = make([]countSlot, max(64, 2*len(g.tab)))
	mask := uint64(len(g.tab) - 1)
	for i, k := range g.keys {
		if !fixedKey(k.Kind()) {
			continue
		}
		x, kind := k.Int(), k.Kind()
		j := countHash(x, kind) & mask
		for g.tab[j].ref != 0 {
			j = (j + 1) & mask
		}
		g.tab[j] = countSlot{x: x, ref: uint32(i + 1), kind: kind}
	}
}

// addOther counts one more row of key v, whose kind is not fixed-size and
// whose grouping encoding is enc: it returns whether that made a new
// group.
func (g *countGroups) addOther(v types.Value, enc []byte) bool {
	if i, ok := g.other[string(enc)]; ok {
		g.counts[i]++
		return false
	}
	if g.other == nil {
		g.other = make(map[string]int32)
	}
	g.other[string(enc)] = int32(len(g.keys))
	g.keys = append(g.keys, v)
	g.counts = append(g.counts, 1)
	return true
}

// reset forgets every group, keeping the memory (a table that grew stays
// as large: the next slice of the same stream needs about as many slots).
func (g *countGroups) reset() {
	clear(g.tab)
	clear(g.keys) // drop the strings the keys held
	g.keys = g.keys[:0]
	g.counts = g.counts[:0]
	clear(g.other)
}
