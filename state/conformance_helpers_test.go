package state

import (
	"encoding/binary"
	"errors"
	"fmt"
	"hash/fnv"
	"math/rand"
	"sort"
	"testing"

	"github.com/streamsql/streamsql/checkpoint/storage"
)

// The conformance suite runs every test against every backend
// configuration, with a reference model (plain Go maps) beside it.

const maxPar = 128

type backendConfig struct {
	name string
	cfg  Config
}

func allConfigs() []backendConfig {
	base := []backendConfig{
		{"hashmap", Config{Backend: "hashmap"}},
		{"pebble-full", Config{Backend: "pebble"}},
		{"pebble-incremental", Config{Backend: "pebble", Incremental: true}},
		// a short chain bounded by count only, so that the suite sees deltas
		// of large changes and new full bases
		{"hashmap-incremental", Config{Backend: "hashmap", Incremental: true, HashMap: HashMapOptions{MaxDeltas: 3, MaxDeltaRatio: 10}}},
	}
	var out []backendConfig
	for _, c := range base {
		out = append(out, c)
		cl := c
		cl.name += "+changelog"
		cl.cfg.Changelog = true
		cl.cfg.ChangelogOptions = ChangelogOptions{MaterializeEvery: 3, waitMaterialization: true}
		out = append(out, cl)
	}
	return out
}

// newBackend creates a backend of configuration c; it is closed when the
// test ends.
func newBackend(t testing.TB, c backendConfig, inst int, kgs KeyGroupRange) Backend {
	t.Helper()
	cfg := c.cfg
	cfg.LocalDir = t.TempDir()
	b, err := cfg.NewBackend("op", inst, kgs)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { b.Close() })
	return b
}

// storageWrapper, when set, wraps the storage newStorage returns.
var storageWrapper func(storage.Storage) storage.Storage

