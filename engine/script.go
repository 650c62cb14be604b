package engine

import (
	"context"
	"fmt"
	"io"

	"github.com/streamsql/streamsql/sql"
	"github.com/streamsql/streamsql/types"
)

// RunScript executes the statements of script in order, printing results
// to out. A SELECT over bounded inputs prints its final rows as a table;
// over an unbounded input it prints changelog rows as they arrive until
// ctx is cancelled. INSERT jobs run in the background; RunScript waits for
// all of them before returning (they end when their sources end, or when
// ctx is cancelled). The first statement error stops the script (and the
// running jobs). It returns every failure: each job that failed (naming
// the job, in start order) and then the statement error, as one error or
// as Failures when there are several; jobs stopped by ctx did not fail.
// On return, every job that ended and skipped bad rows gets a line per
// table on the engine's Logger (see reportSkippedRows).
func (e *Engine) RunScript(ctx context.Context, script string, out io.Writer) error {
	defer e.reportSkippedRows()
	for _, p := range sql.Split(script) {
		if ctx.Err() != nil {
			break
		}
		st, err := e.Prepare(p)
		if err != nil {
			e.StopAll()
			return joinFailures(append(e.jobFailures(), err))
		}
		quit, err := e.RunStatement(ctx, st, out)
		if err != nil {
			e.StopAll()
			return joinFailures(append(e.jobFailures(), atStatement(p, err)))
		}
		if quit {
			break
		}
	}
	done := make(chan error, 1)
	go func() { done <- e.WaitAll(context.Background()) }()
	select {
	case err := <-done:
		return err
	case <-ctx.Done():
		e.StopAll()
		return <-done
	}
}

// RunStatement executes one compiled statement and prints what it
// produced. It reports whether the statement asked to quit.
func (e *Engine) RunStatement(ctx context.Context, st sql.Stmt, out io.Writer) (bool, error) {
	if q, ok := st.(*sql.Query); ok {
		return false, e.printQuery(ctx, q, out)
	}
	res, err := e.Execute(ctx, st, ExecOptions{})
	if err != nil {
		return false, err
	}
	WriteResult(out, res)
	return res.Quit, nil
}

// WriteResult prints a statement result.
func WriteResult(out io.Writer, res *Result) {
	switch {
	case res.Schema != nil:
		WriteTable(out, res.Schema, res.Rows)
	case res.Text != "":
		fmt.Fprint(out, res.Text)
	case res.Message != "":
		fmt.Fprintln(out, res.Message)
	}
}

func (e *Engine) printQuery(ctx context.Context, q *sql.Query, out io.Writer) error {
	bounded, err := e.IsBounded(q)
	if err != nil {
		return err
	}
	var job *Job
	watch := func(j *Job) { job = j }
	defer func() {
		if job != nil {
			e.reportJobSkips(job)
		}
	}()
	if bounded {
		schema, rows, err := e.RunQueryWatch(ctx, q, nil, watch)
		if err != nil {
			return err
		}
		WriteTable(out, schema, rows)
		return nil
	}
	var p *ChangelogPrinter
	n := 0
	schema := q.Schema()
	p = NewChangelogPrinter(out, schema)
	qctx, cancel := context.WithCancel(ctx)
	defer cancel()
	_, _, err = e.RunQueryWatch(qctx, q, func(op types.Op, row []types.Value) error {
		if l := q.StreamLimit(); l >= 0 && int64(n) >= l {
			cancel()
			return nil
		}
		p.Row(op, row)
		n++
		return nil
	}, watch)
	p.Close(n)
	return err
}
