package state

import (
	"fmt"
)

// Codec serialises state values (used by snapshots and by serialising backends).
type Codec[V any] interface {
	Append(buf []byte, v V) []byte
	Decode(buf []byte) (V, error)
}

// KeyedMap is a map from (key group, key) to V owned by one operator instance.
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

// Backend creates the state of one operator instance.
type Backend interface {
	// Kind is the backend's name ("hashmap", "pebble").
	Kind() string
	// KeyGroups is the range of key groups this instance owns.
	KeyGroups() KeyGroupRange
	// registered reports the states created so far (for snapshots).
	states() map[string]namedState
	add(name string, s namedState) error
}

// namedState is what every state kind implements for snapshots.
type namedState interface {
	stateKind() string
}

// NewKeyedMap creates (or returns the already created) keyed map called
// name in backend b. Names are unique per operator instance.
func NewKeyedMap[V any](b Backend, name string, codec Codec[V]) (KeyedMap[V], error) {
	if s, ok := b.states()[name]; ok {
		m, ok := s.(KeyedMap[V])
		if !ok {
			return nil, fmt.Errorf("state %q exists with another type", name)
		}
		return m, nil
	}
	switch hb := b.(type) {
	case *HashMapBackend:
		m := newHeapMap[V](hb.kgs, codec)
		if err := b.add(name, m); err != nil {
			return nil, err
		}
		return m, nil
	}
	return nil, fmt.Errorf("state backend %q does not support keyed maps", b.Kind())
}
