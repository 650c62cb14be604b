package engine

import (
	"errors"
	"fmt"
	"hash/fnv"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/streamsql/streamsql/checkpoint"
	"github.com/streamsql/streamsql/checkpoint/storage"
	"github.com/streamsql/streamsql/exec"
	"github.com/streamsql/streamsql/planner"
	"github.com/streamsql/streamsql/state"
)

// jobSetup is everything needed to start (and restart) one job's attempts.
type jobSetup struct {
	e *Engine
	// jobID is the job's id, set by launch once the job exists (messages
	// of the setup itself, before that, name no job).
	jobID string
	conf  *Config // a copy taken when the job was submitted
	plan  *planner.Plan
	// cp is nil when checkpointing is off.
	cp *exec.CheckpointConfig
	// initial is the checkpoint or savepoint the first attempt restores.
	initial *checkpoint.Metadata
	// ownAfter is the highest checkpoint id in the job's directory when
	// the job was submitted: the job's own checkpoints have higher ids.
	// An earlier job with the same operators shares the directory; a
	// restart must not resume from its checkpoints.
	ownAfter   int64
	backendDir string
	// restoreFrom is the path the first attempt restores ("" for none,
	// "latest" for the job's own newest checkpoint) and restoreBy what
	// asked for it: "--restore" or "execution.savepoint.path".
	restoreFrom, restoreBy string
	// replan builds the job again at another parallelism (testing).
	replan func(par int) (*planner.Plan, error)
	// held, for a job a cluster server owns, tells whether the server
	// still holds it (Ownership.Lease): asked before a checkpoint
	// completes, after its metadata is written, before retention deletes
	// a checkpoint and before DELETE_ON_CANCELLATION deletes them all.
	held func() error
}

// storageID derives the job's directory name: 'pipeline.name' when set,
// else a hash of the operator ids (stable for the same query, whatever
// the parallelism: optional vertices, such as the local phase of a
// two-phase aggregate that only runs at parallelism above 1, are left
// out).
func storageID(conf *Config, p *planner.Plan) string {
	if n := strings.TrimSpace(conf.Get("pipeline.name")); n != "" {
		return sanitize(n)
	}
	h := fnv.New64a()
	for _, v := range p.Graph.Vertices {
		if v.Optional {
			continue
		}
		h.Write([]byte(v.ID))
		h.Write([]byte{0})
	}
	return fmt.Sprintf("job-%012x", h.Sum64()&0xffffffffffff)
}

func sanitize(s string) string {
	var b strings.Builder
	for _, r := range s {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9', r == '-', r == '_', r == '.':
			b.WriteRune(r)
		default:
			b.WriteByte('_')
		}
	}
	return b.String()
}

