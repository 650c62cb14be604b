package server

import (
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"sort"
	"time"

	"github.com/streamsql/streamsql/engine"
)

// Failover: a job of a server that went away (unreachable: no
// announcement for three heartbeats; or stopped) is taken over by one of
// the servers that are up, which restores it from the newest checkpoint
// its previous owner completed, in the checkpoint storage the servers
// share (Config.CheckpointDir).
//
// Ownership is decided by the command log alone, so every server reaches
// the same answer: each job record carries its owner and an epoch (1 at
// submission). A server takes a job over by appending the job's record
// with itself as owner and the epoch raised by one (a claim), and owns it
// once that claim is the record the log accepted (applyJob): a record
// with a higher epoch than the newest accepted one replaces it; one with
// the same epoch only when its owner is the same (the owner's own
// changes); any other is stale and ignored. Of two servers that claim the
// same job at once, the first claim in the log wins and the second,
// carrying an epoch that is no longer higher, is ignored. A claim also
// carries the offset of the previous owner's announcement it was judged
// on (jobCommand.Judged) and is void when that owner announced itself
// again before the claim in the log's order.
//
// The previous owner may still be running (a zombie: frozen, or cut off
// from Kafka but not from its sinks). Three things keep it from
// corrupting the job:
//   - checkpoint ids: the new owner numbers its checkpoints
//     engine.CheckpointIDsPerEpoch above its predecessor's base (or the
//     highest id in the job's directory, when higher:
//     engine.Ownership.Jump), and restores only what the
//     previous epoch's owner numbered in its own range (or, when it
//     completed none, what that owner started from), so nothing the
//     zombie writes later is ever restored;
//   - sinks: the new owner's Kafka sinks fence the job's transactional
//     ids (their Recover), its JDBC sinks raise the job's fence row to
//     the new epoch (connectors.Env.OwnerEpoch), so the zombie's later
//     commits fail;
//   - the zombie itself: when it follows the log again and applies a
//     record of one of its jobs with a higher epoch, it cancels the job
//     (no last checkpoint, no record) and removes it from its registry
//     (lostJob). A server that starts again does the same for the jobs
//     taken over while it was away, before it resumes the others.
//
// Who takes a job over: only a server with a Config.CheckpointDir, and
// only jobs of servers that announced the same one (a server's own
// directory is not shared); among the servers that are up, the one
// owning the fewest running jobs (ties: the smallest id); every server
// computes the same from the log, and only the chosen one claims. A server only
// judges others after following the log for three heartbeats itself, so
// that a server that has just started does not take old announcements
// for silence.

// applyJob applies a job record of the log (in Follow's goroutine): it
// accepts or ignores it by owner and epoch (see above), keeps the other
// servers' records, and gives up a job of this server that another took
// over.
func (s *Server) applyJob(jc jobCommand) {
	c := s.cluster
	id := jc.Job.ID
	c.mu.Lock()
	cur, known := c.owners[id]
	// Ignored: a stale record, a claim that lost, or a claim judged on an
	// announcement the previous owner has since followed with another (it
	// came back, or had not gone: it keeps its job).
	if known && (jc.Job.Epoch < cur.epoch || jc.Job.Epoch == cur.epoch && jc.Owner != cur.server ||
		jc.Owner != cur.server && jc.From != cur.server && jc.Judged != c.announced[cur.server]) {
		c.mu.Unlock()
		// Compaction keeps only the newest value of a key, so the owner
		// appends its record again: the log must not end with one that
		// every server ignores.
		if cur.server == c.id {
			s.republish(id)
		}
		return
	}
	c.owners[id] = jobOwner{server: jc.Owner, epoch: jc.Job.Epoch}
	if jc.Owner == c.id {
		delete(c.remote, id) // this server's job: its registry says more
		c.mu.Unlock()
		if _, registered := s.reg.get(id); jc.Placed && !registered && jc.Job.Status == string(engine.JobRunning) {
			s.adoptPlaced(jc) // another server placed it here (stages.go)
		}
		return
	}
	c.remote[id] = remoteJob{owner: jc.Owner, rec: jc.Job, run: jc.Run}
	c.mu.Unlock()
	if rec, ok := s.reg.get(id); ok && rec.Epoch < jc.Job.Epoch {
		s.lostJob(id, jc.Owner, jc.Job.Epoch)
	}
}

// republish appends the record of this server's job id again, in the
// background (applyJob runs in Follow's goroutine).
func (s *Server) republish(id string) {
	s.goUnlessClosing(func() {
		c := s.cluster
		c.pubMu.Lock()
		defer c.pubMu.Unlock()
		if rec, ok := s.reg.get(id); ok && s.ownsNow(id) {
			s.publishLocked(rec)
		}
	})
}

