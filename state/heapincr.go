package state

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"path"
	"sort"

	"github.com/streamsql/streamsql/checkpoint/storage"
)

// HashMapOptions configures the memory backend.
type HashMapOptions struct {
	// Incremental enables incremental checkpoints
	// (state.backend.incremental): see HashMapBackend.
	Incremental bool
	// MaxDeltas is the number of delta files after which a checkpoint
	// writes a new full base (default 100).
	MaxDeltas int
	// MaxDeltaRatio: a checkpoint writes a new full base instead of a
	// delta that would take the deltas since the last base past this
	// fraction of its size (default 0.5; the delta's size is estimated
	// from above). What a delta adds to the state counts as growth of the
	// base, not as deltas: the values of keys inserted since the base and
	// appends (see TailCodec), which are as live as the base (a value
	// rewritten or deleted later is counted, as a delta, when it is); of
	// a patch (PatchCodec), only the bytes its Codec counts as growth.
	// Deltas are thus the bytes that may replace what the chain already
	// holds, and restore reads at most about 1+MaxDeltaRatio times the
	// full state (a state that only grows gets a new base every
	// MaxDeltas checkpoints).
	MaxDeltaRatio float64
}

func (o HashMapOptions) withDefaults() HashMapOptions {
	if o.MaxDeltas <= 0 {
		o.MaxDeltas = 100
	}
	if o.MaxDeltaRatio <= 0 {
		o.MaxDeltaRatio = 0.5
	}
	return o
}

// heapIncr is the bookkeeping of incremental mode.
type heapIncr struct {
	opts      HashMapOptions
	session   string
	clock     uint32 // the epoch changes are stamped with; each checkpoint ends one
	swept     uint32 // deletions up to this epoch have been dropped
	lastDelta int    // size of the last delta payload (buffer hint)
	// marked is the epoch of the latest snapshot that marked the values
	// it wrote (see TailCodec): the marks tell what that snapshot's chain
	// holds. A delta writes tails only over that same chain (its base's
	// epoch is marked); over any other (the latest snapshot has not
	// completed, or aborted) it writes the changed values whole.
	marked uint32

	bases baseTracker[heapBase]
}

// heapBase is what an incremental checkpoint builds on: a full file and
// the deltas written after it.
type heapBase struct {
	full       []FileRef // nil: nothing to build on
	fullSize   int64
	deltas     []FileRef
	deltaBytes int64
	// grown estimates the bytes of deltaBytes that are growth (new keys
	// and appends; from above; see MaxDeltaRatio)
	grown int64
	epoch uint32 // changes of epochs up to this are held
}

// within reports whether every file of the base is under dir.
func (c heapBase) within(dir string) bool {
	for _, f := range append(append([]FileRef(nil), c.full...), c.deltas...) {
		if !under(f.Path, dir) {
			return false
		}
	}
	return true
}

func newHeapIncr(opts HashMapOptions) *heapIncr {
	var rnd [8]byte
	if _, err := rand.Read(rnd[:]); err != nil {
		// crypto/rand does not fail on supported platforms; a fixed
		// session only risks names that another attempt also uses.
		copy(rnd[:], "heapincr")
	}
	return &heapIncr{opts: opts.withDefaults(), session: hex.EncodeToString(rnd[:]), clock: 1}
}

// snapshotIncremental captures checkpoint t (see HashMapBackend): a delta
// over the latest completed checkpoint's base, or a new full base.
func (b *HashMapBackend) snapshotIncremental(t SnapshotTarget) (func() (*Handle, error), error) {
	in := b.incr
	// The store committed t.Committed before this checkpoint was
	// triggered: build on it even if its CheckpointComplete has not
	// arrived yet (retention may have deleted what older ones hold).
	in.bases.complete(t.Committed)
	base := in.bases.base()
	if base.full != nil && !base.within(t.SharedDir) {
		// Restored from another job's checkpoint: do not build on its files.
		base = heapBase{}
	}
	b.dropDeletions(base.epoch)
	e := in.clock
	in.clock++
	stem := b.id.fileStem()
	// Tails build on the marks, which are those of the latest snapshot:
	// only over its chain. From here on the marks are this snapshot's
	// (even if it fails half-way: it never becomes a base, so the next
	// snapshot writes whole values).
	tails := base.full != nil && base.epoch == in.marked
	in.marked = e
	// A new full base when the chain would pass its bounds with this
	// delta: the deltas then never exceed MaxDeltaRatio of the base, and
	// a state that changes mostly whole between checkpoints (a few large
	// values) is written once per checkpoint, not as a delta and a base.
	// New keys and appends count as growth of the base, not as deltas
	// (see MaxDeltaRatio): the chain's deltas less its growth, and this
	// delta's rewrites, against the base and the growth.
	full := base.full == nil || len(base.deltas) >= in.opts.MaxDeltas
	var est deltaEstimate
	if !full {
		est = b.deltaSize(base.epoch, tails)
		replaced := max(base.deltaBytes-base.grown, 0) + est.rewrite
		full = float64(replaced) > in.opts.MaxDeltaRatio*float64(base.fullSize+base.grown+est.appendBytes)
	}
	if full {
		data, err := b.fullFile(true)
		if err != nil {
			return nil, fmt.Errorf("snapshot of %s: %w", stem, err)
		}
		b.lastSize = int(data.size)
		p := path.Join(t.SharedDir, fmt.Sprintf("%s-%s-%d.state", stem, in.session, t.CheckpointID))
		return func() (*Handle, error) {
			if err := data.store(t.Storage, p); err != nil {
				return nil, fmt.Errorf("snapshot of %s: writing %s: %w", stem, p, err)
			}
			ref := FileRef{Path: p, Size: data.size, Shared: true}
			next := heapBase{full: []FileRef{ref}, fullSize: ref.Size, epoch: e}
			in.bases.record(t.CheckpointID, next)
			return b.incrHandle(next, ref.Size), nil
		}, nil
	}
	data, grown, err := b.deltaFile(base.epoch, est.appends > 0, est.patches > 0)
	if err != nil {
		return nil, fmt.Errorf("snapshot of %s: %w", stem, err)
	}
	p := path.Join(t.SharedDir, fmt.Sprintf("%s-%s-%d.changelog", stem, in.session, t.CheckpointID))
	return func() (*Handle, error) {
		next := base
		next.epoch = e
		var written int64
		if data != nil {
			if err := data.store(t.Storage, p); err != nil {
				return nil, fmt.Errorf("snapshot of %s: writing %s: %w", stem, p, err)
			}
			ref := FileRef{Path: p, Size: data.size, Shared: true}
			next.deltas = append(append([]FileRef(nil), base.deltas...), ref)
			next.deltaBytes += ref.Size
			next.grown += min(grown, ref.Size)
			written = ref.Size
		}
		in.bases.record(t.CheckpointID, next)
		return b.incrHandle(next, written), nil
	}, nil
}

