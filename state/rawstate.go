package state

import (
	"encoding/binary"
	"errors"
	"fmt"
	"hash/maphash"
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

// rawState holds one state's restored entries per key group. A restore
// first reads the snapshot files, where a key appears once per state and
// key group (the base: the files' blocks as they are, so that a large
// state costs a slice per key group and file until NewKeyedMap decodes
// it, not a record per entry); changes applied after them (changelog
// segments, the deltas of incremental checkpoints) override base entries
// by key.
type rawState struct {
	groups map[int]*rawGroup
	files  []string // where the entries came from, for messages
}

type rawGroup struct {
	// blocks hold the base entries encoded as a "full-v1" block encodes
	// them (keyLen, key, len(val)+1, val): slices of the payloads of
	// snapshot files, checked when they were added (addBlock), or, for
	// entries given one by one (addBase), a block of the group's own.
	blocks []rawBlock
	nBase  int // entries in blocks
	// over holds the later changes by key (nil until one comes): a value,
	// a deletion (del), or appends to the base entry (onBase).
	over map[string]rawChange
	// onBase counts the entries of over that are appends to a base entry.
	onBase int
}

// rawBlock is a block of count base entries; own: data is the group's
// own buffer (addBase appends to it), not a file's.
type rawBlock struct {
	data  []byte
	count int
	own   bool
}

// rawChange is the net effect of the changes applied to one key: a value
// (val, appends already appended to it), a deletion (del), or, onBase,
// the tails to append to the key's base entry, in order.
type rawChange struct {
	val    []byte
	del    bool
	onBase bool
	tails  [][]byte
}

// addBase records an entry of a snapshot file given entry by entry (it is
// copied). A key must come at most once per state and key group among
// the snapshot files, and before any change (applyChange).
func (r *rawStates) addBase(name string, kg int, key, val []byte, file string) {
	s := r.state(name)
	s.noteFile(file)
	g := s.group(kg)
	if n := len(g.blocks); n == 0 || !g.blocks[n-1].own {
		g.blocks = append(g.blocks, rawBlock{own: true})
	}
	b := &g.blocks[len(g.blocks)-1]
	b.data = appendBytes(b.data, key)
	b.data = binary.AppendUvarint(b.data, uint64(len(val))+1)
	b.data = append(b.data, val...)
	b.count++
	g.nBase++
}

// addBlock records a block of count entries of a snapshot file, in the
// "full-v1" encoding, which checkBlock has accepted. data must stay valid
// and unchanged (a slice of a payload nothing else touches). Keys as for
// addBase.
func (r *rawStates) addBlock(name string, kg int, data []byte, count int, file string) {
	if count == 0 {
		return
	}
	s := r.state(name)
	s.noteFile(file)
	g := s.group(kg)
	g.blocks = append(g.blocks, rawBlock{data: data, count: count})
	g.nBase += count
}

// applyChange records a change applied after the snapshot files: a new
// value, a deletion, or an append to the key's encoded value. val must
// stay valid as in addBase; key is copied. An append to a key whose last
// change deleted it is an error; one to a key that no change has touched
// applies to the base entry, which each finds (and reports missing).
func (r *rawStates) applyChange(name string, kg int, key, val []byte, kind changeKind, file string) error {
	s := r.state(name)
	s.noteFile(file)
	g := s.group(kg)
	if g.over == nil {
		g.over = map[string]rawChange{}
	}
	if kind != changeAppend {
		if c, ok := g.over[string(key)]; ok && c.onBase {
			g.onBase--
		}
		g.over[string(key)] = rawChange{val: val, del: kind == changeDelete}
		return nil
	}
	c, ok := g.over[string(key)]
	switch {
	case !ok:
		g.over[string(key)] = rawChange{onBase: true, tails: [][]byte{val}}
		g.onBase++
	case c.del:
		return fmt.Errorf("key group %d: an append to key %q, which an earlier change deleted", kg, key)
	case c.onBase:
		c.tails = append(c.tails, val)
		g.over[string(key)] = c
	default:
		v := make([]byte, 0, len(c.val)+len(val))
		c.val = append(append(v, c.val...), val...)
		g.over[string(key)] = c
	}
	return nil
}

func (s *rawState) noteFile(file string) {
	if n := len(s.files); n == 0 || s.files[n-1] != file {
		s.files = append(s.files, file)
	}
}

func (s *rawState) group(kg int) *rawGroup {
	g := s.groups[kg]
	if g == nil {
		g = &rawGroup{}
		s.groups[kg] = g
	}
	return g
}

// each calls fn for every entry the group holds once its changes are
// applied: the base entries not overridden (with their appends, if any),
// then the changed values, and returns the first error fn returns. An
// append to a key the base does not hold is an error.
func (g *rawGroup) each(fn func(key, val []byte) error) error {
	found := 0
	// Most base entries are not overridden: a filter of the changed keys
	// (small enough to stay in the CPU's cache) spares them a lookup in
	// over.
	filter := newKeyFilter(g.over)
	err := g.walkBase(func(key, val []byte) error {
		if g.over != nil && filter.mayHold(key) {
			if c, ok := g.over[string(key)]; ok {
				if !c.onBase {
					return nil
				}
				found++
				return fn(key, withTails(val, c.tails))
			}
		}
		return fn(key, val)
	})
	if err != nil {
		return err
	}
	if found != g.onBase {
		for k, c := range g.over {
			if c.onBase && !g.inBase(k) {
				return fmt.Errorf("an append to key %q, which no earlier file holds", k)
			}
		}
	}
	for k, c := range g.over {
		if c.del || c.onBase {
			continue
		}
		if err := fn([]byte(k), c.val); err != nil {
			return err
		}
	}
	return nil
}

// keyFilter is a Bloom filter of a set of keys (two bits per key in a
// table of about eight bits per key: about 5% false positives).
type keyFilter struct {
	seed maphash.Seed
	bits []uint64
	mask uint64 // len(bits)*64 - 1
}

// newKeyFilter returns a filter of the keys of over (empty when over is).
func newKeyFilter(over map[string]rawChange) keyFilter {
	if len(over) == 0 {
		return keyFilter{}
	}
	n := uint64(64)
	for n < 8*uint64(len(over)) {
		n <<= 1
	}
	f := keyFilter{seed: maphash.MakeSeed(), bits: make([]uint64, n/64), mask: n - 1}
	for k := range over {
		h := maphash.String(f.seed, k)
		f.set(h & f.mask)
		f.set(h >> 32 & f.mask)
	}
	return f
}

func (f *keyFilter) set(i uint64)      { f.bits[i>>6] |= 1 << (i & 63) }
func (f *keyFilter) has(i uint64) bool { return f.bits[i>>6]&(1<<(i&63)) != 0 }

// mayHold reports whether key may be in the set: false only when it is
// not. An empty filter holds nothing.
func (f *keyFilter) mayHold(key []byte) bool {
	if f.bits == nil {
		return false
	}
	h := maphash.Bytes(f.seed, key)
	return f.has(h&f.mask) && f.has(h>>32&f.mask)
}

// inBase reports whether the base holds key (a scan: for error messages).
func (g *rawGroup) inBase(key string) bool {
	found := false
	g.eachBase(func(k, _ []byte) {
		found = found || string(k) == key
	})
	return found
}

// eachBase calls fn for every base entry (blocks checked when added: a
// damaged one ends the walk).
func (g *rawGroup) eachBase(fn func(key, val []byte)) {
	g.walkBase(func(key, val []byte) error {
		fn(key, val)
		return nil
	})
}

// walkBase calls fn for every base entry in order; it returns fn's first
// error, or errDamagedBlock at an entry that does not decode.
func (g *rawGroup) walkBase(fn func(key, val []byte) error) error {
	for _, b := range g.blocks {
		r := reader{b: b.data}
		for range b.count {
			key := r.bytes()
			val := r.take(int(r.u64() - 1))
			if r.err != nil {
				return errDamagedBlock
			}
			if err := fn(key, val); err != nil {
				return err
			}
		}
	}
	return nil
}

// errDamagedBlock is a block of a group that does not hold its entries:
// checkBlock accepts no such block, so it is a bug, reported as an error.
var errDamagedBlock = errors.New("a restored block of entries is damaged")

// withTails returns val with tails appended (val itself when none).
func withTails(val []byte, tails [][]byte) []byte {
	if len(tails) == 0 {
		return val
	}
	n := len(val)
	for _, t := range tails {
		n += len(t)
	}
	out := make([]byte, 0, n)
	out = append(out, val...)
	for _, t := range tails {
		out = append(out, t...)
	}
	return out
}

// sizeHint is about how many entries each gives (an upper bound).
func (g *rawGroup) sizeHint() int { return g.nBase + len(g.over) }

// state returns the held entries of state name, creating them.
func (r *rawStates) state(name string) *rawState {
	if r.m == nil {
		r.m = map[string]*rawState{}
	}
	s := r.m[name]
	if s == nil {
		s = &rawState{groups: map[int]*rawGroup{}}
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
		if g.sizeHint() > 0 {
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
		s.groups[kg].each(func(k, v []byte) error {
			w.put(k, v)
			return nil
		})
	}
}
