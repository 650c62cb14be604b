package state

import (
	"fmt"
	"runtime"
	"sort"
	"sync"
	"sync/atomic"

	"github.com/streamsql/streamsql/checkpoint/storage"
)

// HashMapBackend keeps state as Go values in memory (Flink's hashmap
// backend). Snapshot serialises every state with its Codec into one
// FormatFull file, <Dir>/<operatorID>-<instance>.state.
//
// With incremental checkpoints (HashMapOptions.Incremental), a checkpoint
// with a SharedDir writes only what changed since the latest completed
// checkpoint: every entry put since then, with its value, and every key
// deleted since then, as one changelog segment (the layout of
// statefile.go, tag "changelog-v1") in
// <SharedDir>/<operatorID>-<instance>-<session>-<checkpoint id>.changelog.
// Its handle is FormatFull: the base's full file (Files, shared) and
// every delta written since, in order (Changelog), so every backend
// restores it as it restores changelog mode's handles. A checkpoint
// writes a new full base instead, to
// <SharedDir>/<operatorID>-<instance>-<session>-<checkpoint id>.state,
// when it has nothing to build on (the first checkpoint, or one after a
// restore whose handle cannot be built on), once the chain holds
// MaxDeltas deltas, or when this checkpoint's delta would take the deltas
// past MaxDeltaRatio times the base's size (a state that changes whole
// between checkpoints is thus written once per checkpoint, as a base). Changes are
// tracked per slot (the epoch of its last Put) and per deleted key, not
// in a second map; deletions are forgotten once a completed checkpoint
// holds them.
//
// A value whose Codec is a TailCodec (a join's bag of rows) and that only
// grew since the chain last held it is written as an append of what it
// grew by (a segment of version 2: see statefile.go), not whole; appends
// count as growth of the base, not as deltas, for MaxDeltaRatio. Tails
// are written only over the chain of the latest snapshot (whose marks the
// values keep): after an aborted or not yet completed checkpoint the
// changed values are written whole once.
//
// Contract relied upon (as for Pebble's incremental checkpoints): the
// checkpoint store never deletes a shared file that a retained completed
// checkpoint references. A checkpoint builds only on the base of the
// latest checkpoint whose CheckpointComplete arrived (or the handle it
// was restored from, when it holds exactly its key groups and only
// shared files under the current SharedDir): after an aborted
// checkpoint, the next delta holds every change since the last completed
// one, and a full base written for an aborted checkpoint is not reused.
// Savepoints and targets without a SharedDir are one self-contained
// FormatFull file.
type HashMapBackend struct {
	id       instanceID
	kgs      KeyGroupRange
	states_  map[string]namedState
	raw      rawStates // restored, not yet registered
	restored bool
	lastSize int
	incr     *heapIncr // incremental mode; nil otherwise
	bufs     fileBuffers
}

// NewHashMapBackendFor returns an empty memory backend for instance
// instance of operator operatorID, owning key groups kgs. The identity
// names its snapshot files.
func NewHashMapBackendFor(operatorID string, instance int, kgs KeyGroupRange) *HashMapBackend {
	return NewHashMapBackendWith(operatorID, instance, kgs, HashMapOptions{})
}

// NewHashMapBackendWith is NewHashMapBackendFor with options.
func NewHashMapBackendWith(operatorID string, instance int, kgs KeyGroupRange, opts HashMapOptions) *HashMapBackend {
	b := &HashMapBackend{id: instanceID{operatorID, instance}, kgs: kgs, states_: map[string]namedState{}}
	if opts.Incremental {
		b.incr = newHeapIncr(opts)
	}
	return b
}

// NewHashMapBackend returns an empty memory backend owning key groups kgs
// with no operator identity (tests and tools); its snapshot file is
// <Dir>/state-0.state.
func NewHashMapBackend(kgs KeyGroupRange) *HashMapBackend {
	return NewHashMapBackendFor("", 0, kgs)
}

func (b *HashMapBackend) Kind() string                  { return "hashmap" }
func (b *HashMapBackend) KeyGroups() KeyGroupRange      { return b.kgs }
func (b *HashMapBackend) Err() error                    { return nil }
func (b *HashMapBackend) states() map[string]namedState { return b.states_ }
func (b *HashMapBackend) ident() instanceID             { return b.id }
func (b *HashMapBackend) add(name string, s namedState) error {
	if _, ok := b.states_[name]; ok {
		return fmt.Errorf("state %q registered twice", name)
	}
	b.states_[name] = s
	return nil
}

// parallelRestoreEntries is how many restored entries each goroutine of
// newHeapMapRestored decodes at least.
const parallelRestoreEntries = 1 << 15

// newHeapMapRestored creates state name of hb, filled with the entries
// Restore holds for it.
func newHeapMapRestored[V any](hb *HashMapBackend, name string, codec Codec[V]) (*heapMap[V], error) {
	var clock *uint32
	if hb.incr != nil {
		clock = &hb.incr.clock
	}
	m := newHeapMap(hb.kgs, codec, clock)
	rs := hb.raw.take(name)
	if rs == nil {
		return m, nil
	}
	kgs := rs.sortedGroups()
	total := 0
	for _, kg := range kgs {
		n := rs.groups[kg].sizeHint()
		m.reserve(kg, n) // creates every group before the workers start
		total += n
	}
	// Key groups are separate maps: decode them on up to GOMAXPROCS
	// goroutines when there is enough to share.
	workers := min(runtime.GOMAXPROCS(0), len(kgs), max(total/parallelRestoreEntries, 1))
	errs := make([]error, len(kgs))
	var next atomic.Int64
	var wg sync.WaitGroup
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := int(next.Add(1) - 1); i < len(kgs); i = int(next.Add(1) - 1) {
				kg := kgs[i]
				g := m.existingGroup(kg)
				var keys keyArena
				errs[i] = rs.groups[kg].each(func(k, enc []byte) error {
					v, err := codec.Decode(enc)
					if err != nil {
						return err
					}
					m.putRestored(g, keys.string(k), v)
					return nil
				})
			}
		}()
	}
	wg.Wait()
	for _, kg := range kgs {
		m.n += len(m.existingGroup(kg).keys)
	}
	for i, err := range errs {
		if err != nil {
			hb.raw.m[name] = rs // keep it for a later attempt or snapshot
			return nil, fmt.Errorf("state %q restored from %s: key group %d: a value does not decode: %w", name, rs.origin(), kgs[i], err)
		}
	}
	return m, nil
}