// newJobSetup prepares checkpointing, restore and state backends for a
// planned job from the session configuration.
func (e *Engine) newJobSetup(p *planner.Plan, jobStorageID string, restore bool) (*jobSetup, error) {
	conf := e.conf.clone()
	s := &jobSetup{e: e, conf: conf, plan: p}
	interval := conf.DurationMs("execution.checkpointing.interval")
	restorePath := ""
	if restore {
		restorePath = strings.TrimSpace(conf.Get("execution.savepoint.path"))
		s.restoreBy = "execution.savepoint.path"
		if e.opts.RestorePath != "" {
			restorePath = e.opts.RestorePath
			s.restoreBy = "--restore"
		}
	}
	s.restoreFrom = restorePath
	if interval <= 0 {
		if restorePath != "" {
			return nil, fmt.Errorf("restoring from '%s' needs checkpointing: set 'execution.checkpointing.interval' (e.g. '1s') and 'state.checkpoints.dir'", restorePath)
		}
		if conf.Get("state.backend") == "pebble" {
			s.backendDir = e.backendDir(stateBase(conf), jobStorageID)
		}
		return s, nil
	}
	dir := conf.Get("state.checkpoints.dir")
	if dir == "" {
		dir = filepath.Join(os.TempDir(), "streamsql-checkpoints")
		e.warn(fmt.Sprintf("'state.checkpoints.dir' is not set: checkpoints go to %s", dir))
	}
	s3 := s3Options(conf)
	st, err := storage.OpenLocation(dir, s3)
	if err != nil {
		return nil, err
	}
	spDir := conf.Get("state.savepoints.dir")
	if spDir == "" {
		spDir = storage.JoinLocation(dir, "savepoints")
	}
	spStore, err := storage.OpenLocation(spDir, s3)
	if err != nil {
		return nil, err
	}
	own := e.opts.Ownership
	var held func() error
	if own != nil && own.Lease != nil {
		lease := own.Lease
		held = func() error { return lease(s.jobID) }
		s.held = held
	}
	store, err := checkpoint.NewStore(st, jobStorageID, checkpoint.StoreOptions{
		NumRetained: conf.Int("state.checkpoints.num-retained"), Savepoints: spStore, Warn: s.warn,
		Held: held})
	if err != nil {
		return nil, err
	}
	dur := func(k string) time.Duration { d, _ := ParseDuration(conf.Get(k)); return d }
	s.cp = &exec.CheckpointConfig{
		Coordinator: checkpoint.Config{
			Interval:          time.Duration(interval) * time.Millisecond,
			Timeout:           dur("execution.checkpointing.timeout"),
			MinPause:          dur("execution.checkpointing.min-pause"),
			MaxConcurrent:     conf.Int("execution.checkpointing.max-concurrent-checkpoints"),
			TolerableFailures: conf.Int("execution.checkpointing.tolerable-failed-checkpoints"),
		},
		Store:       store,
		Storage:     st,
		AtLeastOnce: strings.EqualFold(conf.Get("execution.checkpointing.mode"), "AT_LEAST_ONCE"),
		Unaligned:   conf.Bool("execution.checkpointing.unaligned"),
		Warn:        s.warn,
	}
	if last, err := store.LastID(); err == nil {
		s.ownAfter = last
	}
	if own != nil && own.Jump {
		// Checkpoints up to the jump are an earlier owner's: never this
		// run's to restart from, never overwritten.
		// The previous owner numbers above RestoreAfter, in a range
		// that may not show in the directory yet (a checkpoint it
		// triggered but wrote nothing of before it froze).
		s.ownAfter = max(s.ownAfter, own.RestoreAfter) + CheckpointIDsPerEpoch
		s.cp.AfterID = s.ownAfter
	}
	switch {
	case restorePath == "latest" && own != nil && own.Resume:
		md, warnings, err := store.LatestBetween(own.RestoreAfter, own.RestoreAfter+CheckpointIDsPerEpoch)
		for _, w := range warnings {
			e.warn(w)
		}
		if err != nil {
			return nil, err
		}
		if md == nil && own.RestoreFallback > 0 {
			if md, err = store.Load(store.CheckpointDir(own.RestoreFallback)); err != nil {
				return nil, fmt.Errorf("cannot restore checkpoint %d, where the job's previous owner started: %w", own.RestoreFallback, err)
			}
		}
		if md == nil {
			e.warn(fmt.Sprintf("no complete checkpoint of %s above %d under %s: starting from the beginning", jobStorageID, own.RestoreAfter, dir))
		}
		s.initial = md
	case restore && restorePath == "" && s.ownAfter > 0:
		// A job whose directory holds checkpoints of an earlier run
		// starts over unless asked to continue: say so, and how.
		if md, _, err := store.Latest(); err == nil && md != nil {
			e.warn(fmt.Sprintf("checkpoint %d of an earlier run of this job is under %s; this run starts from the beginning (run with --restore latest, or SET 'execution.savepoint.path' = 'latest', to continue from it)",
				md.CheckpointID, storage.JoinLocation(dir, jobStorageID)))
		}
	case restorePath == "latest":
		md, warnings, err := store.Latest()
		for _, w := range warnings {
			e.warn(w)
		}
		if err != nil {
			return nil, err
		}
		if md == nil {
			e.warn(fmt.Sprintf("no complete checkpoint of %s under %s: starting from the beginning", jobStorageID, dir))
		}
		s.initial = md
	case restorePath != "":
		md, err := store.Load(restorePath)
		var incomplete *checkpoint.IncompleteError
		switch {
		case errors.As(err, &incomplete):
			return nil, fmt.Errorf("cannot restore from '%s': it has no %s: it is not a complete checkpoint or savepoint", restorePath, checkpoint.MetadataFile)
		case err != nil:
			return nil, fmt.Errorf("cannot restore from '%s': %w", restorePath, err)
		}
		s.initial = md
	}
	if conf.Get("state.backend") == "pebble" {
		s.backendDir = e.backendDir(stateBase(conf), jobStorageID)
	}
	return s, nil
}

