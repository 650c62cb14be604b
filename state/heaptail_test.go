package state

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math/rand"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/streamsql/streamsql/checkpoint/storage"
)

// tlist is a test value that mostly grows: a list of items, with the mark
// a TailCodec keeps (held: 1 + the items the checkpoints hold; 0: none).
type tlist struct {
	items []string
	held  int32
}

// listCodec writes a list as its items (uvarint length, bytes), so that a
// tail is just the items appended; tails: it implements TailCodec (see
// tailListCodec).
type listCodec struct{}

func (listCodec) Append(b []byte, v *tlist) []byte {
	for _, it := range v.items {
		b = binary.AppendUvarint(b, uint64(len(it)))
		b = append(b, it...)
	}
	return b
}

func (listCodec) Decode(b []byte) (*tlist, error) {
	v := &tlist{}
	for len(b) > 0 {
		n, k := binary.Uvarint(b)
		if k <= 0 || n > uint64(len(b)-k) {
			return nil, errors.New("bad list")
		}
		v.items = append(v.items, string(b[k:k+int(n)]))
		b = b[k+int(n):]
	}
	return v, nil
}

type tailListCodec struct{ listCodec }

func (c tailListCodec) AppendTail(b []byte, v *tlist) ([]byte, bool) {
	if v.held == 0 || int(v.held)-1 > len(v.items) {
		return b, false
	}
	return c.Append(b, &tlist{items: v.items[v.held-1:]}), true
}

func (tailListCodec) MarkWritten(v *tlist) { v.held = int32(len(v.items)) + 1 }

var _ TailCodec[*tlist] = tailListCodec{}

// listModel is the reference: "kg/key" -> items.
type listModel map[string][]string

func (m listModel) clone() listModel {
	c := listModel{}
	for k, v := range m {
		c[k] = slices.Clone(v)
	}
	return c
}

// mutateLists applies n random changes to km and m: mostly an item
// appended to a key's list, else a new key, a rewritten first item or a
// removed last item (both clear the mark, as the TailCodec contract
// asks), or a deletion.
func mutateLists(rng *rand.Rand, km KeyedMap[*tlist], m listModel, kgs KeyGroupRange, pool, n int) {
	for range n {
		kg, key := keyFor(rng, pool, kgs)
		k := mk(kg, key)
		v, ok := km.Get(kg, []byte(key))
		if ok != (m[k] != nil) {
			panic(fmt.Sprintf("%s: present %v, model %v", k, ok, m[k] != nil))
		}
		item := fmt.Sprintf("item-%d-%d", rng.Intn(1000), len(m[k]))
		switch r := rng.Intn(20); {
		case !ok:
			v = &tlist{items: []string{item}}
		case r < 13:
			v.items = append(v.items, item)
		case r < 15:
			v.items[0] = item
			v.held = 0
		case r < 17 && len(v.items) > 1:
			v.items = v.items[:len(v.items)-1]
			v.held = 0
		case r < 19:
			km.Delete(kg, []byte(key))
			delete(m, k)
			continue
		default:
			v.items = append(v.items, item, item+"'")
		}
		km.Put(kg, []byte(key), v)
		m[k] = slices.Clone(v.items)
	}
}

// checkLists compares km with m.
func checkLists(t testing.TB, what string, km KeyedMap[*tlist], m listModel) {
	t.Helper()
	got := listModel{}
	km.Range(func(kg int, key string, v *tlist) bool {
		got[mk(kg, key)] = slices.Clone(v.items)
		return true
	})
	if len(got) != len(m) || km.Len() != len(m) {
		t.Fatalf("%s: %d entries (Len %d), want %d", what, len(got), km.Len(), len(m))
	}
	for k, want := range m {
		if !slices.Equal(got[k], want) {
			t.Fatalf("%s: %s = %q, want %q", what, k, got[k], want)
		}
	}
}

// restoreLists restores handles into a backend of configuration c owning
// kgs and registers the list state with codec.
func restoreLists(t testing.TB, c backendConfig, st storage.Storage, kgs KeyGroupRange, handles []*Handle, codec Codec[*tlist]) (Backend, KeyedMap[*tlist]) {
	t.Helper()
	b := newBackend(t, c, 0, kgs)
	if err := b.Restore(st, handles); err != nil {
		t.Fatalf("restore into %s: %v", c.name, err)
	}
	km, err := NewKeyedMap[*tlist](b, "l", codec)
	if err != nil {
		t.Fatalf("restore into %s: %v", c.name, err)
	}
	return b, km
}

