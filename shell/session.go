package shell

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/streamsql/streamsql/catalog"
	"github.com/streamsql/streamsql/engine"
	"github.com/streamsql/streamsql/sql"
)

// Session buffers input lines until a statement is complete (a top-level
// ';') and runs it. It is used from one goroutine.
type Session struct {
	Engine *engine.Engine
	Out    io.Writer
	// Terminal enables the live views that redraw in place (the result
	// table of a changelog SELECT) and carets under the echoed input line.
	Terminal bool
	// PromptWidth is the width of the prompt before an echoed input line,
	// so that an error caret can point into the line the user just typed.
	PromptWidth int
	// RefreshEvery is how often a live result table is redrawn (default 200ms).
	RefreshEvery time.Duration
	// Remote, when set, runs every statement instead of Engine (the shell
	// of `streamsql --server URL`); Engine then serves completion only.
	Remote Remote
	buf    strings.Builder
}

// Remote runs statements elsewhere: on a streamsql server, in a session
// of its own. Run executes one statement and writes its result to out as
// it arrives (a SELECT's rows while they stream); cancelling ctx stops a
// streaming SELECT.
type Remote interface {
	Run(ctx context.Context, p sql.Piece, out io.Writer) error
}

// NewSession returns a session over e writing results to out.
func NewSession(e *engine.Engine, out io.Writer) *Session { return &Session{Engine: e, Out: out} }

// Pending reports whether a statement is partially typed (the prompt
// should show a continuation marker).
func (s *Session) Pending() bool { return strings.TrimSpace(s.buf.String()) != "" }

// Buffered returns the lines of the statement typed so far (each ending
// with a newline), for completion.
func (s *Session) Buffered() string { return s.buf.String() }

// Discard forgets a partially typed statement.
func (s *Session) Discard() { s.buf.Reset() }

// Feed adds one input line. Complete statements run in order; errors are
// printed to Out. It reports whether a QUIT/EXIT statement was run.
// Cancelling ctx stops a running SELECT (its rows so far stay printed)
// and skips the statements after it on the same input.
func (s *Session) Feed(ctx context.Context, line string) (quit bool) {
	s.buf.WriteString(line)
	s.buf.WriteByte('\n')
	text := s.buf.String()
	if !endsStatement(text) {
		return false
	}
	s.buf.Reset()
	for i, p := range sql.Split(text) {
		if ctx.Err() != nil {
			return false
		}
		if s.Remote != nil {
			if isQuit(p) {
				return true
			}
			if err := s.Remote.Run(ctx, p, s.Out); err != nil && ctx.Err() == nil {
				s.printError(text, err, i == 0)
			}
			continue
		}
		st, err := s.Engine.Prepare(p)
		if err != nil {
			s.printError(text, err, i == 0)
			continue
		}
		if q, ok := st.(*sql.Query); ok && s.Terminal {
			if err := s.runQuery(ctx, q); err != nil {
				s.printError(text, err, false)
			}
			continue
		}
		q, err := s.Engine.RunStatement(ctx, st, s.Out)
		if err != nil {
			s.printError(text, err, false)
			continue
		}
		if q {
			return true
		}
	}
	return false
}

// isQuit tells QUIT and EXIT, which leave a remote shell without asking
// the server.
func isQuit(p sql.Piece) bool {
	st, err := sql.Compile(p, catalog.New())
	if err != nil {
		return false
	}
	_, ok := st.(*sql.Quit)
	return ok
}

// printError prints err in one or two lines. A compile error gets a caret
// under its position: right under the echoed input when the error is on
// the line just typed (and nothing was printed since), else under a copy
// of the statement's line.
func (s *Session) printError(text string, err error, firstOutput bool) {
	var se *sql.Error
	if !errors.As(err, &se) || se.Line < 1 {
		fmt.Fprintf(s.Out, "ERROR: %v\n", err)
		return
	}
	msg := se.Msg
	if se.Hint != "" {
		msg += " (" + se.Hint + ")"
	}
	lines := strings.Split(strings.TrimSuffix(text, "\n"), "\n")
	if se.Line > len(lines) {
		fmt.Fprintf(s.Out, "ERROR: %v\n", err)
		return
	}
	src := lines[se.Line-1]
	pad := caretPad(src, se.Col)
	if s.Terminal && firstOutput && se.Line == len(lines) {
		fmt.Fprintf(s.Out, "%s%s^\n", strings.Repeat(" ", s.PromptWidth), pad)
		fmt.Fprintf(s.Out, "ERROR at line %d, column %d: %s\n", se.Line, se.Col, msg)
		return
	}
	fmt.Fprintf(s.Out, "ERROR at line %d, column %d: %s\n", se.Line, se.Col, msg)
	fmt.Fprintf(s.Out, "  %s\n  %s^\n", src, pad)
}

// caretPad returns the blanks that put a caret under 1-based character
// column col of src (tabs are kept so that the caret lines up).
func caretPad(src string, col int) string {
	var b strings.Builder
	n := 0
	for _, r := range src {
		if n >= col-1 {
			break
		}
		if r == '\t' {
			b.WriteByte('\t')
		} else {
			b.WriteByte(' ')
		}
		n++
	}
	for ; n < col-1; n++ {
		b.WriteByte(' ')
	}
	return b.String()
}

// endsStatement reports whether text ends (outside quotes and comments)
// with a ';' followed only by blanks.
func endsStatement(text string) bool {
	ps := sql.Split(text)
	if len(ps) == 0 {
		return false
	}
	t := strings.TrimSpace(text)
	return strings.HasSuffix(t, ";") && inCode(t) && !sql.InStatementSet(t)
}

// inCode reports whether the final ';' of t is outside a string literal
// (an odd number of unescaped quotes before it means we are inside one).
func inCode(t string) bool {
	var q byte
	for i := 0; i < len(t); i++ {
		c := t[i]
		switch {
		case q != 0:
			if c == q {
				q = 0
			}
		case c == '\'' || c == '"' || c == '`':
			q = c
		case c == '-' && i+1 < len(t) && t[i+1] == '-':
			for i < len(t) && t[i] != '\n' {
				i++
			}
			if i >= len(t) {
				return false
			}
		}
	}
	return q == 0
}

// RunPlain reads statements from r (no line editing) until EOF or QUIT.
// With prompt set, it prints a prompt before each line.
func RunPlain(ctx context.Context, s *Session, r io.Reader, prompt bool) error {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64*1024), 16*1024*1024)
	for {
		if prompt {
			if s.Pending() {
				fmt.Fprint(s.Out, "      > ")
			} else {
				fmt.Fprint(s.Out, "streamsql> ")
			}
		}
		if !sc.Scan() {
			break
		}
		if s.Feed(ctx, sc.Text()) {
			return nil
		}
		if ctx.Err() != nil {
			return nil
		}
	}
	if s.Pending() {
		s.Feed(ctx, ";")
	}
	return sc.Err()
}