// start launches one attempt. A restart restores the latest complete
// checkpoint of this job (or the initial one when none completed yet).
func (s *jobSetup) start(j *Job, restart bool) (*exec.Job, error) {
	opts := exec.Options{Now: s.e.env.Now, JobID: j.ID, DisableChaining: !s.conf.Bool("pipeline.operator-chaining")}
	// The first attempt's failure trigger and its sources' hold (testing).
	var completed chan int64
	var hold chan struct{}
	if t := s.e.opts.Testing; t != nil {
		opts.SourceBatchDelay = t.SourceBatchDelay
		if !restart {
			opts.FailAfterRows = t.FailAfterRows
		}
		if restart && t.RestartParallelism > 0 && s.replan != nil {
			p, err := s.replan(t.RestartParallelism)
			if err != nil {
				return nil, err
			}
			s.plan = p
		}
	}
	memory, releaseMemory, err := jobMemoryBudget(s.conf, s.plan.Graph)
	if err != nil {
		return nil, err
	}
	bo := backendOptions{kind: s.conf.Get("state.backend"), incremental: s.conf.Bool("state.backend.incremental"),
		changelog: s.cp != nil && s.conf.Bool("state.backend.changelog.enabled"), checkpoints: s.cp != nil, localDir: s.backendDir,
		cacheEntries: s.conf.Int(CacheEntriesKey), memory: memory}
	opts.NewBackend = func(opID string, inst int, kgs state.KeyGroupRange) (state.Backend, error) {
		return newBackend(bo, opID, inst, kgs)
	}
	if s.cp != nil {
		cp := *s.cp
		cp.Restore = s.initial
		if restart {
			md, warnings, err := cp.Store.Latest()
			for _, w := range warnings {
				s.warn(w)
			}
			if err != nil {
				return nil, err
			}
			cp.Restore = restartPoint(md, s.ownAfter, s.initial)
			j.mu.Lock()
			if j.run != nil {
				cp.AfterID = max(cp.AfterID, j.run.LastTriggeredID())
			}
			j.mu.Unlock()
		}
		j.recordAttempt(restart, cp.Restore, s.info)
		j.mu.Lock()
		j.attempts[len(j.attempts)-1].Parallelism = maxParallelism(s.plan.Graph)
		j.mu.Unlock()
		cp.OnComplete = j.setLastCheckpoint
		cp.OnAbort = j.checkpointFailed
		if t := s.e.opts.Testing; t != nil && t.FailAfterCheckpoint && !restart {
			// Sources hold after their first rows until a checkpoint
			// completed, then the job fails once they read more.
			completed, hold = make(chan int64, 1), make(chan struct{})
			opts.HoldInput = hold
			cp.OnComplete = func(md *checkpoint.Metadata) {
				j.setLastCheckpoint(md)
				if !md.Savepoint {
					select {
					case completed <- md.CheckpointID:
					default: // the first is noted; later ones do not matter
					}
				}
			}
		}
		opts.Checkpoint = &cp
	}
	run, err := exec.Start(contextBackground(), s.plan.Graph, opts)
	if err != nil {
		releaseMemory()
		if !restart {
			s.removeBackendDir() // no job will end to remove it
			err = s.explainRestoreError(err)
		}
		return nil, err
	}
	if completed != nil {
		run.FailAfterCheckpoint(completed, hold)
	}
	go func() {
		<-run.Done()
		releaseMemory()
	}()
	return run, nil
}

