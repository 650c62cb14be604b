package state

import "sync"

// baseTracker remembers what an incremental snapshot builds on: the base
// of the newest completed checkpoint (confirmed), and the base each
// snapshot in flight leaves (pending) until its checkpoint completes or a
// newer one does. Safe for concurrent use: CheckpointComplete may come
// from another goroutine than Snapshot. The zero value is ready.
type baseTracker[T any] struct {
	mu          sync.Mutex
	confirmedID int64
	confirmed   T
	pending     map[int64]T
}

// base returns the confirmed base.
func (t *baseTracker[T]) base() T {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.confirmed
}

// seed makes b the base (a restored checkpoint's), as of no checkpoint id.
func (t *baseTracker[T]) seed(b T) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.confirmed = b
}

// record remembers the base snapshot id leaves, until it completes.
func (t *baseTracker[T]) record(id int64, b T) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.pending == nil {
		t.pending = map[int64]T{}
	}
	t.pending[id] = b
}

// complete makes snapshot id's base the confirmed one, if id is the newest
// completed snapshot, and forgets older pending ones.
func (t *baseTracker[T]) complete(id int64) {
	t.mu.Lock()
	defer t.mu.Unlock()
	b, ok := t.pending[id]
	if !ok || id <= t.confirmedID {
		return
	}
	t.confirmed, t.confirmedID = b, id
	for p := range t.pending {
		if p <= id {
			delete(t.pending, p)
		}
	}
}
