package sql

// CREATE INDEX and DROP INDEX are accepted for scripts written for other
// databases (the SQLite corpus creates indexes before its queries): they
// change nothing about how queries run. CREATE TRIGGER and DROP TRIGGER
// are rejected with an error that says so.

// createIndex compiles CREATE [UNIQUE] INDEX [IF NOT EXISTS] name ON table
// (column [ASC|DESC], ...); c is just past CREATE.
func (cx *compiler) createIndex(c *cursor) (Stmt, error) {
	const usage = "usage: CREATE [UNIQUE] INDEX name ON table (column, ...)"
	c.accept("UNIQUE")
	if err := c.expect("INDEX"); err != nil {
		return nil, err
	}
	ci := &CreateIndex{At: At{P: cx.p}}
	ci.IfNotExists = c.accept("IF", "NOT", "EXISTS")
	name, off, err := c.name("index")
	if err != nil {
		return nil, err
	}
	ci.Name, ci.nameAt = name, off
	if !c.accept("ON") {
		return nil, c.errHere("expected ON after the index name", usage)
	}
	tname, off, err := c.name("table")
	if err != nil {
		return nil, err
	}
	tbl := cx.cat.Table(tname)
	if tbl == nil {
		return nil, cx.p.errAt(ErrUnknownTable, off, "unknown table '"+tname+"'", cx.tableHint(tname))
	}
	ci.Table = tbl.Name
	if !c.accept("(") {
		return nil, c.errHere("expected '(' and the indexed columns", usage)
	}
	for {
		col, coff, err := c.name("column")
		if err != nil {
			return nil, err
		}
		if tbl.Columns.Index(col) < 0 {
			return nil, cx.p.errAt(ErrUnknownColumn, coff, "unknown column '"+col+"' in table '"+tbl.Name+"'", columnHint(col, tbl.Columns.Names()))
		}
		if !c.accept("ASC") {
			c.accept("DESC")
		}
		if !c.accept(",") {
			break
		}
	}
	if !c.accept(")") {
		return nil, c.errHere("expected ',' or ')'", usage)
	}
	return ci, c.done(usage)
}

// dropIndex compiles DROP INDEX [IF EXISTS] name [ON table]; c is just
// past DROP INDEX. Whether the index exists is checked when the statement
// runs (the engine keeps the index names).
func (cx *compiler) dropIndex(c *cursor) (Stmt, error) {
	const usage = "usage: DROP INDEX [IF EXISTS] name [ON table]"
	d := &DropIndex{At: At{P: cx.p}}
	d.IfExists = c.accept("IF", "EXISTS")
	name, off, err := c.name("index")
	if err != nil {
		return nil, err
	}
	d.Name, d.nameAt = name, off
	if c.accept("ON") {
		tname, off, err := c.name("table")
		if err != nil {
			return nil, err
		}
		if cx.cat.Table(tname) == nil {
			return nil, cx.p.errAt(ErrUnknownTable, off, "unknown table '"+tname+"'", cx.tableHint(tname))
		}
	}
	return d, c.done(usage)
}

// triggerUnsupported is the error of CREATE TRIGGER and DROP TRIGGER; at
// is the offset of TRIGGER.
func (cx *compiler) triggerUnsupported(verb string, at int) error {
	return cx.p.errAt(ErrUnsupported, at, verb+" TRIGGER is not supported: streamsql has no triggers",
		"derive the rows with a view or an INSERT INTO ... SELECT job instead")
}
