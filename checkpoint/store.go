package checkpoint

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"path"
	"slices"
	"strings"
	"sync"

	"github.com/streamsql/streamsql/checkpoint/storage"
	"github.com/streamsql/streamsql/state"
)

// StoreOptions configure a Store.
type StoreOptions struct {
	// NumRetained is state.checkpoints.num-retained: how many complete
	// checkpoints to keep (values below 1 mean 1).
	NumRetained int
	// Savepoints is the storage of state.savepoints.dir; nil means
	// savepoints cannot be taken.
	Savepoints storage.Storage
	// Warn receives problems that do not fail the call that met them
	// (retention that could not delete something). Nil discards them.
	Warn func(msg string)
	// Held, when set, tells whether the writer still holds the job (a
	// cluster owner's lease, engine.Ownership.Lease). Commit asks it right
	// before writing the metadata of a checkpoint or savepoint (an error:
	// nothing written, ErrHeldBack), for a checkpoint again once the
	// metadata is durable, and retention asks it before each checkpoint
	// it deletes: a writer frozen between the first question and the
	// write (a SIGSTOP, a long pause) may resume after another server
	// took the job over and chose the checkpoint to restore. Such a writer must neither delete what the new owner
	// restores nor report its checkpoint complete (its sinks would commit
	// output the new owner produces again): Commit then returns an error
	// wrapping ErrHeldBack and applies no retention. The metadata stays
	// (the new owner may have read it, when the pause came after the
	// write); it is a complete checkpoint in the old owner's id range,
	// which a later takeover does not restore unless it was written before
	// the new owner looked.
	Held func() error
}

// Store keeps one job's checkpoints in a storage (state.checkpoints.dir)
// and its savepoints in another (state.savepoints.dir); see the layout
// at MetadataFile. It is safe for concurrent use.
//
// The runtime's sequence, driven by the Coordinator's actions:
//
//	Trigger{id}     SnapshotTarget(id, savepoint) tells tasks where to write
//	Persist{md}     Commit(md), then Coordinator.Stored(id, err)
//	Abort{id}       Discard(id, Acked...)
//	job cancelled   DeleteAll, when externalized-checkpoint-retention is
//	                DELETE_ON_CANCELLATION
//	restore         Latest (--restore latest), Load/LoadLocal (a path);
//	                LastID gives NewCoordinator its lastID
//
// Retention, applied by each Commit of a checkpoint: the newest
// NumRetained complete checkpoints are kept, and so is every complete
// checkpoint that a checkpoint still in flight may build on (one
// committed at or after the newest one committed before it was
// triggered). Older checkpoint directories are deleted, as are partial
// ones (no _metadata) older than the one committed. A shared file is
// deleted only when a deleted checkpoint referenced it and no kept one
// does; a shared file referenced by a kept checkpoint is never deleted.
// Savepoints are never deleted by retention.
//
// Shared file names must be unique per upload (e.g. carry a random or
// per-checkpoint part), so that removing the new files of an aborted
// checkpoint never removes a file another checkpoint wrote anew.
type Store struct {
	st   storage.Storage
	job  string
	opts StoreOptions

	mu            sync.Mutex
	savepointDirs map[int64]string // reserved savepoint directories by id
	inflight      map[int64]int64  // checkpoint id -> oldest checkpoint it may build on
	lastCommitted int64            // -1 while unknown
	shared        map[int64][]string
	kept          map[int64]bool // never dropped by retention (Keep)
}

// Keep protects complete checkpoint id from retention for the store's
// life: other jobs restore from it (the checkpoints a rescaled unit
// layout starts from, which the new unit writing the same directory
// would otherwise delete while the others still read them).
func (s *Store) Keep(id int64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.kept == nil {
		s.kept = map[int64]bool{}
	}
	s.kept[id] = true
}

// NewStore returns the store of job jobID (a single path element) in st.
func NewStore(st storage.Storage, jobID string, opts StoreOptions) (*Store, error) {
	if err := checkJobID(jobID); err != nil {
		return nil, err
	}
	if opts.NumRetained < 1 {
		opts.NumRetained = 1
	}
	return &Store{
		st:            st,
		job:           jobID,
		opts:          opts,
		savepointDirs: map[int64]string{},
		inflight:      map[int64]int64{},
		lastCommitted: -1,
		shared:        map[int64][]string{},
	}, nil
}

// Storage is the checkpoint storage.
func (s *Store) Storage() storage.Storage { return s.st }

// JobDir is "<job>", the directory of the job's checkpoints.
func (s *Store) JobDir() string { return s.job }

// CheckpointDir is "<job>/chk-<id>", where checkpoint id's tasks write.
// It only names the directory: the runtime gets it through
// SnapshotTarget, which also registers the checkpoint as in flight.
func (s *Store) CheckpointDir(id int64) string { return fmt.Sprintf("%s/chk-%d", s.job, id) }

