package engine

import "github.com/streamsql/streamsql/sql"

// StatementError is the error of a script statement that compiled but
// failed when it ran (a compile error is a *sql.Error, which carries its
// own position). It prints as the underlying error alone, so that output
// is unchanged where the position means nothing; a caller that knows the
// script's file name (streamsql -f) uses Line and Col to say where.
type StatementError struct {
	// Stmt is the 1-based statement number; Line and Col the 1-based
	// position of the statement's first character in the script.
	Stmt, Line, Col int
	Err             error
}

func (e *StatementError) Error() string { return e.Err.Error() }
func (e *StatementError) Unwrap() error { return e.Err }

// atStatement wraps err (not nil) with the position of statement p.
func atStatement(p sql.Piece, err error) error {
	return &StatementError{Stmt: p.Index, Line: p.Line, Col: p.Col, Err: err}
}
