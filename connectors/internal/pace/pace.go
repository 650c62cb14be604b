// Package pace limits generator sources (datagen, nexmark) to a number of
// rows per second of wall-clock time, without blocking a source task for
// long: a reader asks how many rows it may produce now, and when none is
// due the pacer sleeps at most MaxWait (or until the context ends) and
// may answer zero, so the task gets back to barriers and other splits.
//
// A Pacer belongs to one split reader and is used from its goroutine.
package pace

import (
	"context"
	"math"
	"time"
)

// Pacer hands out rows at Rate per second, counted from the first call.
type Pacer struct {
	// Rate is rows per second; 0 or less means no limit.
	Rate float64
	// MaxWait bounds one sleep.
	MaxWait time.Duration
	// Now returns wall-clock milliseconds.
	Now func() int64

	// Waited is the total time Take slept.
	Waited time.Duration

	t0      int64
	started bool
	done    int64 // rows handed out since the first call
}

// due is the number of rows that may have been produced by now.
func (p *Pacer) due(now int64) int64 {
	if now < p.t0 {
		return 1
	}
	return int64(float64(now-p.t0)*p.Rate/1000) + 1
}

// Take returns how many of want rows the caller may produce now (it must
// produce exactly that many) and the clock reading it used. It returns 0
// rows when none became due within MaxWait, and ctx's error when ctx ends
// while it sleeps.
func (p *Pacer) Take(ctx context.Context, want int64) (int64, int64, error) {
	now := p.Now()
	if !p.started {
		p.started, p.t0 = true, now
	}
	if p.Rate <= 0 {
		p.done += want
		return want, now, nil
	}
	if p.done >= p.due(now) {
		next := p.t0 + int64(math.Ceil(float64(p.done)*1000/p.Rate))
		wait := min(max(time.Duration(next-now)*time.Millisecond, time.Millisecond), p.MaxWait)
		t := time.NewTimer(wait)
		slept := time.Now()
		select {
		case <-ctx.Done():
			t.Stop()
			p.Waited += time.Since(slept)
			return 0, now, ctx.Err()
		case <-t.C:
		}
		p.Waited += time.Since(slept)
		now = p.Now()
		if p.done >= p.due(now) {
			return 0, now, nil
		}
	}
	n := min(want, p.due(now)-p.done)
	p.done += n
	return n, now, nil
}
