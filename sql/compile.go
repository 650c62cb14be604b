package sql

import (
	"fmt"
	"strings"
	"sync"

	"github.com/pingcap/tidb/pkg/parser"
	"github.com/pingcap/tidb/pkg/parser/ast"
	"github.com/pingcap/tidb/pkg/parser/mysql"
	_ "github.com/pingcap/tidb/pkg/parser/test_driver" // value expressions for the parser

	"github.com/streamsql/streamsql/catalog"
	"github.com/streamsql/streamsql/expr"
	"github.com/streamsql/streamsql/internal/suggest"
)

// compiler holds the state of compiling one statement (or one view's query
// inside it).
type compiler struct {
	p     Piece
	cat   *catalog.Catalog
	toks  []token // tokens of p.Text (the original text)
	notes *notes  // what the pre-parse layer rewrote
	depth int     // view nesting depth
	ctes  map[string]cte
	text  string      // the pre-parsed text given to TiDB
	fold  expr.Folder // folds every bound expression of the statement, bottom-up
	// subqs holds what each subquery expression joined into a SELECT's
	// input stands for (bind_expr_subquery.go); nsubq numbers the
	// relations those rewrites add.
	subqs map[ast.ExprNode]subqueryValue
	nsubq int
	// outer, while a correlated subquery's select list is bound
	// (applyGeneral), is the scope of the query around it: a column no
	// name of the subquery's own scope reaches binds to an expr.OuterCol
	// of it.
	outer *scope
	// usingWords maps the statement's USING / NATURAL joins to their
	// keywords (using_words.go); nil when they could not be matched.
	usingWords map[*ast.Join]usingWord
	// correlated maps a derived relation bound with outer references
	// (bind_derived_apply.go) to the outer columns it reads.
	correlated map[string][]int
}

// Compile parses and binds one statement against the catalog, which it
// does not modify. Errors are *Error values located in the script.
func Compile(p Piece, cat *catalog.Catalog) (st Stmt, err error) {
	p = p.normalize()
	if cat == nil {
		cat = catalog.New()
	}
	defer func() {
		if r := recover(); r != nil {
			st = nil
			err = p.errAt(ErrInvalid, 0, fmt.Sprintf("internal error while compiling the statement: %v", r),
				"please report this statement")
		}
	}()
	cx := &compiler{p: p, cat: cat, toks: lex(p.Text)}
	return cx.compile()
}

func (cx *compiler) compile() (Stmt, error) {
	p, toks := cx.p, cx.toks
	if len(toks) == 0 {
		return nil, p.errAt(ErrSyntax, 0, "empty statement", "")
	}
	for _, t := range toks {
		if t.kind != tNumber {
			continue
		}
		if d := mantissaDigits(t.text); d > maxLiteralDigits {
			return nil, p.errAt(ErrSyntax, t.start, fmt.Sprintf("number literal of %d digits", d),
				fmt.Sprintf("a number literal has at most %d digits (DECIMAL's precision is at most 38)", maxLiteralDigits))
		}
	}
	first := toks[0]
	switch {
	case first.is("EXPLAIN"):
		k, rules := explainPrefix(toks)
		if k >= len(toks) {
			return nil, p.errAt(ErrSyntax, len(p.Text), "EXPLAIN needs a statement", "usage: EXPLAIN [RULES] SELECT ... | EXPLAIN [RULES] INSERT ... | EXPLAIN PLAN [WITH RULES] FOR ...")
		}
		sub := cx.subPiece(toks[k].start, len(p.Text))
		inner, err := Compile(sub, cx.cat)
		if err != nil {
			return nil, err
		}
		return &Explain{At: At{P: p}, Stmt: inner, Rules: rules}, nil
	case first.is("CREATE"):
		c := &cursor{p: p, toks: toks, i: 1}
		c.accept("TEMPORARY")
		switch {
		case c.peek().is("TABLE"):
			return cx.createTable()
		case c.peek().is("VIEW"), c.peek().is("OR"):
			return cx.createView()
		case c.peek().is("INDEX"), c.peek().is("UNIQUE"):
			return cx.createIndex(c)
		case c.peek().is("TRIGGER"):
			return nil, cx.triggerUnsupported("CREATE", c.peek().start)
		}
		return nil, c.errHere("expected TABLE, VIEW or INDEX after CREATE", "")
	case first.is("SELECT"), first.is("WITH"), first.is("("), first.is("VALUES"):
		return cx.compileQueryStmt()
	case first.is("INSERT") && len(toks) > 2 && toks[1].is("OR") && toks[2].is("REPLACE"):
		return cx.insertOrReplace()
	case first.is("INSERT"), first.is("REPLACE"):
		return cx.compileInsert()
	case first.is("ALTER") && len(toks) > 1 && toks[1].is("TABLE"):
		return cx.compileAlterTable()
	case first.is("DELETE"):
		return cx.compileDelete()
	case first.is("UPDATE"):
		return cx.compileUpdate()
	case first.is("DROP") && len(toks) > 1 && toks[1].is("INDEX"):
		return cx.dropIndex(&cursor{p: p, toks: toks, i: 2})
	case first.is("DROP") && len(toks) > 1 && toks[1].is("TRIGGER"):
		return nil, cx.triggerUnsupported("DROP", toks[1].start)
	case opensStatementSet(toks) && !first.is("EXPLAIN"):
		return cx.compileStatementSet() // statement_set.go
	}
	if st, ok, err := compileCommand(p, toks, cx); ok {
		if err != nil {
			return nil, err
		}
		return st, nil
	}
	return nil, p.errAt(ErrSyntax, first.start, "unknown statement '"+first.text+"'",
		"streamsql runs CREATE TABLE/VIEW/INDEX, DROP, INSERT, REPLACE, UPDATE, DELETE, SELECT, EXPLAIN, SET, RESET, SHOW, DESCRIBE, STOP JOB, TRIGGER SAVEPOINT, HELP, QUIT")
}