// ownsNow reports whether the log's newest accepted record of job id
// names this server as its owner.
func (s *Server) ownsNow(id string) bool {
	c := s.cluster
	c.mu.Lock()
	defer c.mu.Unlock()
	o, ok := c.owners[id]
	return ok && o.server == c.id
}

// lostJob gives up job id, which server owner took over at epoch: it
// cancels the job here if it runs (no last checkpoint: the new owner
// restored an earlier one) and removes its record from the registry.
//
// The record goes first, then the live job is looked for: a job being
// resumed meanwhile either shows here or finds its record gone (resume's
// changeJob, track) and stops itself.
func (s *Server) lostJob(id, owner string, epoch int64) {
	if err := s.reg.remove(id); err != nil {
		s.cfg.Logger.Error("cannot remove a job taken over by another server from the registry", "job", id, "error", err.Error())
	}
	s.mu.Lock()
	l := s.live[id]
	if l != nil {
		l.movedAway = true
	}
	s.mu.Unlock()
	if l != nil && !l.job.Ended() {
		l.job.Release()
	}
	s.cfg.Logger.Warn("job taken over by another server: stopped here", "job", id, "owner", owner, "epoch", epoch)
}

// startClustered starts a clustered server: it follows the log
// (startCluster), waits until it has applied the log up to its own
// announcement, gives up the jobs taken over meanwhile, appends the
// records of the others (the log must hold them even when the server ran
// without a cluster before) and resumes those that were running.
func (s *Server) startClustered() error {
	s.startCluster()
	c := s.cluster
	if err := s.renewLease(context.Background()); err != nil {
		return fmt.Errorf("server: cannot follow the cluster's command log: %w; its jobs are not resumed, so that no job runs twice; restart it once Kafka is reachable", err)
	}
	var first error
	for _, rec := range s.reg.list() {
		c.mu.Lock()
		o, known := c.owners[rec.ID]
		c.mu.Unlock()
		if known && (o.server != c.id || o.epoch > rec.Epoch) {
			s.lostJob(rec.ID, o.server, o.epoch)
			continue
		}
		// The log holds every record of the registry, even when the
		// server ran without a cluster before.
		c.pubMu.Lock()
		s.publishLocked(rec)
		c.pubMu.Unlock()
		if rec.Status != string(engine.JobRunning) {
			continue
		}
		if err := s.resumeOrFail(rec, s.ownership(rec)); err != nil && first == nil {
			first = err
		}
	}
	c.mu.Lock()
	c.resumed = true
	pending, adopts := c.pendingStops, c.pendingAdopts
	c.pendingStops, c.pendingAdopts = nil, nil
	c.mu.Unlock()
	for _, jc := range adopts {
		s.goUnlessClosing(func() { s.adopt(jc) })
	}
	for _, p := range pending {
		s.applyStop(p.key, p.id, p.sc)
	}
	return first
}

// ownership is how this server runs a job it owns again, from its record:
// at the record's epoch, restoring the newest checkpoint in the range of
// the record's IDBase (or the record's RestoredID). A record above epoch 1
// whose owner has not started it yet (a takeover: its IDBase and
// RestoredID are still the previous owner's) also jumps its checkpoint ids
// above that range.
//
// Without a cluster only a unit of a staged job has an ownership: its
// record's checkpoint range, restored as in a cluster, without an epoch
// (its sinks do not fence).
func (s *Server) ownership(rec JobRecord) *engine.Ownership {
	if s.cluster == nil {
		if rec.Unit == nil {
			return nil
		}
		return &engine.Ownership{Resume: true, RestoreAfter: rec.IDBase, RestoreFallback: rec.RestoredID}
	}
	return &engine.Ownership{Epoch: max(rec.Epoch, 1), Run: rec.Submitted.UnixMilli(), Lease: s.lease, Owns: s.owns,
		Jump: rec.Epoch > 1 && !rec.Jumped, Resume: true, RestoreAfter: rec.IDBase, RestoreFallback: rec.RestoredID}
}

