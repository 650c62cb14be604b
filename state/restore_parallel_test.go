package state

import (
	"errors"
	"fmt"
	"runtime"
	"strings"
	"testing"
)

// failingCodec decodes strings but refuses the value "bad".
type failingCodec struct{}

func (failingCodec) Append(b []byte, v string) []byte { return append(b, v...) }
func (failingCodec) Decode(b []byte) (string, error) {
	if string(b) == "bad" {
		return "", errors.New("refused")
	}
	return string(b), nil
}

// TestHeapRestoreInParallel: a state large enough for the memory backend
// to decode its key groups on several goroutines restores exactly (a full
// base, then deltas that change and delete entries), and a value that does
// not decode fails the registration with the state and key group named
// while the entries stay for a snapshot.
func TestHeapRestoreInParallel(t *testing.T) {
	if runtime.GOMAXPROCS(0) < 2 {
		defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(2))
	}
	const n = 4 * parallelRestoreEntries
	cfg := backendConfig{"hashmap-incremental", Config{Backend: "hashmap", Incremental: true, HashMap: HashMapOptions{MaxDeltas: 10, MaxDeltaRatio: 10}}}
	st := newStorage(t)
	b := newBackend(t, cfg, 0, all)
	m, err := NewKeyedMap[string](b, "s", strCodec{})
	if err != nil {
		t.Fatal(err)
	}
	model := map[string]string{}
	key := func(i int) (int, []byte) { return i % maxPar, []byte(fmt.Sprintf("k%d", i)) }
	mk := func(kg int, k []byte) string { return fmt.Sprintf("%d/%s", kg, k) }
	for i := range n {
		kg, k := key(i)
		m.Put(kg, k, fmt.Sprint("v", i))
		model[mk(kg, k)] = fmt.Sprint("v", i)
	}
	h := snapshot(t, b, st, 1, false)
	b.CheckpointComplete(1)
	for round := range 3 {
		for i := round; i < n; i += 97 {
			kg, k := key(i)
			if i%2 == 0 {
				m.Delete(kg, k)
				delete(model, mk(kg, k))
			} else {
				m.Put(kg, k, fmt.Sprint("r", round, "-", i))
				model[mk(kg, k)] = fmt.Sprint("r", round, "-", i)
			}
		}
		id := int64(round + 2)
		h = snapshot(t, b, st, id, false)
		b.CheckpointComplete(id)
	}

	rb := newBackend(t, cfg, 0, all)
	if err := rb.Restore(st, []*Handle{h}); err != nil {
		t.Fatal(err)
	}
	rm, err := NewKeyedMap[string](rb, "s", strCodec{})
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	rm.Range(func(kg int, k string, v string) bool {
		got[mk(kg, []byte(k))] = v
		return true
	})
	if len(got) != len(model) || rm.Len() != len(model) {
		t.Fatalf("restored %d entries (Len %d), want %d", len(got), rm.Len(), len(model))
	}
	for k, v := range model {
		if got[k] != v {
			t.Fatalf("%s restored as %q, want %q", k, got[k], v)
		}
	}

	// one value that does not decode, in key group 77
	kg, k := key(n + 77) // a new key
	m.Put(kg, k, "bad")
	h = snapshot(t, b, st, 10, false)
	fb := newBackend(t, cfg, 0, all)
	if err := fb.Restore(st, []*Handle{h}); err != nil {
		t.Fatal(err)
	}
	_, err = NewKeyedMap[string](fb, "s", failingCodec{})
	if err == nil || !strings.Contains(err.Error(), `state "s"`) || !strings.Contains(err.Error(), "key group 77") {
		t.Fatalf("a value that does not decode: %v", err)
	}
	// the entries are still held: a snapshot writes them, and they restore
	h2 := snapshot(t, fb, st, 11, true)
	sb := newBackend(t, cfg, 0, all)
	if err := sb.Restore(st, []*Handle{h2}); err != nil {
		t.Fatal(err)
	}
	sm, err := NewKeyedMap[string](sb, "s", strCodec{})
	if err != nil {
		t.Fatal(err)
	}
	if sm.Len() != len(model)+1 {
		t.Fatalf("after a failed registration a savepoint holds %d entries, want %d", sm.Len(), len(model)+1)
	}
	if v, ok := sm.Get(kg, k); !ok || v != "bad" {
		t.Fatalf("the undecodable value came back as %q %v", v, ok)
	}
}
