package testkit

import (
	"bytes"
	"sync"
)

// SyncBuffer is an output buffer safe for concurrent writers and
// readers: a job or a process writes it (as its Stdout or Stderr) while
// the test reads what it wrote so far. The zero value is ready to use.
type SyncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

// Write appends p.
func (s *SyncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

// String returns everything written so far.
func (s *SyncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}
