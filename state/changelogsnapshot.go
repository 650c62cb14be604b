package state

import (
	"fmt"
	"path"
	"sort"

	"github.com/streamsql/streamsql/checkpoint/storage"
)

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
	if base.mat != nil && !base.within(t.SharedDir) {
		// Restored from another job's checkpoint: do not build on its files.
		base = clBase{epoch: base.epoch}
	}

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

// within reports whether every file of the base is under dir.
func (c clBase) within(dir string) bool {
	for _, f := range c.mat.Files {
		if !under(f.Path, dir) {
			return false
		}
	}
	for _, f := range c.segments {
		if !under(f.Path, dir) {
			return false
		}
	}
	return true
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
	w := newStateFileWriter(tagChangelog, b.KeyGroups(), b.lastLog, "")
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
		w.discard()
		return nil, nil
	}
	data, err := w.sealed(storage.KindChangelog)
	if err != nil {
		return nil, err
	}
	b.lastLog = int(data.size)
	p := path.Join(t.SharedDir, fmt.Sprintf("%s-%s-%d.changelog", b.ident().fileStem(), b.session, t.CheckpointID))
	if err := data.store(t.Storage, p); err != nil {
		return nil, fmt.Errorf("writing %s: %w", p, err)
	}
	return &FileRef{Path: p, Size: data.size, Shared: true}, nil
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
