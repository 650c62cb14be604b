package shell

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"sort"
	"strings"

	"github.com/streamsql/streamsql/engine"
	"github.com/streamsql/streamsql/sql"
)

// Session buffers input lines until a statement is complete (a top-level
// ';') and runs it. It is used from one goroutine.
type Session struct {
	Engine *engine.Engine
	Out    io.Writer
	buf    strings.Builder
}

// NewSession returns a session over e writing results to out.
func NewSession(e *engine.Engine, out io.Writer) *Session { return &Session{Engine: e, Out: out} }

// Pending reports whether a statement is partially typed (the prompt
// should show a continuation marker).
func (s *Session) Pending() bool { return strings.TrimSpace(s.buf.String()) != "" }

// Feed adds one input line. Complete statements run in order; errors are
// printed to Out. It reports whether a QUIT/EXIT statement was run.
func (s *Session) Feed(ctx context.Context, line string) (quit bool) {
	s.buf.WriteString(line)
	s.buf.WriteByte('\n')
	text := s.buf.String()
	if !endsStatement(text) {
		return false
	}
	s.buf.Reset()
	for _, p := range sql.Split(text) {
		st, err := s.Engine.Prepare(p)
		if err != nil {
			fmt.Fprintf(s.Out, "ERROR: %v\n", err)
			continue
		}
		q, err := s.Engine.RunStatement(ctx, st, s.Out)
		if err != nil {
			fmt.Fprintf(s.Out, "ERROR: %v\n", err)
			continue
		}
		if q {
			return true
		}
	}
	return false
}

// endsStatement reports whether text ends (outside quotes and comments)
// with a ';' followed only by blanks.
func endsStatement(text string) bool {
	ps := sql.Split(text)
	if len(ps) == 0 {
		return false
	}
	t := strings.TrimSpace(text)
	return strings.HasSuffix(t, ";") && inCode(t)
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

// Keywords are statement starts and SQL words offered by Complete.
var Keywords = []string{"SELECT", "FROM", "WHERE", "GROUP BY", "HAVING", "INSERT INTO", "VALUES",
	"CREATE TABLE", "CREATE VIEW", "DROP TABLE", "DROP VIEW", "SHOW TABLES", "SHOW JOBS",
	"SHOW CREATE TABLE", "DESCRIBE", "EXPLAIN", "SET", "RESET", "STOP JOB", "HELP", "QUIT",
	"TUMBLE", "HOP", "SESSION", "CUMULATE", "INTERVAL", "WATERMARK FOR", "PROCTIME()", "WITH",
	"JOIN", "ON", "UNION ALL", "AS", "AND", "OR", "NOT", "COUNT", "SUM", "MIN", "MAX", "AVG"}

// Complete returns completions for the last word of text: keywords,
// table names and column names.
func (s *Session) Complete(text string) []string {
	i := strings.LastIndexAny(text, " \t\n(,")
	word := text[i+1:]
	if word == "" {
		return nil
	}
	var cands []string
	cands = append(cands, Keywords...)
	cat := s.Engine.Catalog()
	for _, n := range cat.TableNames() {
		cands = append(cands, n)
		if t := cat.Table(n); t != nil {
			cands = append(cands, t.Columns.Names()...)
		}
	}
	var out []string
	seen := map[string]bool{}
	for _, c := range cands {
		if len(c) >= len(word) && strings.EqualFold(c[:len(word)], word) && !seen[c] {
			seen[c] = true
			out = append(out, c)
		}
	}
	sort.Strings(out)
	return out
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