// Snapshot writes every state (registered or only restored) into
// <Dir>/<operatorID>-<instance>.state in FormatFull. It encodes the maps
// in the caller's goroutine and returns once the file is durable.
func (b *HashMapBackend) Snapshot(t SnapshotTarget) (*Handle, error) {
	finish, err := b.snapshotAsync(t)
	if err != nil {
		return nil, err
	}
	return finish()
}

// SnapshotAsync encodes the state now (only entries changed since the
// previous snapshot are encoded again); finish writes the encoding.
func (b *HashMapBackend) SnapshotAsync(t SnapshotTarget) (func() (*Handle, error), error) {
	return b.snapshotAsync(t)
}

// snapshotAsync encodes the state now; finish writes it.
func (b *HashMapBackend) snapshotAsync(t SnapshotTarget) (func() (*Handle, error), error) {
	if err := checkTarget(b.id, t); err != nil {
		return nil, err
	}
	if b.incr != nil && !t.Savepoint && t.SharedDir != "" {
		return b.snapshotIncremental(t)
	}
	data, err := b.fullFile(false)
	if err != nil {
		return nil, fmt.Errorf("snapshot of %s: %w", b.id.fileStem(), err)
	}
	b.lastSize = int(data.size)
	return func() (*Handle, error) {
		h, err := writeFullFile(t.Storage, t.Dir, b.id, b.kgs, "hashmap", data)
		if err != nil {
			return nil, fmt.Errorf("snapshot of %s: %w", b.id.fileStem(), err)
		}
		return h, nil
	}, nil
}

// fullFile encodes all states as a FormatFull file (sealed; spilled to
// os.TempDir when large). mark: the file is an incremental checkpoint's
// new base, which every value written is marked as held by (see
// TailCodec); savepoints and self-contained snapshots leave marks alone.
func (b *HashMapBackend) fullFile(mark bool) (*sealedFile, error) {
	names := make([]string, 0, len(b.states_))
	hint := 0
	for n, st := range b.states_ {
		names = append(names, n)
		if hs, ok := st.(heapSnapshotter); ok {
			hint += len(n) + hs.encodeChanged()
		}
	}
	sort.Strings(names)
	w := newStateFileWriterIn(&b.bufs, tagFull, b.kgs, max(hint+4096, b.lastSize), "")
	for _, n := range names {
		if hs, ok := b.states_[n].(heapSnapshotter); ok {
			hs.snapshotInto(w, n, mark)
		}
	}
	for _, n := range b.raw.names() {
		b.raw.m[n].snapshotInto(w, n)
	}
	return w.sealed(storage.KindState)
}

// Restore reads the entries of the owned key groups from handles
// (FormatFull, or FormatPebbleSST read through a temporary Pebble
// database), then applies their changelog segments. It must be called
// once, before any NewKeyedMap.
func (b *HashMapBackend) Restore(st storage.Storage, handles []*Handle) error {
	if b.restored || len(b.states_) > 0 {
		return fmt.Errorf("restore of %s: Restore must come first and only once", b.id.fileStem())
	}
	b.restored = true
	if err := checkHandles(handles, b.kgs); err != nil {
		return err
	}
	for _, h := range handles {
		if !overlaps(h, b.kgs) {
			continue
		}
		var err error
		switch h.Format {
		case FormatFull:
			err = readFullHandleBlocks(st, h, b.kgs, func(file, state string, kg int, data []byte, count int) {
				b.raw.addBlock(state, kg, data, count, file)
			})
		case FormatPebbleSST:
			err = readPebbleHandle(st, h, b.kgs, "", func(file, state string, kg int, key, val []byte) error {
				b.raw.addBase(state, kg, key, val, file)
				return nil
			})
		}
		if err != nil {
			return fmt.Errorf("restore of %s: %w", b.id.fileStem(), err)
		}
	}
	if err := applyChangelog(st, b, handles); err != nil {
		return fmt.Errorf("restore of %s: %w", b.id.fileStem(), err)
	}
	if b.incr != nil {
		b.incr.seed(handles, b.kgs)
	}
	return nil
}

func (b *HashMapBackend) applyRaw(file, name string, kg int, key, val []byte, kind changeKind) error {
	if s, ok := b.states_[name]; ok {
		hs, ok := s.(heapSnapshotter)
		if !ok {
			return fmt.Errorf("state %q cannot take restored entries", name)
		}
		return hs.applyEncoded(kg, key, val, kind)
	}
	return b.raw.applyChange(name, kg, key, val, kind, file)
}

// CheckpointComplete makes checkpoint id's base (in incremental mode)
// the one later checkpoints build on; otherwise every snapshot is
// self-contained and it does nothing. It may be called from any
// goroutine.
func (b *HashMapBackend) CheckpointComplete(id int64) {
	if b.incr != nil {
		b.incr.bases.complete(id)
	}
}

// Close drops the state.
func (b *HashMapBackend) Close() error {
	b.states_ = map[string]namedState{}
	b.raw = rawStates{}
	return nil
}
