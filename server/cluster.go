package server

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/streamsql/streamsql/api"
	"github.com/streamsql/streamsql/cluster"
	"github.com/streamsql/streamsql/engine"
	"github.com/streamsql/streamsql/sql"
)

// The servers of one cluster share its command log (package cluster):
//
//   - job/<id>: the newest record of a job (jobCommand), appended by the
//     server that owns the job every time the record changes, and once for
//     every record of its registry when it starts;
//   - server/<id>: a server's announcement (serverCommand): appended when
//     it starts, every ClusterHeartbeat while it runs, and when it shuts
//     down;
//   - stop/<id>: a request to stop a job (stopCommand), appended by the
//     server that received it; the owner stops the job as if asked
//     directly and then deletes the key (a tombstone), or, when the stop
//     fails, replaces the request with its failure.
//
// Every server follows the log for its whole life and keeps the records
// of the other servers' jobs in memory; its own jobs stay in its registry.

// jobCommand is the value of a job/<id> command.
type jobCommand struct {
	Owner string    `json:"owner"`
	Job   JobRecord `json:"job"` // statements with their secrets masked
	// Run are the job's statements as submitted, secrets included: what
	// a server that takes the job over runs (failover.go). Views show
	// Job's masked statements only.
	Run []string `json:"run,omitempty"`
	// Judged, in a claim (a record that raises the epoch and names
	// another owner), is the offset of the previous owner's announcement
	// the claimant judged it gone by: the claim stands only if that is
	// still the previous owner's newest announcement where the claim
	// lands in the log (failover.go, applyJob).
	Judged int64 `json:"judged,omitempty"`
	// Placed marks the first record of a unit of a staged job that the
	// server it names was given by the server the job was submitted to
	// (stages.go): the owner registers and starts it when it applies it.
	Placed bool `json:"placed,omitempty"`
	// From, in a record that names another owner with the epoch raised,
	// is the owner handing the unit over (rebalance.go): the record is
	// accepted whatever that owner announced since.
	From string `json:"from,omitempty"`
}

// stopCommand is the value of a stop/<id> command.
type stopCommand struct {
	Request   string `json:"request"` // unique per stop request
	From      string `json:"from"`    // the server that received the request
	Owner     string `json:"owner"`
	Savepoint bool   `json:"savepoint"`
	Drain     bool   `json:"drain"`
	// Failed, when set, is the owner's answer: the stop failed (the job
	// goes on) for this reason.
	Failed string `json:"failed,omitempty"`
}

// serverCommand is the value of a server/<id> command.
type serverCommand struct {
	ID      string `json:"id"`
	Listen  string `json:"listen"`
	Started int64  `json:"started"` // Unix ms
	Seen    int64  `json:"seen"`    // Unix ms of this announcement
	Stopped bool   `json:"stopped,omitempty"`
	// Checkpoints is the server's Config.CheckpointDir ("" when its jobs
	// checkpoint under its own data directory): servers take over only
	// the jobs of a server whose checkpoints they can read.
	Checkpoints string `json:"checkpoints,omitempty"`
	// Figures are the running jobs' figures as of this announcement, by
	// job id, so that every server's cluster view shows them for every
	// job (a unit's lag and last checkpoint).
	Figures map[string]jobFigures `json:"figures,omitempty"`
}

// jobFigures is what an announcement says of one running job.
type jobFigures struct {
	// Lag is the records its Kafka sources are behind the end of their
	// partitions (-1: unknown, no such source).
	Lag int64 `json:"lag"`
	// Partitions is Lag by partition (split id), for the sources that
	// tell it.
	Partitions map[string]int64 `json:"partitions,omitempty"`
	// Checkpoint is the id of its newest complete checkpoint (0: none)
	// and CheckpointAt when it completed (Unix ms).
	Checkpoint   int64 `json:"checkpoint,omitempty"`
	CheckpointAt int64 `json:"checkpoint_at,omitempty"`
}

// remoteJob is the record of another server's job, as its log says.
type remoteJob struct {
	owner string
	rec   JobRecord
	run   []string // jobCommand.Run
}

// jobOwner is who owns a job at which epoch, as the newest accepted
// record of the log says (see applyJob).
type jobOwner struct {
	server string
	epoch  int64
}

