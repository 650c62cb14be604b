package checkpoint

import (
	"errors"
	"io/fs"
	"path"
	"slices"
	"strings"
)

// retain applies retention after checkpoint committed was committed (see
// Store). Called with s.mu held. Deletion order is crash-safe (see
// dropCheckpoint): a checkpoint loses its _metadata before any of its
// files, so a pass cut short (a kill) never leaves a checkpoint that looks
// complete but is not; the next pass, e.g. at the first checkpoint after
// a restart, deletes what is left (partial directories older than the
// committed checkpoint, with the shared files they listed).
func (s *Store) retain(committed int64) {
	dirs, err := s.listCheckpoints()
	if err != nil {
		s.warn("checkpoint retention skipped: %v", err)
		return
	}
	protectFrom := int64(-1) // complete checkpoints >= this are kept
	for _, base := range s.inflight {
		if protectFrom < 0 || base < protectFrom {
			protectFrom = base
		}
	}
	var keep, drop []int64
	for i, id := range completeIDs(dirs) {
		if i < s.opts.NumRetained || id >= committed || (protectFrom >= 0 && id >= protectFrom) || s.kept[id] {
			keep = append(keep, id)
		} else {
			drop = append(drop, id)
		}
	}
	var partial []int64
	for id, complete := range dirs {
		if _, inflight := s.inflight[id]; !complete && !inflight && id < committed {
			partial = append(partial, id)
		}
	}
	slices.Sort(partial)

	// Shared files: candidates are those the dropped checkpoints
	// referenced; any that a kept checkpoint references stay. When that
	// cannot be told, nothing is deleted and the dropped directories stay
	// for the next pass (their metadata names the files).
	var kept map[string]bool
	if len(drop) > 0 || len(partial) > 0 {
		if kept, err = s.referenced(keep); err != nil {
			s.warn("old checkpoints not cleaned up: %v", err)
			return
		}
	}
	held := func() bool {
		if s.opts.Held == nil {
			return true
		}
		if err := s.opts.Held(); err != nil {
			s.warn("checkpoint retention stopped: %v", err)
			return false
		}
		return true
	}
	for _, id := range drop {
		if !held() {
			return
		}
		s.dropCheckpoint(id, kept)
	}
	for _, id := range partial {
		if !held() {
			return
		}
		s.deletePartial(id, kept)
	}
}

// DiscardFile, in a checkpoint directory that retention is deleting,
// lists the shared files to delete with it (one path per line, relative
// to the storage root). It is written before _metadata is deleted, so a
// pass cut short leaves a directory without _metadata (incomplete, never
// damaged) whose shared files the next pass still finds.
const DiscardFile = "_discard"

// dropCheckpoint deletes complete checkpoint id and the shared files it
// references that no kept checkpoint does (kept). Order, each step
// durable before the next: the list of those shared files (DiscardFile),
// then _metadata (from then on the checkpoint is incomplete: never
// restored, never listed as damaged), then the shared files, then the
// directory. Called with s.mu held.
func (s *Store) dropCheckpoint(id int64, kept map[string]bool) {
	dir := s.CheckpointDir(id)
	refs, err := s.sharedOf(id)
	if err != nil {
		// Unreadable metadata: its shared files cannot be known; the
		// directory goes all the same (it cannot be restored).
		s.warn("shared files of checkpoint %d not cleaned up: %v", id, err)
	}
	var doomed []string
	for _, p := range refs {
		if !kept[p] {
			doomed = append(doomed, p)
		}
	}
	if len(doomed) > 0 {
		if err := s.st.Put(path.Join(dir, DiscardFile), []byte(strings.Join(doomed, "\n")+"\n")); err != nil {
			s.warn("deleting %s: %v", Location(s.st, dir), err)
			return
		}
	}
	if err := s.st.Delete(path.Join(dir, MetadataFile)); err != nil {
		s.warn("deleting %s: %v", Location(s.st, dir), err)
		return
	}
	s.deletePartial(id, kept)
}

// deletePartial deletes checkpoint directory id, which has no _metadata:
// first the shared files its DiscardFile lists that no kept checkpoint
// references, then the directory. Called with s.mu held.
func (s *Store) deletePartial(id int64, kept map[string]bool) {
	dir := s.CheckpointDir(id)
	if data, err := s.st.Get(path.Join(dir, DiscardFile)); err == nil {
		for _, p := range strings.Split(strings.TrimSpace(string(data)), "\n") {
			if p == "" || kept[p] || !strings.HasPrefix(p, s.SharedDir()+"/") {
				continue
			}
			if err := s.st.Delete(p); err != nil {
				s.warn("deleting %s: %v", Location(s.st, p), err)
				return
			}
		}
	} else if !errors.Is(err, fs.ErrNotExist) {
		s.warn("deleting %s: %v", Location(s.st, dir), err)
		return
	}
	if err := s.st.DeletePrefix(dir); err != nil {
		s.warn("deleting %s: %v", Location(s.st, dir), err)
		return
	}
	delete(s.shared, id)
}
