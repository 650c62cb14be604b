package state

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"path"
	"sort"
	"sync"

	"github.com/streamsql/streamsql/checkpoint/storage"
)

// ChangelogOptions configures changelog mode.
type ChangelogOptions struct {
	// MaterializeEvery is the number of checkpoints after which the full
	// state is materialised again (default 10).
	MaterializeEvery int
	// MaxLogBytes materialises as soon as the changelog segments since
	// the last materialisation exceed it (default 64 MiB).
	MaxLogBytes int64

	// waitMaterialization makes a background materialisation finish
	// before the Snapshot that started it returns (deterministic tests).
	waitMaterialization bool
}

func (o ChangelogOptions) withDefaults() ChangelogOptions {
	if o.MaterializeEvery <= 0 {
		o.MaterializeEvery = 10
	}
	if o.MaxLogBytes <= 0 {
		o.MaxLogBytes = 64 << 20
	}
	return o
}

// ChangelogBackend is changelog mode (state.backend.changelog.enabled,
// Flink's generic log-based incremental checkpoints) over another backend.
//
// Its maps write through to the inner backend's maps and remember which
// keys changed. A checkpoint then writes only a changelog segment: every
// key changed since the last completed checkpoint, with its current value
// (encoded with the state's Codec) or a deletion, to
// <SharedDir>/<operatorID>-<instance>-<session>-<checkpoint id>.changelog
// (envelope KindChangelog, the state file layout with tag "changelog-v1").
//
// Every MaterializeEvery checkpoints, or once the segments exceed
// MaxLogBytes, a checkpoint also starts a materialisation of the full
// state with the inner backend's own snapshot format, into
// <SharedDir>/<operatorID>-<instance>-<session>-m<checkpoint id>/ (its
// files are marked Shared since later checkpoints reference them). The
// checkpoint captures the state in its own goroutine (the memory backend
// encodes it; the pebble backend takes a Pebble snapshot, or a flushed
// Pebble checkpoint) and the files are written in the background. The
// first checkpoint after the materialisation finished references it, with
// one segment holding every change since its view; the changes it covers
// are kept until then. The very first checkpoint (or the first after a
// restore whose handle cannot be built on) materialises synchronously.
//
// A handle is the materialisation (Format and Files, as the inner backend
// wrote them) plus the ordered segments written since (Changelog). Restore
// (by any backend) loads the materialisation and applies the segments in
// order, filtered by key group.
//
// Savepoints, and targets without a SharedDir, are the inner backend's own
// self-contained snapshot.
//
// Contract relied upon: as for incremental checkpoints, the checkpoint
// store never deletes a shared file that a retained completed checkpoint
// references. A checkpoint builds only on the materialisation and
// segments of the latest completed one: after an aborted checkpoint, the
// next segment covers every change since the last completed checkpoint,
// and a materialisation first offered to an aborted checkpoint is
// dropped (the store may have deleted it) and started again later.
type ChangelogBackend struct {
	inner   Backend
	opts    ChangelogOptions
	states_ map[string]namedState
	session string

	epoch   uint64 // changes are stamped with it; each Snapshot ends it
	seq     int    // snapshots taken
	swept   uint64 // dirty entries up to this epoch have been dropped
	lastLog int

	job         *matJob // background materialisation, until offered
	matFailures int
	wg          sync.WaitGroup

	mu        sync.Mutex // guards the fields below
	confirmed clBase
	confirmID int64
	pending   map[int64]clBase
}

// clBase is what a checkpoint's handle builds on: a materialisation and
// the segments written after it.
type clBase struct {
	mat      *Handle // nil before the first materialisation
	segments []FileRef
	logBytes int64
	epoch    uint64 // changes of epochs up to this are covered
	matSeq   int    // snapshot sequence number of the materialisation
	innerID  int64  // the inner backend's snapshot id of mat
}

// NewChangelogBackend wraps inner (a fresh HashMapBackend or
// PebbleBackend, which the wrapper then owns and closes) in changelog mode.
func NewChangelogBackend(inner Backend, opts ChangelogOptions) (*ChangelogBackend, error) {
	if _, ok := inner.(*ChangelogBackend); ok {
		return nil, fmt.Errorf("changelog backend: already in changelog mode")
	}
	if len(inner.states()) > 0 {
		return nil, fmt.Errorf("changelog backend: the inner backend already has states")
	}
	var rnd [8]byte
	if _, err := rand.Read(rnd[:]); err != nil {
		return nil, err
	}
	return &ChangelogBackend{
		inner: inner, opts: opts.withDefaults(), states_: map[string]namedState{},
		session: hex.EncodeToString(rnd[:]), epoch: 1,
	}, nil
}

// Kind is the inner backend's kind (operators treat the maps as the inner
// backend's).
func (b *ChangelogBackend) Kind() string                  { return b.inner.Kind() }
func (b *ChangelogBackend) KeyGroups() KeyGroupRange      { return b.inner.KeyGroups() }
func (b *ChangelogBackend) Err() error                    { return b.inner.Err() }
func (b *ChangelogBackend) states() map[string]namedState { return b.states_ }
func (b *ChangelogBackend) ident() instanceID             { return b.inner.ident() }
func (b *ChangelogBackend) add(name string, s namedState) error {
	if _, ok := b.states_[name]; ok {
		return fmt.Errorf("state %q registered twice", name)
	}
	b.states_[name] = s
	return nil
}

