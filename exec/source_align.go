package exec

import (
	"sync/atomic"
	"time"
)

// Alignment of the instances of one source vertex.
//
// The instances of a source read their splits independently. When one
// runs ahead of another (the Go scheduler or the operating system gave it
// more CPU for a while), the operators downstream take its rows at once
// but hold their watermark at the slower instance's: event-time state
// (open windows, join buffers) grows with the gap, and with it cache
// misses, allocations and garbage collection. A source task therefore
// waits, after a read round, while its watermark is more than alignSlack
// rounds of its own watermark progress ahead of a sibling that has a
// backlog (when a stateful operator reads the source: statefulDownstream).
// This is a throttle for performance only, never a condition of
// correctness:
//   - a sibling holds the others back only while it has a backlog: a read
//     of its last round filled its batch (more rows were waiting). A round
//     whose reads returned fewer rows than asked (the sibling keeps up
//     with its input), an idle split set or the end of its splits releases
//     the others, so a partition with little or no new data never stalls
//     the rest;
//   - a waiting task keeps handling checkpoint control (barriers are
//     emitted as without waiting) and stops waiting when the job ends or
//     the task is stopped;
//   - a wait lasts at most alignMaxWait, after which the task reads one
//     more round.
//
// Where a sibling has a backlog of older event time (catching up on a
// partition after downtime), the others read about one round per
// alignMaxWait until it caught up: as with Flink's watermark alignment,
// their rows wait rather than pile up in event-time state downstream.
//
// The slack trades memory for parallelism: with 2 rounds, instances
// that share a machine ran in near lockstep and waited for each other at
// every hiccup of the scheduler (Nexmark q8 and q0 at parallelism 2 on
// two cores 1.5-1.6 times parallelism 1); with 8 they reach 1.7-1.8 while
// a windowed query's peak RSS stays within a few MiB (32 rounds added
// 15-25 MiB to q5 and q7 for little more speed; BENCHMARKS.md).

// statefulDownstream reports whether a vertex that keeps state (StateDesc
// set: windows, joins, aggregates, sorts) reads the rows of source vertex
// src, directly or through others. Only then are src's instances aligned:
// rows of a stateless pipeline (filters, projections, lookups into
// sinks) leave it as they come, so an instance that runs ahead grows no
// state, and waiting for a sibling would only idle a core.
func statefulDownstream(g *JobGraph, src int) bool {
	reached := make([]bool, len(g.Vertices))
	reached[src] = true
	for vi := src + 1; vi < len(g.Vertices); vi++ { // topological order
		for _, e := range g.Vertices[vi].Inputs {
			if reached[e.From] {
				reached[vi] = true
				break
			}
		}
		if reached[vi] && g.Vertices[vi].StateDesc != "" {
			return true
		}
	}
	return false
}

const (
	alignSlack   = 8
	alignMaxWait = 50 * time.Millisecond
	// alignFree is published by a task that holds nobody back.
	alignFree = MaxWatermark
)

// sourceAlign is shared by the instances of one source vertex.
type sourceAlign struct {
	wm   []atomic.Int64  // by instance: its watermark, or alignFree
	wake []chan struct{} // by instance: signalled when a sibling published
}

// newSourceAlign returns the alignment of a source's parallelism
// instances. Until its first round an instance counts as the slowest
// (MinWatermark), so that a sibling that starts first does not run ahead
// of it; an instance without splits releases the others when it ends.
func newSourceAlign(parallelism int) *sourceAlign {
	a := &sourceAlign{wm: make([]atomic.Int64, parallelism), wake: make([]chan struct{}, parallelism)}
	for i := range a.wm {
		a.wm[i].Store(MinWatermark)
		a.wake[i] = make(chan struct{}, 1)
	}
	return a
}

// publish sets instance's watermark (alignFree: it holds nobody back) and
// wakes its siblings.
func (a *sourceAlign) publish(instance int, wm int64) {
	if a.wm[instance].Swap(wm) == wm {
		return
	}
	for i, ch := range a.wake {
		if i == instance {
			continue
		}
		select {
		case ch <- struct{}{}:
		default:
		}
	}
}

// slowest is the lowest watermark published by instance's siblings.
func (a *sourceAlign) slowest(instance int) int64 {
	m := alignFree
	for i := range a.wm {
		if i != instance {
			m = min(m, a.wm[i].Load())
		}
	}
	return m
}

// align publishes the task's state after a read round (backlog: whether
// a read of the round filled its batch; step: how far its watermark advanced, the last
// positive step setting the slack) and waits
// while it is too far ahead of its siblings (see above). It reports
// whether the task is done (its final barrier went out while waiting).
func (t *sourceTask) align(backlog bool, step int64) (bool, error) {
	a := t.aligner
	if a == nil {
		return false, nil
	}
	w := t.emitted
	if !backlog || w == MinWatermark || w == MaxWatermark || t.idleOut {
		a.publish(t.instance, alignFree)
		return false, nil
	}
	a.publish(t.instance, w)
	if step > 0 {
		t.alignStep = step
	}
	slack := alignSlack * t.alignStep
	if slack <= 0 {
		return false, nil
	}
	var timer *time.Timer
	for {
		ahead := t.job.ctx.Err() == nil && !t.stopping
		if slow := a.slowest(t.instance); !ahead || slow == alignFree || w-slack <= slow {
			if timer != nil {
				timer.Stop()
			}
			return false, nil
		}
		if timer == nil {
			timer = time.NewTimer(alignMaxWait)
		}
		select {
		case <-a.wake[t.instance]:
		case <-t.job.ctx.Done():
		case <-timer.C:
			return false, nil
		case c := <-t.ctrl: // nil without checkpointing: never ready
			done, err := t.handleControl(c)
			if err != nil || done {
				timer.Stop()
				return done, err
			}
		}
	}
}

// alignRelease tells the siblings that this task holds them back no more.
func (t *sourceTask) alignRelease() {
	if t.aligner != nil {
		t.aligner.publish(t.instance, alignFree)
	}
}
