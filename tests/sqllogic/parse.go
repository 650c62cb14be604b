package sqllogic

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
)

// Pos is a position in a script: the file name and the 1-based line number
// of a record's first line (its keyword line, after any skipif/onlyif).
type Pos struct {
	File string
	Line int
}

func (p Pos) String() string {
	if p.Line == 0 {
		return p.File
	}
	return fmt.Sprintf("%s:%d", p.File, p.Line)
}

// RecordKind is the kind of a script record.
type RecordKind uint8

const (
	// Statement is `statement ok` or `statement error [pattern]`.
	Statement RecordKind = iota
	// Query is `query <types> [sortmode] [label]` or `query error [pattern]`.
	Query
	// HashThreshold is `hash-threshold N`.
	HashThreshold
	// Halt is `halt`: the rest of the script is not run.
	Halt
)

var recordKindNames = [...]string{"statement", "query", "hash-threshold", "halt"}

func (k RecordKind) String() string {
	if int(k) < len(recordKindNames) {
		return recordKindNames[k]
	}
	return fmt.Sprintf("RecordKind(%d)", k)
}

// SortMode says how a query's result is ordered before it is compared.
type SortMode uint8

const (
	// NoSort compares rows in the order the engine returned them.
	NoSort SortMode = iota
	// RowSort sorts rows; rows compare column by column by their rendered text.
	RowSort
	// ValueSort sorts all rendered values individually, ignoring row boundaries.
	ValueSort
)

var sortModeNames = [...]string{"nosort", "rowsort", "valuesort"}

func (m SortMode) String() string {
	if int(m) < len(sortModeNames) {
		return sortModeNames[m]
	}
	return fmt.Sprintf("SortMode(%d)", m)
}

func parseSortMode(s string) (SortMode, bool) {
	for i, n := range sortModeNames {
		if s == n {
			return SortMode(i), true
		}
	}
	return 0, false
}

// Condition is one `skipif ENGINE` (Skip true) or `onlyif ENGINE` line.
type Condition struct {
	Skip   bool
	Engine string
}

// Applies reports whether a record guarded by c runs on an engine known
// by any of names (compared case-insensitively, as the original runner
// does).
func (c Condition) Applies(names ...string) bool {
	same := false
	for _, n := range names {
		if strings.EqualFold(c.Engine, n) {
			same = true
			break
		}
	}
	if c.Skip {
		return !same
	}
	return same
}

// Record is one record of a script.
type Record struct {
	Pos        Pos
	Kind       RecordKind
	Conditions []Condition

	// SQL is the statement or query text, lines joined by "\n", without
	// comment lines (lines starting with '#').
	SQL string

	// ExpectError is set by `statement error` and `query error`.
	// ErrorPattern is what the error message must match ("" matches any
	// error): the message matches if it contains the pattern as a substring
	// or, when the pattern is a valid regular expression, if the expression
	// matches it. The pattern is the rest of the keyword line, or, when the
	// record has a `----` block, that block's lines joined by "\n".
	ExpectError  bool
	ErrorPattern string

	// Types holds one letter per result column (query records only).
	Types string
	Sort  SortMode
	Label string
	// Expected holds the lines after `----` with trailing blanks removed.
	// A query without `----` expects an empty result.
	Expected []string

	// Threshold is the argument of hash-threshold.
	Threshold int
}

// Script is a parsed sqllogictest file.
type Script struct {
	Name    string
	Records []Record
}

// ParseFile reads and parses a script file. Records report positions as
// the path as given.
func ParseFile(path string) (*Script, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	return Parse(path, bytes.NewReader(data))
}

// ParseError is a syntax error in a script.
type ParseError struct {
	Pos Pos
	Msg string
}

func (e *ParseError) Error() string { return e.Pos.String() + ": " + e.Msg }

// Parse parses a script read from r; name is used in positions.
func Parse(name string, r io.Reader) (*Script, error) {
	var lines []string
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64*1024), 64*1024*1024)
	for sc.Scan() {
		lines = append(lines, strings.TrimRight(sc.Text(), "\r"))
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	p := &parser{name: name, lines: lines}
	s := &Script{Name: name}
	for {
		rec, ok, err := p.next()
		if err != nil {
			return nil, err
		}
		if !ok {
			return s, nil
		}
		s.Records = append(s.Records, rec)
	}
}

type parser struct {
	name  string
	lines []string
	i     int // index of the next unread line
}

func (p *parser) errf(line int, format string, args ...any) error {
	return &ParseError{Pos: Pos{p.name, line}, Msg: fmt.Sprintf(format, args...)}
}

func isBlank(s string) bool   { return strings.TrimSpace(s) == "" }
func isComment(s string) bool { return strings.HasPrefix(strings.TrimLeft(s, " \t"), "#") }

