package state

import "fmt"

// HashMapBackend keeps state as Go values in memory (Flink's hashmap
// backend). Snapshots serialise it with each state's Codec.
type HashMapBackend struct {
	kgs     KeyGroupRange
	states_ map[string]namedState
}

// NewHashMapBackend returns an empty memory backend owning key groups kgs.
func NewHashMapBackend(kgs KeyGroupRange) *HashMapBackend {
	return &HashMapBackend{kgs: kgs, states_: map[string]namedState{}}
}

func (b *HashMapBackend) Kind() string                  { return "hashmap" }
func (b *HashMapBackend) KeyGroups() KeyGroupRange      { return b.kgs }
func (b *HashMapBackend) states() map[string]namedState { return b.states_ }
func (b *HashMapBackend) add(name string, s namedState) error {
	if _, ok := b.states_[name]; ok {
		return fmt.Errorf("state %q registered twice", name)
	}
	b.states_[name] = s
	return nil
}

// heapMap is a KeyedMap with one Go map per owned key group.
type heapMap[V any] struct {
	kgs   KeyGroupRange
	maps  []map[string]V
	n     int
	codec Codec[V]
}

func newHeapMap[V any](kgs KeyGroupRange, codec Codec[V]) *heapMap[V] {
	return &heapMap[V]{kgs: kgs, maps: make([]map[string]V, kgs.Len()), codec: codec}
}

func (m *heapMap[V]) stateKind() string { return "keyed-map" }

func (m *heapMap[V]) slot(kg int) map[string]V {
	i := kg - m.kgs.Start
	if i < 0 || i >= len(m.maps) {
		panic(fmt.Sprintf("state: key group %d outside owned range [%d,%d)", kg, m.kgs.Start, m.kgs.End))
	}
	mm := m.maps[i]
	if mm == nil {
		mm = make(map[string]V)
		m.maps[i] = mm
	}
	return mm
}

func (m *heapMap[V]) Get(kg int, key []byte) (V, bool) {
	v, ok := m.slot(kg)[string(key)]
	return v, ok
}

func (m *heapMap[V]) Put(kg int, key []byte, v V) {
	mm := m.slot(kg)
	if _, ok := mm[string(key)]; !ok {
		m.n++
	}
	mm[string(key)] = v
}

func (m *heapMap[V]) Delete(kg int, key []byte) {
	mm := m.slot(kg)
	if _, ok := mm[string(key)]; ok {
		m.n--
		delete(mm, string(key))
	}
}

func (m *heapMap[V]) Len() int { return m.n }

func (m *heapMap[V]) Range(fn func(kg int, key string, v V) bool) {
	for i, mm := range m.maps {
		for k, v := range mm {
			if !fn(m.kgs.Start+i, k, v) {
				return
			}
		}
	}
}
