package operators

import (
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/streamsql/streamsql/checkpoint/storage"
	"github.com/streamsql/streamsql/state"
)

// blob is a store entry whose size changes as it is mutated (as a join's
// bag of rows does).
type blob struct {
	marks
	b []byte
}

type blobCodec struct{}

func (blobCodec) Append(buf []byte, p *blob) []byte { return append(buf, p.b...) }
func (blobCodec) Decode(buf []byte) (*blob, error) {
	return &blob{b: append([]byte(nil), buf...)}, nil
}

// checkSlots checks a store's cache bookkeeping: the index and the used
// slots agree, and the byte total is the sum of the slots' sizes.
func checkSlots[P entry](t *testing.T, s *store[P], when string) {
	t.Helper()
	var sum int64
	used := 0
	for i, sl := range s.slots {
		if !sl.used {
			if sl.size != 0 {
				t.Fatalf("%s: free slot %d keeps a size of %d", when, i, sl.size)
			}
			continue
		}
		used++
		sum += sl.size
		if j, ok := s.index[sl.key]; !ok || int(j) != i {
			t.Fatalf("%s: slot %d (%q) is not indexed", when, i, sl.key)
		}
		if s.budget != nil && sl.size <= 0 {
			t.Fatalf("%s: slot %d (%q) has size %d", when, i, sl.key, sl.size)
		}
	}
	if used != len(s.index) {
		t.Fatalf("%s: %d slots used, %d indexed", when, used, len(s.index))
	}
	if sum != s.bytes {
		t.Fatalf("%s: the cache counts %d bytes, its slots hold %d", when, s.bytes, sum)
	}
}

// checkMeasured checks, after a flush, that every cached entry is sized
// from its encoding (the size of the value as written or read).
func checkMeasured(t *testing.T, s *store[*blob], when string) {
	t.Helper()
	if s.budget == nil {
		return
	}
	for _, sl := range s.slots {
		if !sl.used {
			continue
		}
		want := slotSize(sl.key, sl.p, sl.absent, -1)
		if !sl.absent {
			want = slotSize(sl.key, sl.p, false, len(sl.p.b))
		}
		if sl.size != want {
			t.Fatalf("%s: slot %q (absent %v, %d bytes encoded) sized %d, want %d", when, sl.key, sl.absent, len(sl.p.b), sl.size, want)
		}
	}
}

type blobBackend struct {
	name string
	// open creates a backend (of a job's budget m, tiny) for a restore
	open func(t *testing.T, m *state.MemoryBudget) state.Backend
}

func blobBackends() []blobBackend {
	pebbleCfg := func(changelog bool) func(t *testing.T, m *state.MemoryBudget) state.Backend {
		return func(t *testing.T, m *state.MemoryBudget) state.Backend {
			cfg := state.Config{Backend: "pebble", LocalDir: t.TempDir(), Changelog: changelog,
				ChangelogOptions: state.ChangelogOptions{MaterializeEvery: 2},
				Pebble:           state.PebbleOptions{CacheEntries: 1 << 10, Memory: m}}
			b, err := cfg.NewBackend("op", 0, allGroups)
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { b.Close() })
			return b
		}
	}
	return []blobBackend{
		{"pebble", pebbleCfg(false)},
		{"changelog+pebble", pebbleCfg(true)},
		// the serialised memory backend of the operators' tests
		{"serialised", func(t *testing.T, _ *state.MemoryBudget) state.Backend {
			b := state.NewHashMapBackend(allGroups)
			t.Cleanup(func() { b.Close() })
			return b
		}},
	}
}

