package agg

import (
	"sort"

	"github.com/streamsql/streamsql/types"
)

// ValueSet is a multiset of non-NULL values (value -> count), keyed by the
// values' grouping encoding (types.AppendKey), so 1.5 and 1.50 are one value.
type ValueSet struct {
	m map[string]*setEntry
}

type setEntry struct {
	V types.Value
	N int64
}

// NewValueSet returns an empty multiset.
func NewValueSet() *ValueSet { return &ValueSet{m: make(map[string]*setEntry)} }

// Len is the number of distinct values.
func (s *ValueSet) Len() int {
	if s == nil {
		return 0
	}
	return len(s.m)
}

// add adds n occurrences of v and reports whether v was absent before.
func (s *ValueSet) add(buf *[]byte, v types.Value, n int64) bool {
	*buf = types.AppendKey((*buf)[:0], v)
	if e, ok := s.m[string(*buf)]; ok {
		e.N += n
		return false
	}
	s.m[string(*buf)] = &setEntry{V: v, N: n}
	return true
}

// remove removes one occurrence of v: found is false when v was absent,
// gone is true when its last occurrence was removed.
func (s *ValueSet) remove(buf *[]byte, v types.Value) (found, gone bool) {
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
	return true, false
}

func (s *ValueSet) has(v types.Value) bool {
	if s == nil {
		return false
	}
	var tmp [24]byte
	_, ok := s.m[string(types.AppendKey(tmp[:0], v))]
	return ok
}

// extreme returns the largest (max) or smallest value, or NULL when empty.
func (s *ValueSet) extreme(max bool) types.Value {
	var best types.Value
	if s == nil {
		return best
	}
	for _, e := range s.m {
		if best.IsNull() {
			best = e.V
			continue
		}
		c := types.Compare(e.V, best)
		if (max && c > 0) || (!max && c < 0) {
			best = e.V
		}
	}
	return best
}

// Each calls fn for each distinct value and its count, in key order.
func (s *ValueSet) Each(fn func(v types.Value, n int64)) {
	if s == nil {
		return
	}
	for _, k := range s.sortedKeys() {
		e := s.m[k]
		fn(e.V, e.N)
	}
}

func (s *ValueSet) sortedKeys() []string {
	keys := make([]string, 0, len(s.m))
	for k := range s.m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// Clone returns a deep copy.
func (s *ValueSet) Clone() *ValueSet {
	if s == nil {
		return nil
	}
	c := &ValueSet{m: make(map[string]*setEntry, len(s.m))}
	for k, e := range s.m {
		ce := *e
		c.m[k] = &ce
	}
	return c
}