// incrHandle is the handle of an incremental checkpoint: the base's full
// file(s) and its deltas, as changelog segments, in order.
func (b *HashMapBackend) incrHandle(c heapBase, written int64) *Handle {
	h := &Handle{
		OperatorID: b.id.operatorID, Instance: b.id.instance, KeyGroups: b.kgs,
		Backend: "hashmap", Format: FormatFull,
		Files: append([]FileRef(nil), c.full...),
		Size:  c.fullSize + c.deltaBytes, IncrementalSize: written,
	}
	if len(c.deltas) > 0 {
		h.Changelog = append([]FileRef(nil), c.deltas...)
	}
	return h
}

// deltaFile encodes the changes of epochs after `after` as a changelog
// segment (sealed; spilled to os.TempDir when large); nil when nothing
// changed. tails: values whose Codec gives a tail are written as appends,
// in a segment of version 2 (see statefile.go), or 3 with patches (a
// PatchCodec's tails; without, its values are written whole); otherwise
// whole, in one of version 1. grown is how many of its bytes are growth of the state
// (see MaxDeltaRatio).
func (b *HashMapBackend) deltaFile(after uint32, tails, patches bool) (data *sealedFile, grown int64, err error) {
	names := make([]string, 0, len(b.states_))
	for n := range b.states_ {
		names = append(names, n)
	}
	sort.Strings(names)
	tag := tagChangelog
	if tails {
		tag = tagChangelogTails
	}
	if tails && patches {
		tag = tagChangelogPatches
	}
	w := newStateFileWriterIn(&b.bufs, tag, b.kgs, b.incr.lastDelta, "")
	n := 0
	for _, name := range names {
		if hs, ok := b.states_[name].(heapSnapshotter); ok {
			k, g := hs.writeDelta(w, name, after, tails)
			n += k
			grown += int64(g)
		}
	}
	if n == 0 {
		w.discard()
		b.bufs.put(w.buf)
		return nil, 0, nil
	}
	data, err = w.sealed(storage.KindChangelog)
	if err != nil {
		return nil, 0, err
	}
	b.incr.lastDelta = int(data.size)
	return data, grown, nil
}

// deltaEstimate is what deltaSize foresees of a delta.
type deltaEstimate struct {
	rewrite     int64 // bytes that may replace what the chain holds (an upper bound)
	appends     int   // entries that are appends
	appendBytes int64 // their bytes that are growth
	patches     int   // appends that are patches
}

// deltaSize estimates the delta of the changes of epochs after `after`
// (with tails: appends where a value's Codec gives a tail): see
// heapMap.deltaSize. It encodes the values of keys the chain holds that
// are written whole, which the delta or full file then reuses.
func (b *HashMapBackend) deltaSize(after uint32, tails bool) deltaEstimate {
	var e deltaEstimate
	for _, s := range b.states_ {
		if hs, ok := s.(heapSnapshotter); ok {
			d := hs.deltaSize(after, tails)
			e.rewrite += int64(d.rewrite)
			e.appends += d.appends
			e.appendBytes += int64(d.appendBytes)
			e.patches += d.patches
		}
	}
	return e
}

// dropDeletions forgets the deletions that base epoch upTo holds.
func (b *HashMapBackend) dropDeletions(upTo uint32) {
	if upTo <= b.incr.swept {
		return
	}
	b.incr.swept = upTo
	for _, s := range b.states_ {
		if hs, ok := s.(heapSnapshotter); ok {
			hs.dropDeletions(upTo)
		}
	}
}

// seed makes a restored handle the base when it can be built on: it holds
// exactly this instance's key groups, in FormatFull with changelog
// segments, and all its files are shared. Restored entries have epoch 0,
// which the seeded base holds.
func (in *heapIncr) seed(handles []*Handle, kgs KeyGroupRange) {
	var rel []*Handle
	for _, h := range handles {
		if overlaps(h, kgs) {
			rel = append(rel, h)
		}
	}
	if len(rel) != 1 {
		return
	}
	h := rel[0]
	if h.KeyGroups != kgs || h.Format != FormatFull || len(h.Files) == 0 || !allShared(h.Files) || !allShared(h.Changelog) {
		return
	}
	c := heapBase{
		full: append([]FileRef(nil), h.Files...), fullSize: sumSizes(h.Files),
		deltas: append([]FileRef(nil), h.Changelog...), deltaBytes: sumSizes(h.Changelog),
	}
	in.bases.seed(c)
}
