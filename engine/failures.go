package engine

import (
	"fmt"
	"strings"
)

// Failures is the error of a script in which several things failed: the
// jobs that failed (each error names its job) and the statement that
// stopped the script, if one did. RunScript and WaitAll return it when
// there is more than one failure, so that none is hidden behind the
// first; callers print each (the CLI prints one "ERROR:" line per
// failure). Failures has at least two errors.
type Failures []error

// Error lists the failures, one per line.
func (f Failures) Error() string {
	msgs := make([]string, len(f))
	for i, err := range f {
		msgs[i] = err.Error()
	}
	return strings.Join(msgs, "\n")
}

// Unwrap returns the failures, for errors.Is and errors.As.
func (f Failures) Unwrap() []error { return f }

// jobFailures returns the error of every job that has failed so far, in
// the order the jobs started, each naming its job.
func (e *Engine) jobFailures() []error {
	var out []error
	for _, j := range e.jobs.list() {
		if _, err := j.Status(); err != nil {
			out = append(out, fmt.Errorf("job %s (%s) failed: %w", j.ID, j.Name, err))
		}
	}
	return out
}

// joinFailures returns nil for no error, the error itself for one, and
// Failures for more.
func joinFailures(errs []error) error {
	switch len(errs) {
	case 0:
		return nil
	case 1:
		return errs[0]
	}
	return Failures(errs)
}
