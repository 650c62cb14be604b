package sql

// Piece is one statement of a script.
type Piece struct {
	// Text is the statement without its terminating ';', starting at its
	// first token (leading spaces and comments are not part of it).
	Text string
	// Index is the 1-based statement number in the script.
	Index int
	// Line and Col are the 1-based position of Text's first character in
	// the script (columns count characters).
	Line, Col int
	// Offset is the byte offset of Text in the script.
	Offset int
}

// Split cuts a script into statements at top-level ';' (aware of quotes,
// backticks, -- / # and /* */ comments). Empty statements are dropped. A
// statement set (`EXECUTE STATEMENT SET BEGIN ...; ...; END` or `BEGIN
// STATEMENT SET; ...; END`) is one statement: its inner ';' do not cut,
// the ';' after its END does.
func Split(script string) []Piece {
	toks := lex(script)
	var out []Piece
	start := -1
	end := 0
	inSet, setStmtStart := false, false
	flush := func() {
		if start < 0 {
			return
		}
		p := Piece{Text: script[start:end], Index: len(out) + 1, Offset: start}
		p.Line, p.Col = lineCol(script, start)
		out = append(out, p)
		start = -1
	}
	for i, t := range toks {
		if t.kind == tOp && t.text == ";" {
			if inSet {
				setStmtStart = true
				end = t.end
				continue
			}
			flush()
			continue
		}
		if start < 0 {
			start = t.start
			inSet = opensStatementSet(toks[i:])
			setStmtStart = false
		} else if inSet && setStmtStart {
			setStmtStart = false
			if t.is("END") {
				inSet = false
			}
		}
		end = t.end
	}
	flush()
	return out
}

// InStatementSet reports whether a script ends inside a statement set
// (opened, its END not typed yet): an interactive reader keeps reading.
func InStatementSet(script string) bool {
	toks := lex(script)
	inSet, stmtStart := false, true
	for i, t := range toks {
		if t.kind == tOp && t.text == ";" {
			stmtStart = true
			continue
		}
		if stmtStart {
			stmtStart = false
			switch {
			case !inSet:
				inSet = opensStatementSet(toks[i:])
			case t.is("END"):
				inSet = false
			}
		}
	}
	return inSet
}

// opensStatementSet reports whether a statement starting at toks[0] is a
// statement set (or EXPLAIN of one).
func opensStatementSet(toks []token) bool {
	at := func(i int, w string) bool { return i < len(toks) && toks[i].is(w) }
	if n, _ := explainPrefix(toks); n > 0 { // EXPLAIN ... <statement set>
		toks = toks[n:]
	}
	return (at(0, "EXECUTE") && at(1, "STATEMENT") && at(2, "SET") && at(3, "BEGIN")) ||
		(at(0, "BEGIN") && at(1, "STATEMENT") && at(2, "SET"))
}

// explainPrefix reads the words of EXPLAIN before its statement:
// EXPLAIN, EXPLAIN PLAN FOR, EXPLAIN RULES and EXPLAIN PLAN WITH RULES FOR.
// It returns how many tokens they take (0: not an EXPLAIN) and whether
// the plan after each optimizer rule was asked for.
func explainPrefix(toks []token) (n int, rules bool) {
	at := func(i int, w string) bool { return i < len(toks) && toks[i].is(w) }
	switch {
	case !at(0, "EXPLAIN"):
		return 0, false
	case at(1, "PLAN") && at(2, "FOR"):
		return 3, false
	case at(1, "PLAN") && at(2, "WITH") && at(3, "RULES") && at(4, "FOR"):
		return 5, true
	case at(1, "RULES"):
		return 2, true
	}
	return 1, false
}

// lineCol returns the 1-based line and character column of byte offset off.
func lineCol(s string, off int) (int, int) {
	p := Piece{Text: s, Line: 1, Col: 1}
	return p.position(off)
}

// normalize fills in a hand-made Piece (zero Line/Col/Index).
func (p Piece) normalize() Piece {
	if p.Line <= 0 {
		p.Line = 1
	}
	if p.Col <= 0 {
		p.Col = 1
	}
	if p.Index <= 0 {
		p.Index = 1
	}
	return p
}
