package server

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/streamsql/streamsql/engine"
	"github.com/streamsql/streamsql/sql"
)

// Jobs cut into stages (execution.stages.units > 0): the server submits
// each unit of such a job as a job of its own, whose statements are the
// session's setup, SET execution.stages.unit to the unit and
// execution.stages.run-id to the submission, and the INSERT. A clustered
// server spreads the units over the servers that are up and share its
// checkpoint storage (the fewest running jobs first, then round robin):
// it registers and starts its own units and appends the others' records
// to the command log with their owner named, and each owner starts the
// units the log gives it (adopt). From there on each unit is a job like
// any other: listed, stopped and taken over on its own.

// placedUnit is a unit's record and the server it goes to.
type placedUnit struct {
	owner string
	rec   JobRecord
}

// submitStaged submits the units of the job st (an INSERT or a statement
// set, text as submitted) in session sess and returns their records.
//
// The run (execution.stages.run-id) is the session's when it sets one,
// else the submission's time. A run whose units still run here or on
// another server is refused: its topics are theirs. With
// execution.savepoint.path = 'latest' the job continues from its units'
// checkpoints, perhaps at another number of units (a rescale): this
// server decides once, for every unit, its stage's layout, what a
// rescaled unit restores and the hand-over offsets of the topics
// (engine.UnitPlans), and each unit's record carries them (UnitInfo.Start)
// to whichever server starts it.
func (s *Server) submitStaged(sess *session, st sql.Stmt, text string, units []engine.StageUnit) ([]JobRecord, error) {
	conf := sess.eng.Config()
	if ex := strings.ToLower(strings.TrimSpace(conf.Get(engine.StagesExchangeKey))); ex != "kafka" {
		return nil, fmt.Errorf("%s = '%s' keeps a job's topics in one process: a server runs jobs cut into stages with 'kafka'", engine.StagesExchangeKey, ex)
	}
	submitted := time.Now().UTC()
	run := int64(conf.Int(engine.StagesRunKey))
	if run == 0 {
		run = submitted.UnixMilli()
	}
	if err := s.checkRunStopped(units[0].Job, run, strings.TrimSpace(conf.Get("execution.savepoint.path")) == "latest"); err != nil {
		return nil, err
	}
	plans, err := sess.eng.UnitPlans(st, run)
	if err != nil {
		return nil, err
	}
	if len(plans) != len(units) {
		return nil, fmt.Errorf("the job planned again cuts into %d units, not %d", len(plans), len(units))
	}
	owners := s.placementOrder()
	name := strings.Join(strings.Fields(text), " ")
	if len(name) > 60 {
		name = name[:57] + "..."
	}
	placed := make([]placedUnit, len(plans))
	for i, u := range plans {
		id, err := newUnitID()
		if err != nil {
			return nil, err
		}
		stmts := append(append([]string(nil), sess.setup...),
			fmt.Sprintf("SET '%s' = '%d'", engine.StagesRunKey, run),
			fmt.Sprintf("SET '%s' = '%s'", engine.StagesUnitKey, u.Selector()),
			text)
		rec := JobRecord{ID: id, Name: fmt.Sprintf("%s [stage %d unit %d]", name, u.Stage, u.Unit),
			Statements: stmts, Status: string(engine.JobRunning), Submitted: submitted,
			IDBase: u.IDBase, RestoredID: u.RestoredID,
			Unit: &UnitInfo{Stage: u.Stage, Unit: u.Unit, Reads: u.Reads, Job: u.Job, Run: run, Start: u.Start}}
		if s.cluster != nil {
			rec.Epoch = 1
		}
		placed[i] = placedUnit{owner: owners[i%len(owners)], rec: rec}
	}
	var recs []JobRecord
	var first error
	for _, p := range placed {
		recs = append(recs, p.rec)
		if s.cluster == nil || p.owner == s.cluster.id {
			if err := s.updateJob(p.rec.ID, func(r *JobRecord) { *r = p.rec }); err != nil {
				return nil, fmt.Errorf("the job could not be registered: %w", err)
			}
			if err := s.resumeOrFail(p.rec, s.ownership(p.rec)); err != nil && first == nil {
				first = fmt.Errorf("%s: %w", p.rec.Name, err)
			}
			continue
		}
		if err := s.publishFor(p.owner, p.rec); err != nil && first == nil {
			first = fmt.Errorf("%s: %w", p.rec.Name, err)
		}
	}
	if first != nil {
		ids := make([]string, len(recs))
		for i, r := range recs {
			ids[i] = r.ID
		}
		return recs, fmt.Errorf("%w (the job's units are %s: the others run; POST /v1/jobs/{id}/stop of one with {\"all_units\": true} stops them all)", first, strings.Join(ids, ", "))
	}
	return recs, nil
}