// TestStoreByteBoundAgainstModel runs random operations (get and grow,
// insert, touch, peek, remove, flush, maybeFlush, trim, evict, a Finish
// through finishWith, and restores from checkpoints) through a store of
// blobs under a tiny byte bound, over Pebble, the changelog backend over
// Pebble, and the serialised memory backend. After every operation the
// byte total is the sum of the slots' sizes; after every flush each
// cached entry is sized from its encoding and the cache is within its
// bound; after maybeFlush the cache with its pending growth is within
// it; and reads and the backend's content match a plain map.
func TestStoreByteBoundAgainstModel(t *testing.T) {
	for _, bb := range blobBackends() {
		t.Run(bb.name, func(t *testing.T) {
			serialised := bb.name == "serialised"
			if serialised {
				serialiseState = true
				defer func() { serialiseState = false }()
				old := serialisedCacheBytes
				serialisedCacheBytes = 2000
				defer func() { serialisedCacheBytes = old }()
			}
			rng := rand.New(rand.NewPCG(11, uint64(len(bb.name))))
			st := storage.NewMemory()
			m := state.NewMemoryBudget(2600, 1) // each state: 1,950 bytes
			b := bb.open(t, m)
			open := func() *store[*blob] {
				s, err := newStore[*blob](b, "blobs", blobCodec{})
				if err != nil {
					t.Fatal(err)
				}
				if s.budget == nil {
					t.Fatal("the store has no byte bound")
				}
				return s
			}
			s := open()
			model := map[int]string{}
			held := map[int]*blob{} // entries returned since the last flush
			checkpoint := int64(0)
			verify := func(when string) {
				t.Helper()
				got := map[string]string{}
				s.m.Range(func(kg int, key string, p *blob) bool {
					got[fmt.Sprintf("%d/%s", kg, key)] = string(p.b)
					return true
				})
				if len(got) != len(model) || s.m.Len() != len(model) {
					t.Fatalf("%s: the backend holds %d entries (Len %d), want %d", when, len(got), s.m.Len(), len(model))
				}
				for i, v := range model {
					if got[modelKey(i)] != v {
						t.Fatalf("%s: key %d holds %q, want %q", when, i, got[modelKey(i)], v)
					}
				}
			}
			afterFlush := func(when string) {
				t.Helper()
				checkMeasured(t, s, when)
				if s.bytes > s.byteCap {
					t.Fatalf("%s: %d bytes cached after a flush, bound %d", when, s.bytes, s.byteCap)
				}
			}
			grow := func(p *blob) {
				n := 1 + rng.IntN(40)
				for range n {
					p.b = append(p.b, byte('a'+rng.IntN(26)))
				}
				s.grew(n)
			}
			const keys = 120
			finishing := false
			for step := range 12000 {
				when := fmt.Sprintf("step %d", step)
				i := rng.IntN(keys)
				kg, key := storeKey(i)
				want, present := model[i]
				switch op := rng.IntN(1000); {
				case op < 300: // get and grow, or insert
					p, ok := s.get(kg, key)
					if ok != present || ok && string(p.b) != want {
						t.Fatalf("%s: get %d = %v, want %q %v", when, i, ok, want, present)
					}
					if !ok {
						p = &blob{b: []byte{byte('A' + rng.IntN(26))}}
						s.insert(kg, key, p)
						model[i] = string(p.b)
					}
					held[i] = p
					grow(p)
					model[i] = string(p.b)
				case op < 400: // touch an entry got since the last flush, and grow it
					p, ok := held[i]
					if !ok {
						continue
					}
					s.touch(kg, key, p)
					grow(p)
					model[i] = string(p.b)
				case op < 600:
					p, ok := s.peek(kg, key)
					if ok != present || ok && string(p.b) != want {
						t.Fatalf("%s: peek %d = %v, want %q %v", when, i, ok, want, present)
					}
				case op < 720:
					p, ok := s.peek(kg, key)
					if !ok {
						continue
					}
					s.remove(kg, key, p)
					delete(model, i)
					delete(held, i)
				case op < 900:
					s.maybeFlush()
					if !finishing {
						clear(held)
						if s.overBytes() {
							t.Fatalf("%s: %d bytes cached and %d of growth after maybeFlush, bound %d", when, s.bytes, s.growth, s.byteCap)
						}
					}
				case op < 930:
					s.trim()
				case op < 950:
					s.evict(rng.IntN(8))
				case op < 975:
					s.flush()
					if !finishing {
						clear(held)
						afterFlush(when)
						verify(when)
					}
				case op < 985: // the operator's Finish: the write-back stays pending
					if finishing {
						continue
					}
					pending := len(s.dirty)
					err := finishWith(func(int64) error {
						finishing = true
						s.flush()
						if len(s.dirty) != pending {
							return fmt.Errorf("a flush during Finish wrote %d entries back", pending-len(s.dirty))
						}
						return nil
					}, s)
					if err != nil {
						t.Fatalf("%s: %v", when, err)
					}
					if s.finishing {
						t.Fatalf("%s: the store still finishes after finishWith", when)
					}
					// keep going in finishing mode for a while
					s.setFinishing(true)
				case op < 995:
					if finishing {
						// the Finish ends: a later flush still writes everything
						s.setFinishing(false)
						finishing = false
						s.flush()
						clear(held)
						afterFlush(when)
						verify(when)
					}
				default: // checkpoint and restore into a fresh backend
					if finishing {
						continue
					}
					s.flush()
					clear(held)
					checkpoint++
					h, err := b.Snapshot(state.SnapshotTarget{Storage: st, Dir: fmt.Sprintf("job/chk-%d", checkpoint), SharedDir: "job/shared", CheckpointID: checkpoint})
					if err != nil {
						t.Fatal(err)
					}
					b.CheckpointComplete(checkpoint)
					if err := b.Close(); err != nil {
						t.Fatal(err)
					}
					b = bb.open(t, m)
					if err := b.Restore(st, []*state.Handle{h}); err != nil {
						t.Fatal(err)
					}
					s = open()
					if s.bytes != 0 || len(s.index) != 0 {
						t.Fatalf("%s: a restored store starts with %d entries, %d bytes", when, len(s.index), s.bytes)
					}
					verify(when + " (restored)")
				}
				checkSlots(t, s, when)
			}
			if finishing {
				s.setFinishing(false)
			}
			s.flush()
			afterFlush("at the end")
			verify("at the end")
			if err := b.Err(); err != nil {
				t.Fatal(err)
			}
		})
	}
}