// maxParallelism is the highest parallelism of g's vertices.
func maxParallelism(g *exec.JobGraph) int {
	n := 0
	for _, v := range g.Vertices {
		n = max(n, v.Parallelism)
	}
	return n
}

// restartPoint is what a restarted attempt restores: the latest complete
// checkpoint in the job's directory when this job took it (its id is above
// ownAfter, the highest id in the directory when the job was submitted),
// else the checkpoint or savepoint the job started from (nil: from the
// beginning). A checkpoint of an earlier job with the same operators
// shares the directory but not the job's output: resuming from it would
// skip results that job already delivered to its own reader.
func restartPoint(latest *checkpoint.Metadata, ownAfter int64, initial *checkpoint.Metadata) *checkpoint.Metadata {
	if latest != nil && latest.CheckpointID > ownAfter {
		return latest
	}
	return initial
}

// onCancel applies externalized-checkpoint-retention when a job is stopped.
func (s *jobSetup) onCancel() {
	if s.cp == nil {
		return
	}
	if strings.EqualFold(s.conf.Get("execution.checkpointing.externalized-checkpoint-retention"), "DELETE_ON_CANCELLATION") {
		if s.held != nil {
			if err := s.held(); err != nil {
				s.warn(fmt.Sprintf("checkpoints kept although the job was cancelled with DELETE_ON_CANCELLATION: %v", err))
				return
			}
		}
		if err := s.cp.Store.DeleteAll(); err != nil {
			s.warn(fmt.Sprintf("deleting checkpoints: %v", err))
		}
	}
}

// warn and info log a message about the setup's job (Engine.logJob).
func (s *jobSetup) warn(msg string) { s.e.logJob(slog.LevelWarn, s.jobID, msg) }
func (s *jobSetup) info(msg string) { s.e.logJob(slog.LevelInfo, s.jobID, msg) }

// explainRestoreError adds to the error of a first attempt that could not
// restore the state it was asked to (the query changed) where that state
// came from and how to start the query without it: a savepoint path stays
// set after the job that restored it, so the next, different INSERT of
// the session is asked to restore it too.
func (s *jobSetup) explainRestoreError(err error) error {
	var qc *exec.QueryChangedError
	if !errors.As(err, &qc) || s.restoreFrom == "" {
		return err
	}
	what := fmt.Sprintf("cannot restore %s %d from '%s' (%s)", kindOf(qc.Savepoint), qc.CheckpointID, s.restoreFrom, s.restoreBy)
	if s.restoreFrom == "latest" {
		what = fmt.Sprintf("cannot restore the latest checkpoint (%d) of this job's directory (--restore latest)", qc.CheckpointID)
	}
	fix := "run RESET 'execution.savepoint.path' to run this query without it (the path stays set after the job that restored it)"
	if s.restoreBy == "--restore" {
		fix = "run this query without --restore, or give it its own 'pipeline.name'"
	}
	return fmt.Errorf("%s: the query changed: %s; %s", what, qc.Detail(), fix)
}

func kindOf(savepoint bool) string {
	if savepoint {
		return "savepoint"
	}
	return "checkpoint"
}

// s3Options are the s3.* settings, for s3:// checkpoint and savepoint
// locations.
func s3Options(conf *Config) storage.S3Options {
	return storage.S3Options{
		Endpoint: conf.Get("s3.endpoint"), AccessKey: conf.Get("s3.access-key"), SecretKey: conf.Get("s3.secret-key"),
		Region: conf.Get("s3.region"), PathStyle: conf.Bool("s3.path.style.access"),
	}
}