// clusterState is a clustered server's view of the command log.
type clusterState struct {
	log *cluster.CommandLog
	id  string // this server's id

	pubMu sync.Mutex // orders a record's changes in the log as in the registry

	mu      sync.Mutex
	remote  map[string]remoteJob     // by job id: the other servers' jobs
	owners  map[string]jobOwner      // by job id: every job's owner and epoch
	servers map[string]serverCommand // by server id: the newest announcement of every server
	// announced is the log offset of each server's newest announcement.
	announced map[string]int64
	failures  map[string]string // by stop request: the owner's reason
	// resumed is set once startClustered resumed the jobs this server
	// owns; stop requests applied before wait in pendingStops.
	resumed      bool
	pendingStops []pendingStop
	// moveAsked is when this server last asked for a unit of another
	// (rebalance.go).
	moveAsked time.Time
	// pendingAdopts are the records of units placed on this server
	// (stages.go) applied before it resumed its own jobs.
	pendingAdopts []jobCommand
	// stopRequests are the stop requests in the log not yet applied, by
	// job id: a server that takes a job over applies its request.
	stopRequests map[string]stopCommand
	// takingOver holds the jobs this server is taking over (failover).
	takingOver map[string]bool
	// stopsApplied holds the stop requests (stopCommand.Request) this
	// server started to apply.
	stopsApplied map[string]bool
	// startedEpoch is, by job id, the epoch of this server's last record
	// of the job in the log that holds its own checkpoint range (epoch 1,
	// or Jumped): checkpoints of a job taken over wait for it (lease).
	startedEpoch map[string]int64
	changed      chan struct{} // closed and replaced on every applied command

	cancel     context.CancelFunc
	followDone chan struct{}

	listen    string        // the address this server was told to serve on
	started   int64         // Unix ms of startCluster
	heartbeat time.Duration // between announcements
	// leaseFrom is the time (Unix ms) of this server's newest
	// announcement that the log applied back to it (renewLease).
	leaseFrom atomic.Int64
	beatDone  chan struct{}
}

// serverIDFile keeps a clustered server's generated id in its data
// directory, so that it keeps its id across restarts.
const serverIDFile = "server-id"

// stableServerID returns the id kept in dir, generating one (the host
// name and 8 random hex digits) at the first call.
func stableServerID(dir string) (string, error) {
	path := filepath.Join(dir, serverIDFile)
	data, err := os.ReadFile(path)
	if err == nil {
		id := strings.TrimSpace(string(data))
		if err := checkServerID(id); err != nil {
			return "", fmt.Errorf("%s: %w", path, err)
		}
		return id, nil
	}
	if !os.IsNotExist(err) {
		return "", fmt.Errorf("server id: %w", err)
	}
	host, _ := os.Hostname()
	host = strings.NewReplacer("/", "-", " ", "-").Replace(host)
	if host == "" {
		host = "server"
	}
	b := make([]byte, 4)
	rand.Read(b)
	id := host + "-" + hex.EncodeToString(b)
	if err := os.WriteFile(path, []byte(id+"\n"), 0o600); err != nil {
		return "", fmt.Errorf("server id: %w", err)
	}
	return id, nil
}

func checkServerID(id string) error {
	if id == "" || strings.ContainsAny(id, "/ \t\n") {
		return fmt.Errorf("server id '%s': want a non-empty name without spaces or slashes", id)
	}
	return nil
}

