package agg

import (
	"encoding/binary"
	"math"
	"math/big"

	"github.com/streamsql/streamsql/types"
)

// ErrCorrupt is returned by the decoders for malformed input. It is the
// sentinel of types' value codec, which encodes the values inside states.
var ErrCorrupt = types.ErrCorrupt

// Slot flags. A flag adds an optional field, so states written before a
// flag existed decode unchanged: flagCarry (the high word of a SUM beyond
// int64, see Slot) is absent from every state whose sums fit an int64.
const (
	flagFSum = 1 << iota
	flagSet
	flagCarry
	flagList // LISTAGG / GROUP_CONCAT / retractable FIRST_VALUE, LAST_VALUE values
	flagSq   // exact sum of squares (variance over integers and decimals)
	flagFSq  // floating sum of squares (variance over DOUBLE)
)

// AppendAcc appends the encoding of a.
func AppendAcc(buf []byte, a *Acc) []byte {
	buf = binary.AppendVarint(buf, a.Rows)
	buf = binary.AppendUvarint(buf, uint64(len(a.Slots)))
	for i := range a.Slots {
		s := &a.Slots[i]
		fl := slotFlags(s)
		buf = append(buf, fl)
		buf = appendScalars(buf, s, fl)
		if set := s.Multiset(); set != nil {
			// A presence set's entries have count 0: no multiset has a
			// value 0 times, so builds that read no presence sets refuse
			// the state (ErrCorrupt) rather than take it for counts.
			presence := set.Presence()
			buf = binary.AppendUvarint(buf, uint64(set.Len()))
			set.Each(func(v types.Value, n int64) {
				buf = types.AppendValue(buf, v)
				if presence {
					n = 0
				}
				buf = binary.AppendVarint(buf, n)
			})
		}
		buf = appendTrailer(buf, s, fl)
	}
	return buf
}

// slotFlags are the optional fields s has.
func slotFlags(s *Slot) byte {
	var fl byte
	if s.FSum != 0 {
		fl |= flagFSum
	}
	if s.Multiset() != nil {
		fl |= flagSet
	}
	if s.carry() != 0 {
		fl |= flagCarry
	}
	if s.list() != nil {
		fl |= flagList
	}
	if s.sq() != nil {
		fl |= flagSq
	}
	if s.fsq() != 0 {
		fl |= flagFSq
	}
	return fl
}

// appendScalars writes the fields of s before its multiset.
func appendScalars(buf []byte, s *Slot, fl byte) []byte {
	buf = binary.AppendVarint(buf, s.N)
	buf = binary.AppendVarint(buf, s.Sum)
	if fl&flagCarry != 0 {
		buf = binary.AppendVarint(buf, s.carry())
	}
	if fl&flagFSum != 0 {
		buf = binary.LittleEndian.AppendUint64(buf, math.Float64bits(s.FSum))
	}
	return types.AppendValue(buf, s.Ext)
}

// appendTrailer writes the fields of s after its multiset.
func appendTrailer(buf []byte, s *Slot, fl byte) []byte {
	if fl&flagList != 0 {
		buf = appendList(buf, s.list())
	}
	if fl&flagSq != 0 {
		buf = appendBig(buf, s.sq())
	}
	if fl&flagFSq != 0 {
		buf = binary.LittleEndian.AppendUint64(buf, math.Float64bits(s.fsq()))
	}
	return buf
}

// DecodeAcc decodes an accumulator written by AppendAcc into a and returns
// the rest. a's slots are reused when they have room (cleared first), so a
// must not share them with another accumulator. buf is only read: decoded
// values do not alias it.
func DecodeAcc(buf []byte, a *Acc) ([]byte, error) {
	var n int
	if a.Rows, n = binary.Varint(buf); n <= 0 {
		return nil, ErrCorrupt
	}
	buf = buf[n:]
	ns, n := binary.Uvarint(buf)
	if n <= 0 || ns > uint64(len(buf)) {
		return nil, ErrCorrupt
	}
	buf = buf[n:]
	if uint64(cap(a.Slots)) >= ns { // reuse a's slots, as Init does
		a.Slots = a.Slots[:ns]
		clear(a.Slots)
	} else {
		a.Slots = make([]Slot, ns)
	}
	var kbuf []byte
	for i := range a.Slots {
		s := &a.Slots[i]
		if len(buf) < 1 {
			return nil, ErrCorrupt
		}
		fl := buf[0]
		buf = buf[1:]
		var err error
		if buf, err = decodeScalars(buf, s, fl); err != nil {
			return nil, err
		}
		if fl&flagSet != 0 {
			cnt, n := binary.Uvarint(buf)
			if n <= 0 || cnt > uint64(len(buf)) {
				return nil, ErrCorrupt
			}
			buf = buf[n:]
			set := NewValueSet()
			for j := uint64(0); j < cnt; j++ {
				var v types.Value
				if v, buf, err = types.DecodeValue(buf); err != nil {
					return nil, err
				}
				c, n := binary.Varint(buf)
				if n <= 0 || c < 0 || v.IsNull() {
					return nil, ErrCorrupt
				}
				if j == 0 && c == 0 {
					set = NewPresenceSet() // see AppendAcc
				} else if (c == 0) != set.presence {
					return nil, ErrCorrupt // a multiset holds values at least once
				}
				buf = buf[n:]
				set.add(&kbuf, v, c)
			}
			s.m().set = set
		}
		if buf, err = decodeTrailer(buf, s, fl); err != nil {
			return nil, err
		}
	}
	return buf, nil
}