func (b *ChangelogBackend) applyRaw(file, name string, kg int, key, val []byte, del bool) error {
	return b.inner.applyRaw(file, name, kg, key, val, del)
}

// Restore restores the inner backend (materialisation, then segments).
// When one handle holds exactly this instance's key groups and all its
// files are shared (it was written in changelog mode), it becomes the
// base of the next checkpoints; otherwise the first checkpoint
// materialises.
func (b *ChangelogBackend) Restore(st storage.Storage, handles []*Handle) error {
	if err := b.inner.Restore(st, handles); err != nil {
		return err
	}
	var rel []*Handle
	for _, h := range handles {
		if overlaps(h, b.KeyGroups()) {
			rel = append(rel, h)
		}
	}
	if len(rel) != 1 || rel[0].KeyGroups != b.KeyGroups() || !allShared(rel[0].Files) || !allShared(rel[0].Changelog) {
		return nil
	}
	h := rel[0]
	mat := cloneHandle(h)
	mat.Changelog = nil
	mat.Size = sumSizes(h.Files)
	base := clBase{mat: mat, segments: append([]FileRef(nil), h.Changelog...), logBytes: sumSizes(h.Changelog)}
	b.mu.Lock()
	b.confirmed = base
	b.mu.Unlock()
	return nil
}

// cloneHandle copies h and its file lists.
func cloneHandle(h *Handle) *Handle {
	c := *h
	c.Files = append([]FileRef(nil), h.Files...)
	c.Changelog = append([]FileRef(nil), h.Changelog...)
	if len(c.Changelog) == 0 {
		c.Changelog = nil
	}
	return &c
}

func allShared(refs []FileRef) bool {
	for _, r := range refs {
		if !r.Shared {
			return false
		}
	}
	return true
}

func sumSizes(refs []FileRef) int64 {
	var n int64
	for _, r := range refs {
		n += r.Size
	}
	return n
}

// Snapshot writes a changelog segment, or materialises (see the type's
// doc).
func (b *ChangelogBackend) Snapshot(t SnapshotTarget) (*Handle, error) {
	if t.Savepoint || t.SharedDir == "" {
		return b.inner.Snapshot(t)
	}
	stem := b.ident().fileStem()
	if err := b.inner.Err(); err != nil {
		return nil, fmt.Errorf("snapshot of %s: %w", stem, err)
	}
	if err := checkTarget(b.ident(), t); err != nil {
		return nil, err
	}
	b.mu.Lock()
	base := b.confirmed
	b.mu.Unlock()

	// A finished background materialisation is offered to one checkpoint.
	var ready *matJob
	if j := b.job; j != nil && j.finished() {
		b.job = nil
		if j.err != nil {
			b.matFailures++
			if b.matFailures >= maxMatFailures {
				return nil, fmt.Errorf("snapshot of %s: materialisation failed %d times in a row: %w", stem, b.matFailures, j.err)
			}
		} else {
			b.matFailures = 0
			ready = j
		}
	}
	bound := base.epoch
	if b.job != nil {
		bound = min(bound, b.job.epoch)
	}
	if ready != nil {
		bound = min(bound, ready.epoch)
	}
	b.sweep(bound)
	e := b.epoch
	b.epoch++
	b.seq++

	var next clBase
	var h *Handle
	switch {
	case base.mat == nil:
		// Nothing to build on: materialise now.
		mh, err := b.inner.Snapshot(b.matTarget(t))
		if err != nil {
			return nil, err
		}
		markShared(mh)
		next = clBase{mat: mh, epoch: e, matSeq: b.seq, innerID: t.CheckpointID}
		h = cloneHandle(mh)
	case ready != nil:
		// The first checkpoint on a new materialisation: one segment with
		// every change since the materialisation's view.
		seg, err := b.writeSegment(t, ready.epoch)
		if err != nil {
			return nil, fmt.Errorf("snapshot of %s: %w", stem, err)
		}
		next = clBase{mat: ready.h, epoch: e, matSeq: ready.seq, innerID: ready.id}
		h = cloneHandle(ready.h)
		if seg != nil {
			next.segments = []FileRef{*seg}
			next.logBytes = seg.Size
			h.IncrementalSize += seg.Size
		}
		h.Changelog = append([]FileRef(nil), next.segments...)
		h.Size = ready.h.Size + next.logBytes
	default:
		seg, err := b.writeSegment(t, base.epoch)
		if err != nil {
			return nil, fmt.Errorf("snapshot of %s: %w", stem, err)
		}
		next = clBase{mat: base.mat, segments: base.segments, logBytes: base.logBytes, epoch: e, matSeq: base.matSeq, innerID: base.innerID}
		h = cloneHandle(base.mat)
		h.IncrementalSize = 0
		if seg != nil {
			next.segments = append(append([]FileRef(nil), base.segments...), *seg)
			next.logBytes += seg.Size
			h.IncrementalSize = seg.Size
		}
		h.Changelog = append([]FileRef(nil), next.segments...)
		h.Size = base.mat.Size + next.logBytes
		if b.job == nil && (b.seq-base.matSeq >= b.opts.MaterializeEvery || next.logBytes >= b.opts.MaxLogBytes) {
			if err := b.startMaterialization(t, e); err != nil {
				return nil, fmt.Errorf("snapshot of %s: %w", stem, err)
			}
		}
	}
	id := b.ident()
	h.OperatorID, h.Instance = id.operatorID, id.instance
	b.mu.Lock()
	if b.pending == nil {
		b.pending = map[int64]clBase{}
	}
	b.pending[t.CheckpointID] = next
	b.mu.Unlock()
	return h, nil
}

