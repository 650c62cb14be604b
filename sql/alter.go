package sql

import (
	"strings"

	"github.com/streamsql/streamsql/catalog"
)

// AlterTableSet is Flink's ALTER TABLE t SET ('k' = 'v', ...): it changes
// the WITH options of a table. Table is the changed definition (the given
// keys replace options of the same key, case-insensitively, in place;
// new keys are appended); the engine checks it as CREATE TABLE would and
// replaces the catalog's table. Jobs already running keep the definition
// they were planned with.
type AlterTableSet struct {
	At
	Table *catalog.Table
}

// compileAlterTable compiles ALTER TABLE t SET ('k' = 'v', ...).
func (cx *compiler) compileAlterTable() (Stmt, error) {
	const usage = "usage: ALTER TABLE t SET ('key' = 'value', ...)"
	p := cx.p
	c := &cursor{p: p, toks: cx.toks, i: 2}
	name, off, err := c.name("table")
	if err != nil {
		return nil, err
	}
	old := cx.cat.Table(name)
	if old == nil {
		if cx.cat.View(name) != nil {
			return nil, p.errAt(ErrInvalid, off, "'"+name+"' is a view, not a table", "ALTER TABLE changes a table's options")
		}
		return nil, p.errAt(ErrUnknownTable, off, "unknown table '"+name+"'", cx.tableHint(name))
	}
	if !c.accept("SET") {
		return nil, c.errHere("expected SET after the table name (only ALTER TABLE ... SET is supported)", usage)
	}
	if !c.peek().is("(") {
		return nil, c.errHere("expected '(' and the options", usage)
	}
	close := matchParen(cx.toks, c.i)
	if close < 0 {
		return nil, p.errAt(ErrSyntax, c.peek().start, "missing ')' to close the options", usage)
	}
	opts, err := parseOptionList(p, cx.toks, c.i, close, usage)
	if err != nil {
		return nil, err
	}
	if len(opts) == 0 {
		return nil, p.errAt(ErrSyntax, c.peek().start, "ALTER TABLE ... SET needs at least one option", usage)
	}
	c.i = close + 1
	if err := c.done(usage); err != nil {
		return nil, err
	}
	t := *old
	t.Options = append([]catalog.Option(nil), old.Options...)
	for _, o := range opts {
		replaced := false
		for i := range t.Options {
			if strings.EqualFold(t.Options[i].Key, o.Key) {
				t.Options[i].Value = o.Value
				replaced = true
				break
			}
		}
		if !replaced {
			t.Options = append(t.Options, o)
		}
	}
	return &AlterTableSet{At: At{P: p}, Table: &t}, nil
}

// parseOptionList reads 'k' = 'v', ... between the parentheses at
// toks[open] and toks[close]; a key given twice is an error.
func parseOptionList(p Piece, toks []token, open, close int, usage string) ([]catalog.Option, error) {
	var opts []catalog.Option
	oc := &cursor{p: p, toks: toks[:close], i: open + 1}
	for !oc.eof() {
		kt := oc.peek()
		key := oc.rawUntil("=")
		if !oc.accept("=") || key == "" {
			return nil, oc.errHere("expected 'key' = 'value'", usage)
		}
		before := oc.i
		val := oc.rawUntil(",")
		if oc.i == before {
			return nil, oc.errHere("expected a value for option '"+key+"'", "")
		}
		for _, o := range opts {
			if strings.EqualFold(o.Key, key) {
				return nil, p.errAt(ErrDuplicate, kt.start, "option '"+key+"' is given twice", "")
			}
		}
		opts = append(opts, catalog.Option{Key: key, Value: val})
		if !oc.accept(",") && !oc.eof() {
			return nil, oc.errHere("expected ',' between options", "")
		}
	}
	return opts, nil
}
