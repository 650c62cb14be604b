package agg

import (
	"encoding/binary"
	"slices"
	"sort"

	"github.com/streamsql/streamsql/types"
)

// ValueSet is a multiset of non-NULL values (value -> count), keyed by the
// values' grouping encoding (types.AppendKey), so 1.5 and 1.50 are one value.
//
// Integers (the common case: COUNT(DISTINCT id)) live in a map without
// pointers, which the garbage collector does not scan; other kinds are
// keyed by their encoding. A set holds the values of one expression, so
// one kind (the two maps never hold the same value).
//
// Once a checkpoint holds the set (MarkWritten), it tracks the values
// whose count changed since: such a value's count lives in a list of
// changes (dirtyInts or dirtyVals, in the order the values first
// changed), and the map holds -(its index+1) instead. A change to a
// tracked value then costs one map lookup and no write, and listing the
// changes none; a value removed and added again has two entries, the
// first with count 0. Every reader of the maps resolves the counts
// (intCount, valCount).
//
// A presence set (NewPresenceSet) records which values occurred, not how
// often: DISTINCT over an input that never retracts reads no count. Its
// integers live in seen, a flat hash set (about half the bytes of ints per
// value: see intSet), its other values in m with a count of 1; adding a
// value it holds is one lookup and no write, and once held the changes it
// tracks are the values added since (addedInts, dirtyVals), so
// MarkWritten writes nothing back. It cannot remove a value
// (Funcs.Retract refuses a call whose set is one).
type ValueSet struct {
	ints map[int64]int64
	m    map[string]setEntry
	seen intSet // a presence set's integers
	// shared, when not nil, makes a presence set one DISTINCT call's view
	// of the table its group's calls share (see maskSet and
	// Funcs.sharedSet): its integers are the values of shared whose mask
	// has bit, nShared of them, and seen stays empty.
	shared  *maskSet
	bit     uint8
	nShared int

	presence bool

	held      bool        // a checkpoint holds the set as of its last MarkWritten
	dirtyInts []intChange // integers whose count changed since (held only)
	addedInts []int64     // a presence set's integers added since (held only)
	dirtyVals []valChange // other values whose count changed since (held only)
	fresh     int         // how many of them were absent when first tracked
}

type setEntry struct {
	V types.Value
	N int64
}

// intChange and valChange are a tracked value and its count now (0:
// removed).
type intChange struct{ v, n int64 }

type valChange struct {
	v types.Value
	n int64
}

// NewValueSet returns an empty multiset.
func NewValueSet() *ValueSet { return &ValueSet{} }

// NewPresenceSet returns an empty presence set (see ValueSet).
func NewPresenceSet() *ValueSet { return &ValueSet{presence: true} }

// Presence reports whether s is a presence set (it keeps no counts).
func (s *ValueSet) Presence() bool { return s != nil && s.presence }

// Len is the number of distinct values.
func (s *ValueSet) Len() int {
	if s == nil {
		return 0
	}
	return len(s.ints) + len(s.m) + s.seenLen()
}

// newSharedView returns the presence set of the call of bit as a view of
// tbl, holding old's values (old: nil, or the call's set restored,
// cloned or merged on its own). It is not held: a checkpoint writes it
// whole.
func newSharedView(tbl *maskSet, bit uint8, old *ValueSet) *ValueSet {
	s := &ValueSet{presence: true, shared: tbl, bit: bit}
	var buf []byte
	old.each(func(v types.Value, _ int64) { s.addPresent(&buf, v) })
	return s
}

// seenLen, hasSeen, insertSeen and eachSeen read and change a presence
// set's integers, in seen or, for a view, in the shared table.
func (s *ValueSet) seenLen() int {
	if s.shared != nil {
		return s.nShared
	}
	return s.seen.len()
}

func (s *ValueSet) hasSeen(i int64) bool {
	if s.shared != nil {
		return s.shared.has(i, s.bit)
	}
	return s.seen.has(i)
}

func (s *ValueSet) insertSeen(i int64) bool {
	if s.shared == nil {
		return s.seen.insert(i)
	}
	if !s.shared.set(i, s.bit) {
		return false
	}
	s.nShared++
	return true
}

