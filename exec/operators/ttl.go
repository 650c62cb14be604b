package operators

import (
	"encoding/binary"
	"time"
)

// State TTL (table.exec.state.ttl, Flink's idle state retention) for the
// non-windowed GroupAggregate and the regular join.
//
// Every entry of a store under TTL carries a ttlStamp in its encoded value:
// the processing time (ctx.Now, ms) of its last read or write, and the slot
// of the expiry index it is registered in. An entry is expired once
// now >= access + ttl (Flink's rule). Expired state is never used: the
// operator checks the stamp on every access and removes an expired entry
// before looking at it, so the key behaves as if it had never been seen.
//
// Memory is reclaimed without waiting for an access by the expiry index, a
// local wheel of slots (slot time -> keys registered there) rebuilt from
// the stamps in Open. A new entry is registered at the slot that rounds its
// expiry up; accesses only move the stamp, never the registration, so the
// per-row cost is a store of the clock. OnTick visits due registrations
// (bounded work per tick): an entry registered there and expired is
// removed; one accessed since is registered again at its new expiry's slot.
// A registration whose entry is gone, or names another slot (an older
// incarnation of the key), is dropped. Hence every live entry is registered
// exactly where its stamp says, and stale registrations vanish when due.
//
// The operator reads the clock once per batch (every row of a batch is
// processed at that instant) and once per tick, and never lets it run
// backwards. OnTick uses ctx.Now, not its argument, so that stamps and
// sweeps share one clock.
//
// With the TTL off (0) the stamps are encoded but stay zero and are never
// read or written, and the clock is not read. State written while the TTL
// was off (due 0) counts as accessed when an operator with a TTL opens it.

// ttlStamp is the TTL bookkeeping of a state entry (part of its encoding).
type ttlStamp struct {
	access int64 // last read or write, processing-time ms
	due    int64 // slot of the expiry index the entry is registered in; 0: none
}

func (s *ttlStamp) stamp() *ttlStamp { return s }

// keyRef names a state entry.
type keyRef struct {
	kg  int
	key string
}

// ttlEntry is a store entry with a ttlStamp.
type ttlEntry interface {
	entry
	stamp() *ttlStamp
}

func appendStamp(buf []byte, s *ttlStamp) []byte {
	buf = binary.AppendVarint(buf, s.access)
	return binary.AppendVarint(buf, s.due)
}

func decodeStamp(buf []byte) (ttlStamp, []byte, error) {
	var s ttlStamp
	var n int
	if s.access, n = binary.Varint(buf); n <= 0 {
		return s, nil, errCorrupt
	}
	buf = buf[n:]
	if s.due, n = binary.Varint(buf); n <= 0 {
		return s, nil, errCorrupt
	}
	return s, buf[n:], nil
}

const (
	// ttlSlots is about how many expiry slots one TTL spans.
	ttlSlots = 64
	// ttlMaxSlotWidth caps the width of a slot (ms), so that memory is
	// reclaimed at most this long after the TTL.
	ttlMaxSlotWidth = 60_000
	// ttlSweepBudget is the number of registrations a tick visits; it
	// doubles, up to ttlSweepMax, for every tick that leaves due
	// registrations behind, and falls back once the sweep caught up.
	ttlSweepBudget = 1 << 12
	ttlSweepMax    = 1 << 20
)

// stateTTL is an operator's TTL clock and expiry index. The zero value is
// off.
type stateTTL struct {
	ttl    int64 // ms; 0: off
	clock  func() int64
	width  int64 // slot width, ms
	now    int64 // processing time of the current call, ms (never decreases)
	index  *timers
	cur    *bucket // slot being swept (popped from index)
	curAt  int64   // its slot time
	pos    int     // next registration of cur
	budget int     // registrations the next sweep may visit
	left   int     // of the current sweep
}

// ttlMillis converts a TTL to whole milliseconds (rounded up; <= 0: off).
func ttlMillis(d time.Duration) int64 {
	if d <= 0 {
		return 0
	}
	return int64((d + time.Millisecond - 1) / time.Millisecond)
}

