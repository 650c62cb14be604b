package state

import (
	"fmt"
)

// Codec serialises state values (used by snapshots and by serialising
// backends). Decode must not retain buf: a backend may reuse or release it
// once Decode returns. Decode may run on several goroutines at once (the
// memory backend decodes restored key groups in parallel).
type Codec[V any] interface {
	Append(buf []byte, v V) []byte
	Decode(buf []byte) (V, error)
}

// TailCodec is implemented by the Codec of a value that mostly grows by
// appending (a join's bag of rows), so that the memory backend's
// incremental checkpoints write what was appended to it since it was
// last written instead of the whole value (an append entry of a
// changelog segment: see statefile.go). Other backends, and full
// snapshots, write values whole.
//
// The value keeps a mark of what of it the checkpoint chain holds. The
// memory backend calls both methods during the synchronous phase of an
// incremental snapshot, on the goroutine that owns the value:
//
//   - AppendTail appends to buf the bytes that, appended to an encoding
//     of v as it was at its last MarkWritten (Append's output, or one
//     with earlier tails appended to it), make an encoding that Decode
//     turns into v as it is now. It reports false when it cannot (v was
//     never marked, or changed other than by growing since), and the
//     value is then written whole. It leaves the mark as it is.
//   - MarkWritten records that the chain now holds v as it is.
//
// A value Decode returns is not marked. Whoever changes a value other
// than by growing it must clear its mark (or the Codec must see the
// change), or a checkpoint would restore the value without the change.
type TailCodec[V any] interface {
	Codec[V]
	AppendTail(buf []byte, v V) (out []byte, ok bool)
	MarkWritten(v V)
}

// PatchCodec is a TailCodec whose tails may also replace part of a value
// (a DISTINCT multiset's tail gives the values whose counts changed; its
// Decode lets later entries override earlier ones), rather than only add
// to it. The memory backend calls AppendPatch instead of AppendTail, under
// the same contract, and counts only the tail's grown bytes as growth of
// the state (see HashMapOptions.MaxDeltaRatio): the rest replaces what
// the chain holds, as a value written whole does. A delta holding a patch
// is a changelog segment of version 3 ("changelog-v3"), which builds that
// read only up to version 2 refuse by its version: those builds' Codecs
// would not read such a tail.
type PatchCodec[V any] interface {
	TailCodec[V]
	AppendPatch(buf []byte, v V) (out []byte, grown int, ok bool)
}

// KeyedMap is a map from (key group, key) to V owned by one operator instance.
//
// Every implementation has the same semantics: the memory backend keeps V
// values as they are, the pebble backend encodes them with the Codec on Put
// and decodes a fresh copy on Get, so a caller that mutates a value in place
// must Put it again (see the package doc).
type KeyedMap[V any] interface {
	// Get returns the value for key in key group kg.
	Get(kg int, key []byte) (V, bool)
	// Put stores v; the map copies key.
	Put(kg int, key []byte, v V)
	// Delete removes key.
	Delete(kg int, key []byte)
	// Len is the number of entries.
	Len() int
	// Range calls fn for each entry until fn returns false. fn may Delete
	// the entry it is given but must not Put new keys.
	Range(fn func(kg int, key string, v V) bool)
}

// KnownWriter is implemented by keyed maps that can skip the lookup a Put
// or Delete makes to keep Len exact when the caller already knows whether
// the key is present (a cache in front of the map that sees every write).
// present must be true exactly when the key is stored; a wrong hint makes
// Len wrong.
type KnownWriter[V any] interface {
	PutKnown(kg int, key []byte, v V, present bool)
	DeleteKnown(kg int, key []byte, present bool)
}

// KeyRanger is implemented by keyed maps that can list their keys without
// decoding the values. fn must not keep key.
type KeyRanger interface {
	RangeKeys(fn func(kg int, key []byte) bool)
}

// ValueSizer is implemented by serialising keyed maps: LastValueSize is
// the encoded size of the value the last Get found or the last Put (or
// PutKnown) wrote. A cache in front of the map estimates the memory of
// its decoded entries from it.
type ValueSizer interface {
	LastValueSize() int
}

