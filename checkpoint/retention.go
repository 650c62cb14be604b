package checkpoint

import "slices"

// retain applies retention after checkpoint committed was committed (see
// Store). Called with s.mu held. Deletion order is crash-safe: shared
// files go before the directories of the checkpoints that referenced
// them, so an interrupted pass is finished by the next one.
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
		if i < s.opts.NumRetained || id >= committed || (protectFrom >= 0 && id >= protectFrom) {
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
	// cannot be told, nothing shared is deleted and the dropped
	// directories stay for the next pass (their metadata names the files).
	var done []int64
	if len(drop) > 0 {
		kept, err := s.referenced(keep)
		if err != nil {
			s.warn("old checkpoints not cleaned up: %v", err)
			drop = nil
		}
		for _, id := range drop {
			refs, err := s.sharedOf(id)
			if err != nil {
				// Unreadable metadata: its shared files cannot be known.
				s.warn("shared files of checkpoint %d not cleaned up: %v", id, err)
			}
			ok := true
			for _, p := range refs {
				if kept[p] {
					continue
				}
				if err := s.st.Delete(p); err != nil {
					s.warn("deleting %s: %v", Location(s.st, p), err)
					ok = false
				}
			}
			if ok {
				done = append(done, id)
			}
		}
	}
	for _, id := range append(done, partial...) {
		if err := s.st.DeletePrefix(s.CheckpointDir(id)); err != nil {
			s.warn("deleting %s: %v", Location(s.st, s.CheckpointDir(id)), err)
			continue
		}
		delete(s.shared, id)
	}
}