// checkRunStopped refuses a submission of run of job (its storage id)
// while units of that run still run, on this server or another: they
// write the run's topics and checkpoint directories. A submission that
// does not continue from the checkpoints (continuing) is refused when
// units of the run ran before: the run's topics hold their rows. One that
// continues is refused when a unit of the run was stopped with a
// savepoint: its sinks committed what followed its last checkpoint,
// which the units continue from.
func (s *Server) checkRunStopped(job string, run int64, continuing bool) error {
	var running, savepoints []string
	var units []jobView
	latest := time.Time{} // the newest submission of the run
	for _, v := range s.jobViews() {
		if u := v.rec.Unit; u != nil && u.Job == job && u.Run == run {
			units = append(units, v)
			if v.rec.Submitted.After(latest) {
				latest = v.rec.Submitted
			}
		}
	}
	for _, v := range units {
		where := v.rec.ID
		if v.owner != "" {
			where += " on server " + v.owner
		}
		switch {
		case v.rec.Status == string(engine.JobRunning):
			running = append(running, where)
		case continuing && v.rec.Savepoint != "" && v.rec.Submitted.Equal(latest):
			savepoints = append(savepoints, v.rec.ID+" ("+v.rec.Savepoint+")")
		}
	}
	if len(running) > 0 {
		return fmt.Errorf("job %s (run %d) still runs as units %s: stop the job first (POST /v1/jobs/{id}/stop of any unit with {\"all_units\": true} stops them all, each with a last checkpoint), then submit it again",
			job, run, strings.Join(running, ", "))
	}
	if !continuing && len(units) > 0 {
		ids := make([]string, len(units))
		for i, v := range units {
			ids[i] = v.rec.ID
		}
		return fmt.Errorf("job %s (run %d) ran before as units %s, whose rows its topics hold: continue it with SET 'execution.savepoint.path' = 'latest', or start it anew without 'execution.stages.run-id'",
			job, run, strings.Join(ids, ", "))
	}
	if len(savepoints) > 0 {
		return fmt.Errorf("job %s (run %d) cannot continue from its units' checkpoints: units %s were stopped with a savepoint, and their sinks committed what followed their last checkpoint; stop the units without a savepoint (each takes a last checkpoint) to continue a job cut into stages",
			job, run, strings.Join(savepoints, ", "))
	}
	return nil
}

// placementOrder lists the servers that take a staged job's units, the
// first unit going to the first: this server alone without a cluster;
// else the servers up that announced this server's checkpoint storage
// (so that any of them can take a unit over), the fewest running jobs
// first, ties by id.
func (s *Server) placementOrder() []string {
	c := s.cluster
	if c == nil {
		return []string{""}
	}
	c.mu.Lock()
	same := map[string]bool{c.id: true}
	for id, sc := range c.servers {
		same[id] = same[id] || s.cfg.CheckpointDir != "" && sc.Checkpoints == s.cfg.CheckpointDir
	}
	c.mu.Unlock()
	type load struct {
		id   string
		jobs int
	}
	var up []load
	for _, cs := range s.clusterView().Servers {
		if cs.State != "up" || !same[cs.ID] {
			continue
		}
		n := 0
		for _, j := range cs.Jobs {
			if j.Status == string(engine.JobRunning) {
				n++
			}
		}
		up = append(up, load{cs.ID, n})
	}
	sort.Slice(up, func(a, b int) bool {
		if up[a].jobs != up[b].jobs {
			return up[a].jobs < up[b].jobs
		}
		return up[a].id < up[b].id
	})
	out := make([]string, len(up))
	for i, l := range up {
		out[i] = l.id
	}
	if len(out) == 0 {
		out = []string{c.id}
	}
	return out
}

// publishFor appends the record of a unit placed on another server, with
// that server as its owner, and waits until the log applied it here.
func (s *Server) publishFor(owner string, rec JobRecord) error {
	c := s.cluster
	value, _ := json.Marshal(jobCommand{Owner: owner, Job: maskedRecord(rec), Run: rec.Statements, Placed: true})
	ctx, cancel := context.WithTimeout(context.Background(), appendTimeout)
	defer cancel()
	off, err := c.log.Append(ctx, "job/"+rec.ID, value)
	if err == nil {
		err = c.log.WaitApplied(ctx, off)
	}
	if err != nil {
		return fmt.Errorf("the command log did not take the unit for server %s: %w", owner, err)
	}
	return nil
}

// adoptPlaced starts a job the log says this server owns but its registry
// does not hold: a unit another server placed here (submitStaged). Called
// by applyJob in Follow's goroutine; the start runs in the background,
// after startClustered resumed this server's own jobs.
func (s *Server) adoptPlaced(jc jobCommand) {
	c := s.cluster
	c.mu.Lock()
	if !c.resumed {
		c.pendingAdopts = append(c.pendingAdopts, jc)
		c.mu.Unlock()
		return
	}
	c.mu.Unlock()
	s.goUnlessClosing(func() { s.adopt(jc) })
}

// adopt registers and starts a unit placed on this server, unless the log
// no longer names this server its owner or it is registered already.
func (s *Server) adopt(jc jobCommand) {
	c := s.cluster
	rec := jc.Job
	rec.Statements = jc.Run
	c.mu.Lock()
	busy := c.takingOver[rec.ID]
	if !busy {
		c.takingOver[rec.ID] = true
	}
	c.mu.Unlock()
	if busy {
		return // started already
	}
	defer func() {
		c.mu.Lock()
		delete(c.takingOver, rec.ID)
		c.mu.Unlock()
	}()
	if len(rec.Statements) == 0 || !s.ownsNow(rec.ID) {
		return
	}
	if _, ok := s.reg.get(rec.ID); ok {
		return
	}
	if err := s.reg.update(rec.ID, func(r *JobRecord) { *r = rec }); err != nil {
		s.cfg.Logger.Error("cannot register a unit placed on this server", "job", rec.ID, "error", err.Error())
		return
	}
	s.cfg.Logger.Info("starting a unit placed on this server", "job", rec.ID, "name", rec.Name)
	if s.resumeOrFail(rec, s.ownership(rec)) != nil {
		return
	}
	// A stop request sent to the server that handed the unit over
	// (rebalance.go) is this server's to apply.
	s.applyPendingStop(rec.ID)
}

func newUnitID() (string, error) {
	var b [8]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", errors.New("cannot generate a job id: " + err.Error())
	}
	return hex.EncodeToString(b[:]), nil
}
