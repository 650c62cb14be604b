package engine

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"
)

// LocalDirKey names where the pebble state backend keeps its working
// files (Flink's 'state.backend.rocksdb.localdir'). Each job attempt's
// backends live in <dir>/streamsql-<job storage id>-<pid>-<unix nanos>/,
// removed when the job ends.
const LocalDirKey = "state.backend.pebble.localdir"

// workDirPrefix starts the name of every working directory (see
// backendDir): the configured place may be shared with other files (e.g.
// /tmp or a home directory), and only directories named with it, a
// process id and a nanosecond time are ever removed as stale.
const workDirPrefix = "streamsql-"

// stateBase returns the directory holding the pebble working directories
// of jobs: LocalDirKey, or <os.TempDir>/streamsql-state.
func stateBase(conf *Config) string {
	if d := strings.TrimSpace(conf.Get(LocalDirKey)); d != "" {
		return d
	}
	return filepath.Join(os.TempDir(), "streamsql-state")
}

// cleanedStateBases holds the bases this process has cleaned of stale
// working directories (once each).
var cleanedStateBases sync.Map

// backendDir returns a new working directory for job id's pebble backends
// under base (not created: the backends create it). The first time the
// process uses a base it removes what dead processes left there.
func (e *Engine) backendDir(base, id string) string {
	if _, seen := cleanedStateBases.LoadOrStore(base, true); !seen {
		removeStaleStateDirs(base, os.Getpid(), processAlive, e.warn)
	}
	return filepath.Join(base, fmt.Sprintf("%s%s-%d-%d", workDirPrefix, id, os.Getpid(), time.Now().UnixNano()))
}

// ownerPID returns the process id in a working directory's name
// "streamsql-<id>-<pid>-<nanos>" (ids may hold '-' themselves; nanos has
// the 19 digits of a time.Now().UnixNano() of this era); false for any
// other name.
func ownerPID(name string) (int, bool) {
	name, ok := strings.CutPrefix(name, workDirPrefix)
	if !ok {
		return 0, false
	}
	i := strings.LastIndexByte(name, '-')
	if i < 0 || len(name)-i-1 != 19 || !allDigits(name[i+1:]) {
		return 0, false
	}
	j := strings.LastIndexByte(name[:i], '-')
	if j <= 0 || !allDigits(name[j+1:i]) {
		return 0, false
	}
	pid, err := strconv.Atoi(name[j+1 : i])
	return pid, err == nil && pid > 0
}

func allDigits(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// removeStaleStateDirs removes the working directories under base whose
// owner process is gone (killed jobs leave them). Only directories named
// as backendDir names them are considered; one of this process (self) or
// of a process alive says is kept, and so is anything whose owner cannot
// be told. Failures are warnings: a stale directory wastes space, nothing
// more.
func removeStaleStateDirs(base string, self int, alive func(pid int) bool, warn func(string)) {
	entries, err := os.ReadDir(base)
	if err != nil {
		return // no directory yet: nothing stale
	}
	for _, ent := range entries {
		if !ent.IsDir() {
			continue
		}
		pid, ok := ownerPID(ent.Name())
		if !ok || pid == self || alive(pid) {
			continue
		}
		if err := os.RemoveAll(filepath.Join(base, ent.Name())); err != nil {
			warn(fmt.Sprintf("removing the state directory %s left by process %d: %v", filepath.Join(base, ent.Name()), pid, err))
		}
	}
}

// removeBackendDir deletes the job's pebble working directory; the job
// supervisor calls it when the job ends (finished, stopped or failed),
// after every attempt's tasks ended.
func (s *jobSetup) removeBackendDir() {
	if s == nil || s.backendDir == "" {
		return
	}
	if err := os.RemoveAll(s.backendDir); err != nil {
		s.e.warn(fmt.Sprintf("removing the state directory %s: %v", s.backendDir, err))
	}
}
