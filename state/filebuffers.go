package state

import "sync"

// fileBuffers keeps the buffer of a backend's last state file for its next
// one: a checkpoint of large state every second would otherwise allocate
// (and fault in, and have the collector account for) a fresh buffer of up
// to spillThreshold bytes per file, and grow it by copying. It holds at
// most one buffer, of at most about spillThreshold bytes, between
// snapshots. Safe for concurrent use: a file kept in memory gives its
// buffer back once stored, in a snapshot's asynchronous phase. The zero
// value is ready; a nil *fileBuffers keeps nothing.
type fileBuffers struct {
	mu    sync.Mutex
	spare []byte
}

// get returns an empty buffer of capacity at least c: the spare one when
// it is large enough, otherwise a new one.
func (p *fileBuffers) get(c int) []byte {
	if p != nil {
		p.mu.Lock()
		b := p.spare
		if cap(b) >= c {
			p.spare = nil
			p.mu.Unlock()
			return b[:0]
		}
		p.mu.Unlock()
	}
	return make([]byte, 0, c)
}

// put gives back a buffer no file refers to any more. It keeps the larger
// of it and the spare, unless it is larger than a file kept in memory
// needs (a single large entry grew it).
func (p *fileBuffers) put(b []byte) {
	if p == nil || cap(b) == 0 || cap(b) > spillThreshold+64<<10 {
		return
	}
	p.mu.Lock()
	if cap(b) > cap(p.spare) {
		p.spare = b[:0]
	}
	p.mu.Unlock()
}
