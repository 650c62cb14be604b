package format

import "encoding/binary"

// Short STRING values repeat in most streams (words, country codes, event
// types, user names): a decoder keeps the strings it made in a small table
// and hands out the same string again when the same bytes come back, so
// that a repeated value costs a hash and a compare instead of an
// allocation (and later garbage collection work).
//
// Each string in the table is an allocation of its own (never a slice of
// a record), so the table holds at most internSlots × internMaxLen bytes
// of text and keeps no record alive. A column whose values rarely repeat
// (identifiers, free text) stops using the table: when fewer than a
// quarter of a window of internWindow lookups of a column hit, lookups
// pause for the column's next values, which the decoder then stores as
// before (slices of one string copy of the record). The pause starts at
// internWindow values (a table that is still filling up misses too) and
// doubles with each window that misses again, up to internPause values.
const (
	internSlots  = 4096 // a power of two
	internMaxLen = 32
	internWindow = 256
	internPause  = 16384
)

// interner is a decoder's table of recent short strings: two-way set
// associative (a new string goes to the first slot of its set, moving the
// one there to the second). Not safe for concurrent use.
type interner struct {
	slots []internSlot
	cols  []internCol
	set   int    // the set of the last lookup that missed
	k0    uint64 // the key of the last lookup that missed
	k1    uint64
}

// internSlot is a string of the table with its key (internKey).
type internSlot struct {
	s      string
	k0, k1 uint64
}

// internCol is the table's bookkeeping for one column.
type internCol struct {
	tries, hits int32 // lookups and hits in the current window
	paused      int32 // values left before lookups resume
	nextPause   int32 // the pause after a window that misses; 0: internWindow
}

func newInterner(columns int) *interner {
	return &interner{slots: make([]internSlot, internSlots), cols: make([]internCol, columns)}
}

// internResult says what interner.lookup found.
type internResult uint8

const (
	internSkip internResult = iota // not looked up: the caller makes the string
	internHit                      // the string returned equals the bytes
	internMiss                     // not in the table: the caller checks the bytes, then calls add
)

// lookup looks b up for column col. A string it returns (internHit)
// passed the caller's checks when it entered the table (empty text is
// always a hit). After internMiss the caller either rejects b or calls add
// with the same b.
func (t *interner) lookup(col int, b []byte) (string, internResult) {
	if len(b) > internMaxLen {
		return "", internSkip
	}
	if len(b) == 0 {
		return "", internHit
	}
	c := &t.cols[col]
	if c.paused > 0 {
		c.paused--
		return "", internSkip
	}
	if c.tries++; c.tries == internWindow {
		if c.hits < internWindow/4 {
			c.paused = max(c.nextPause, internWindow)
			c.nextPause = min(2*c.paused, internPause)
		} else {
			c.nextPause = 0
		}
		c.tries, c.hits = 0, 0
	}
	k0, k1 := internKey(b)
	h := (k0 ^ uint64(len(b))) * 0x9E3779B97F4A7C15
	h = (h ^ h>>29 ^ k1) * 0xBF58476D1CE4E5B9
	if len(b) > 16 {
		h = (h ^ h>>29 ^ word(b[16:])) * 0x94D049BB133111EB
	}
	i := int(h>>40) & (internSlots - 2)
	set := t.slots[i : i+2 : i+2]
	for j := range set {
		if e := &set[j]; e.holds(k0, k1, b) {
			c.hits++
			return e.s, internHit
		}
	}
	t.set, t.k0, t.k1 = i, k0, k1
	return "", internMiss
}

// add makes the string of b (the bytes of the last lookup, a miss) and
// keeps it in the first slot of its set.
func (t *interner) add(b []byte) string {
	s := string(b)
	set := t.slots[t.set : t.set+2 : t.set+2]
	set[1], set[0] = set[0], internSlot{s: s, k0: t.k0, k1: t.k1}
	return s
}

// holds reports whether e's string equals b, whose key is k0, k1.
func (e *internSlot) holds(k0, k1 uint64, b []byte) bool {
	return e.k0 == k0 && e.k1 == k1 && len(e.s) == len(b) && (len(b) <= 16 || e.s[16:] == string(b[16:]))
}

// internKey returns two words that identify text of 1 to 16 bytes among
// texts of its length (longer text: its first 16 bytes).
func internKey(b []byte) (k0, k1 uint64) {
	if len(b) <= 8 {
		return word(b), 0
	}
	k0 = binary.LittleEndian.Uint64(b)
	if len(b) >= 16 {
		return k0, binary.LittleEndian.Uint64(b[8:])
	}
	return k0, word(b[8:])
}

// word returns a word that identifies 1 to 8 bytes among texts of their
// length (longer text: a word of some of its bytes).
func word(b []byte) uint64 {
	n := len(b)
	if n >= 4 {
		return uint64(binary.LittleEndian.Uint32(b))<<32 | uint64(binary.LittleEndian.Uint32(b[n-4:]))
	}
	return uint64(b[0])<<16 | uint64(b[n/2])<<8 | uint64(b[n-1])
}