// decodeScalars reads what appendScalars wrote into s.
func decodeScalars(buf []byte, s *Slot, fl byte) ([]byte, error) {
	var n int
	if s.N, n = binary.Varint(buf); n <= 0 {
		return nil, ErrCorrupt
	}
	buf = buf[n:]
	if s.Sum, n = binary.Varint(buf); n <= 0 {
		return nil, ErrCorrupt
	}
	buf = buf[n:]
	if fl&flagCarry != 0 {
		c, n := binary.Varint(buf)
		if n <= 0 {
			return nil, ErrCorrupt
		}
		s.m().carry = c
		buf = buf[n:]
	}
	if fl&flagFSum != 0 {
		if len(buf) < 8 {
			return nil, ErrCorrupt
		}
		s.FSum = math.Float64frombits(binary.LittleEndian.Uint64(buf))
		buf = buf[8:]
	}
	var err error
	s.Ext, buf, err = types.DecodeValue(buf)
	return buf, err
}

// decodeTrailer reads what appendTrailer wrote into s.
func decodeTrailer(buf []byte, s *Slot, fl byte) ([]byte, error) {
	var err error
	if fl&flagList != 0 {
		var l *ValueList
		if l, buf, err = decodeList(buf); err != nil {
			return nil, err
		}
		s.m().list = l
	}
	if fl&flagSq != 0 {
		var sq *big.Int
		if sq, buf, err = decodeBig(buf); err != nil {
			return nil, err
		}
		s.m().sq = sq
	}
	if fl&flagFSq != 0 {
		if len(buf) < 8 {
			return nil, ErrCorrupt
		}
		s.m().fsq = math.Float64frombits(binary.LittleEndian.Uint64(buf))
		buf = buf[8:]
	}
	return buf, nil
}

// Clone returns a deep copy of a.
func (a *Acc) Clone() Acc {
	c := Acc{Rows: a.Rows, Slots: make([]Slot, len(a.Slots))}
	copy(c.Slots, a.Slots)
	for i := range c.Slots {
		m := c.Slots[i].more
		if m == nil {
			continue
		}
		cm := *m
		cm.set = m.set.Clone()
		cm.list = m.list.Clone()
		if m.sq != nil {
			cm.sq = new(big.Int).Set(m.sq)
		}
		c.Slots[i].more = &cm
	}
	return c
}

// appendList writes a list: its length, then per entry the value, the
// number of ORDER BY keys and the keys.
func appendList(buf []byte, l *ValueList) []byte {
	buf = binary.AppendUvarint(buf, uint64(len(l.Entries)))
	for _, e := range l.Entries {
		buf = types.AppendValue(buf, e.V)
		buf = binary.AppendUvarint(buf, uint64(len(e.Keys)))
		for _, k := range e.Keys {
			buf = types.AppendValue(buf, k)
		}
	}
	return buf
}

func decodeList(buf []byte) (*ValueList, []byte, error) {
	cnt, n := binary.Uvarint(buf)
	if n <= 0 || cnt > uint64(len(buf)) {
		return nil, nil, ErrCorrupt
	}
	buf = buf[n:]
	l := &ValueList{Entries: make([]ListEntry, 0, cnt)}
	for j := uint64(0); j < cnt; j++ {
		var e ListEntry
		var err error
		if e.V, buf, err = types.DecodeValue(buf); err != nil {
			return nil, nil, err
		}
		nk, n := binary.Uvarint(buf)
		if n <= 0 || nk > uint64(len(buf)) {
			return nil, nil, ErrCorrupt
		}
		buf = buf[n:]
		for k := uint64(0); k < nk; k++ {
			var v types.Value
			if v, buf, err = types.DecodeValue(buf); err != nil {
				return nil, nil, err
			}
			e.Keys = append(e.Keys, v)
		}
		l.Entries = append(l.Entries, e)
	}
	return l, buf, nil
}

