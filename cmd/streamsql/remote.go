package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"slices"

	"github.com/streamsql/streamsql/api"
	"github.com/streamsql/streamsql/catalog"
	"github.com/streamsql/streamsql/client"
	"github.com/streamsql/streamsql/engine"
	"github.com/streamsql/streamsql/sql"
	"github.com/streamsql/streamsql/types"
)

// runRemote runs a script's statements one by one in a session of the
// server at url (--server): DDL and SET in the server-side session,
// INSERT jobs submitted and left running there, SELECT results printed
// as they arrive; SHOW JOBS, STOP JOB and TRIGGER SAVEPOINT act on the
// server's jobs (with a cluster, every server's: SHOW JOBS shows each
// job's owner); SHOW CLUSTER lists the servers of the server's cluster. It stops at the first failing statement (exit code 1).
func runRemote(ctx context.Context, url, token, script string, stdout, stderr io.Writer) int {
	c := client.New(url, token)
	sess, err := c.OpenSession(ctx)
	if err != nil {
		fmt.Fprintf(stderr, "streamsql: %v\n", err)
		return 1
	}
	defer sess.Close(context.Background())
	for _, p := range sql.Split(script) {
		if err := runRemoteStatement(ctx, c, sess, p, stdout); err != nil {
			if ctx.Err() != nil {
				return 0 // Ctrl-C / SIGTERM ended a streamed SELECT
			}
			var ce *client.Error
			if errors.As(err, &ce) {
				fmt.Fprintf(stderr, "ERROR: statement %d, line %d: %v\n", p.Index, p.Line, err)
			} else {
				fmt.Fprintf(stderr, "ERROR: %v\n", err)
			}
			return 1
		}
	}
	return 0
}

// remoteShell is the interactive shell's Remote (--server on a
// terminal): every statement runs in one session of the server, as in
// runRemote, and an error is printed without ending the shell.
type remoteShell struct {
	c    *client.Client
	sess *client.Session
}

func (r *remoteShell) Run(ctx context.Context, p sql.Piece, out io.Writer) error {
	return runRemoteStatement(ctx, r.c, r.sess, p, out)
}

// openRemoteShell opens a session on the server at url for the
// interactive shell; close ends it.
func openRemoteShell(ctx context.Context, url, token string) (r *remoteShell, close func(), err error) {
	c := client.New(url, token)
	sess, err := c.OpenSession(ctx)
	if err != nil {
		return nil, nil, err
	}
	return &remoteShell{c: c, sess: sess}, func() { sess.Close(context.Background()) }, nil
}

func runRemoteStatement(ctx context.Context, c *client.Client, sess *client.Session, p sql.Piece, out io.Writer) error {
	// Statements about the server's jobs go to its job endpoints; the
	// rest is compiled by the server.
	switch st := compileLocal(p).(type) {
	case *sql.ShowJobs:
		jobs, err := c.Jobs(ctx)
		if err != nil {
			return err
		}
		self := ""
		if slices.ContainsFunc(jobs, func(j api.JobSummary) bool { return j.Owner != "" }) {
			// Which server answers: only its own jobs have live figures.
			if v, err := c.Cluster(ctx); err == nil {
				self = v.Server
			}
		}
		cols, rows := remoteJobRows(jobs, self)
		writeStrings(out, cols, rows)
		return nil
	case *sql.StopJob:
		path, err := c.StopJob(ctx, st.JobID, st.Savepoint, st.Drain)
		if err != nil {
			return err
		}
		if path != "" {
			fmt.Fprintf(out, "Job %s stopped with savepoint %s\n", st.JobID, path)
		} else {
			fmt.Fprintf(out, "Job %s stopped.\n", st.JobID)
		}
		return nil
	case *sql.TriggerSavepoint:
		path, err := c.TriggerSavepoint(ctx, st.JobID)
		if err != nil {
			return err
		}
		fmt.Fprintf(out, "Savepoint of job %s: %s\n", st.JobID, path)
		return nil
	}
	printer := &remoteStream{w: out}
	res, err := sess.Run(ctx, p.Text, printer)
	if printer.p != nil {
		printer.p.Close(printer.n)
	}
	if err != nil {
		return err
	}
	switch {
	case res.Columns != nil:
		writeStrings(out, res.Columns, res.Rows)
	case res.Text != "":
		fmt.Fprint(out, res.Text)
		if res.Text[len(res.Text)-1] != '\n' {
			fmt.Fprintln(out)
		}
	case res.Message != "":
		fmt.Fprintln(out, res.Message)
	}
	return nil
}

// remoteJobRows is SHOW JOBS (and SHOW FULL JOBS) of a server: every job
// it lists, with the server that owns it (column "owner") when the server
// is one of a cluster, which lists the other servers' jobs too. Only the
// owner has a job's live figures (rows, last checkpoint, restarts): for a
// job of another server than self (the server answering, when known) they
// show as "-".
func remoteJobRows(jobs []api.JobSummary, self string) (cols []string, rows [][]string) {
	clustered := slices.ContainsFunc(jobs, func(j api.JobSummary) bool { return j.Owner != "" })
	cols = []string{"job id", "job name", "status", "rows in", "rows out", "last checkpoint", "restarts", "resumes", "error"}
	if clustered {
		cols = slices.Insert(cols, 3, "owner")
	}
	for _, j := range jobs {
		row := []string{j.ID, j.Name, j.Status, fmt.Sprint(j.RowsIn), fmt.Sprint(j.RowsOut),
			fmt.Sprint(j.LastCheckpoint), fmt.Sprint(j.Restarts), fmt.Sprint(j.Resumes), j.Error}
		if self != "" && j.Owner != "" && j.Owner != self {
			row[3], row[4], row[5], row[6] = "-", "-", "-", "-"
		}
		if clustered {
			row = slices.Insert(row, 3, j.Owner)
		}
		rows = append(rows, row)
	}
	return cols, rows
}

// compileLocal compiles a statement against an empty catalog, only to
// recognize the statements about jobs (nil when it does not compile).
func compileLocal(p sql.Piece) sql.Stmt {
	st, err := sql.Compile(p, catalog.New())
	if err != nil {
		return nil
	}
	return st
}

// writeStrings prints rows of rendered values as the embedded shell's
// box table.
func writeStrings(w io.Writer, cols []string, rows [][]string) {
	schema, vals := stringRows(cols, rows)
	engine.WriteTable(w, schema, vals)
}

func stringRows(cols []string, rows [][]string) (types.Schema, [][]types.Value) {
	schema := make(types.Schema, len(cols))
	for i, c := range cols {
		schema[i] = types.Column{Name: c, Type: types.String}
	}
	vals := make([][]types.Value, len(rows))
	for i, r := range rows {
		vals[i] = make([]types.Value, len(r))
		for k, v := range r {
			vals[i][k] = types.StringValue(v)
		}
	}
	return schema, vals
}

// remoteStream prints a streamed SELECT as the embedded shell prints a
// changelog.
type remoteStream struct {
	w      io.Writer
	schema types.Schema
	p      *engine.ChangelogPrinter
	n      int
}

func (r *remoteStream) Columns(names []string) {
	r.schema, _ = stringRows(names, nil)
	r.p = engine.NewChangelogPrinter(r.w, r.schema)
}

func (r *remoteStream) Row(op string, row []string) {
	_, vals := stringRows(nil, [][]string{row})
	r.p.Row(parseOp(op), vals[0])
	r.n++
}

func parseOp(s string) types.Op {
	for op := types.Op(0); op < 4; op++ {
		if op.String() == s {
			return op
		}
	}
	return types.Op(0)
}
