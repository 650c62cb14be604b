package jdbc

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// retrier runs an operation on the database until it succeeds, fails with
// an error a retry cannot fix (permanentError, or not retryable), or failed
// 1 + retries times, waiting backoffBase, twice that, ... up to backoffMax
// between attempts. The sink's writer and the lookup reader each own one.
type retrier struct {
	ctx     context.Context
	stop    <-chan struct{} // closed when the owner closes (nil: never)
	retries int
	option  string // the option that sets retries, named when giving up
	addr    string // the database's address, named when giving up
	errorf  func(cause error, format string, args ...any) error
	warn    func(format string, args ...any)
}

func (r retrier) run(what string, fn func(ctx context.Context) error) error {
	delay := backoffBase
	attempts := r.retries + 1
	for attempt := 1; ; attempt++ {
		err := fn(r.ctx)
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
		if attempt >= attempts {
			return r.errorf(err, "%s: gave up after %d attempts on the database at %s ('%s' = %d): %v",
				what, attempt, r.addr, r.option, r.retries, err)
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
