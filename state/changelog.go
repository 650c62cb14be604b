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
// Every MaterializeEvery checkpoints, or once the segments exceed
// MaxLogBytes, the checkpoint instead materialises the full state with the
// inner backend's own Snapshot, into
// <SharedDir>/<operatorID>-<instance>-<session>-m<checkpoint id>/ (its
// files are marked Shared since later checkpoints reference them).
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
// next segment covers every change since the last completed checkpoint.
//
// Materialisation is synchronous (it runs inside the Snapshot that
// decides on it).
type ChangelogBackend struct {
	inner   Backend
	opts    ChangelogOptions
	states_ map[string]namedState
	session string

	epoch   uint64 // changes are stamped with it; each Snapshot ends it
	seq     int    // snapshots taken
	swept   uint64 // dirty entries up to this epoch have been dropped
	lastLog int

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
	mat := *h
	mat.Changelog = nil
	mat.Size = sumSizes(h.Files)
	base := clBase{mat: &mat, segments: append([]FileRef(nil), h.Changelog...), logBytes: sumSizes(h.Changelog)}
	b.mu.Lock()
	b.confirmed = base
	b.mu.Unlock()
	return nil
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
	if t.Storage == nil || t.Dir == "" {
		return nil, fmt.Errorf("snapshot of %s: no storage or directory", stem)
	}
	b.mu.Lock()
	base := b.confirmed
	b.mu.Unlock()
	b.sweep(base.epoch)
	e := b.epoch
	b.epoch++
	b.seq++

	var next clBase
	var h *Handle
	if base.mat == nil || b.seq-base.matSeq >= b.opts.MaterializeEvery || base.logBytes >= b.opts.MaxLogBytes {
		matDir := path.Join(t.SharedDir, fmt.Sprintf("%s-%s-m%d", stem, b.session, t.CheckpointID))
		mh, err := b.inner.Snapshot(SnapshotTarget{Storage: t.Storage, Dir: matDir, SharedDir: t.SharedDir, CheckpointID: t.CheckpointID})
		if err != nil {
			return nil, err
		}
		for i := range mh.Files {
			mh.Files[i].Shared = true
		}
		next = clBase{mat: mh, epoch: e, matSeq: b.seq}
		cp := *mh
		h = &cp
	} else {
		seg, err := b.writeSegment(t, base.epoch)
		if err != nil {
			return nil, fmt.Errorf("snapshot of %s: %w", stem, err)
		}
		next = clBase{mat: base.mat, segments: base.segments, logBytes: base.logBytes, epoch: e, matSeq: base.matSeq}
		cp := *base.mat
		h = &cp
		h.IncrementalSize = 0
		if seg != nil {
			next.segments = append(append([]FileRef(nil), base.segments...), *seg)
			next.logBytes += seg.Size
			h.IncrementalSize = seg.Size
		}
		h.Changelog = next.segments
		h.Size = base.mat.Size + next.logBytes
	}
	b.mu.Lock()
	if b.pending == nil {
		b.pending = map[int64]clBase{}
	}
	b.pending[t.CheckpointID] = next
	b.mu.Unlock()
	return h, nil
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
// tells the inner backend. It may be called from any goroutine.
func (b *ChangelogBackend) CheckpointComplete(id int64) {
	b.mu.Lock()
	if p, ok := b.pending[id]; ok && id > b.confirmID {
		b.confirmed, b.confirmID = p, id
		for k := range b.pending {
			if k <= id {
				delete(b.pending, k)
			}
		}
	}
	b.mu.Unlock()
	b.inner.CheckpointComplete(id)
}

// Close closes the inner backend.
func (b *ChangelogBackend) Close() error { return b.inner.Close() }