// SharedDir is "<job>/shared", where incremental checkpoints put files
// that later checkpoints may reference too.
func (s *Store) SharedDir() string { return s.job + "/" + SharedDir }

// SnapshotTarget says where the tasks of checkpoint or savepoint id write
// (call it for the Trigger action, before barriers go out). For a
// checkpoint: CheckpointDir(id) and SharedDir() in the checkpoint
// storage; the store also notes that id is in flight, which protects the
// checkpoints it may build on from retention until it is committed or
// discarded. For a savepoint: a new directory
// savepoint-<job>-<id>-<random> in the savepoints storage, no shared
// directory; the same one is returned for the same id until Commit or
// Discard.
func (s *Store) SnapshotTarget(id int64, savepoint bool) (state.SnapshotTarget, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if savepoint {
		dir, err := s.savepointDir(id)
		if err != nil {
			return state.SnapshotTarget{}, err
		}
		return state.SnapshotTarget{Storage: s.opts.Savepoints, Dir: dir, Savepoint: true, CheckpointID: id}, nil
	}
	if _, ok := s.inflight[id]; !ok {
		s.inflight[id] = max(s.lastCommitted, 0)
	}
	return state.SnapshotTarget{Storage: s.st, Dir: s.CheckpointDir(id), SharedDir: s.SharedDir(), CheckpointID: id,
		Committed: s.inflight[id]}, nil
}

func (s *Store) savepointDir(id int64) (string, error) {
	if s.opts.Savepoints == nil {
		return "", errors.New("no savepoint directory: set state.savepoints.dir")
	}
	if dir, ok := s.savepointDirs[id]; ok {
		return dir, nil
	}
	var b [6]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", err
	}
	dir := fmt.Sprintf("savepoint-%s-%d-%s", s.job, id, hex.EncodeToString(b[:]))
	s.savepointDirs[id] = dir
	return dir, nil
}

// Commit makes checkpoint or savepoint md.CheckpointID complete by
// writing its _metadata (envelope KindMetadata, version MetadataVersion)
// atomically and durably, last: the caller commits only after every task
// acknowledged, i.e. after all their files are durable. It first checks
// that every file md references exists with its recorded size (a
// checkpoint referencing a shared file that retention removed fails here,
// not on restore). For a checkpoint it then applies retention; problems
// there go to StoreOptions.Warn and do not fail the commit. It returns the
// location of the checkpoint or savepoint directory, for messages.
func (s *Store) Commit(md *Metadata) (string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if md.JobID != "" && md.JobID != s.job {
		return "", fmt.Errorf("checkpoint %d belongs to job %s, not %s", md.CheckpointID, md.JobID, s.job)
	}
	st, dir := s.st, s.CheckpointDir(md.CheckpointID)
	if md.Savepoint {
		var err error
		if dir, err = s.savepointDir(md.CheckpointID); err != nil {
			return "", err
		}
		st = s.opts.Savepoints
	}
	// Asked first: a writer that may have lost the job holds its
	// checkpoint back whatever its files look like (the new owner may have
	// removed this unfinished checkpoint's directory as left over).
	if s.opts.Held != nil {
		if err := s.opts.Held(); err != nil {
			return "", fmt.Errorf("%w: %w", ErrHeldBack, err)
		}
	}
	if err := verifyFiles(st, dir, md); err != nil {
		return "", fmt.Errorf("%s %d cannot complete: %w", kind(md.Savepoint), md.CheckpointID, err)
	}
	data, err := encodeMetadata(md, dir)
	if err != nil {
		return "", err
	}
	if err := st.Put(path.Join(dir, MetadataFile), data); err != nil {
		return "", fmt.Errorf("writing %s: %w", Location(st, path.Join(dir, MetadataFile)), err)
	}
	if md.Savepoint {
		delete(s.savepointDirs, md.CheckpointID)
		return Location(st, dir), nil
	}
	id := md.CheckpointID
	if s.opts.Held != nil {
		if err := s.opts.Held(); err != nil {
			return "", fmt.Errorf("checkpoint %d was written but the job may have another owner now: %w: %w", id, ErrHeldBack, err)
		}
	}
	s.lastCommitted = max(s.lastCommitted, id)
	for k := range s.inflight {
		if k <= id {
			delete(s.inflight, k)
		}
	}
	s.shared[id] = sharedRefs(md, s.SharedDir())
	s.retain(id)
	return Location(st, dir), nil
}

// sharedRefs lists the shared files md references that lie in sharedDir
// (sorted, unique).
func sharedRefs(md *Metadata, sharedDir string) []string {
	var refs []string
	eachFile(md, func(p string, _ int64, shared bool) {
		if shared && strings.HasPrefix(p, sharedDir+"/") {
			refs = append(refs, p)
		}
	})
	slices.Sort(refs)
	return slices.Compact(refs)
}

