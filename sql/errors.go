package sql

import (
	"strconv"
	"unicode/utf8"
)

// ErrorKind classifies a compile error. Kinds are comparable values that
// tests and the engine compare.
type ErrorKind uint8

const (
	ErrSyntax          ErrorKind = iota + 1 // the text does not parse
	ErrUnknownTable                         // no table or view of that name
	ErrUnknownColumn                        // no column of that name in scope
	ErrAmbiguousColumn                      // the name matches columns of several tables
	ErrUnknownFunction                      // no function of that name
	ErrType                                 // operand or value types do not fit
	ErrUnsupported                          // valid SQL that streamsql does not run
	ErrNotGrouped                           // a column outside GROUP BY and aggregates
	ErrWindow                               // a bad group window or window property
	ErrDuplicate                            // a table, view or column defined twice
	ErrInvalid                              // a well-formed statement that makes no sense (bad DDL option, wrong column count)
)

var kindNames = [...]string{"", "syntax", "unknown-table", "unknown-column", "ambiguous-column",
	"unknown-function", "type", "unsupported", "not-grouped", "window", "duplicate", "invalid"}

func (k ErrorKind) String() string {
	if int(k) < len(kindNames) {
		return kindNames[k]
	}
	return "kind(" + strconv.Itoa(int(k)) + ")"
}

// Error is a compile error located in the original script: Stmt is the
// 1-based statement number, Line and Col the 1-based position (columns count
// characters). Hint says what to do about it, when there is something to say.
type Error struct {
	Kind            ErrorKind
	Msg             string
	Stmt, Line, Col int
	Hint            string
}

func (e *Error) Error() string {
	s := "statement " + strconv.Itoa(e.Stmt) + ", line " + strconv.Itoa(e.Line) + ", column " + strconv.Itoa(e.Col) + ": " + e.Msg
	if e.Hint != "" {
		s += " (" + e.Hint + ")"
	}
	return s
}

// position maps a byte offset inside p.Text to a line and column of the script.
func (p Piece) position(off int) (line, col int) {
	if off > len(p.Text) {
		off = len(p.Text)
	}
	if off < 0 {
		off = 0
	}
	line, col = p.Line, p.Col
	lineStart := 0
	for i := 0; i < off; i++ {
		if p.Text[i] == '\n' {
			line++
			lineStart = i + 1
		}
	}
	n := utf8.RuneCountInString(p.Text[lineStart:off])
	if lineStart == 0 {
		return line, col + n
	}
	return line, n + 1
}

// errAt builds an Error at a byte offset of the statement text.
func (p Piece) errAt(kind ErrorKind, off int, msg, hint string) *Error {
	l, c := p.position(off)
	return &Error{Kind: kind, Msg: msg, Stmt: p.Index, Line: l, Col: c, Hint: hint}
}