func newStorage(t testing.TB) storage.Storage {
	t.Helper()
	st, err := storage.NewLocal(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	if storageWrapper != nil {
		return storageWrapper(st)
	}
	return st
}

// snapshot takes checkpoint id (or a savepoint) of b.
func snapshot(t testing.TB, b Backend, st storage.Storage, id int64, savepoint bool) *Handle {
	t.Helper()
	tg := SnapshotTarget{Storage: st, Dir: fmt.Sprintf("job/chk-%d", id), SharedDir: "job/shared", CheckpointID: id}
	if savepoint {
		tg = SnapshotTarget{Storage: st, Dir: fmt.Sprintf("savepoints/sp-%d", id), Savepoint: true, CheckpointID: id}
	}
	h, err := b.Snapshot(tg)
	if err != nil {
		t.Fatalf("snapshot %d: %v", id, err)
	}
	return h
}

// Codecs of the two test states: "s" holds strings, "n" int64s.
type strCodec struct{}

func (strCodec) Append(b []byte, v string) []byte { return append(b, v...) }
func (strCodec) Decode(b []byte) (string, error)  { return string(b), nil }

type varintCodec struct{}

func (varintCodec) Append(b []byte, v int64) []byte { return binary.AppendVarint(b, v) }
func (varintCodec) Decode(b []byte) (int64, error) {
	v, n := binary.Varint(b)
	if n <= 0 || n != len(b) {
		return 0, errors.New("bad varint")
	}
	return v, nil
}

// maps are the two states of a backend.
type maps struct {
	s KeyedMap[string]
	n KeyedMap[int64]
}

func register(t testing.TB, b Backend) maps {
	t.Helper()
	s, err := NewKeyedMap[string](b, "s", strCodec{})
	if err != nil {
		t.Fatal(err)
	}
	n, err := NewKeyedMap[int64](b, "n", varintCodec{})
	if err != nil {
		t.Fatal(err)
	}
	return maps{s, n}
}

// model is the reference: state -> "kg/key" -> value (ints as decimal).
type model map[string]map[string]string

func mk(kg int, key string) string { return fmt.Sprintf("%d/%s", kg, key) }

func (m model) put(state string, kg int, key, v string) {
	if m[state] == nil {
		m[state] = map[string]string{}
	}
	m[state][mk(kg, key)] = v
}

func (m model) del(state string, kg int, key string) { delete(m[state], mk(kg, key)) }

// restrict returns the entries in key groups kgs.
func (m model) restrict(kgs KeyGroupRange) model {
	out := model{}
	for s, es := range m {
		for k, v := range es {
			var kg int
			fmt.Sscanf(k, "%d/", &kg)
			if kgs.Contains(kg) {
				out.put(s, kg, k[len(fmt.Sprint(kg))+1:], v)
			}
		}
	}
	return out
}

func (m model) merge(o model) {
	for s, es := range o {
		for k, v := range es {
			if m[s] == nil {
				m[s] = map[string]string{}
			}
			m[s][k] = v
		}
	}
}

func (m model) clone() model {
	out := model{}
	out.merge(m)
	return out
}

// keyFor picks a key of the pool whose key group is in kgs.
func keyFor(rng *rand.Rand, pool int, kgs KeyGroupRange) (int, string) {
	for {
		k := fmt.Sprintf("key-%d", rng.Intn(pool))
		kg := kgOf(k)
		if kgs.Contains(kg) {
			return kg, k
		}
	}
}

func kgOf(k string) int {
	h := fnv.New64a()
	h.Write([]byte(k))
	return KeyGroupOf(h.Sum64(), maxPar)
}

// mutate applies n random operations to ms and m.
func mutate(t testing.TB, rng *rand.Rand, ms maps, m model, kgs KeyGroupRange, pool, n int) {
	t.Helper()
	for i := 0; i < n; i++ {
		kg, k := keyFor(rng, pool, kgs)
		switch r := rng.Intn(10); {
		case r < 4:
			v := fmt.Sprintf("v%d-%s", rng.Intn(1000), k)
			ms.s.Put(kg, []byte(k), v)
			m.put("s", kg, k, v)
		case r < 7:
			v := rng.Int63n(1 << 40)
			ms.n.Put(kg, []byte(k), v)
			m.put("n", kg, k, fmt.Sprint(v))
		case r < 8:
			ms.s.Delete(kg, []byte(k))
			m.del("s", kg, k)
		case r < 9:
			ms.n.Delete(kg, []byte(k))
			m.del("n", kg, k)
		default:
			got, ok := ms.s.Get(kg, []byte(k))
			want, wok := m["s"][mk(kg, k)]
			if ok != wok || got != want {
				t.Fatalf("get s %s: %q %v, want %q %v", mk(kg, k), got, ok, want, wok)
			}
		}
	}
}

// check compares the backend's content with the model: Len, Range, Get.
func check(t testing.TB, ms maps, m model) {
	t.Helper()
	got := model{}
	ms.s.Range(func(kg int, k string, v string) bool { got.put("s", kg, k, v); return true })
	ms.n.Range(func(kg int, k string, v int64) bool { got.put("n", kg, k, fmt.Sprint(v)); return true })
	for _, s := range []string{"s", "n"} {
		if len(got[s]) != len(m[s]) {
			t.Fatalf("state %s: range saw %d entries, model has %d (%s)", s, len(got[s]), len(m[s]), diff(got[s], m[s]))
		}
		for k, v := range m[s] {
			if got[s][k] != v {
				t.Fatalf("state %s: %s = %q, model %q", s, k, got[s][k], v)
			}
		}
	}
	if ms.s.Len() != len(m["s"]) || ms.n.Len() != len(m["n"]) {
		t.Fatalf("Len: s %d n %d, model s %d n %d", ms.s.Len(), ms.n.Len(), len(m["s"]), len(m["n"]))
	}
	for k, v := range m["n"] {
		var kg int
		fmt.Sscanf(k, "%d/", &kg)
		key := k[len(fmt.Sprint(kg))+1:]
		got, ok := ms.n.Get(kg, []byte(key))
		if !ok || fmt.Sprint(got) != v {
			t.Fatalf("get n %s: %v %v, model %s", k, got, ok, v)
		}
	}
}

func diff(a, b map[string]string) string {
	var only []string
	for k := range a {
		if _, ok := b[k]; !ok {
			only = append(only, "+"+k)
		}
	}
	for k := range b {
		if _, ok := a[k]; !ok {
			only = append(only, "-"+k)
		}
	}
	sort.Strings(only)
	if len(only) > 6 {
		only = append(only[:6], "...")
	}
	return fmt.Sprint(only)
}

// restoreInto creates a backend of configuration c for kgs, restores
// handles and registers the test states.
func restoreInto(t testing.TB, c backendConfig, st storage.Storage, inst int, kgs KeyGroupRange, handles []*Handle) (Backend, maps) {
	t.Helper()
	b := newBackend(t, c, inst, kgs)
	if err := b.Restore(st, handles); err != nil {
		t.Fatalf("restore into %s: %v", c.name, err)
	}
	return b, register(t, b)
}
