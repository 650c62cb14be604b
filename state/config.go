package state

import (
	"fmt"
	"os"
	"path/filepath"
)

// Config selects and configures the state backend of a job, from the
// state.backend.* settings. Its NewBackend method has the signature of
// exec.Options.NewBackend.
type Config struct {
	// Backend is "hashmap" (the default) or "pebble" (state.backend.type).
	Backend string
	// LocalDir is where pebble working directories go; default
	// <os.TempDir>/streamsql-pebble. The engine does not use Config: it
	// sets the place from 'state.backend.pebble.localdir' (default
	// <os.TempDir>/streamsql-state) and owns the cleanup (engine/statedir.go).
	LocalDir string
	// Incremental enables incremental checkpoints (state.backend.incremental)
	// for either backend; in changelog mode the changelog replaces them
	// for the memory backend.
	Incremental bool
	// HashMap tunes the memory backend; its Incremental is taken from the
	// field above.
	HashMap HashMapOptions
	// Pebble tunes the pebble backend; its Incremental is taken from the
	// field above.
	Pebble PebbleOptions
	// Changelog enables changelog mode over either backend
	// (state.backend.changelog.enabled).
	Changelog        bool
	ChangelogOptions ChangelogOptions
}

// NewBackend creates the backend of one operator instance.
func (c Config) NewBackend(operatorID string, instance int, kgs KeyGroupRange) (Backend, error) {
	var b Backend
	switch c.Backend {
	case "", "hashmap":
		opts := c.HashMap
		opts.Incremental = c.Incremental && !c.Changelog
		b = NewHashMapBackendWith(operatorID, instance, kgs, opts)
	case "pebble", "rocksdb":
		dir := c.LocalDir
		if dir == "" {
			dir = filepath.Join(os.TempDir(), "streamsql-pebble")
		}
		opts := c.Pebble
		opts.Incremental = c.Incremental
		pb, err := NewPebbleBackend(dir, operatorID, instance, kgs, opts)
		if err != nil {
			return nil, err
		}
		b = pb
	default:
		return nil, fmt.Errorf("unknown state backend %q (want hashmap or pebble)", c.Backend)
	}
	if !c.Changelog {
		return b, nil
	}
	cb, err := NewChangelogBackend(b, c.ChangelogOptions)
	if err != nil {
		b.Close()
		return nil, err
	}
	return cb, nil
}