// open sets the TTL and reads the clock (ctx.Now; wall-clock time when
// nil). A zero ttl leaves the TTL off.
func (t *stateTTL) open(ttl time.Duration, clock func() int64) {
	*t = stateTTL{ttl: ttlMillis(ttl)}
	if t.ttl == 0 {
		return
	}
	if clock == nil {
		clock = func() int64 { return time.Now().UnixMilli() }
	}
	t.clock = clock
	t.width = min(max(t.ttl/ttlSlots, 1), ttlMaxSlotWidth)
	t.now = clock()
	t.index = newTimers()
	t.budget = ttlSweepBudget
}

func (t *stateTTL) on() bool { return t.ttl > 0 }

// sync reads the clock (the processing time never goes back).
func (t *stateTTL) sync() { t.now = max(t.now, t.clock()) }

// expired reports whether s has been idle for the TTL.
func (t *stateTTL) expired(s *ttlStamp) bool { return t.now-s.access >= t.ttl }

// slot returns the index slot of an entry last accessed at access: its
// expiry rounded up to the slot width (never 0).
func (t *stateTTL) slot(access int64) int64 {
	x := access + t.ttl
	s := x / t.width * t.width
	if s < x {
		s += t.width
	}
	if s == 0 {
		s = t.width
	}
	return s
}

// create stamps a new entry as accessed now and registers tag (the key in
// the index) at its slot.
func (t *stateTTL) create(kg int, tag []byte, s *ttlStamp) {
	s.access = t.now
	t.register(kg, tag, s)
}

// register records tag at the slot of s's expiry.
func (t *stateTTL) register(kg int, tag []byte, s *ttlStamp) {
	s.due = t.slot(s.access)
	t.index.add(s.due, kg, tag)
}

// restore registers an entry read from state in Open. It reports false for
// an entry without a registration (written while the TTL was off): the
// caller then stamps it with create, as if it had been accessed at Open.
func (t *stateTTL) restore(kg int, tag []byte, s *ttlStamp) bool {
	if s.due == 0 {
		return false
	}
	t.index.add(s.due, kg, tag)
	return true
}

// startSweep reads the clock and begins a tick's sweep.
func (t *stateTTL) startSweep() {
	t.sync()
	t.left = t.budget
}

// next returns the next due registration of this sweep: its key group, its
// tag (valid until the next call) and its slot. It returns false once
// nothing more is due or the sweep's budget is spent.
func (t *stateTTL) next() (int, []byte, int64, bool) {
	for t.cur == nil || t.pos == t.cur.len() {
		if t.cur != nil {
			t.index.release(t.cur)
			t.cur = nil
		}
		// a slot s is due at now >= s (timers fire end e at e - 1 <= wm)
		at, b, ok := t.index.pop(t.now-1, false)
		if !ok {
			t.budget = ttlSweepBudget
			return 0, nil, 0, false
		}
		t.cur, t.curAt, t.pos = b, at, 0
	}
	if t.left == 0 {
		t.budget = min(2*t.budget, ttlSweepMax)
		return 0, nil, 0, false
	}
	t.left--
	i := t.pos
	t.pos++
	return t.cur.kg(i), t.cur.key(i), t.curAt, true
}

// sweepEntry handles the due registration of key (tag in the index) at
// slot due in store s: it removes the entry when it expired, registers it
// again when it was accessed since, and ignores a stale registration.
func sweepEntry[P ttlEntry](t *stateTTL, s *store[P], kg int, key, tag []byte, due int64) {
	p, ok := s.peek(kg, key)
	if !ok || p.stamp().due != due {
		return
	}
	if t.expired(p.stamp()) {
		s.remove(kg, key, p)
		return
	}
	p, _ = s.get(kg, key) // for mutation
	t.register(kg, tag, p.stamp())
}

// refresh checks the entry found for key in s: an expired one is removed
// and reported absent; a live one is stamped as accessed now.
func refresh[P ttlEntry](t *stateTTL, s *store[P], kg int, key []byte, p P, ok bool) (P, bool) {
	if !ok {
		return p, false
	}
	st := p.stamp()
	if t.expired(st) {
		s.remove(kg, key, p)
		var zero P
		return zero, false
	}
	st.access = t.now
	return p, true
}