func (s *ValueSet) eachSeen(fn func(int64)) {
	if s.shared != nil {
		s.shared.each(s.bit, fn)
		return
	}
	s.seen.each(fn)
}

// presenceCopy returns a presence set of s's values (not held): the set
// of a DISTINCT call over an insert-only input restored from a state that
// kept counts.
func (s *ValueSet) presenceCopy() *ValueSet {
	c := NewPresenceSet()
	c.seen.reserve(len(s.ints))
	for i := range s.ints {
		c.seen.insert(i)
	}
	if len(s.m) > 0 {
		c.m = make(map[string]setEntry, len(s.m))
		for k, e := range s.m {
			c.m[k] = setEntry{V: e.V, N: 1}
		}
	}
	return c
}

// addPresent is add for a presence set (n is not kept).
func (s *ValueSet) addPresent(buf *[]byte, v types.Value) bool {
	if v.Kind() == types.KindInt {
		i := v.Int()
		if !s.insertSeen(i) {
			return false
		}
		if s.held {
			s.addedInts = append(s.addedInts, i)
			s.fresh++
		}
		return true
	}
	*buf = types.AppendKey((*buf)[:0], v)
	if _, ok := s.m[string(*buf)]; ok {
		return false
	}
	if s.m == nil {
		s.m = make(map[string]setEntry)
	}
	s.m[string(*buf)] = setEntry{V: v, N: 1}
	if s.held {
		s.dirtyVals = append(s.dirtyVals, valChange{v, 1})
		s.fresh++
	}
	return true
}

// intCount is the count of an integer whose map entry is c.
func (s *ValueSet) intCount(c int64) int64 {
	if c < 0 {
		return s.dirtyInts[-c-1].n
	}
	return c
}

// valCount is the count of a value whose map entry's count is n.
func (s *ValueSet) valCount(n int64) int64 {
	if n < 0 {
		return s.dirtyVals[-n-1].n
	}
	return n
}

// add adds n (> 0) occurrences of v and reports whether v was absent
// before. A presence set records v once, whatever n.
func (s *ValueSet) add(buf *[]byte, v types.Value, n int64) bool {
	if s.presence {
		return s.addPresent(buf, v)
	}
	if v.Kind() == types.KindInt {
		if s.ints == nil {
			s.ints = make(map[int64]int64)
		}
		i := v.Int()
		c, ok := s.ints[i]
		switch {
		case c < 0:
			s.dirtyInts[-c-1].n += n
		case s.held:
			s.dirtyInts = append(s.dirtyInts, intChange{i, c + n})
			s.ints[i] = -int64(len(s.dirtyInts))
			if !ok {
				s.fresh++
			}
		default:
			s.ints[i] = c + n
		}
		return !ok
	}
	if s.m == nil {
		s.m = make(map[string]setEntry)
	}
	*buf = types.AppendKey((*buf)[:0], v)
	e, ok := s.m[string(*buf)]
	if !ok {
		e.V = v
	}
	switch {
	case e.N < 0:
		s.dirtyVals[-e.N-1].n += n
		return false
	case s.held:
		s.dirtyVals = append(s.dirtyVals, valChange{e.V, e.N + n})
		e.N = -int64(len(s.dirtyVals))
		if !ok {
			s.fresh++
		}
	default:
		e.N += n
	}
	s.m[string(*buf)] = e
	return !ok
}

