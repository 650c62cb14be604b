package state

import (
	"errors"
	"strings"
	"testing"

	"github.com/streamsql/streamsql/checkpoint/storage"
)

// fullFileHandle stores a "full-v1" file that write fills (state "s", key
// group 3 of [0,8)) and returns its handle.
func fullFileHandle(t *testing.T, st storage.Storage, p string, write func(w *stateFileWriter)) *Handle {
	t.Helper()
	kgs := KeyGroupRange{Start: 0, End: 8}
	w := newStateFileWriter(tagFull, kgs, 0, "")
	w.beginState("s")
	w.beginGroup(3)
	write(w)
	f, err := w.sealed(storage.KindState)
	if err != nil {
		t.Fatal(err)
	}
	if err := f.store(st, p); err != nil {
		t.Fatal(err)
	}
	return &Handle{KeyGroups: kgs, Backend: "hashmap", Format: FormatFull, Files: []FileRef{{Path: p, Size: f.size}}}
}

// TestHashMapRestoreChecksBlocks: the memory backend keeps the blocks of a
// full file undecoded until the state registers, but a block that does
// not hold its entries (with a sound checksum: a writer's bug) still
// fails Restore, naming the file.
func TestHashMapRestoreChecksBlocks(t *testing.T) {
	st := storage.NewMemory()
	cases := map[string]func(w *stateFileWriter){
		"deletion in a full snapshot": func(w *stateFileWriter) {
			w.put([]byte("a"), []byte("1"))
			w.del([]byte("b"))
		},
		"entry 1 is damaged": func(w *stateFileWriter) {
			w.put([]byte("a"), []byte("1"))
			w.buf = append(w.buf, 0x80) // an unterminated varint
			w.cur.groups[0].count++
		},
		"block length does not match": func(w *stateFileWriter) {
			w.put([]byte("a"), []byte("1"))
			w.cur.groups[0].count = 0 // an empty block is left out of the index
			w.put([]byte("b"), []byte("2"))
			w.buf = append(w.buf, 'x')
		},
	}
	for want, write := range cases {
		h := fullFileHandle(t, st, "bad-"+strings.ReplaceAll(want, " ", "-")+".state", write)
		b := NewHashMapBackend(h.KeyGroups)
		err := b.Restore(st, []*Handle{h})
		var ce *storage.CorruptError
		if !errors.As(err, &ce) || ce.Path != h.Files[0].Path || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: restore error %v", want, err)
		}
	}
}

// TestHashMapRestoreRepeatedKey: a key listed twice in a state's key
// group (which no writer does) restores as one entry holding the later
// value, as Put would leave it.
func TestHashMapRestoreRepeatedKey(t *testing.T) {
	st := storage.NewMemory()
	h := fullFileHandle(t, st, "twice.state", func(w *stateFileWriter) {
		w.put([]byte("a"), []byte("1"))
		w.put([]byte("b"), []byte("2"))
		w.put([]byte("a"), []byte("3"))
	})
	for _, incremental := range []bool{false, true} {
		b := NewHashMapBackendWith("op", 0, h.KeyGroups, HashMapOptions{Incremental: incremental})
		if err := b.Restore(st, []*Handle{h}); err != nil {
			t.Fatal(err)
		}
		m, err := NewKeyedMap[[]byte](b, "s", bytesCodec{})
		if err != nil {
			t.Fatal(err)
		}
		got := map[string]string{}
		m.Range(func(kg int, key string, v []byte) bool {
			got[key] = string(v)
			return true
		})
		if m.Len() != 2 || len(got) != 2 || got["a"] != "3" || got["b"] != "2" {
			t.Errorf("incremental %v: restored %v (Len %d), want a=3 b=2", incremental, got, m.Len())
		}
		if v, ok := m.Get(3, []byte("a")); !ok || string(v) != "3" {
			t.Errorf("incremental %v: Get(a) = %q, %v", incremental, v, ok)
		}
	}
}
