package engine

import (
	"fmt"
	"math"
	"strconv"
	"time"
)

// restartStrategy decides whether and when a failed job restarts
// (Flink's restart-strategy option and its sub-options).
type restartStrategy interface {
	// next is called at a failure; it returns the pause before the
	// restart, or ok=false when the job must fail.
	next(now time.Time) (delay time.Duration, ok bool)
	describe() string
}

func newRestartStrategy(c *Config) restartStrategy {
	dur := func(k string) time.Duration {
		d, _ := ParseDuration(c.Get(k))
		return d
	}
	switch c.Get("restart-strategy") {
	case "fixed-delay":
		return &fixedDelay{attempts: c.Int("restart-strategy.fixed-delay.attempts"), delay: dur("restart-strategy.fixed-delay.delay")}
	case "failure-rate":
		return &failureRate{max: c.Int("restart-strategy.failure-rate.max-failures-per-interval"),
			interval: dur("restart-strategy.failure-rate.failure-rate-interval"), delay: dur("restart-strategy.failure-rate.delay")}
	case "exponential-delay":
		m, err := strconv.ParseFloat(c.Get("restart-strategy.exponential-delay.backoff-multiplier"), 64)
		if err != nil || m < 1 {
			m = 2
		}
		return &exponentialDelay{initial: dur("restart-strategy.exponential-delay.initial-backoff"),
			max: dur("restart-strategy.exponential-delay.max-backoff"), mult: m}
	}
	return noRestart{}
}

type noRestart struct{}

func (noRestart) next(time.Time) (time.Duration, bool) { return 0, false }
func (noRestart) describe() string                     { return "none" }

// fixedDelay restarts up to attempts times, pausing delay each time.
type fixedDelay struct {
	attempts int
	delay    time.Duration
	used     int
}

func (f *fixedDelay) next(time.Time) (time.Duration, bool) {
	if f.used >= f.attempts {
		return 0, false
	}
	f.used++
	return f.delay, true
}

func (f *fixedDelay) describe() string {
	return fmt.Sprintf("fixed-delay (%d attempts, %s)", f.attempts, f.delay)
}

// failureRate restarts unless more than max failures fell within interval.
type failureRate struct {
	max      int
	interval time.Duration
	delay    time.Duration
	failures []time.Time
}

func (f *failureRate) next(now time.Time) (time.Duration, bool) {
	keep := f.failures[:0]
	for _, t := range f.failures {
		if now.Sub(t) < f.interval {
			keep = append(keep, t)
		}
	}
	f.failures = append(keep, now)
	if len(f.failures) > f.max {
		return 0, false
	}
	return f.delay, true
}

func (f *failureRate) describe() string {
	return fmt.Sprintf("failure-rate (%d per %s, %s)", f.max, f.interval, f.delay)
}

// exponentialDelay restarts forever with a growing pause.
type exponentialDelay struct {
	initial, max time.Duration
	mult         float64
	n            int
}

func (e *exponentialDelay) next(time.Time) (time.Duration, bool) {
	d := float64(e.initial) * math.Pow(e.mult, float64(e.n))
	e.n++
	if d > float64(e.max) {
		d = float64(e.max)
	}
	return time.Duration(d), true
}

func (e *exponentialDelay) describe() string {
	return fmt.Sprintf("exponential-delay (%s .. %s, x%g)", e.initial, e.max, e.mult)
}
