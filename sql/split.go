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
// backticks, -- / # and /* */ comments). Empty statements are dropped.
func Split(script string) []Piece {
	toks := lex(script)
	var out []Piece
	start := -1
	end := 0
	flush := func() {
		if start < 0 {
			return
		}
		p := Piece{Text: script[start:end], Index: len(out) + 1, Offset: start}
		p.Line, p.Col = lineCol(script, start)
		out = append(out, p)
		start = -1
	}
	for _, t := range toks {
		if t.kind == tOp && t.text == ";" {
			flush()
			continue
		}
		if start < 0 {
			start = t.start
		}
		end = t.end
	}
	flush()
	return out
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