// Discard removes what was written for aborted checkpoint or savepoint
// id: its directory, and the shared files that the acknowledged states
// (Abort.Acked) reference and no complete checkpoint does (files the
// aborted checkpoint uploaded anew). Without acked states only the
// directory goes. A checkpoint whose _metadata exists is complete and is
// left alone (a Commit that succeeded although its caller saw an error).
func (s *Store) Discard(id int64, acked ...TaskState) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if dir, ok := s.savepointDirs[id]; ok {
		delete(s.savepointDirs, id)
		return s.opts.Savepoints.DeletePrefix(dir)
	}
	delete(s.inflight, id)
	dir := s.CheckpointDir(id)
	dirs, err := s.listCheckpoints()
	if err != nil {
		return err
	}
	if dirs[id] {
		return nil
	}
	var errs []error
	if len(acked) > 0 {
		md := &Metadata{Operators: []OperatorState{{Tasks: acked}}}
		if cand := sharedRefs(md, s.SharedDir()); len(cand) > 0 {
			keep, err := s.referenced(completeIDs(dirs))
			if err != nil {
				errs = append(errs, err)
			} else {
				for _, p := range cand {
					if !keep[p] {
						errs = append(errs, s.st.Delete(p))
					}
				}
			}
		}
	}
	errs = append(errs, s.st.DeletePrefix(dir))
	return errors.Join(errs...)
}

// DeleteAll removes every checkpoint of the job, shared files included
// (externalized-checkpoint-retention = DELETE_ON_CANCELLATION). Call it
// only once the job stopped. Savepoints are kept.
func (s *Store) DeleteAll() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.inflight = map[int64]int64{}
	s.shared = map[int64][]string{}
	return s.st.DeletePrefix(s.job)
}

// LastID is the highest checkpoint id the job used: of any chk-<n>
// directory, complete or not, and of its savepoints. A restored job's
// Coordinator continues after it, so no id (and no directory) is reused.
func (s *Store) LastID() (int64, error) {
	dirs, err := s.listCheckpoints()
	if err != nil {
		return 0, err
	}
	var last int64
	for id := range dirs {
		last = max(last, id)
	}
	if s.opts.Savepoints != nil {
		objs, err := s.opts.Savepoints.List("")
		if err != nil {
			return 0, err
		}
		for _, o := range objs {
			first, _, _ := strings.Cut(o, "/")
			if job, id, ok := savepointDirID(first); ok && job == s.job {
				last = max(last, id)
			}
		}
	}
	return last, nil
}

// listCheckpoints returns the job's checkpoint directories by id, true
// for those with a _metadata file.
func (s *Store) listCheckpoints() (map[int64]bool, error) {
	objs, err := s.st.List(s.job + "/")
	if err != nil {
		return nil, fmt.Errorf("listing %s: %w", Location(s.st, s.job), err)
	}
	dirs := map[int64]bool{}
	for _, o := range objs {
		rest, ok := strings.CutPrefix(o, s.job+"/")
		if !ok {
			continue
		}
		name, file, _ := strings.Cut(rest, "/")
		if id, ok := checkpointDirID(name); ok {
			dirs[id] = dirs[id] || file == MetadataFile
		}
	}
	return dirs, nil
}

// completeIDs returns the ids with _metadata, newest first.
func completeIDs(dirs map[int64]bool) []int64 {
	var ids []int64
	for id, complete := range dirs {
		if complete {
			ids = append(ids, id)
		}
	}
	slices.Sort(ids)
	slices.Reverse(ids)
	return ids
}

// sharedOf returns the shared files checkpoint id references (cached).
func (s *Store) sharedOf(id int64) ([]string, error) {
	if refs, ok := s.shared[id]; ok {
		return refs, nil
	}
	md, err := readMetadata(s.st, s.CheckpointDir(id))
	if err != nil {
		return nil, err
	}
	refs := sharedRefs(md, s.SharedDir())
	s.shared[id] = refs
	return refs, nil
}

// referenced returns the shared files referenced by the checkpoints ids.
func (s *Store) referenced(ids []int64) (map[string]bool, error) {
	keep := map[string]bool{}
	for _, id := range ids {
		refs, err := s.sharedOf(id)
		if err != nil {
			return nil, fmt.Errorf("cannot tell which shared files checkpoint %d uses: %w", id, err)
		}
		for _, p := range refs {
			keep[p] = true
		}
	}
	return keep, nil
}

func (s *Store) warn(format string, args ...any) {
	if s.opts.Warn != nil {
		s.opts.Warn(fmt.Sprintf(format, args...))
	}
}
