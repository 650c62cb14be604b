package jdbc

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"
)

// retrier runs an operation on the database until it succeeds, fails with
// an error a retry cannot fix (permanentError, or not retryable), or failed
// 1 + retries times, waiting backoffBase, twice that, ... up to backoffMax
// between attempts. With a budget, it also stops retrying once budget has
// passed since the first failure. The sink's writer and the lookup reader
// each own one.
type retrier struct {
	ctx     context.Context
	stop    <-chan struct{} // closed when the owner closes (nil: never)
	retries int
	option  string        // the option that sets retries, named when giving up
	budget  time.Duration // 'connection.max-retry-timeout'; 0: none
	addr    string        // the database's address, named when giving up
	errorf  func(cause error, format string, args ...any) error
	warn    func(format string, args ...any)
	watch   *waitWatch // warns when an attempt waits long (nil: never)
}

func (r retrier) run(what string, fn func(ctx context.Context) error) error {
	delay := backoffBase
	attempts := r.retries + 1
	var firstFailure time.Time
	for attempt := 1; ; attempt++ {
		r.watch.begin(what)
		err := fn(r.ctx)
		r.watch.end()
		if err == nil {
			return nil
		}
		var pe permanentError
		if errors.As(err, &pe) {
			return pe.err
		}
		if !retryable(err) {
			return r.errorf(err, "%s: %v", what, err)
		}
		if firstFailure.IsZero() {
			firstFailure = time.Now()
		}
		if attempt >= attempts {
			return r.errorf(err, "%s: gave up after %d attempts on the database at %s ('%s' = %d): %v",
				what, attempt, r.addr, r.option, r.retries, err)
		}
		if r.budget > 0 && time.Since(firstFailure)+delay > r.budget {
			return r.errorf(err, "%s: gave up after %d attempts in %v on the database at %s ('%s' = %v): %v",
				what, attempt, time.Since(firstFailure).Round(time.Millisecond), r.addr, optMaxRetryTimeout, r.budget, err)
		}
		r.warn("%s: attempt %d of %d failed, retrying in %v: %v", what, attempt, attempts, delay, err)
		t := time.NewTimer(delay)
		select {
		case <-t.C:
		case <-r.ctx.Done():
			t.Stop()
			return r.errorf(r.ctx.Err(), "%s: cancelled while retrying after: %v", what, err)
		case <-r.stop:
			t.Stop()
			return r.errorf(err, "%s: the writer was closed while retrying after: %v", what, err)
		}
		delay = min(delay*2, backoffMax)
	}
}

// waitWatch warns when an operation on the database goes without progress
// for longer than after ('sink.write-wait-warning'): a hanging connection
// (no reset, no data) then shows up within seconds instead of at the
// driver's read timeout. The retrier calls begin and end around each
// attempt; the operation calls progress after each statement that
// returned, which restarts the wait and, after a warning, reports how long
// the wait was. A nil *waitWatch does nothing. Its methods may be called
// from one goroutine at a time; the warning itself comes from a timer's.
type waitWatch struct {
	after time.Duration
	addr  string
	warn  func(format string, args ...any)

	mu     sync.Mutex
	what   string
	since  time.Time // start of the current wait
	timer  *time.Timer
	warned bool
}

func newWaitWatch(after time.Duration, addr string, warn func(format string, args ...any)) *waitWatch {
	if after <= 0 {
		return nil
	}
	return &waitWatch{after: after, addr: addr, warn: warn}
}

func (w *waitWatch) begin(what string) {
	if w == nil {
		return
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	w.what, w.since, w.warned = what, time.Now(), false
	if w.timer == nil {
		w.timer = time.AfterFunc(w.after, w.fire)
	} else {
		w.timer.Reset(w.after)
	}
}

func (w *waitWatch) fire() {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.what == "" || w.warned {
		return
	}
	w.warned = true
	w.warn("%s: waiting %v for the database at %s to answer (it may be slow or locked, or the connection hangs); see '%s'",
		w.what, time.Since(w.since).Round(time.Second), w.addr, optWaitWarning)
}

// progress records that a statement returned.
func (w *waitWatch) progress() {
	if w == nil {
		return
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	w.settle()
	w.since = time.Now()
	if w.timer != nil {
		w.timer.Reset(w.after)
	}
}

func (w *waitWatch) end() {
	if w == nil {
		return
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	w.settle()
	w.what = ""
	if w.timer != nil {
		w.timer.Stop()
	}
}

// settle reports the end of a wait that was warned about (mu held).
func (w *waitWatch) settle() {
	if w.warned {
		w.warn("%s: the database at %s answered after %v", w.what, w.addr, time.Since(w.since).Round(time.Millisecond))
		w.warned = false
	}
}

// tableErrorf makes an error about table whose message holds no
// credentials of cfg (driver errors are described, see describe); cause
// stays reachable for context errors.
func tableErrorf(cfg *config, table string, cause error, format string, args ...any) error {
	for i, a := range args {
		if e, ok := a.(error); ok {
			args[i] = describe(e)
		}
	}
	return &safeError{msg: cfg.clean(fmt.Sprintf("table %s: ", table) + fmt.Sprintf(format, args...)), cause: cause}
}