// remove removes one occurrence of v: found is false when v was absent,
// gone is true when its last occurrence was removed. A presence set
// removes nothing and reports v absent (its callers refuse first).
func (s *ValueSet) remove(buf *[]byte, v types.Value) (found, gone bool) {
	if s.presence {
		return false, false
	}
	if v.Kind() == types.KindInt {
		i := v.Int()
		c, ok := s.ints[i]
		if !ok {
			return false, false
		}
		left := s.intCount(c) - 1
		switch {
		case c < 0:
			s.dirtyInts[-c-1].n = max(left, 0)
		case s.held:
			s.dirtyInts = append(s.dirtyInts, intChange{i, max(left, 0)})
			c = -int64(len(s.dirtyInts))
		default:
			c = left
		}
		if left <= 0 {
			delete(s.ints, i)
			return true, true
		}
		s.ints[i] = c
		return true, false
	}
	*buf = types.AppendKey((*buf)[:0], v)
	e, ok := s.m[string(*buf)]
	if !ok {
		return false, false
	}
	left := s.valCount(e.N) - 1
	switch {
	case e.N < 0:
		s.dirtyVals[-e.N-1].n = max(left, 0)
	case s.held:
		s.dirtyVals = append(s.dirtyVals, valChange{e.V, max(left, 0)})
		e.N = -int64(len(s.dirtyVals))
	default:
		e.N = left
	}
	if left <= 0 {
		delete(s.m, string(*buf))
		return true, true
	}
	s.m[string(*buf)] = e
	return true, false
}

func (s *ValueSet) has(v types.Value) bool {
	if s == nil {
		return false
	}
	if v.Kind() == types.KindInt {
		if s.presence {
			return s.hasSeen(v.Int())
		}
		_, ok := s.ints[v.Int()]
		return ok
	}
	var tmp [24]byte
	_, ok := s.m[string(types.AppendKey(tmp[:0], v))]
	return ok
}

// each calls fn for each distinct value and its count, in no set order.
func (s *ValueSet) each(fn func(v types.Value, n int64)) {
	if s == nil {
		return
	}
	for i, n := range s.ints {
		fn(types.IntValue(i), s.intCount(n))
	}
	s.eachSeen(func(i int64) { fn(types.IntValue(i), 1) })
	for _, e := range s.m {
		fn(e.V, s.valCount(e.N))
	}
}

// extreme returns the largest (max) or smallest value, or NULL when empty.
func (s *ValueSet) extreme(max bool) types.Value {
	var best types.Value
	s.each(func(v types.Value, _ int64) {
		if best.IsNull() {
			best = v
			return
		}
		c := types.Compare(v, best)
		if (max && c > 0) || (!max && c < 0) {
			best = v
		}
	})
	return best
}

// Each calls fn for each distinct value and its count (1 in a presence
// set) in a canonical order (snapshots are deterministic): integers in
// numeric order, then the other values in the order of their grouping
// encodings.
func (s *ValueSet) Each(fn func(v types.Value, n int64)) {
	if s == nil {
		return
	}
	if n := len(s.ints) + s.seenLen(); n > 0 { // one of the two is empty
		ints := make([]int64, 0, n)
		for i := range s.ints {
			ints = append(ints, i)
		}
		s.eachSeen(func(i int64) { ints = append(ints, i) })
		slices.Sort(ints)
		for _, i := range ints {
			c := int64(1)
			if !s.presence {
				c = s.intCount(s.ints[i])
			}
			fn(types.IntValue(i), c)
		}
	}
	if len(s.m) > 0 {
		keys := make([]string, 0, len(s.m))
		for k := range s.m {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			e := s.m[k]
			fn(e.V, s.valCount(e.N))
		}
	}
}

// Clone returns a deep copy (which no checkpoint holds); a view of a
// shared table becomes a presence set of its own.
func (s *ValueSet) Clone() *ValueSet {
	if s == nil {
		return nil
	}
	c := &ValueSet{presence: s.presence, seen: s.seen.clone()}
	if s.shared != nil {
		c.seen.reserve(s.nShared)
		s.eachSeen(func(i int64) { c.seen.insert(i) })
	}
	if s.ints != nil {
		c.ints = make(map[int64]int64, len(s.ints))
		for k, n := range s.ints {
			c.ints[k] = s.intCount(n)
		}
	}
	if s.m != nil {
		c.m = make(map[string]setEntry, len(s.m))
		for k, e := range s.m {
			e.N = s.valCount(e.N)
			c.m[k] = e
		}
	}
	return c
}

