package server

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"sort"
	"time"

	"github.com/streamsql/streamsql/api"
	"github.com/streamsql/streamsql/engine"
)

// Rebalancing: the units of jobs cut into stages (stages.go) also move
// when a server joins, not only when one leaves. At every heartbeat the
// servers that share a checkpoint storage compare how many running units
// each owns; when the one with the fewest (ties: the smallest id) owns at
// least two fewer than the one with the most (ties: the largest id), the
// one with the fewest asks for one of its units (the smallest id) with a
// move/<job> command. The owner stops the unit with a last checkpoint and
// hands it over: it appends the unit's record with the asking server as
// owner, the epoch raised by one, and itself as From, so that every server
// accepts the record (the previous owner handing a job over needs no
// judged announcement, unlike a takeover claim). The new owner restores
// that checkpoint as after a takeover (checkpoint ids above the previous
// range, sinks fenced). Whole jobs never move this way: a unit is made to
// move, a whole job would stop for as long as its restore takes.

// moveCommand is the value of a move/<id> command: a request that the
// unit's owner hand it over.
type moveCommand struct {
	Request string `json:"request"` // unique per request
	From    string `json:"from"`    // the owner asked
	To      string `json:"to"`      // the server asking
	Epoch   int64  `json:"epoch"`   // the unit's epoch when asked
}

// rebalance asks, at a heartbeat, for a unit of the most loaded server
// when this server is the least loaded and two or more units behind (see
// above). up counts the running jobs of each server that is up.
func (s *Server) rebalance(view api.ClusterView, sameStorage map[string]bool) {
	c := s.cluster
	type load struct {
		id    string
		units []api.ClusterJob
	}
	var loads []load
	for _, cs := range view.Servers {
		if cs.State != "up" || !sameStorage[cs.ID] && cs.ID != c.id {
			continue
		}
		l := load{id: cs.ID}
		for _, j := range cs.Jobs {
			if j.Stage != nil && j.Status == string(engine.JobRunning) {
				l.units = append(l.units, j)
			}
		}
		loads = append(loads, l)
	}
	if len(loads) < 2 {
		return
	}
	sort.Slice(loads, func(a, b int) bool {
		if len(loads[a].units) != len(loads[b].units) {
			return len(loads[a].units) < len(loads[b].units)
		}
		return loads[a].id < loads[b].id
	})
	least, most := loads[0], loads[len(loads)-1]
	if least.id != c.id || len(most.units) < len(least.units)+2 {
		return
	}
	c.mu.Lock()
	pending := time.Since(c.moveAsked) < 3*c.heartbeat
	c.mu.Unlock()
	if pending {
		return // one unit at a time
	}
	sort.Slice(most.units, func(a, b int) bool { return most.units[a].ID < most.units[b].ID })
	u := most.units[0]
	var rnd [8]byte
	rand.Read(rnd[:])
	mc := moveCommand{Request: hex.EncodeToString(rnd[:]), From: most.id, To: c.id, Epoch: max(u.Epoch, 1)}
	value, _ := json.Marshal(mc)
	c.mu.Lock()
	c.moveAsked = time.Now()
	c.mu.Unlock()
	s.cfg.Logger.Info("asking for a unit of a more loaded server", "job", u.ID, "owner", most.id, "units here", len(least.units), "units there", len(most.units))
	s.appendDetached("move/"+u.ID, value)
}

// applyMove applies a move request of the log (in Follow's goroutine):
// the owner named hands the unit over, once.
func (s *Server) applyMove(key, id string, mc moveCommand) {
	c := s.cluster
	if mc.From != c.id || !s.ownsNow(id) {
		return
	}
	rec, ok := s.reg.get(id)
	if !ok || rec.Unit == nil || rec.Status != string(engine.JobRunning) || max(rec.Epoch, 1) != mc.Epoch {
		return // not this server's running unit at that epoch: a replayed or stale request
	}
	c.mu.Lock()
	if !c.resumed || c.takingOver[id] {
		c.mu.Unlock()
		return
	}
	c.takingOver[id] = true
	c.mu.Unlock()
	s.goUnlessClosing(func() {
		defer func() {
			c.mu.Lock()
			delete(c.takingOver, id)
			c.mu.Unlock()
		}()
		s.handOver(key, rec, mc.To)
	})
}

// handOver stops unit rec with a last checkpoint and appends its record
// naming to as its owner. When the stop fails the unit goes on here.
func (s *Server) handOver(key string, rec JobRecord, to string) {
	c := s.cluster
	l := s.liveJob(rec.ID)
	if l == nil || l.job.Ended() {
		return
	}
	s.mu.Lock()
	if l.stopping {
		s.mu.Unlock()
		return // a stop request is stopping it: it stays here, stopped
	}
	l.movedAway = true // its end is not the unit's end: track records nothing
	l.moving = true
	s.mu.Unlock()
	err := l.job.StopWithCheckpoint(30 * time.Second)
	<-l.job.Done()
	s.mu.Lock()
	stopped := l.stopping
	l.handedOver = !stopped && err == nil
	s.mu.Unlock()
	if stopped {
		// A stop request came while the unit took its last checkpoint:
		// the stop wins, and stopLocal records the unit's end here.
		s.cfg.Logger.Info("the unit was stopped while being handed over: it stays stopped here", "job", rec.ID, "to", to)
		s.appendDetached(key, nil)
		return
	}
	if err != nil {
		s.cfg.Logger.Warn("cannot hand the unit over: its last checkpoint failed; it goes on here", "job", rec.ID, "to", to, "error", err.Error())
		s.resumeOrFail(rec, s.ownership(rec))
		return
	}
	next := rec
	if cur, ok := s.reg.get(rec.ID); ok {
		next = cur // IDBase and RestoredID as the job left them
	}
	next.Statements = rec.Statements
	next.Epoch = max(rec.Epoch, 1) + 1
	next.Status, next.Error, next.Ended = string(engine.JobRunning), "", nil
	next.Jumped = false
	masked := maskedRecord(next)
	value, _ := json.Marshal(jobCommand{Owner: to, Job: masked, Run: next.Statements, Placed: true, From: c.id})
	ctx, cancel := context.WithTimeout(context.Background(), appendTimeout)
	defer cancel()
	off, err := c.log.Append(ctx, "job/"+rec.ID, value)
	if err == nil {
		err = c.log.WaitApplied(ctx, off)
	}
	if err != nil {
		// Not handed over: this server still owns it and runs it again
		// from the checkpoint it just took.
		s.cfg.Logger.Error("cannot hand the unit over: the command log did not take it; it goes on here", "job", rec.ID, "to", to, "error", err.Error())
		s.resumeOrFail(rec, s.ownership(rec))
		return
	}
	s.cfg.Logger.Info("unit handed over to a less loaded server", "job", rec.ID, "to", to, "epoch", next.Epoch)
	s.appendDetached(key, nil)
}