// insertOrReplace compiles SQLite's INSERT OR REPLACE INTO as REPLACE INTO
// (the words are replaced by REPLACE padded with spaces, so that positions
// stay those of the statement).
func (cx *compiler) insertOrReplace() (Stmt, error) {
	toks := cx.toks
	start, end := toks[0].start, toks[2].end
	text := cx.p.Text[:start] + "REPLACE" + strings.Repeat(" ", end-start-len("REPLACE")) + cx.p.Text[end:]
	p := cx.p
	p.Text = text
	sub := &compiler{p: p, cat: cx.cat, toks: lex(text), depth: cx.depth}
	st, err := sub.compileInsert()
	if err != nil {
		return nil, err
	}
	ins := st.(*Insert)
	ins.At = At{P: cx.p}
	return ins, nil
}

// subPiece returns the part [start:end) of the statement as a Piece located in the script.
func (cx *compiler) subPiece(start, end int) Piece {
	l, c := cx.p.position(start)
	return Piece{Text: cx.p.Text[start:end], Index: cx.p.Index, Line: l, Col: c, Offset: cx.p.Offset + start}
}

// parsers reuse TiDB parsers; || is string concatenation (Flink, PIPES_AS_CONCAT).
var parsers = sync.Pool{New: func() any {
	ps := parser.New()
	ps.SetSQLMode(mysql.ModePipesAsConcat)
	return ps
}}

// parse runs the TiDB parser over text (the pre-parsed form of cx.p.Text,
// same length and positions) and translates syntax errors.
func (cx *compiler) parse(text string) (ast.StmtNode, error) {
	ps := parsers.Get().(*parser.Parser)
	defer parsers.Put(ps)
	cx.text = text
	stmts, _, err := ps.Parse(text, "", "")
	if err != nil {
		return nil, cx.syntaxError(text, err)
	}
	if len(stmts) != 1 {
		return nil, cx.p.errAt(ErrSyntax, 0, "expected exactly one statement", "separate statements with ';'")
	}
	return stmts[0], nil
}

// syntaxError turns TiDB's `line L column C near "rest..."` into an Error
// at the start of the offending token in the original text.
func (cx *compiler) syntaxError(text string, err error) error {
	msg := err.Error()
	off := -1
	if i := strings.Index(msg, `near "`); i >= 0 {
		rest := msg[i+len(`near "`):]
		for k := len(rest) - 1; k >= 0; k-- {
			if rest[k] == '"' && strings.HasSuffix(text, rest[:k]) {
				off = len(text) - k
				break
			}
		}
	}
	if off < 0 {
		var line, col int
		if _, e := fmt.Sscanf(msg, "line %d column %d", &line, &col); e == nil {
			off = offsetOf(text, line, col)
			// the column is just past the token; back up to its start
			for _, t := range cx.toks {
				if t.start < off && off <= t.end {
					off = t.start
					break
				}
			}
		} else {
			off = 0
		}
	}
	for off < len(cx.p.Text) && (cx.p.Text[off] == ' ' || cx.p.Text[off] == '\n' || cx.p.Text[off] == '\t' || cx.p.Text[off] == '\r') {
		off++
	}
	if off >= len(strings.TrimRight(cx.p.Text, " \t\r\n")) {
		return cx.p.errAt(ErrSyntax, off, "syntax error: unexpected end of statement", "the statement is incomplete")
	}
	near := ""
	for _, t := range cx.toks {
		if t.start >= off {
			near = t.text
			break
		}
	}
	return cx.p.errAt(ErrSyntax, off, "syntax error near '"+near+"'", syntaxHint(near))
}

func syntaxHint(near string) string {
	switch strings.ToUpper(near) {
	case "ORDER", "LIMIT", "GROUP", "HAVING", "WHERE", "FROM":
		return "check the clause order: SELECT ... FROM ... WHERE ... GROUP BY ... HAVING ..."
	case ")", ",":
		return "check the parentheses and commas"
	}
	return "check the statement syntax; HELP lists the statements"
}

func offsetOf(text string, line, col int) int {
	l := 1
	for i := 0; i < len(text); i++ {
		if l == line {
			if i+col > len(text) {
				return len(text)
			}
			return i + col
		}
		if text[i] == '\n' {
			l++
		}
	}
	return len(text)
}

// tableHint suggests a close table name, or how to list tables.
func (cx *compiler) tableHint(name string) string {
	if s := closest(name, cx.cat.TableNames()); s != "" {
		return "did you mean '" + s + "'?"
	}
	return "SHOW TABLES lists the tables; create it with CREATE TABLE"
}

// closest returns the candidate nearest to name by edit distance (case-insensitive), if close enough.
func closest(name string, cands []string) string { return suggest.Closest(name, cands) }

// EditDistance is the Levenshtein distance between a and b (used for
// "did you mean" suggestions).
func EditDistance(a, b string) int { return suggest.Distance(a, b) }

// maxLiteralDigits bounds the digits of a number literal (MySQL's 65):
// the parser's decimal conversion fails on far longer ones.
const maxLiteralDigits = 65

// mantissaDigits counts the digits of a number literal before its
// exponent.
func mantissaDigits(s string) int {
	n := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c == 'e' || c == 'E' {
			break
		}
		if c >= '0' && c <= '9' {
			n++
		}
	}
	return n
}
