package agg

import (
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
type ValueSet struct {
	ints map[int64]int64
	m    map[string]setEntry
}

type setEntry struct {
	V types.Value
	N int64
}

// NewValueSet returns an empty multiset.
func NewValueSet() *ValueSet { return &ValueSet{} }

// Len is the number of distinct values.
func (s *ValueSet) Len() int {
	if s == nil {
		return 0
	}
	return len(s.ints) + len(s.m)
}

// add adds n occurrences of v and reports whether v was absent before.
func (s *ValueSet) add(buf *[]byte, v types.Value, n int64) bool {
	if v.Kind() == types.KindInt {
		if s.ints == nil {
			s.ints = make(map[int64]int64)
		}
		c, ok := s.ints[v.Int()]
		s.ints[v.Int()] = c + n
		return !ok
	}
	if s.m == nil {
		s.m = make(map[string]setEntry)
	}
	*buf = types.AppendKey((*buf)[:0], v)
	if e, ok := s.m[string(*buf)]; ok {
		e.N += n
		s.m[string(*buf)] = e
		return false
	}
	s.m[string(*buf)] = setEntry{V: v, N: n}
	return true
}

// remove removes one occurrence of v: found is false when v was absent,
// gone is true when its last occurrence was removed.
func (s *ValueSet) remove(buf *[]byte, v types.Value) (found, gone bool) {
	if v.Kind() == types.KindInt {
		c, ok := s.ints[v.Int()]
		if !ok {
			return false, false
		}
		if c <= 1 {
			delete(s.ints, v.Int())
			return true, true
		}
		s.ints[v.Int()] = c - 1
		return true, false
	}
	*buf = types.AppendKey((*buf)[:0], v)
	e, ok := s.m[string(*buf)]
	if !ok {
		return false, false
	}
	e.N--
	if e.N <= 0 {
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
		fn(types.IntValue(i), n)
	}
	for _, e := range s.m {
		fn(e.V, e.N)
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

// Each calls fn for each distinct value and its count in a canonical order
// (snapshots are deterministic): integers in numeric order, then the other
// values in the order of their grouping encodings.
func (s *ValueSet) Each(fn func(v types.Value, n int64)) {
	if s == nil {
		return
	}
	if len(s.ints) > 0 {
		ints := make([]int64, 0, len(s.ints))
		for i := range s.ints {
			ints = append(ints, i)
		}
		slices.Sort(ints)
		for _, i := range ints {
			fn(types.IntValue(i), s.ints[i])
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
			fn(e.V, e.N)
		}
	}
}

// Clone returns a deep copy.
func (s *ValueSet) Clone() *ValueSet {
	if s == nil {
		return nil
	}
	c := &ValueSet{}
	if s.ints != nil {
		c.ints = make(map[int64]int64, len(s.ints))
		for k, n := range s.ints {
			c.ints[k] = n
		}
	}
	if s.m != nil {
		c.m = make(map[string]setEntry, len(s.m))
		for k, e := range s.m {
			c.m[k] = e
		}
	}
	return c
}