// EntryCache is implemented by serialising backends whose callers should
// keep decoded entries in memory in front of the store: EntryCacheEntries
// is how many entries each keyed state of the instance may keep (0: none
// beyond the write-back between flushes), and EntryCacheBytes about how
// many bytes of memory they may take (0: no bound in bytes). The byte
// bound may change while the job runs (it is a share of the job's
// MemoryBudget); callers read it when they trim their cache.
type EntryCache interface {
	EntryCacheEntries() int
	EntryCacheBytes() int64
}

// Backend creates the state of one operator instance and snapshots it.
//
// Lifecycle (all calls from the instance's goroutine unless said
// otherwise): a constructor (NewHashMapBackend, NewPebbleBackend,
// NewChangelogBackend, or Config.NewBackend); Restore when the job resumes
// from a checkpoint or savepoint, before any NewKeyedMap; NewKeyedMap for
// each state the operator uses, at any time (restored entries wait,
// encoded, until their state is registered, and are written unchanged by
// snapshots until then); Snapshot at each barrier; CheckpointComplete
// when a checkpoint completes (from any goroutine); Close once, which
// also waits for background work (changelog materialisation).
//
// A KeyedMap's methods have no error results. A serialising backend that
// meets an error there (an I/O error, a value its Codec cannot decode)
// records it and returns it from the next Snapshot (and from Err), so that
// the checkpoint fails and the job restarts from the last good one.
type Backend interface {
	// Kind is the backend's name ("hashmap", "pebble"). A changelog
	// wrapper reports the kind of the backend it wraps.
	Kind() string
	// KeyGroups is the range of key groups this instance owns.
	KeyGroups() KeyGroupRange
	// Err is the first error met by a KeyedMap method, if any.
	Err() error
	Snapshotter

	// states reports the states registered so far.
	states() map[string]namedState
	add(name string, s namedState) error
	// ident names the instance (for file names).
	ident() instanceID
	// applyRaw applies one restored change read from file to state name:
	// a value as its Codec encoded it, a deletion, or an append (val is
	// appended to the entry's encoded value; an error when the entry does
	// not exist). Restore uses it for changelog segments. val stays valid
	// after the call.
	applyRaw(file, name string, kg int, key, val []byte, kind changeKind) error
}

// instanceID names one operator instance.
type instanceID struct {
	operatorID string
	instance   int
}

// fileStem is the prefix of the files an instance writes: "<op>-<inst>".
func (id instanceID) fileStem() string {
	if id.operatorID == "" {
		return fmt.Sprintf("state-%d", id.instance)
	}
	return fmt.Sprintf("%s-%d", id.operatorID, id.instance)
}

// namedState is what every registered state implements.
type namedState interface {
	stateKind() string
}

// NewKeyedMap creates (or returns the already created) keyed map called
// name in backend b. Names are unique per operator instance. When b holds
// restored entries for name, they are decoded with codec now; a value that
// does not decode is an error naming the state and the files it came from.
func NewKeyedMap[V any](b Backend, name string, codec Codec[V]) (KeyedMap[V], error) {
	if s, ok := b.states()[name]; ok {
		m, ok := s.(KeyedMap[V])
		if !ok {
			return nil, fmt.Errorf("state %q exists with another type", name)
		}
		return m, nil
	}
	if codec == nil {
		return nil, fmt.Errorf("state %q: no codec", name)
	}
	var m KeyedMap[V]
	switch tb := b.(type) {
	case *HashMapBackend:
		hm, err := newHeapMapRestored(tb, name, codec)
		if err != nil {
			return nil, err
		}
		m = hm
	case *PebbleBackend:
		pm, err := newPebbleMap(tb, name, codec)
		if err != nil {
			return nil, err
		}
		m = pm
	case *ChangelogBackend:
		inner, err := NewKeyedMap(tb.inner, name, codec)
		if err != nil {
			return nil, err
		}
		m = newLogMap(tb, name, inner, codec)
	default:
		return nil, fmt.Errorf("state backend %q does not support keyed maps", b.Kind())
	}
	if err := b.add(name, m.(namedState)); err != nil {
		return nil, err
	}
	return m, nil
}
