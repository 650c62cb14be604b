package state

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
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
func (b *ChangelogBackend) Kind() string             { return b.inner.Kind() }
func (b *ChangelogBackend) KeyGroups() KeyGroupRange { return b.inner.KeyGroups() }

// EntryCacheEntries implements EntryCache: the inner backend's (0 when it
// keeps values in memory).
func (b *ChangelogBackend) EntryCacheEntries() int {
	if c, ok := b.inner.(EntryCache); ok {
		return c.EntryCacheEntries()
	}
	return 0
}

// EntryCacheBytes implements EntryCache: the inner backend's.
func (b *ChangelogBackend) EntryCacheBytes() int64 {
	if c, ok := b.inner.(EntryCache); ok {
		return c.EntryCacheBytes()
	}
	return 0
}
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

func (b *ChangelogBackend) applyRaw(file, name string, kg int, key, val []byte, kind changeKind) error {
	return b.inner.applyRaw(file, name, kg, key, val, kind)
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
