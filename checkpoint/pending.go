package checkpoint

import (
	"fmt"
	"slices"
	"strings"
	"time"
)

// pending is a checkpoint or savepoint in flight.
type pending struct {
	id        int64
	savepoint bool
	stop      bool // a stop savepoint
	triggered time.Time
	deadline  time.Time
	acks      []*TaskState // by task index
	nacks     int
	ackedAt   time.Time // when the last ack arrived
	persist   bool      // Persist emitted, waiting for Stored
}

func (p *pending) fullyAcked() bool { return p.nacks == len(p.acks) }

func (c *Coordinator) find(id int64) *pending {
	for _, p := range c.pending {
		if p.id == id {
			return p
		}
	}
	return nil
}

func (c *Coordinator) remove(p *pending) {
	c.pending = slices.DeleteFunc(c.pending, func(q *pending) bool { return q == p })
}

// expire aborts the checkpoints not fully acknowledged by their deadline.
func (c *Coordinator) expire(now time.Time, out []Action) []Action {
	for i := 0; i < len(c.pending) && !c.stopped; {
		p := c.pending[i]
		if p.fullyAcked() || now.Before(p.deadline) {
			i++
			continue
		}
		out = c.abort(p, fmt.Errorf("%w: not acknowledged within %v by %s", ErrExpired, c.cfg.Timeout, c.missing(p)), true, out)
	}
	return out
}

// missing names the tasks that have not acknowledged p (at most five).
func (c *Coordinator) missing(p *pending) string {
	var names []string
	n := 0
	for i, a := range p.acks {
		if a == nil {
			if n < 5 {
				names = append(names, c.tasks[i].String())
			}
			n++
		}
	}
	s := strings.Join(names, ", ")
	if n > len(names) {
		s += fmt.Sprintf(" and %d more", n-len(names))
	}
	return s
}

// abort removes p and emits Abort; a counted failure of a checkpoint may
// exceed the tolerance, which stops everything and emits Fail.
func (c *Coordinator) abort(p *pending, reason error, counted bool, out []Action) []Action {
	c.remove(p)
	if p.stop {
		c.stopSavepoint = false
	}
	var acked []TaskState
	for _, a := range p.acks {
		if a != nil {
			acked = append(acked, *a)
		}
	}
	out = append(out, Abort{ID: p.id, Savepoint: p.savepoint, Triggered: p.triggered, Reason: reason, Acked: acked})
	if !counted || p.savepoint {
		return out
	}
	c.failures++
	if c.cfg.TolerableFailures < 0 || c.failures <= c.cfg.TolerableFailures {
		return out
	}
	for len(c.pending) > 0 {
		out = c.abort(c.pending[0], fmt.Errorf("%w: the job is failing", ErrStopped), false, out)
	}
	c.stopped = true
	return append(out, Fail{Err: fmt.Errorf("%w: %d in a row, execution.checkpointing.tolerable-failed-checkpoints is %d; the last, checkpoint %d: %w",
		ErrTooManyFailures, c.failures, c.cfg.TolerableFailures, p.id, reason)})
}

// advance emits Persist for the oldest fully acknowledged checkpoint when
// no Persist is outstanding; a checkpoint newer than a stop savepoint in
// flight waits for it.
func (c *Coordinator) advance(out []Action) []Action {
	if c.stopped {
		return out
	}
	for _, p := range c.pending {
		if p.persist {
			return out
		}
	}
	stopAhead := false
	for _, p := range c.pending {
		if p.fullyAcked() && (p.savepoint || !stopAhead) {
			p.persist = true
			return append(out, Persist{Metadata: c.metadata(p)})
		}
		stopAhead = stopAhead || p.stop
	}
	return out
}

// metadata builds the checkpoint's Metadata from its acks: operators by
// id, instances in order; Size and IncrementalSize summed over the keyed
// state handles and channel state files.
func (c *Coordinator) metadata(p *pending) *Metadata {
	md := &Metadata{
		JobID:          c.cfg.JobID,
		JobName:        c.cfg.JobName,
		CheckpointID:   p.id,
		Savepoint:      p.savepoint,
		TriggeredAt:    p.triggered.UnixMilli(),
		CompletedAt:    p.ackedAt.UnixMilli(),
		MaxParallelism: c.cfg.MaxParallelism,
		Stage:          c.cfg.Stage,
	}
	for i, a := range p.acks {
		t := c.tasks[i]
		if n := len(md.Operators); n == 0 || md.Operators[n-1].ID != t.OperatorID {
			md.Operators = append(md.Operators, OperatorState{
				ID:          t.OperatorID,
				Name:        c.cfg.OperatorNames[t.OperatorID],
				Parallelism: c.parallelism[t.OperatorID],
			})
		}
		op := &md.Operators[len(md.Operators)-1]
		st := *a
		st.OperatorID, st.Instance = t.OperatorID, t.Instance
		op.Tasks = append(op.Tasks, st)
		// In-flight rows are written anew by every checkpoint, and so are
		// a sink's files (carried-over committables of an aborted one are
		// rare).
		md.Size += st.StateSize() + st.CommittableBytes
		if st.Keyed != nil {
			md.IncrementalSize += st.Keyed.IncrementalSize
		}
		for _, ch := range st.Channels {
			md.IncrementalSize += ch.Size
		}
		md.IncrementalSize += st.CommittableBytes
	}
	return md
}
