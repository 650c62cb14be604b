package agg

import (
	"bytes"

	"github.com/streamsql/streamsql/types"
)

// ValueList is the arrival-ordered list of the non-NULL values folded into
// a LISTAGG, GROUP_CONCAT, or (with retraction) FIRST_VALUE / LAST_VALUE
// call, each with its GROUP_CONCAT ORDER BY keys (nil without ORDER BY).
// A retraction removes the earliest entry equal to the retracted one.
type ValueList struct {
	Entries []ListEntry
}

// ListEntry is one value of a ValueList and its ORDER BY keys.
type ListEntry struct {
	V    types.Value
	Keys []types.Value
}

// Len is the number of entries.
func (l *ValueList) Len() int {
	if l == nil {
		return 0
	}
	return len(l.Entries)
}

func (l *ValueList) append(v types.Value, keys []types.Value) {
	var k []types.Value
	if len(keys) > 0 {
		k = append(k, keys...)
	}
	l.Entries = append(l.Entries, ListEntry{V: v, Keys: k})
}

// remove deletes the earliest entry equal to (v, keys), comparing by the
// grouping encoding (so 1.5 equals 1.50); it reports whether one was found.
func (l *ValueList) remove(buf *[]byte, v types.Value, keys []types.Value) bool {
	want := entryKey(nil, v, keys)
	for i := range l.Entries {
		e := &l.Entries[i]
		*buf = entryKey((*buf)[:0], e.V, e.Keys)
		if bytes.Equal(*buf, want) {
			l.Entries = append(l.Entries[:i], l.Entries[i+1:]...)
			return true
		}
	}
	return false
}

func entryKey(buf []byte, v types.Value, keys []types.Value) []byte {
	buf = types.AppendKey(buf, v)
	for _, k := range keys {
		buf = types.AppendKey(buf, k)
	}
	return buf
}

// Clone returns a deep copy.
func (l *ValueList) Clone() *ValueList {
	if l == nil {
		return nil
	}
	c := &ValueList{Entries: make([]ListEntry, len(l.Entries))}
	for i, e := range l.Entries {
		c.Entries[i] = ListEntry{V: e.V, Keys: append([]types.Value(nil), e.Keys...)}
	}
	return c
}