// failover takes over, at every heartbeat, the running jobs of servers
// that went away when this server is the one to (see above).
func (s *Server) failover() {
	c := s.cluster
	if s.cfg.CheckpointDir == "" || time.Since(time.UnixMilli(c.started)) <= 3*c.heartbeat {
		return // its checkpoints are its own; or too early to judge
	}
	c.mu.Lock()
	sameStorage := map[string]bool{}
	for id, sc := range c.servers {
		sameStorage[id] = sc.Checkpoints == s.cfg.CheckpointDir
	}
	c.mu.Unlock()
	// The offsets of the announcements the view is judged on, taken
	// first: an announcement applied after this but before the view
	// shows its server up; one after the view voids the claim (applyJob).
	c.mu.Lock()
	judged := maps.Clone(c.announced)
	c.mu.Unlock()
	view := s.clusterView()
	up := map[string]int{} // server id -> running jobs it owns
	down := map[string]bool{}
	for _, cs := range view.Servers {
		switch cs.State {
		case "up":
			n := 0
			for _, j := range cs.Jobs {
				if j.Status == string(engine.JobRunning) {
					n++
				}
			}
			up[cs.ID] = n
		case "unreachable", "stopped":
			// Never heard of: not judged. Checkpointing elsewhere: its
			// jobs' checkpoints cannot be restored here.
			down[cs.ID] = cs.LastSeen != nil && sameStorage[cs.ID]
		}
	}
	var orphans []remoteJob
	for _, rj := range c.remoteJobs() {
		if rj.rec.Status == string(engine.JobRunning) && down[rj.owner] {
			orphans = append(orphans, rj)
		}
	}
	if len(orphans) == 0 {
		s.rebalance(view, sameStorage) // rebalance.go
		return
	}

	sort.Slice(orphans, func(a, b int) bool { return orphans[a].rec.ID < orphans[b].rec.ID })
	for _, rj := range orphans {
		to := ""
		for id, n := range up {
			if to == "" || n < up[to] || n == up[to] && id < to {
				to = id
			}
		}
		if to == "" {
			return
		}
		up[to]++
		if to != c.id {
			continue
		}
		// A takeover restores the job's state, which may take longer
		// than a heartbeat: it runs on its own, so that this server
		// keeps announcing itself meanwhile.
		c.mu.Lock()
		busy := c.takingOver[rj.rec.ID]
		if !busy {
			c.takingOver[rj.rec.ID] = true
		}
		c.mu.Unlock()
		if busy {
			continue
		}
		started := s.goUnlessClosing(func() {
			s.takeOver(rj, judged[rj.owner])
			c.mu.Lock()
			delete(c.takingOver, rj.rec.ID)
			c.mu.Unlock()
		})
		if !started {
			return
		}
	}
}

// takeOver claims another server's job (a record with this server as
// owner and the epoch raised by one) and, once the log accepted the
// claim, runs the job's statements restoring what its previous owner
// checkpointed.
func (s *Server) takeOver(rj remoteJob, judged int64) {
	c := s.cluster
	prev := rj.rec
	if len(rj.run) == 0 {
		s.cfg.Logger.Error("cannot take the job over: its record in the log carries no statements (written by an older server)", "job", prev.ID, "owner", rj.owner)
		return
	}
	rec := prev
	rec.Statements = rj.run
	rec.Epoch = prev.Epoch + 1
	rec.Status, rec.Error, rec.Ended = string(engine.JobRunning), "", nil
	rec.Jumped = false // IDBase and RestoredID are the previous owner's until the job starts
	masked := rec
	masked.Statements = prev.Statements
	value, _ := json.Marshal(jobCommand{Owner: c.id, Job: masked, Run: rj.run, Judged: judged})
	ctx, cancel := context.WithTimeout(context.Background(), appendTimeout)
	defer cancel()
	off, err := c.log.Append(ctx, "job/"+prev.ID, value)
	if err == nil {
		err = c.log.WaitApplied(ctx, off)
	}
	if err != nil {
		s.cfg.Logger.Error("cannot claim the job of a server that went away", "job", prev.ID, "owner", rj.owner, "error", err.Error())
		return
	}
	c.mu.Lock()
	o := c.owners[prev.ID]
	c.mu.Unlock()
	if o.server != c.id || o.epoch != rec.Epoch {
		return // another server claimed it first
	}
	// The log names this server the owner from here on, even when it is
	// shutting down: the job is registered and resumed (track stops it
	// again at once), so that its record holds this epoch's checkpoint
	// range for the next start or the next owner, and no job is owned by
	// a server whose registry does not hold it.
	if err := s.reg.update(rec.ID, func(r *JobRecord) { *r = rec }); err != nil {
		s.cfg.Logger.Error("cannot register a job taken over", "job", rec.ID, "error", err.Error())
		return
	}
	s.cfg.Logger.Warn("taking over the job of a server that went away", "job", rec.ID, "from", rj.owner, "epoch", rec.Epoch)
	if s.resumeOrFail(rec, s.ownership(rec)) != nil {
		return
	}
	// A stop request sent to the previous owner is the new owner's to
	// apply.
	s.applyPendingStop(rec.ID)
}

// applyPendingStop applies the stop request for job id that the cluster's
// log holds (one not answered yet), sent before this server owned the
// job: to its previous owner, or to the server that handed it over.
func (s *Server) applyPendingStop(id string) {
	c := s.cluster
	c.mu.Lock()
	sc, stop := c.stopRequests[id]
	c.mu.Unlock()
	if stop && sc.Failed == "" {
		s.applyStop("stop/"+id, id, sc)
	}
}