// maxMatFailures is how many background materialisations may fail in a
// row before checkpoints fail.
const maxMatFailures = 3

// matJob is a materialisation running, or finished, in the background.
type matJob struct {
	id    int64  // checkpoint id it started at: names its files, and the inner backend's snapshot
	epoch uint64 // it holds every change of epochs up to this
	seq   int
	done  chan struct{}
	h     *Handle
	err   error
}

func (j *matJob) finished() bool {
	select {
	case <-j.done:
		return true
	default:
		return false
	}
}

// matTarget is where the materialisation started at checkpoint t goes.
func (b *ChangelogBackend) matTarget(t SnapshotTarget) SnapshotTarget {
	dir := path.Join(t.SharedDir, fmt.Sprintf("%s-%s-m%d", b.ident().fileStem(), b.session, t.CheckpointID))
	return SnapshotTarget{Storage: t.Storage, Dir: dir, SharedDir: t.SharedDir, CheckpointID: t.CheckpointID}
}

// startMaterialization captures the full state as of epoch e (in this
// goroutine) and writes it in the background. Close waits for it.
func (b *ChangelogBackend) startMaterialization(t SnapshotTarget, e uint64) error {
	as, ok := b.inner.(asyncSnapshotter)
	if !ok {
		return fmt.Errorf("backend %s cannot materialise in the background", b.inner.Kind())
	}
	finish, err := as.snapshotAsync(b.matTarget(t))
	if err != nil {
		return err
	}
	j := &matJob{id: t.CheckpointID, epoch: e, seq: b.seq, done: make(chan struct{})}
	b.job = j
	b.wg.Add(1)
	go func() {
		defer b.wg.Done()
		defer close(j.done)
		h, err := finish()
		if err == nil {
			markShared(h)
		}
		j.h, j.err = h, err
	}()
	if b.opts.waitMaterialization {
		<-j.done
	}
	return nil
}

// markShared marks a materialisation's files shared: later checkpoints
// reference them.
func markShared(h *Handle) {
	for i := range h.Files {
		h.Files[i].Shared = true
	}
}

// writeSegment writes the changes of epochs after `after` as one segment;
// it returns nil when there are none.
func (b *ChangelogBackend) writeSegment(t SnapshotTarget, after uint64) (*FileRef, error) {
	w := newStateFileWriter(tagChangelog, b.KeyGroups(), b.lastLog)
	names := make([]string, 0, len(b.states_))
	for n := range b.states_ {
		names = append(names, n)
	}
	sort.Strings(names)
	n := 0
	for _, name := range names {
		if lw, ok := b.states_[name].(changeWriter); ok {
			n += lw.writeChanges(w, name, after)
		}
	}
	if n == 0 {
		return nil, nil
	}
	payload := w.finish()
	b.lastLog = len(payload)
	data := storage.Seal(storage.KindChangelog, stateFileVersion, payload)
	p := path.Join(t.SharedDir, fmt.Sprintf("%s-%s-%d.changelog", b.ident().fileStem(), b.session, t.CheckpointID))
	if err := t.Storage.Put(p, data); err != nil {
		return nil, fmt.Errorf("writing %s: %w", p, err)
	}
	return &FileRef{Path: p, Size: int64(len(data)), Shared: true}, nil
}

// sweep drops the change records that the base covers.
func (b *ChangelogBackend) sweep(upTo uint64) {
	if upTo <= b.swept {
		return
	}
	b.swept = upTo
	for _, s := range b.states_ {
		if lw, ok := s.(changeWriter); ok {
			lw.dropUpTo(upTo)
		}
	}
}

// CheckpointComplete makes snapshot id the base of later checkpoints and
// tells the inner backend that the snapshot of the materialisation it
// references completed. It may be called from any goroutine.
func (b *ChangelogBackend) CheckpointComplete(id int64) {
	b.mu.Lock()
	p, ok := b.pending[id]
	ok = ok && id > b.confirmID
	if ok {
		b.confirmed, b.confirmID = p, id
		for k := range b.pending {
			if k <= id {
				delete(b.pending, k)
			}
		}
	}
	b.mu.Unlock()
	if ok && p.mat != nil {
		b.inner.CheckpointComplete(p.innerID)
	}
}

// Close waits for a background materialisation and closes the inner
// backend.
func (b *ChangelogBackend) Close() error {
	b.wg.Wait()
	return b.inner.Close()
}