// appendBig writes a big integer: a sign byte (0, 1 positive, 2
// negative), the magnitude's length and its big-endian bytes.
func appendBig(buf []byte, b *big.Int) []byte {
	sign := byte(0)
	switch b.Sign() {
	case 1:
		sign = 1
	case -1:
		sign = 2
	}
	mag := b.Bytes()
	buf = append(buf, sign)
	buf = binary.AppendUvarint(buf, uint64(len(mag)))
	return append(buf, mag...)
}

func decodeBig(buf []byte) (*big.Int, []byte, error) {
	if len(buf) < 1 || buf[0] > 2 {
		return nil, nil, ErrCorrupt
	}
	sign := buf[0]
	ln, n := binary.Uvarint(buf[1:])
	if n <= 0 || ln > uint64(len(buf)-1-n) {
		return nil, nil, ErrCorrupt
	}
	buf = buf[1+n:]
	b := new(big.Int).SetBytes(buf[:ln])
	if sign == 2 {
		b.Neg(b)
	}
	return b, buf[ln:], nil
}

// MarkWritten records that a checkpoint now holds a as it is (see
// AppendAccChanges): every DISTINCT or MIN/MAX multiset of it starts
// tracking its changes from here. The owner of a calls it whenever its
// checkpoint writes a, whole or as changes, on the goroutine that owns a.
func MarkWritten(a *Acc) {
	for i := range a.Slots {
		if s := a.Slots[i].Multiset(); s != nil {
			s.MarkWritten()
		}
	}
}

// AppendAccChanges appends a patch of a over a as it was at its last
// MarkWritten: AppendAcc's encoding of every slot, except that a
// multiset is written as the values whose count changed since (see
// ValueSet.AppendChanges). DecodeAccChanges applies it. ok is false
// (and buf returned as it was) when a has no multiset a checkpoint holds,
// or has one it does not hold (created since), or has a value list
// (LISTAGG and the like, written whole): a must then be written whole.
// fresh is how many of the multisets' entries are values added since.
func AppendAccChanges(buf []byte, a *Acc) (out []byte, fresh int, ok bool) {
	for i := range a.Slots {
		s := &a.Slots[i]
		if s.list() != nil || (s.Multiset() != nil && !s.Multiset().Held()) {
			return buf, 0, false
		}
		ok = ok || s.Multiset() != nil
	}
	if !ok {
		return buf, 0, false
	}
	buf = binary.AppendVarint(buf, a.Rows)
	buf = binary.AppendUvarint(buf, uint64(len(a.Slots)))
	for i := range a.Slots {
		s := &a.Slots[i]
		fl := slotFlags(s)
		buf = append(buf, fl)
		buf = appendScalars(buf, s, fl)
		if s.Multiset() != nil {
			var f int
			buf, f = s.Multiset().AppendChanges(buf)
			fresh += f
		}
		buf = appendTrailer(buf, s, fl)
	}
	return buf, fresh, true
}

// DecodeAccChanges applies a patch written by AppendAccChanges to a
// (decoded from what was written at that MarkWritten, with earlier
// patches applied) and returns the rest of buf.
func DecodeAccChanges(buf []byte, a *Acc) ([]byte, error) {
	rows, n := binary.Varint(buf)
	if n <= 0 {
		return nil, ErrCorrupt
	}
	buf = buf[n:]
	ns, n := binary.Uvarint(buf)
	if n <= 0 || ns != uint64(len(a.Slots)) {
		return nil, ErrCorrupt
	}
	buf = buf[n:]
	a.Rows = rows
	var kbuf []byte
	for i := range a.Slots {
		s := &a.Slots[i]
		if len(buf) < 1 {
			return nil, ErrCorrupt
		}
		fl := buf[0]
		buf = buf[1:]
		if fl&flagList != 0 || (fl&flagSet != 0 && s.Multiset() == nil) {
			return nil, ErrCorrupt
		}
		set := s.Multiset()
		*s = Slot{}
		var err error
		if buf, err = decodeScalars(buf, s, fl); err != nil {
			return nil, err
		}
		if fl&flagSet != 0 {
			s.m().set = set
			if buf, err = set.decodeChanges(buf, &kbuf); err != nil {
				return nil, err
			}
		}
		if buf, err = decodeTrailer(buf, s, fl); err != nil {
			return nil, err
		}
	}
	return buf, nil
}
