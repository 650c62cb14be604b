package sql

import (
	"strings"
)

// cursor walks the tokens of a statement for the hand-written recognizers
// (statements that are not TiDB syntax, and simple ones).
type cursor struct {
	p    Piece
	toks []token
	i    int
}

func (c *cursor) eof() bool { return c.i >= len(c.toks) }

func (c *cursor) peek() token {
	if c.eof() {
		return token{kind: tOp, start: len(c.p.Text), end: len(c.p.Text)}
	}
	return c.toks[c.i]
}

func (c *cursor) accept(words ...string) bool {
	for k, w := range words {
		if c.i+k >= len(c.toks) || !c.toks[c.i+k].is(w) {
			return false
		}
	}
	c.i += len(words)
	return true
}

func (c *cursor) errHere(msg, hint string) *Error {
	t := c.peek()
	if c.eof() {
		return c.p.errAt(ErrSyntax, t.start, msg+" at end of statement", hint)
	}
	return c.p.errAt(ErrSyntax, t.start, msg+" near '"+t.text+"'", hint)
}

func (c *cursor) expect(words ...string) error {
	if c.accept(words...) {
		return nil
	}
	return c.errHere("expected "+strings.Join(words, " "), "")
}

func (c *cursor) done(usage string) error {
	if c.eof() {
		return nil
	}
	return c.errHere("unexpected text", "usage: "+usage)
}

// name reads an identifier (`quoted` or bare; db.name keeps the last part).
func (c *cursor) name(what string) (string, int, error) {
	t := c.peek()
	if !t.isName() {
		return "", 0, c.errHere("expected "+what+" name", "")
	}
	c.i++
	for c.i+1 < len(c.toks) && c.toks[c.i].is(".") && c.toks[c.i+1].isName() {
		t = c.toks[c.i+1]
		c.i += 2
	}
	return t.name(), t.start, nil
}

// str reads a 'string' (or a bare word) value.
func (c *cursor) str(what string) (string, error) {
	t := c.peek()
	if t.kind == tString || t.kind == tIdent || t.kind == tNumber {
		c.i++
		return t.val0(), nil
	}
	return "", c.errHere("expected "+what, "")
}

func (t token) val0() string {
	if t.kind == tString || t.kind == tQuoted {
		return t.val
	}
	return t.text
}

// rawUntil returns the statement text of the tokens from the cursor up to
// (not including) the first top-level token equal to stop ("" = to the end),
// unquoting a lone string token.
func (c *cursor) rawUntil(stop string) string {
	st := c.i
	for !c.eof() && (stop == "" || !c.peek().is(stop)) {
		c.i++
	}
	if c.i == st {
		return ""
	}
	if c.i-st == 1 && (c.toks[st].kind == tString || c.toks[st].kind == tQuoted) {
		return c.toks[st].val
	}
	return strings.TrimSpace(c.p.Text[c.toks[st].start:c.toks[c.i-1].end])
}