// next parses the next record; ok is false at the end of the input.
func (p *parser) next() (Record, bool, error) {
	var conds []Condition
	condLine := 0
	for p.i < len(p.lines) {
		line := p.lines[p.i]
		lineNo := p.i + 1
		if isBlank(line) || isComment(line) {
			if isBlank(line) && conds != nil {
				return Record{}, false, p.errf(condLine, "skipif/onlyif is not followed by a record")
			}
			p.i++
			continue
		}
		f := strings.Fields(line)
		switch f[0] {
		case "skipif", "onlyif":
			// The original runner reads only the engine name; the corpus
			// writes comments after it ("onlyif mssql # comment").
			if len(f) < 2 || len(f) > 2 && !strings.HasPrefix(f[2], "#") {
				return Record{}, false, p.errf(lineNo, "%s takes one engine name (optionally followed by a # comment)", f[0])
			}
			if conds == nil {
				condLine = lineNo
			}
			conds = append(conds, Condition{Skip: f[0] == "skipif", Engine: f[1]})
			p.i++
			continue
		}
		p.i++
		rec := Record{Pos: Pos{p.name, lineNo}, Conditions: conds}
		var err error
		switch f[0] {
		case "statement":
			err = p.statement(&rec, line, f)
		case "query":
			err = p.query(&rec, line, f)
		case "hash-threshold":
			rec.Kind = HashThreshold
			if len(f) != 2 {
				return rec, false, p.errf(lineNo, "hash-threshold takes one number")
			}
			n, perr := strconv.Atoi(f[1])
			if perr != nil || n < 0 {
				return rec, false, p.errf(lineNo, "hash-threshold: %q is not a non-negative number", f[1])
			}
			rec.Threshold = n
		case "halt":
			rec.Kind = Halt
			if len(f) != 1 {
				return rec, false, p.errf(lineNo, "halt takes no arguments")
			}
		default:
			return rec, false, p.errf(lineNo, "unknown record type %q (want statement, query, hash-threshold, halt, skipif, onlyif)", f[0])
		}
		if err != nil {
			return rec, false, err
		}
		return rec, true, nil
	}
	if conds != nil {
		return Record{}, false, p.errf(condLine, "skipif/onlyif is not followed by a record")
	}
	return Record{}, false, nil
}

// restAfter returns the text of line after its first n fields.
func restAfter(line string, n int) string {
	s := strings.TrimLeft(line, " \t")
	for ; n > 0; n-- {
		j := strings.IndexAny(s, " \t")
		if j < 0 {
			return ""
		}
		s = strings.TrimLeft(s[j:], " \t")
	}
	return strings.TrimRight(s, " \t")
}

func (p *parser) statement(rec *Record, line string, f []string) error {
	rec.Kind = Statement
	if len(f) < 2 {
		return p.errf(rec.Pos.Line, "statement needs ok or error")
	}
	switch f[1] {
	case "ok":
		if len(f) != 2 {
			return p.errf(rec.Pos.Line, "unexpected text after statement ok: %q", restAfter(line, 2))
		}
	case "error":
		rec.ExpectError = true
		rec.ErrorPattern = restAfter(line, 2)
	default:
		return p.errf(rec.Pos.Line, "statement %s: want statement ok or statement error", f[1])
	}
	dashes, err := p.sql(rec)
	if err != nil {
		return err
	}
	if dashes {
		if !rec.ExpectError {
			return p.errf(rec.Pos.Line, "statement ok has no ---- block")
		}
		rec.ErrorPattern = strings.Join(p.block(), "\n")
	}
	return nil
}

func (p *parser) query(rec *Record, line string, f []string) error {
	rec.Kind = Query
	if len(f) < 2 {
		return p.errf(rec.Pos.Line, "query needs type letters (e.g. query ITR) or error")
	}
	if f[1] == "error" {
		rec.ExpectError = true
		rec.ErrorPattern = restAfter(line, 2)
		dashes, err := p.sql(rec)
		if err != nil {
			return err
		}
		if dashes {
			rec.ErrorPattern = strings.Join(p.block(), "\n")
		}
		return nil
	}
	for _, c := range f[1] {
		if !('A' <= c && c <= 'Z') {
			return p.errf(rec.Pos.Line, "query type string %q: want upper-case letters (I, R, T)", f[1])
		}
	}
	rec.Types = f[1]
	if len(f) > 2 {
		m, ok := parseSortMode(f[2])
		if !ok {
			return p.errf(rec.Pos.Line, "unknown sort mode %q (want nosort, rowsort or valuesort)", f[2])
		}
		rec.Sort = m
	}
	if len(f) > 3 {
		rec.Label = f[3]
	}
	if len(f) > 4 {
		return p.errf(rec.Pos.Line, "unexpected text after query label: %q", restAfter(line, 4))
	}
	dashes, err := p.sql(rec)
	if err != nil {
		return err
	}
	if dashes {
		rec.Expected = p.block()
	}
	return nil
}

// sql reads SQL lines up to a blank line, a `----` line or the end; it
// reports whether it stopped at `----` (which it consumes).
func (p *parser) sql(rec *Record) (bool, error) {
	var sql []string
	dashes := false
	for p.i < len(p.lines) {
		line := p.lines[p.i]
		if isBlank(line) {
			break
		}
		p.i++
		if strings.TrimRight(line, " \t") == "----" {
			dashes = true
			break
		}
		if isComment(line) {
			continue
		}
		sql = append(sql, line)
	}
	if len(sql) == 0 {
		return false, p.errf(rec.Pos.Line, "%s record has no SQL", rec.Kind)
	}
	rec.SQL = strings.Join(sql, "\n")
	return dashes, nil
}

// block reads lines verbatim (trailing blanks removed) up to a blank line or the end.
func (p *parser) block() []string {
	out := []string{}
	for p.i < len(p.lines) && !isBlank(p.lines[p.i]) {
		out = append(out, strings.TrimRight(p.lines[p.i], " \t"))
		p.i++
	}
	return out
}
