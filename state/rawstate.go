package state

import (
	"fmt"
	"sort"
	"strings"
)

// rawStates holds restored entries of states that are not registered yet,
// with values as their Codec encoded them. The memory backend keeps them
// here between Restore and NewKeyedMap, which decodes them; a state that is
// never registered is written back unchanged by every Snapshot, so that a
// checkpoint never loses state an operator has not asked for yet.
type rawStates struct {
	m map[string]*rawState
}

type rawState struct {
	groups map[int]map[string][]byte
	files  []string // where the entries came from, for messages
}

// apply records a restored change. val must stay valid and unchanged
// (callers pass slices of a payload they no longer touch, or copies).
func (r *rawStates) apply(name string, kg int, key, val []byte, del bool, file string) {
	s := r.state(name)
	if n := len(s.files); n == 0 || s.files[n-1] != file {
		s.files = append(s.files, file)
	}
	g := s.groups[kg]
	if del {
		if g != nil {
			delete(g, string(key))
		}
		return
	}
	if g == nil {
		g = map[string][]byte{}
		s.groups[kg] = g
	}
	g[string(key)] = val
}

// reserve makes room for n more entries of state name in key group kg
// (a map sized once instead of grown entry by entry).
func (r *rawStates) reserve(name string, kg, n int) {
	if n <= 0 {
		return
	}
	s := r.state(name)
	if len(s.groups[kg]) == 0 {
		s.groups[kg] = make(map[string][]byte, n)
	}
}

// state returns the held entries of state name, creating them.
func (r *rawStates) state(name string) *rawState {
	if r.m == nil {
		r.m = map[string]*rawState{}
	}
	s := r.m[name]
	if s == nil {
		s = &rawState{groups: map[int]map[string][]byte{}}
		r.m[name] = s
	}
	return s
}

// take removes and returns the entries of state name (nil if none).
func (r *rawStates) take(name string) *rawState {
	s := r.m[name]
	delete(r.m, name)
	return s
}

// names lists the held states, sorted.
func (r *rawStates) names() []string {
	out := make([]string, 0, len(r.m))
	for n := range r.m {
		out = append(out, n)
	}
	sort.Strings(out)
	return out
}

// origin describes where a state's entries came from.
func (s *rawState) origin() string {
	if len(s.files) > 3 {
		return strings.Join(s.files[:3], ", ") + fmt.Sprintf(" and %d more", len(s.files)-3)
	}
	return strings.Join(s.files, ", ")
}

// sortedGroups lists the key groups that hold entries, ascending.
func (s *rawState) sortedGroups() []int {
	out := make([]int, 0, len(s.groups))
	for kg, g := range s.groups {
		if len(g) > 0 {
			out = append(out, kg)
		}
	}
	sort.Ints(out)
	return out
}

// snapshotInto writes the held entries unchanged as state name.
func (s *rawState) snapshotInto(w *stateFileWriter, name string) {
	w.beginState(name)
	for _, kg := range s.sortedGroups() {
		w.beginGroup(kg)
		for k, v := range s.groups[kg] {
			w.putStr(k, v)
		}
	}
}