// compileCommand handles the statements recognised by hand. ok is false
// when the statement is not one of them.
func compileCommand(p Piece, toks []token, cx *compiler) (Stmt, bool, error) {
	c := &cursor{p: p, toks: toks}
	at := At{P: p}
	first := c.peek()
	switch {
	case c.accept("SET"):
		if c.eof() {
			return &Set{At: at}, true, nil
		}
		key := c.rawUntil("=")
		if !c.accept("=") {
			return nil, true, c.errHere("expected '='", "usage: SET 'key' = 'value'")
		}
		val := c.rawUntil("")
		if key == "" || val == "" {
			return nil, true, p.errAt(ErrSyntax, first.start, "SET needs a key and a value", "usage: SET 'key' = 'value'")
		}
		return &Set{At: at, Key: key, Value: val}, true, nil
	case c.accept("RESET"):
		return &Reset{At: at, Key: c.rawUntil("")}, true, nil
	case c.accept("SHOW", "CONFIGURATION"):
		// Every setting with its value, like SET alone.
		return &Set{At: at}, true, c.done("SHOW CONFIGURATION")
	case c.accept("SHOW", "TABLES"), c.accept("SHOW", "VIEWS"):
		return &ShowTables{At: at}, true, c.done("SHOW TABLES")
	case c.accept("SHOW", "JOBS"):
		return &ShowJobs{At: at}, true, c.done("SHOW JOBS")
	case c.accept("SHOW", "FULL", "JOBS"):
		return &ShowJobs{At: at, Full: true}, true, c.done("SHOW FULL JOBS")
	case c.accept("SHOW", "CLUSTER"):
		return &ShowCluster{At: at}, true, c.done("SHOW CLUSTER")
	case c.accept("SHOW", "FUNCTIONS"):
		return &ShowFunctions{At: at}, true, c.done("SHOW FUNCTIONS")
	case c.accept("SHOW", "CREATE", "TABLE"), c.accept("SHOW", "CREATE", "VIEW"):
		name, off, err := c.name("table")
		if err != nil {
			return nil, true, err
		}
		if err := cx.needRelation(name, off); err != nil {
			return nil, true, err
		}
		return &ShowCreateTable{At: at, Name: name}, true, c.done("SHOW CREATE TABLE name")
	case c.accept("DESCRIBE"), c.accept("DESC"):
		name, off, err := c.name("table")
		if err != nil {
			return nil, true, err
		}
		if err := cx.needRelation(name, off); err != nil {
			return nil, true, err
		}
		return &Describe{At: at, Name: name}, true, c.done("DESCRIBE name")
	case c.accept("DROP", "TABLE"), c.accept("DROP", "VIEW"):
		view := c.toks[1].is("VIEW")
		ifExists := c.accept("IF", "EXISTS")
		name, off, err := c.name("table")
		if err != nil {
			return nil, true, err
		}
		if err := c.done("DROP TABLE [IF EXISTS] name"); err != nil {
			return nil, true, err
		}
		if view {
			if !ifExists && cx.cat.View(name) == nil {
				if cx.cat.Table(name) != nil {
					return nil, true, p.errAt(ErrUnknownTable, off, "'"+name+"' is a table, not a view", "use DROP TABLE")
				}
				return nil, true, p.errAt(ErrUnknownTable, off, "unknown view '"+name+"'", "use DROP VIEW IF EXISTS to ignore a missing view")
			}
			return &DropView{At: at, Name: name, IfExists: ifExists}, true, nil
		}
		if !ifExists && cx.cat.Table(name) == nil {
			if cx.cat.View(name) != nil {
				return nil, true, p.errAt(ErrUnknownTable, off, "'"+name+"' is a view, not a table", "use DROP VIEW")
			}
			return nil, true, p.errAt(ErrUnknownTable, off, "unknown table '"+name+"'", "use DROP TABLE IF EXISTS to ignore a missing table")
		}
		return &DropTable{At: at, Name: name, IfExists: ifExists}, true, nil
	case c.accept("STOP", "JOB"):
		id, err := c.str("a job id")
		if err != nil {
			return nil, true, err
		}
		s := &StopJob{At: at, JobID: id}
		for !c.eof() {
			switch {
			case c.accept("WITH", "SAVEPOINT"):
				s.Savepoint = true
			case c.accept("WITH", "DRAIN"):
				s.Drain = true
			default:
				return nil, true, c.errHere("unexpected text", "usage: STOP JOB 'id' [WITH SAVEPOINT] [WITH DRAIN]")
			}
		}
		return s, true, nil
	case c.accept("TRIGGER", "SAVEPOINT"):
		c.accept("FOR")
		c.accept("JOB")
		id, err := c.str("a job id")
		if err != nil {
			return nil, true, err
		}
		return &TriggerSavepoint{At: at, JobID: id}, true, c.done("TRIGGER SAVEPOINT 'job-id'")
	case c.accept("HELP"):
		return &Help{At: at}, true, nil
	case c.accept("QUIT"), c.accept("EXIT"):
		return &Quit{At: at}, true, c.done("QUIT")
	case c.accept("SHOW"):
		what := "SHOW"
		if !c.eof() {
			what += " " + c.peek().text
		}
		return nil, true, p.errAt(ErrSyntax, first.start, "unknown statement '"+what+"'",
			"streamsql has SHOW TABLES, SHOW VIEWS, SHOW CREATE TABLE name, SHOW JOBS, SHOW FULL JOBS, SHOW CLUSTER, SHOW FUNCTIONS and SHOW CONFIGURATION")
	}
	return nil, false, nil
}

// needRelation checks that a table or view exists.
func (cx *compiler) needRelation(name string, off int) error {
	if cx.cat.Table(name) != nil || cx.cat.View(name) != nil {
		return nil
	}
	return cx.p.errAt(ErrUnknownTable, off, "unknown table '"+name+"'", cx.tableHint(name))
}
