package sql

// StatementSet is `EXECUTE STATEMENT SET BEGIN INSERT ...; INSERT ...;
// END` (Flink's form; `BEGIN STATEMENT SET; ...; END` too): its INSERTs
// run as one job, so that a table several of them read is read once,
// one checkpoint covers every sink, and a failure restarts them together
// (exactly once for all). Inserts are in written order.
type StatementSet struct {
	At
	Inserts []*Insert
}

// compileStatementSet compiles a statement set: the statements between
// BEGIN and END, each of which must be an INSERT.
func (cx *compiler) compileStatementSet() (Stmt, error) {
	p, toks := cx.p, cx.toks
	k := 3 // BEGIN STATEMENT SET
	if toks[0].is("EXECUTE") {
		k = 4 // EXECUTE STATEMENT SET BEGIN
	}
	last := len(toks) - 1
	if last < k || !toks[last].is("END") || (last > k && !toks[last-1].is(";")) {
		return nil, p.errAt(ErrSyntax, len(p.Text), "a statement set must end with END",
			"EXECUTE STATEMENT SET BEGIN INSERT INTO ...; INSERT INTO ...; END;")
	}
	start := toks[k].start // the first statement, or END
	body := p.Text[start:toks[last].start]
	set := &StatementSet{At: At{P: p}}
	for _, sp := range Split(body) {
		sub := cx.subPiece(start+sp.Offset, start+sp.Offset+len(sp.Text))
		st, err := Compile(sub, cx.cat)
		if err != nil {
			return nil, err
		}
		ins, ok := st.(*Insert)
		if !ok {
			return nil, sub.errAt(ErrInvalid, 0, "a statement set holds only INSERT statements", "run other statements before or after it")
		}
		set.Inserts = append(set.Inserts, ins)
	}
	if len(set.Inserts) == 0 {
		return nil, p.errAt(ErrInvalid, toks[last].start, "a statement set needs at least one INSERT", "")
	}
	return set, nil
}