// MarkWritten records that a checkpoint now holds the set as it is: the
// changes tracked so far are forgotten (the counts go back into the
// maps), and those from here on are tracked (see AppendChanges). The
// owner of the accumulator calls it when its checkpoint writes the set
// (whole or as changes). A presence set's counts are in its maps
// already: it only forgets the changes.
func (s *ValueSet) MarkWritten() {
	if s.presence {
		clear(s.dirtyVals)
		s.addedInts, s.dirtyVals, s.fresh = s.addedInts[:0], s.dirtyVals[:0], 0
		s.held = true
		return
	}
	// a change with a count is the value's current one (one removed to 0
	// left the map)
	for _, d := range s.dirtyInts {
		if d.n > 0 {
			s.ints[d.v] = d.n
		}
	}
	var buf []byte
	for _, d := range s.dirtyVals {
		if d.n > 0 {
			buf = types.AppendKey(buf[:0], d.v)
			s.m[string(buf)] = setEntry{V: d.v, N: d.n}
		}
	}
	clear(s.dirtyVals) // drop the values' references
	s.dirtyInts, s.dirtyVals, s.fresh = s.dirtyInts[:0], s.dirtyVals[:0], 0
	s.held = true
}

// Held reports whether a checkpoint holds the set (MarkWritten was called
// on it; a decoded or cloned set is not held).
func (s *ValueSet) Held() bool { return s != nil && s.held }

// Changes is the number of values listed as changed since MarkWritten (a
// value removed and added again may be listed twice).
func (s *ValueSet) Changes() int {
	if s == nil {
		return 0
	}
	return len(s.dirtyInts) + len(s.addedInts) + len(s.dirtyVals)
}

// AppendChanges appends the values whose count changed since the last
// MarkWritten, with their counts now (0 for a value removed): the number
// of entries (uvarint), then per entry the value and its count (varint),
// as AppendAcc writes a set's entries. ApplyChanges applies them to the
// set as it was at MarkWritten. fresh is how many of the entries are
// values added since that the set did not hold (an estimate from above:
// a fresh value removed again counts).
// A presence set's entries are the values added since, each with count 1.
func (s *ValueSet) AppendChanges(buf []byte) (out []byte, fresh int) {
	buf = binary.AppendUvarint(buf, uint64(s.Changes()))
	for _, d := range s.dirtyInts {
		buf = types.AppendValue(buf, types.IntValue(d.v))
		buf = binary.AppendVarint(buf, d.n)
	}
	for _, i := range s.addedInts {
		buf = types.AppendValue(buf, types.IntValue(i))
		buf = binary.AppendVarint(buf, 1)
	}
	for _, d := range s.dirtyVals {
		buf = types.AppendValue(buf, d.v)
		buf = binary.AppendVarint(buf, d.n)
	}
	return buf, s.fresh
}

// set makes n (>= 0; 0 removes v) the count of v in a set that tracks no
// changes (one being decoded); a presence set adds v (n > 0).
func (s *ValueSet) set(buf *[]byte, v types.Value, n int64) {
	if s.presence {
		s.addPresent(buf, v)
		return
	}
	if v.Kind() == types.KindInt {
		if n == 0 {
			delete(s.ints, v.Int())
			return
		}
		if s.ints == nil {
			s.ints = make(map[int64]int64)
		}
		s.ints[v.Int()] = n
		return
	}
	*buf = types.AppendKey((*buf)[:0], v)
	if n == 0 {
		delete(s.m, string(*buf))
		return
	}
	if s.m == nil {
		s.m = make(map[string]setEntry)
	}
	s.m[string(*buf)] = setEntry{V: v, N: n}
}

// decodeChanges applies entries written by AppendChanges to s and returns
// the rest of buf.
func (s *ValueSet) decodeChanges(buf []byte, kbuf *[]byte) ([]byte, error) {
	cnt, n := binary.Uvarint(buf)
	if n <= 0 || cnt > uint64(len(buf)) {
		return nil, ErrCorrupt
	}
	buf = buf[n:]
	for j := uint64(0); j < cnt; j++ {
		v, rest, err := types.DecodeValue(buf)
		if err != nil {
			return nil, err
		}
		c, n := binary.Varint(rest)
		if n <= 0 || c < 0 || v.IsNull() || (c == 0 && s.presence) {
			return nil, ErrCorrupt // a presence set's changes are values added
		}
		buf = rest[n:]
		s.set(kbuf, v, c)
	}
	return buf, nil
}