// openCluster connects a server to its cluster's command log.
func openCluster(cfg Config) (*clusterState, error) {
	id := cfg.ServerID
	if id == "" {
		var err error
		if id, err = stableServerID(cfg.DataDir); err != nil {
			return nil, err
		}
	} else if err := checkServerID(id); err != nil {
		return nil, fmt.Errorf("--server-id: %w", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	l, err := cluster.OpenCommandLog(ctx, cfg.ClusterBootstrapServers, cfg.ClusterName)
	if err != nil {
		return nil, fmt.Errorf("server: %w", err)
	}
	hb := cfg.ClusterHeartbeat
	if hb <= 0 {
		hb = 10 * time.Second
	}
	return &clusterState{log: l, id: id, remote: map[string]remoteJob{}, owners: map[string]jobOwner{}, announced: map[string]int64{}, stopRequests: map[string]stopCommand{}, takingOver: map[string]bool{}, stopsApplied: map[string]bool{}, startedEpoch: map[string]int64{}, servers: map[string]serverCommand{},
		failures: map[string]string{}, changed: make(chan struct{}),
		listen: cfg.Listen, heartbeat: hb}, nil
}

// announce appends this server's announcement (see serverCommand),
// stamped seen (Unix ms).
func (s *Server) announce(stopped bool, seen int64) (offset int64, ok bool) {
	c := s.cluster
	sc := serverCommand{ID: c.id, Listen: c.listen, Started: c.started, Seen: seen, Stopped: stopped, Checkpoints: s.cfg.CheckpointDir,
		Figures: s.liveFigures()}
	value, _ := json.Marshal(sc)
	return s.appendDetached("server/"+c.id, value)
}

// liveFigures returns the figures of the jobs running here, for the
// server's announcement.
func (s *Server) liveFigures() map[string]jobFigures {
	s.mu.Lock()
	live := make([]*liveJob, 0, len(s.live))
	for _, l := range s.live {
		live = append(live, l)
	}
	s.mu.Unlock()
	out := map[string]jobFigures{}
	for _, l := range live {
		if l.job.Ended() {
			continue
		}
		f := jobFigures{Lag: -1}
		for _, v := range l.job.Vertices() {
			if v.Source && v.PendingRecords >= 0 {
				f.Lag = max(f.Lag, 0) + v.PendingRecords
			}
			for split, n := range v.SplitPending {
				if f.Partitions == nil {
					f.Partitions = map[string]int64{}
				}
				f.Partitions[split] = n
			}
		}
		if md := l.job.LastCheckpoint(); md != nil {
			f.Checkpoint, f.CheckpointAt = md.CheckpointID, md.CompletedAt
		}
		out[l.id] = f
	}
	return out
}

// renewLease announces the server and waits until it has applied the log
// up to that announcement (a job another server took over meanwhile is
// given up by then); the server's lease on its jobs then runs from the
// announcement's time (see lease).
func (s *Server) renewLease(ctx context.Context) error {
	c := s.cluster
	seen := time.Now().UnixMilli()
	off, ok := s.announce(false, seen)
	if !ok {
		return fmt.Errorf("cannot write to the cluster's command log (topic %s)", c.log.Topic())
	}
	wctx, cancel := context.WithTimeout(ctx, appendTimeout)
	defer cancel()
	if err := c.log.WaitApplied(wctx, off); err != nil {
		return err
	}
	c.leaseFrom.Store(seen)
	return nil
}

// lease answers, before a checkpoint of job id completes (its metadata is
// written), whether this server may still complete it: the log's newest
// record of the job must name this server (a job not in the log yet is a
// new one of this server's); a job it took over must have its own
// checkpoint range in the log (its record after the start, Jumped), or a
// later takeover would not look there; and its last announcement applied
// must be less than two heartbeats old. The other servers take its jobs over only
// once that announcement is three heartbeats old, so a checkpoint this
// server completes is one a new owner sees when it chooses where to
// restore from; a server that was frozen or cut off holds its checkpoints
// back until it has announced itself and read the log again.
func (s *Server) lease(id string) error {
	if err := s.owns(id); err != nil {
		return err
	}
	c := s.cluster
	c.mu.Lock()
	o, known := c.owners[id]
	started := c.startedEpoch[id]
	c.mu.Unlock()
	if known && o.epoch > 1 && started != o.epoch {
		// The job's record in the log still holds the previous owner's
		// checkpoint range: a takeover after this one would not look
		// for this checkpoint.
		return fmt.Errorf("the start of job %s at epoch %d is not in the cluster's log yet", id, o.epoch)
	}
	return nil
}

// owns is the part of the lease that a job's sinks wait for before they
// fence earlier producers (engine.Ownership.Owns): the log names this
// server the owner of job id (or does not know the job yet) and its last
// announcement read back is less than two heartbeats old.
func (s *Server) owns(id string) error {
	c := s.cluster
	c.mu.Lock()
	o, known := c.owners[id]
	c.mu.Unlock()
	if known && o.server != c.id {
		return fmt.Errorf("server %s took job %s over (epoch %d)", o.server, id, o.epoch)
	}
	if age := time.Since(time.UnixMilli(c.leaseFrom.Load())); age >= 2*c.heartbeat {
		return fmt.Errorf("server %s last announced itself to its cluster %s ago (heartbeat %s): another server may take its jobs over", c.id, age.Truncate(time.Millisecond), c.heartbeat)
	}
	return nil
}

// appendTimeout bounds every append of the server to the command log.
const appendTimeout = 10 * time.Second

// updateJob changes the record of one of this server's jobs in its
// registry and, when clustered, appends the new record to the command
// log. A failed append is logged, not returned: the registry is the
// source of truth and the next change (or start) appends the record again.
func (s *Server) updateJob(id string, fn func(*JobRecord)) error {
	c := s.cluster
	if c == nil {
		return s.reg.update(id, fn)
	}
	c.pubMu.Lock()
	defer c.pubMu.Unlock()
	if err := s.reg.update(id, fn); err != nil {
		return err
	}
	if rec, ok := s.reg.get(id); ok {
		s.publishLocked(rec)
	}
	return nil
}

// changeJob is updateJob for a record that must exist: it changes
// nothing and reports false when the registry no longer holds id (a job
// another server took over: lostJob).
func (s *Server) changeJob(id string, fn func(*JobRecord)) bool {
	if c := s.cluster; c != nil {
		c.pubMu.Lock()
		defer c.pubMu.Unlock()
	}
	ok, err := s.reg.change(id, fn)
	if err != nil {
		s.cfg.Logger.Error("cannot write the job registry", "job", id, "error", err.Error())
	}
	if ok && s.cluster != nil {
		if rec, found := s.reg.get(id); found {
			s.publishLocked(rec)
		}
	}
	return ok
}

// publishLocked appends a record of this server's job; c.pubMu is held.
func (s *Server) publishLocked(rec JobRecord) {
	value, _ := json.Marshal(jobCommand{Owner: s.cluster.id, Job: maskedRecord(rec), Run: rec.Statements})
	ctx, cancel := context.WithTimeout(context.Background(), appendTimeout)
	defer cancel()
	if _, err := s.cluster.log.Append(ctx, "job/"+rec.ID, value); err != nil {
		s.cfg.Logger.Error("the cluster's command log missed a change of the job", "job", rec.ID, "error", err.Error())
		return
	}
	if rec.Epoch <= 1 || rec.Jumped {
		c := s.cluster
		c.mu.Lock()
		c.startedEpoch[rec.ID] = rec.Epoch
		c.mu.Unlock()
	}
}

// maskedRecord is rec with its statements' secrets masked: what views
// of the log show (jobCommand.Run carries them as submitted).
func maskedRecord(rec JobRecord) JobRecord {
	masked := rec
	masked.Statements = make([]string, len(rec.Statements))
	for i, st := range rec.Statements {
		masked.Statements[i] = sql.MaskSecrets(st)
	}
	return masked
}

// startCluster starts following the log and announcing the server
// (startClustered then publishes the registry's records).
func (s *Server) startCluster() {
	c := s.cluster
	ctx, cancel := context.WithCancel(context.Background())
	c.cancel, c.followDone, c.beatDone = cancel, make(chan struct{}), make(chan struct{})
	c.started = time.Now().UnixMilli()
	go func() {
		defer close(c.followDone)
		if err := c.log.Follow(ctx, s.applyCommand); err != nil {
			s.cfg.Logger.Error("stopped following the cluster's command log", "topic", c.log.Topic(), "error", err.Error())
		}
	}()
	go func() { // announcements: now, then every heartbeat
		defer close(c.beatDone)
		t := time.NewTicker(c.heartbeat)
		defer t.Stop()
		for {
			// Judge the other servers only with every announcement up
			// to this one applied (e.g. after this process was frozen,
			// the log holds newer ones than it has seen).
			if s.renewLease(ctx) == nil {
				s.failover() // failover.go
			}
			select {
			case <-ctx.Done():
				return
			case <-t.C:
			}
		}
	}()
}

// stopFollowing ends the goroutines that follow the log and announce the
// server.
func (c *clusterState) stopFollowing() {
	if c.cancel != nil {
		c.cancel()
		<-c.followDone
		<-c.beatDone
	}
}

// applyCommand applies one command of the log (in Follow's goroutine).
func (s *Server) applyCommand(cmd cluster.Command) {
	c := s.cluster
	defer c.broadcast()
	kind, id, _ := strings.Cut(cmd.Key, "/")
	switch kind {
	case "server":
		var sc serverCommand
		if cmd.Value == nil || json.Unmarshal(cmd.Value, &sc) != nil || sc.ID != id {
			return
		}
		c.mu.Lock()
		c.servers[id] = sc
		c.announced[id] = cmd.Offset
		c.mu.Unlock()
	case "job":
		if cmd.Value == nil {
			c.mu.Lock()
			delete(c.remote, id)
			c.mu.Unlock()
			return
		}
		var jc jobCommand
		if err := json.Unmarshal(cmd.Value, &jc); err != nil || jc.Job.ID != id {
			s.cfg.Logger.Warn("skipped a damaged command of the cluster's log", "key", cmd.Key, "offset", cmd.Offset)
			return
		}
		s.applyJob(jc) // failover.go
	case "stop":
		if cmd.Value == nil {
			c.mu.Lock()
			delete(c.stopRequests, id)
			c.mu.Unlock()
			return
		}
		var sc stopCommand
		if err := json.Unmarshal(cmd.Value, &sc); err != nil {
			s.cfg.Logger.Warn("skipped a damaged command of the cluster's log", "key", cmd.Key, "offset", cmd.Offset)
			return
		}
		if sc.Failed != "" {
			c.mu.Lock()
			c.failures[sc.Request] = sc.Failed
			delete(c.stopRequests, id)
			c.mu.Unlock()
			return
		}
		c.mu.Lock()
		c.stopRequests[id] = sc
		c.mu.Unlock()
		s.applyStop(cmd.Key, id, sc)
	case "move":
		var mc moveCommand
		if cmd.Value == nil || json.Unmarshal(cmd.Value, &mc) != nil {
			return
		}
		s.applyMove(cmd.Key, id, mc) // rebalance.go
	}
}

// applyStop applies a stop request of the log (see applyCommand). A
// request replayed while the server starts, before it resumed its jobs,
// waits for startClustered to resume them.
func (s *Server) applyStop(key, id string, sc stopCommand) {
	c := s.cluster
	if sc.Owner != c.id && !s.ownsNow(id) {
		return
	}
	rec, ok := s.reg.get(id)
	if !ok {
		return
	}
	c.mu.Lock()
	if !c.resumed && rec.Status == string(engine.JobRunning) {
		c.pendingStops = append(c.pendingStops, pendingStop{key: key, id: id, sc: sc})
		c.mu.Unlock()
		return
	}
	c.mu.Unlock()
	if l := s.liveJob(id); l == nil && rec.Status == string(engine.JobRunning) {
		// Registered but not started yet: a takeover in progress,
		// which applies the request once the job runs (takeOver).
		return
	} else if l == nil || l.job.Ended() {
		// Already ended (or this is a replayed request that was
		// applied before): only the request goes.
		s.appendDetached(key, nil)
		return
	}
	// A request is applied once, by whichever of the log's follower and
	// a takeover gets here first.
	c.mu.Lock()
	applied := c.stopsApplied[sc.Request]
	c.stopsApplied[sc.Request] = true
	c.mu.Unlock()
	if applied {
		return
	}
	// When the server is shutting down, the next start resumes the job
	// and applies the request.
	s.goUnlessClosing(func() {
		s.cfg.Logger.Info("stopping the job at the request of another server", "job", id, "from", sc.From)
		_, err := s.stopLocal(id, sc.Savepoint, sc.Drain)
		if errors.Is(err, errHandedOver) {
			return // the request stays for the unit's new owner (adopt)
		}
		if err != nil && !errors.Is(err, errNotRunning) {
			sc.Failed = err.Error()
			value, _ := json.Marshal(sc)
			s.appendDetached(key, value)
			return
		}
		s.appendDetached(key, nil)
	})
}

// pendingStop is a stop request replayed before the server resumed its
// jobs.
type pendingStop struct {
	key, id string
	sc      stopCommand
}

// appendDetached appends a command, logging a failure; it returns the
// command's offset and whether it was appended.
func (s *Server) appendDetached(key string, value []byte) (int64, bool) {
	ctx, cancel := context.WithTimeout(context.Background(), appendTimeout)
	defer cancel()
	off, err := s.cluster.log.Append(ctx, key, value)
	if err != nil {
		s.cfg.Logger.Error("cannot append to the cluster's command log", "key", key, "error", err.Error())
		return 0, false
	}
	return off, true
}

func (c *clusterState) broadcast() {
	c.mu.Lock()
	close(c.changed)
	c.changed = make(chan struct{})
	c.mu.Unlock()
}

// remoteJob returns the record of another server's job.
func (c *clusterState) remoteJob(id string) (remoteJob, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	r, ok := c.remote[id]
	return r, ok
}

// remoteJobs returns the records of the other servers' jobs.
func (c *clusterState) remoteJobs() []remoteJob {
	c.mu.Lock()
	defer c.mu.Unlock()
	out := make([]remoteJob, 0, len(c.remote))
	for _, r := range c.remote {
		out = append(out, r)
	}
	return out
}

// stopRemote asks the owner of another server's job to stop it, through
// the command log, and waits (at most timeout) until the owner's record
// shows it ended or the owner answers that the stop failed.
func (s *Server) stopRemote(ctx context.Context, rj remoteJob, savepoint, drain bool, timeout time.Duration) (JobRecord, error) {
	c := s.cluster
	b := make([]byte, 8)
	rand.Read(b)
	sc := stopCommand{Request: hex.EncodeToString(b), From: c.id, Owner: rj.owner, Savepoint: savepoint, Drain: drain}
	value, _ := json.Marshal(sc)
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	if _, err := c.log.Append(ctx, "stop/"+rj.rec.ID, value); err != nil {
		return JobRecord{}, &stopError{code: 503, msg: fmt.Sprintf("job %s runs on server %s; the stop request could not be sent: %v", rj.rec.ID, rj.owner, err)}
	}
	var cur remoteJob
	var failed string
	stopped := c.await(ctx, func() bool {
		var ok bool
		cur, ok = c.remote[rj.rec.ID]
		failed = c.failures[sc.Request]
		return failed != "" || ok && cur.rec.Status != string(engine.JobRunning)
	})
	switch {
	case failed != "":
		return JobRecord{}, &stopError{code: 500, msg: fmt.Sprintf("server %s, which runs job %s, could not stop it, the job goes on: %s", rj.owner, rj.rec.ID, failed)}
	case stopped:
		return cur.rec, nil
	}
	return JobRecord{}, &stopError{code: 504, msg: fmt.Sprintf("server %s, which runs job %s, did not stop it within %s (is it up?); the request stays in the cluster's command log and %s applies it when it follows the log again", rj.owner, rj.rec.ID, timeout, rj.owner)}
}

// awaitRemote waits (at most timeout) until the log names another server
// the owner of job id (a unit this server was handing over) and returns
// its record there.
func (s *Server) awaitRemote(ctx context.Context, id string, timeout time.Duration) (remoteJob, bool) {
	c := s.cluster
	if c == nil {
		return remoteJob{}, false
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	var rj remoteJob
	ok := c.await(ctx, func() bool {
		var known bool
		rj, known = c.remote[id]
		return known
	})
	return rj, ok
}

// await waits until done, called with c.mu held now and at every change
// of the cluster's state (c.changed), reports true, or ctx ends; it
// reports whether done did.
func (c *clusterState) await(ctx context.Context, done func() bool) bool {
	for {
		c.mu.Lock()
		ok, ch := done(), c.changed
		c.mu.Unlock()
		if ok {
			return true
		}
		select {
		case <-ch:
		case <-ctx.Done():
			return false
		}
	}
}

// stopError is a failed stop of another server's job with its HTTP status.
type stopError struct {
	code int
	msg  string
}

func (e *stopError) Error() string { return e.msg }

// getCluster serves GET /v1/cluster (see clusterView).
func (s *Server) getCluster(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, s.clusterView())
}

// clusterView is every server the log announced (this one too), ordered
// by id, with the jobs it owns; without a cluster, this server alone.
func (s *Server) clusterView() api.ClusterView {
	figures := map[string]map[string]jobFigures{} // by server, then job
	if c := s.cluster; c != nil {
		c.mu.Lock()
		for id, sc := range c.servers {
			figures[id] = sc.Figures
		}
		c.mu.Unlock()
		figures[c.id] = s.liveFigures() // this server's, as of now
	}
	jobs := map[string][]api.ClusterJob{}
	for _, v := range s.jobViews() {
		cj := api.ClusterJob{ID: v.rec.ID, Name: v.rec.Name, Status: v.rec.Status, Epoch: v.rec.Epoch}
		if f, ok := figures[v.owner][v.rec.ID]; ok && v.rec.Status == string(engine.JobRunning) {
			lag := f.Lag
			if lag >= 0 {
				cj.Lag = &lag
			}
			cj.PartitionLag = f.Partitions
			cj.Checkpoint = f.Checkpoint
			if f.CheckpointAt > 0 {
				t := time.UnixMilli(f.CheckpointAt).UTC()
				cj.CheckpointAt = &t
			}
		}
		if u := v.rec.Unit; u != nil {
			stage := u.Stage
			cj.Stage, cj.Unit, cj.Reads = &stage, u.Unit, u.Reads
		}
		jobs[v.owner] = append(jobs[v.owner], cj)
	}
	c := s.cluster
	if c == nil {
		return api.ClusterView{Servers: []api.ClusterServer{
			{Listen: s.cfg.Listen, State: "up", Jobs: nonNil(jobs[""])}}}
	}
	c.mu.Lock()
	servers := make([]serverCommand, 0, len(c.servers)+1)
	for _, sc := range c.servers {
		servers = append(servers, sc)
	}
	c.mu.Unlock()
	if !slices.ContainsFunc(servers, func(sc serverCommand) bool { return sc.ID == c.id }) {
		// not read back from the log yet
		servers = append(servers, serverCommand{ID: c.id, Listen: c.listen, Started: c.started, Seen: time.Now().UnixMilli()})
	}
	for owner := range jobs { // owners of jobs that never announced themselves
		if !slices.ContainsFunc(servers, func(sc serverCommand) bool { return sc.ID == owner }) {
			servers = append(servers, serverCommand{ID: owner})
		}
	}
	sort.Slice(servers, func(a, b int) bool { return servers[a].ID < servers[b].ID })
	view := api.ClusterView{Name: s.cfg.ClusterName, Server: c.id}
	now := time.Now()
	for _, sc := range servers {
		cs := api.ClusterServer{ID: sc.ID, Listen: sc.Listen, Jobs: nonNil(jobs[sc.ID])}
		if sc.ID == c.id { // this server, answering: up, whatever the log says yet
			sc.Stopped, sc.Started, sc.Listen = false, c.started, c.listen
		}
		switch {
		case sc.Stopped:
			cs.State = "stopped"
		case sc.ID == c.id || sc.Seen > 0 && now.Sub(time.UnixMilli(sc.Seen)) <= 3*c.heartbeat:
			cs.State = "up"
		default:
			cs.State = "unreachable"
		}
		if sc.Started > 0 {
			t := time.UnixMilli(sc.Started).UTC()
			cs.Started = &t
		}
		if sc.Seen > 0 {
			t := time.UnixMilli(sc.Seen).UTC()
			cs.LastSeen = &t
		}
		view.Servers = append(view.Servers, cs)
	}
	return view
}

// showCluster is SHOW CLUSTER in a session of a clustered server: one row
// per server of clusterView with its state, address, how long ago it last
// announced itself, and the ids of the jobs it owns. A server without a
// cluster answers that it is not part of one.
func (s *Server) showCluster(n int) api.StatementResult {
	if s.cluster == nil {
		return api.StatementResult{Statement: n, Message: engine.NotClustered}
	}
	out := api.StatementResult{Statement: n,
		Columns: []string{"server id", "status", "address", "last heard", "jobs", "job ids"}}
	now := time.Now()
	for _, cs := range s.clusterView().Servers {
		heard := "never"
		if cs.LastSeen != nil {
			heard = max(now.Sub(*cs.LastSeen), 0).Truncate(time.Second).String() + " ago"
		}
		ids := make([]string, len(cs.Jobs))
		for i, j := range cs.Jobs {
			ids[i] = j.ID
			var about []string
			if j.Stage != nil {
				about = append(about, fmt.Sprintf("stage %d unit %d: %s", *j.Stage, j.Unit, j.Reads))
			}
			if j.Lag != nil {
				about = append(about, fmt.Sprintf("lag %d", *j.Lag))
			}
			if j.Checkpoint > 0 {
				about = append(about, fmt.Sprintf("checkpoint %d", j.Checkpoint))
			}
			if len(about) > 0 {
				ids[i] += " (" + strings.Join(about, ", ") + ")"
			}
		}
		out.Rows = append(out.Rows, []string{cs.ID, cs.State, cs.Listen, heard, fmt.Sprint(len(cs.Jobs)), strings.Join(ids, ", ")})
	}
	return out
}

// nonNil is jobs, or an empty list (JSON [] rather than null).
func nonNil(jobs []api.ClusterJob) []api.ClusterJob {
	if jobs == nil {
		return []api.ClusterJob{}
	}
	return jobs
}