// deltaKinds counts the entries of a changelog segment by kind and
// returns its envelope version.
func deltaKinds(t testing.TB, st storage.Storage, ref FileRef) (puts, dels, appends int, version uint16) {
	t.Helper()
	data, err := st.Get(ref.Path)
	if err != nil {
		t.Fatal(err)
	}
	_, version, err = storage.Open(ref.Path, data, storage.KindChangelog, changelogVersion)
	if err != nil {
		t.Fatal(err)
	}
	f, err := readStateFile(st, ref, storage.KindChangelog)
	if err != nil {
		t.Fatal(err)
	}
	err = f.eachChange(all, func(_ string, _ int, _, _ []byte, kind changeKind) error {
		switch kind {
		case changePut:
			puts++
		case changeDelete:
			dels++
		case changeAppend:
			appends++
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return puts, dels, appends, version
}

// restoreConfigs are the backends every handle of these tests restores
// into.
var restoreConfigs = []backendConfig{
	heapIncrConfig(HashMapOptions{}),
	{"hashmap", Config{Backend: "hashmap"}},
	{"pebble-full", Config{Backend: "pebble"}},
	{"hashmap+changelog", Config{Backend: "hashmap", Changelog: true, ChangelogOptions: ChangelogOptions{MaterializeEvery: 3, waitMaterialization: true}}},
}

// TestHeapTailsWriteOnlyAppendedItems grows lists between checkpoints:
// each delta writes the items appended as appends (a version 2 segment),
// the lists rewritten, added or deleted whole, and is far smaller than
// the changed lists; every handle restores to the state, into every
// backend.
func TestHeapTailsWriteOnlyAppendedItems(t *testing.T) {
	c := heapIncrConfig(HashMapOptions{MaxDeltas: 1000, MaxDeltaRatio: 100})
	rng := rand.New(rand.NewSource(41))
	st := newStorage(t)
	b := newBackend(t, c, 0, all)
	km, err := NewKeyedMap[*tlist](b, "l", tailListCodec{})
	if err != nil {
		t.Fatal(err)
	}
	m := listModel{}
	for range 30 { // long lists
		mutateLists(rng, km, m, all, 300, 300)
	}
	h := snapshot(t, b, st, 1, false)
	b.CheckpointComplete(1)
	for id := int64(2); id <= 8; id++ {
		mutateLists(rng, km, m, all, 300, 60)
		h = snapshot(t, b, st, id, false)
		b.CheckpointComplete(id)
		if len(h.Changelog) != int(id-1) {
			t.Fatalf("checkpoint %d: %d deltas, want %d", id, len(h.Changelog), id-1)
		}
		puts, dels, appends, v := deltaKinds(t, st, h.Changelog[len(h.Changelog)-1])
		changed := puts + appends
		if appends == 0 || v != tailsVersion || puts+dels == 0 {
			t.Fatalf("checkpoint %d: delta of %d values, %d deletions, %d appends, version %d: want appends in a version %d segment beside values and deletions", id, puts, dels, appends, v, tailsVersion)
		}
		// a list holds ~30 items of ~12 bytes: whole, the changed lists
		// would take ~400 bytes each; appends take one or two items
		if h.IncrementalSize > int64(changed)*150+1024 {
			t.Fatalf("checkpoint %d wrote %d bytes for %d changed lists (%d appends)", id, h.IncrementalSize, changed, appends)
		}
		for _, rc := range restoreConfigs {
			_, rm := restoreLists(t, rc, st, all, []*Handle{h}, tailListCodec{})
			checkLists(t, fmt.Sprintf("checkpoint %d restored into %s", id, rc.name), rm, m)
		}
	}
}

// TestHeapTailsOverAbortedCheckpoints: a checkpoint that aborts, or
// completes only after the next one was taken, leaves marks that its
// successor cannot build on: that one writes the changed lists whole;
// tails resume once the chain and the marks agree again. Every handle
// restores to the state it was taken at, in a chain with new full bases
// (MaxDeltas) after tails.
func TestHeapTailsOverAbortedCheckpoints(t *testing.T) {
	c := heapIncrConfig(HashMapOptions{MaxDeltas: 4, MaxDeltaRatio: 100})
	rng := rand.New(rand.NewSource(42))
	st := newStorage(t)
	b := newBackend(t, c, 0, all)
	km, err := NewKeyedMap[*tlist](b, "l", tailListCodec{})
	if err != nil {
		t.Fatal(err)
	}
	m := listModel{}
	for range 10 {
		mutateLists(rng, km, m, all, 200, 200)
	}
	var late []int64 // taken, to complete after the next one
	fulls, tailed := 0, 0
	prevCompleted := true
	for id := int64(1); id <= 40; id++ {
		mutateLists(rng, km, m, all, 200, 40)
		h := snapshot(t, b, st, id, false)
		if len(h.Changelog) == 0 {
			fulls++
		} else if h.IncrementalSize > 0 {
			_, _, appends, _ := deltaKinds(t, st, h.Changelog[len(h.Changelog)-1])
			if appends > 0 {
				tailed++
				if !prevCompleted {
					t.Fatalf("checkpoint %d wrote %d appends over a chain that its predecessor's marks are not about", id, appends)
				}
			}
		}
		for _, rc := range restoreConfigs[:3] {
			_, rm := restoreLists(t, rc, st, all, []*Handle{h}, tailListCodec{})
			checkLists(t, fmt.Sprintf("checkpoint %d restored into %s", id, rc.name), rm, m)
		}
		for _, l := range late {
			b.CheckpointComplete(l)
		}
		late = late[:0]
		switch r := rng.Intn(10); {
		case r < 6:
			b.CheckpointComplete(id)
			prevCompleted = true
		case r < 8:
			prevCompleted = false // aborted
		default:
			late = append(late, id)
			prevCompleted = false
		}
	}
	if fulls < 3 || tailed < 5 {
		t.Fatalf("%d full bases and %d deltas with appends in 40 checkpoints: the test does not exercise them", fulls, tailed)
	}
}

// TestHeapTailsRestoreInParallelAndRescaled: a large state with tails
// restores at parallelism 1 (key groups decoded on several goroutines)
// and 2, and the restored, not yet registered state is snapshotted as it
// is (its appends applied) into a savepoint that restores too.
func TestHeapTailsRestoreInParallelAndRescaled(t *testing.T) {
	c := heapIncrConfig(HashMapOptions{MaxDeltas: 1000, MaxDeltaRatio: 100})
	rng := rand.New(rand.NewSource(43))
	st := newStorage(t)
	b := newBackend(t, c, 0, all)
	km, err := NewKeyedMap[*tlist](b, "l", tailListCodec{})
	if err != nil {
		t.Fatal(err)
	}
	m := listModel{}
	const pool = 3 * parallelRestoreEntries
	mutateLists(rng, km, m, all, pool, 4*pool)
	snapshot(t, b, st, 1, false)
	b.CheckpointComplete(1)
	var h *Handle
	for id := int64(2); id <= 4; id++ {
		mutateLists(rng, km, m, all, pool, pool/2)
		h = snapshot(t, b, st, id, false)
		b.CheckpointComplete(id)
	}
	if _, _, appends, _ := deltaKinds(t, st, h.Changelog[2]); appends == 0 {
		t.Fatal("the last delta holds no appends")
	}
	_, rm := restoreLists(t, c, st, all, []*Handle{h}, tailListCodec{})
	checkLists(t, "restored at parallelism 1", rm, m)
	for i := range 2 {
		kgs := RangeFor(maxPar, 2, i)
		part := listModel{}
		for k, v := range m {
			g, _, _ := strings.Cut(k, "/")
			if kg, _ := strconv.Atoi(g); kgs.Contains(kg) {
				part[k] = v
			}
		}
		for _, rc := range restoreConfigs[:3] {
			_, rm := restoreLists(t, rc, st, kgs, []*Handle{h}, tailListCodec{})
			checkLists(t, fmt.Sprintf("instance %d of 2 (%s)", i, rc.name), rm, part)
		}
	}
	// restored but not registered: a savepoint writes the lists whole
	rb := newBackend(t, c, 0, all)
	if err := rb.Restore(st, []*Handle{h}); err != nil {
		t.Fatal(err)
	}
	sp := snapshot(t, rb, st, 5, true)
	if len(sp.Changelog) != 0 {
		t.Fatalf("savepoint with changelog segments: %+v", sp)
	}
	_, rm = restoreLists(t, c, st, all, []*Handle{sp}, listCodec{})
	checkLists(t, "savepoint of the restored state", rm, m)
}

// TestHeapTailsAfterRestoreAndOldSegments: a chain of version 1 segments
// (a codec without tails, as before tails existed) restores into a state
// whose codec writes tails; that backend's next delta writes the lists
// changed since whole (restored values hold no marks), the one after
// that appends, and the whole chain restores.
func TestHeapTailsAfterRestoreAndOldSegments(t *testing.T) {
	c := heapIncrConfig(HashMapOptions{MaxDeltas: 1000, MaxDeltaRatio: 100})
	rng := rand.New(rand.NewSource(44))
	st := newStorage(t)
	b := newBackend(t, c, 0, all)
	km, err := NewKeyedMap[*tlist](b, "l", listCodec{})
	if err != nil {
		t.Fatal(err)
	}
	m := listModel{}
	for range 5 {
		mutateLists(rng, km, m, all, 200, 200)
	}
	snapshot(t, b, st, 1, false)
	b.CheckpointComplete(1)
	mutateLists(rng, km, m, all, 200, 50)
	h := snapshot(t, b, st, 2, false)
	b.CheckpointComplete(2)
	if _, _, appends, v := deltaKinds(t, st, h.Changelog[0]); appends != 0 || v != 1 {
		t.Fatalf("a codec without tails wrote %d appends, version %d", appends, v)
	}
	rb, rm := restoreLists(t, c, st, all, []*Handle{h}, tailListCodec{})
	checkLists(t, "version 1 chain", rm, m)
	for id := int64(3); id <= 4; id++ {
		mutateLists(rng, rm, m, all, 200, 50)
		h = snapshot(t, rb, st, id, false)
		rb.CheckpointComplete(id)
		if len(h.Changelog) != int(id-1) {
			t.Fatalf("checkpoint %d of the restored backend does not build on the restored chain: %+v", id, h)
		}
		_, _, appends, v := deltaKinds(t, st, h.Changelog[len(h.Changelog)-1])
		if id == 3 && (appends != 0 || v != 1) || id == 4 && (appends == 0 || v != 2) {
			t.Fatalf("checkpoint %d: %d appends, version %d", id, appends, v)
		}
		_, got := restoreLists(t, c, st, all, []*Handle{h}, tailListCodec{})
		checkLists(t, fmt.Sprintf("checkpoint %d", id), got, m)
	}
}

// TestChangelogVersions: a build that reads segments up to version 1
// refuses one with appends saying the version it holds and the one it
// reads, one that reads up to version 2 refuses a segment with patches
// (version 3), and this build refuses version 4 the same way.
func TestChangelogVersions(t *testing.T) {
	w := newStateFileWriter(tagChangelogTails, all, 0, "")
	w.beginState("l")
	w.beginGroup(3)
	w.putStr("a", listCodec{}.Append(nil, &tlist{items: []string{"x"}}))
	w.appendStr("a", listCodec{}.Append(nil, &tlist{items: []string{"y"}}))
	w.delStr("b")
	data, err := w.sealed(storage.KindChangelog)
	if err != nil {
		t.Fatal(err)
	}
	st := storage.NewMemory()
	ref := FileRef{Path: "job/shared/x.changelog", Size: data.size}
	if err := data.store(st, ref.Path); err != nil {
		t.Fatal(err)
	}
	raw, _ := st.Get(ref.Path)
	if _, _, err := storage.Open(ref.Path, raw, storage.KindChangelog, 1); err == nil || !strings.Contains(err.Error(), "format version 2 is not supported (this build reads up to 1)") {
		t.Fatalf("a version 1 reader: %v", err)
	}
	puts, dels, appends, v := deltaKinds(t, st, ref)
	if puts != 1 || dels != 1 || appends != 1 || v != 2 {
		t.Fatalf("read %d values, %d deletions, %d appends, version %d", puts, dels, appends, v)
	}
	if err := VerifyHandle(st, &Handle{Format: FormatFull, KeyGroups: all, Changelog: []FileRef{ref}}, nil); err != nil {
		t.Fatalf("VerifyHandle of a version 2 segment: %v", err)
	}
	// a segment with patches is version 3, which a build reading up to
	// version 2 refuses by its version; this build refuses version 4
	wp := newStateFileWriter(tagChangelogPatches, all, 0, "")
	wp.beginState("l")
	wp.beginGroup(3)
	wp.appendStr("a", listCodec{}.Append(nil, &tlist{items: []string{"z"}}))
	pdata, err := wp.sealed(storage.KindChangelog)
	if err != nil {
		t.Fatal(err)
	}
	pref := FileRef{Path: "job/shared/p.changelog", Size: pdata.size}
	if err := pdata.store(st, pref.Path); err != nil {
		t.Fatal(err)
	}
	praw, _ := st.Get(pref.Path)
	if _, _, err := storage.Open(pref.Path, praw, storage.KindChangelog, 2); err == nil || !strings.Contains(err.Error(), "format version 3 is not supported (this build reads up to 2)") {
		t.Fatalf("a version 2 reader: %v", err)
	}
	if puts, dels, appends, v := deltaKinds(t, st, pref); puts != 0 || dels != 0 || appends != 1 || v != 3 {
		t.Fatalf("patch segment: read %d values, %d deletions, %d appends, version %d", puts, dels, appends, v)
	}
	payload, _, _ := storage.Open(ref.Path, raw, storage.KindChangelog, 2)
	v4 := storage.Seal(storage.KindChangelog, 4, payload)
	if err := st.Put("v4", v4); err != nil {
		t.Fatal(err)
	}
	if _, err := readStateFile(st, FileRef{Path: "v4"}, storage.KindChangelog); err == nil || !strings.Contains(err.Error(), "format version 4 is not supported (this build reads up to 3)") {
		t.Fatalf("a version 4 segment: %v", err)
	}
	// a value then an append restores; an append to an entry that
	// nothing holds is an error naming the key
	w = newStateFileWriter(tagChangelogTails, all, 0, "")
	w.beginState("l")
	w.beginGroup(3)
	w.appendStr("orphan", listCodec{}.Append(nil, &tlist{items: []string{"y"}}))
	bad, err := w.sealed(storage.KindChangelog)
	if err != nil {
		t.Fatal(err)
	}
	badRef := FileRef{Path: "job/shared/bad.changelog", Size: bad.size}
	if err := bad.store(st, badRef.Path); err != nil {
		t.Fatal(err)
	}
	for _, rc := range restoreConfigs[:3] {
		for _, seg := range []FileRef{ref, badRef} {
			b := newBackend(t, rc, 0, all)
			err := b.Restore(st, []*Handle{{OperatorID: "op", Format: FormatFull, KeyGroups: all, Changelog: []FileRef{seg}}})
			var km KeyedMap[*tlist]
			if err == nil {
				km, err = NewKeyedMap[*tlist](b, "l", tailListCodec{})
			}
			switch {
			case seg == ref && err != nil:
				t.Fatalf("%s: a segment whose append follows a value: %v", rc.name, err)
			case seg == ref:
				if v, ok := km.Get(3, []byte("a")); !ok || !slices.Equal(v.items, []string{"x", "y"}) {
					t.Fatalf("%s: restored %v", rc.name, v)
				}
			case err == nil || !strings.Contains(err.Error(), "orphan"):
				t.Fatalf("%s: an append to a missing entry: %v", rc.name, err)
			}
		}
	}
}

// TestHeapApplyAppendToRegisteredState: an append applied to a state
// that is already registered decodes its value with the tail appended;
// one to a key the state does not hold is an error naming the key.
func TestHeapApplyAppendToRegisteredState(t *testing.T) {
	b := NewHashMapBackend(all)
	km, err := NewKeyedMap[*tlist](b, "l", tailListCodec{})
	if err != nil {
		t.Fatal(err)
	}
	km.Put(5, []byte("k"), &tlist{items: []string{"a"}})
	tail := listCodec{}.Append(nil, &tlist{items: []string{"b", "c"}})
	if err := b.applyRaw("f", "l", 5, []byte("k"), tail, changeAppend); err != nil {
		t.Fatal(err)
	}
	if v, ok := km.Get(5, []byte("k")); !ok || !slices.Equal(v.items, []string{"a", "b", "c"}) {
		t.Fatalf("after the append: %v %v", v, ok)
	}
	if err := b.applyRaw("f", "l", 5, []byte("missing"), tail, changeAppend); err == nil || !strings.Contains(err.Error(), "missing") {
		t.Fatalf("an append to a missing key: %v", err)
	}
}
