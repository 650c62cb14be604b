package sqllogic

import (
	"errors"
	"fmt"
	"io"
	"regexp"
	"runtime/debug"
	"slices"
	"strings"

	"github.com/streamsql/streamsql/types"
)

// DB is the engine under test. A runner calls it from one goroutine, one
// statement at a time, in script order; state (tables, views, settings)
// carries over from one call to the next within a script.
type DB interface {
	// Exec runs one statement that returns no rows (DDL, INSERT, SET ...).
	Exec(sql string) error
	// Query runs a query over bounded inputs to completion and returns its final rows
	// (for a changelog result: the rows remaining after applying all changes).
	Query(sql string) (types.Schema, [][]types.Value, error)
}

// DefaultEngine is the engine name that skipif/onlyif lines compare against
// unless Options.Engine says otherwise.
const DefaultEngine = "streamsql"

// DefaultDialects are the further engine names that skipif/onlyif treat as
// this engine unless Options.Dialects says otherwise: streamsql speaks
// MySQL's dialect, so the corpus's "onlyif mysql" records run and its
// "skipif mysql" records are skipped. Every other name (sqlite,
// postgresql, mssql, oracle) is a foreign engine.
var DefaultDialects = []string{"mysql"}

// Options tune a run.
type Options struct {
	// Engine is the name matched by skipif/onlyif ("" means DefaultEngine).
	Engine string
	// Dialects are further names that skipif/onlyif treat as this engine
	// (nil means DefaultDialects; an empty non-nil slice means none).
	Dialects []string
	// HashThreshold is the threshold in force at the start of the script
	// (0: never hash); a hash-threshold record changes it for the rest of
	// the script.
	HashThreshold int
	// Trace, if set, receives one line per executed or skipped record:
	// "file:line: ok|FAIL|skip <first line of SQL>".
	Trace io.Writer
}

// Status is the outcome of one record.
type Status uint8

const (
	// Passed: the record behaved as the script expects.
	Passed Status = iota
	// Failed: it did not; a Failure says how.
	Failed
	// Skipped: a skipif/onlyif condition excluded it.
	Skipped
)

var statusNames = [...]string{"ok", "FAIL", "skip"}

func (s Status) String() string {
	if int(s) < len(statusNames) {
		return statusNames[s]
	}
	return fmt.Sprintf("Status(%d)", s)
}

// RecordResult is the outcome of one statement or query record.
type RecordResult struct {
	Pos    Pos
	Kind   RecordKind
	Status Status
	// Values is a query's rendered result after sorting, one entry per
	// value (nil for statements and for queries that returned an error).
	Values []string
	// Err is the error message the engine returned ("" if none).
	Err string
}

// Failure describes a record that failed.
type Failure struct {
	Pos     Pos
	SQL     string
	Message string
	// Diff shows expected against actual output, line by line, prefixed
	// "- " (only expected), "+ " (only actual) or "  " (both); empty when
	// the failure is not about a result. For an engine panic it holds the
	// stack.
	Diff string
}

// String renders the failure for a person: position and reason, the SQL
// indented, then the diff.
func (f Failure) String() string {
	var b strings.Builder
	b.WriteString(f.Pos.String())
	b.WriteString(": ")
	b.WriteString(f.Message)
	b.WriteByte('\n')
	if f.SQL != "" {
		for _, l := range strings.Split(f.SQL, "\n") {
			b.WriteString("    ")
			b.WriteString(l)
			b.WriteByte('\n')
		}
	}
	if f.Diff != "" {
		for _, l := range strings.Split(strings.TrimRight(f.Diff, "\n"), "\n") {
			b.WriteString("  ")
			b.WriteString(l)
			b.WriteByte('\n')
		}
	}
	return b.String()
}

// Result is the outcome of running one or more scripts. Only statement and
// query records are counted.
type Result struct {
	Passed, Failed, Skipped int
	// Halted is set when a halt record stopped a script.
	Halted   bool
	Records  []RecordResult
	Failures []Failure
}

// Summary returns "N passed, N failed", the line the CLI prints.
func (r Result) Summary() string {
	return fmt.Sprintf("%d passed, %d failed", r.Passed, r.Failed)
}

// Report returns every failure followed by the summary line.
func (r Result) Report() string {
	var b strings.Builder
	for _, f := range r.Failures {
		b.WriteString(f.String())
		b.WriteByte('\n')
	}
	b.WriteString(r.Summary())
	b.WriteByte('\n')
	return b.String()
}

// Add accumulates another result (e.g. of the next file) into r.
func (r *Result) Add(o Result) {
	r.Passed += o.Passed
	r.Failed += o.Failed
	r.Skipped += o.Skipped
	r.Halted = r.Halted || o.Halted
	r.Records = append(r.Records, o.Records...)
	r.Failures = append(r.Failures, o.Failures...)
}

// Run executes a script's records in order against db and returns the
// outcome of each. A failing record does not stop the script; a halt
// record does. Run never panics because of the engine: a panic inside db
// is recovered and reported as a failure of that record.
func Run(db DB, s *Script, opts Options) Result {
	r := &runner{db: db, opts: opts, threshold: opts.HashThreshold, labels: map[string]labelSeen{}}
	if r.opts.Engine == "" {
		r.opts.Engine = DefaultEngine
	}
	if r.opts.Dialects == nil {
		r.opts.Dialects = DefaultDialects
	}
	names := append([]string{r.opts.Engine}, r.opts.Dialects...)
	for i := range s.Records {
		rec := &s.Records[i]
		if !applies(rec.Conditions, names) {
			if rec.Kind == Statement || rec.Kind == Query {
				r.res.Skipped++
				r.res.Records = append(r.res.Records, RecordResult{Pos: rec.Pos, Kind: rec.Kind, Status: Skipped})
				r.trace(rec, Skipped)
			}
			continue
		}
		switch rec.Kind {
		case HashThreshold:
			r.threshold = rec.Threshold
		case Halt:
			r.res.Halted = true
			return r.res
		case Statement:
			r.statement(rec)
		case Query:
			r.query(rec)
		}
	}
	return r.res
}

// RunFile parses and runs one script file. A file that cannot be read or
// parsed counts as one failed record, positioned at the syntax error, so
// that a caller running many files reports it like any other failure.
func RunFile(db DB, path string, opts Options) Result {
	s, err := ParseFile(path)
	if err != nil {
		f := Failure{Pos: Pos{File: path}, Message: err.Error()}
		var pe *ParseError
		if errors.As(err, &pe) {
			f = Failure{Pos: pe.Pos, Message: "syntax error in script: " + pe.Msg}
		}
		return Result{Failed: 1, Failures: []Failure{f}}
	}
	return Run(db, s, opts)
}

func applies(conds []Condition, names []string) bool {
	for _, c := range conds {
		if !c.Applies(names...) {
			return false
		}
	}
	return true
}

type labelSeen struct {
	pos  Pos
	hash string
}

type runner struct {
	db        DB
	opts      Options
	threshold int
	labels    map[string]labelSeen
	res       Result
}

func (r *runner) trace(rec *Record, st Status) {
	if r.opts.Trace == nil {
		return
	}
	first, _, _ := strings.Cut(rec.SQL, "\n")
	fmt.Fprintf(r.opts.Trace, "%s: %s %s\n", rec.Pos, st, first)
}

func (r *runner) pass(rec *Record, rr RecordResult) {
	rr.Status = Passed
	r.res.Passed++
	r.res.Records = append(r.res.Records, rr)
	r.trace(rec, Passed)
}

func (r *runner) fail(rec *Record, rr RecordResult, msg, diff string) {
	rr.Status = Failed
	r.res.Failed++
	r.res.Records = append(r.res.Records, rr)
	r.res.Failures = append(r.res.Failures, Failure{Pos: rec.Pos, SQL: rec.SQL, Message: msg, Diff: diff})
	r.trace(rec, Failed)
}

// call runs f, turning a panic into a message and stack.
func call(f func() error) (err error, panicked string, stack string) {
	defer func() {
		if p := recover(); p != nil {
			panicked = fmt.Sprint(p)
			stack = string(debug.Stack())
		}
	}()
	return f(), "", ""
}

// IsQuery reports whether sql is a query (its first keyword, after
// comments and opening parentheses, is SELECT or WITH). A statement
// record whose SQL is a query runs through DB.Query and its rows are
// discarded; every other statement runs through DB.Exec.
func IsQuery(sql string) bool {
	s := sql
	for {
		s = strings.TrimLeft(s, " \t\r\n(")
		switch {
		case strings.HasPrefix(s, "--"), strings.HasPrefix(s, "#"):
			_, rest, ok := strings.Cut(s, "\n")
			if !ok {
				return false
			}
			s = rest
			continue
		case strings.HasPrefix(s, "/*"):
			_, rest, ok := strings.Cut(s[2:], "*/")
			if !ok {
				return false
			}
			s = rest
			continue
		}
		break
	}
	end := strings.IndexFunc(s, func(c rune) bool {
		return !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || c == '_')
	})
	if end < 0 {
		end = len(s)
	}
	kw := strings.ToUpper(s[:end])
	return kw == "SELECT" || kw == "WITH"
}

// MatchError reports whether an error message satisfies a statement error
// or query error pattern: an empty pattern matches any message; otherwise
// the message must contain the pattern, or match it as a regular expression.
func MatchError(pattern, msg string) bool {
	if pattern == "" || strings.Contains(msg, pattern) {
		return true
	}
	re, err := regexp.Compile(pattern)
	return err == nil && re.MatchString(msg)
}

func (r *runner) checkError(rec *Record, rr RecordResult, err error, what string) {
	switch {
	case err == nil:
		msg := what + " succeeded, but an error was expected"
		if rec.ErrorPattern != "" {
			msg += fmt.Sprintf(" (matching %q)", rec.ErrorPattern)
		}
		r.fail(rec, rr, msg, "")
	case !MatchError(rec.ErrorPattern, err.Error()):
		r.fail(rec, rr, fmt.Sprintf("%s failed as expected, but its error does not match %q", what, rec.ErrorPattern),
			"- "+rec.ErrorPattern+"\n+ "+err.Error())
	default:
		r.pass(rec, rr)
	}
}

func (r *runner) statement(rec *Record) {
	rr := RecordResult{Pos: rec.Pos, Kind: Statement}
	err, panicked, stack := call(func() error {
		if IsQuery(rec.SQL) {
			_, _, err := r.db.Query(rec.SQL)
			return err
		}
		return r.db.Exec(rec.SQL)
	})
	if panicked != "" {
		r.fail(rec, rr, "engine panicked: "+panicked, stack)
		return
	}
	if err != nil {
		rr.Err = err.Error()
	}
	if rec.ExpectError {
		r.checkError(rec, rr, err, "statement")
		return
	}
	if err != nil {
		r.fail(rec, rr, "statement failed: "+err.Error(), "")
		return
	}
	r.pass(rec, rr)
}

func (r *runner) query(rec *Record) {
	rr := RecordResult{Pos: rec.Pos, Kind: Query}
	var schema types.Schema
	var rows [][]types.Value
	err, panicked, stack := call(func() error {
		var err error
		schema, rows, err = r.db.Query(rec.SQL)
		return err
	})
	if panicked != "" {
		r.fail(rec, rr, "engine panicked: "+panicked, stack)
		return
	}
	if err != nil {
		rr.Err = err.Error()
	}
	if rec.ExpectError {
		r.checkError(rec, rr, err, "query")
		return
	}
	if err != nil {
		r.fail(rec, rr, "query failed: "+err.Error(), "")
		return
	}

	ncols := len(schema)
	if ncols == 0 && len(rows) > 0 {
		ncols = len(rows[0])
	}
	if ncols != len(rec.Types) {
		r.fail(rec, rr, fmt.Sprintf("query returned %d columns (%s), but the type string %q has %d letters",
			ncols, describeSchema(schema), rec.Types, len(rec.Types)), "")
		return
	}
	for i, row := range rows {
		if len(row) != ncols {
			r.fail(rec, rr, fmt.Sprintf("row %d has %d values, but the schema has %d columns", i+1, len(row), ncols), "")
			return
		}
	}

	rendered := RenderRows(schema, rows, rec.Types)
	switch rec.Sort {
	case RowSort:
		SortRows(rendered)
	case ValueSort:
		vals := Flatten(rendered)
		slices.Sort(vals)
		rendered = chunk(vals, ncols)
	}
	values := Flatten(rendered)
	rr.Values = values

	if msg, diff := compareResult(rec.Expected, rendered, values, r.threshold); msg != "" {
		r.fail(rec, rr, msg, diff)
		return
	}
	if rec.Label != "" {
		h := HashValues(values)
		if prev, ok := r.labels[rec.Label]; ok {
			if prev.hash != h {
				r.fail(rec, rr, fmt.Sprintf("result differs from the earlier query labelled %q at %s", rec.Label, prev.pos), "")
				return
			}
		} else {
			r.labels[rec.Label] = labelSeen{pos: rec.Pos, hash: h}
		}
	}
	r.pass(rec, rr)
}

func describeSchema(s types.Schema) string {
	parts := make([]string, len(s))
	for i, c := range s {
		parts[i] = c.Name + " " + c.Type.String()
	}
	return strings.Join(parts, ", ")
}

// compareResult compares an expected block with a rendered, sorted result.
// It returns "" when they agree, otherwise a message and a diff.
//
// The expected block agrees if it is the hash line of the values, or (when
// the result has no more values than a non-zero threshold) if it lists the
// values one per line, or the rows one per line with values joined by
// single spaces.
func compareResult(expected []string, rows [][]string, values []string, threshold int) (msg, diff string) {
	if n, h, ok := parseHashLine(expected); ok {
		got := HashValues(values)
		if n == len(values) && h == got {
			return "", ""
		}
		return fmt.Sprintf("result mismatch: expected %d values hashing to %s, got %d values hashing to %s",
				n, h, len(values), got),
			"actual result, row per line:\n" + strings.Join(limitLines(RowLines(rows), 200), "\n")
	}
	if threshold > 0 && len(values) > threshold {
		line := HashLine(values)
		return fmt.Sprintf("result mismatch: the result has %d values, more than hash-threshold %d, so the expected output must be the hash line",
				len(values), threshold),
			Diff(expected, []string{line}, "expected", "actual (hashed)")
	}
	vl := trimRight(values)
	rl := trimRight(RowLines(rows))
	if slices.Equal(expected, vl) || slices.Equal(expected, rl) {
		return "", ""
	}
	// Show the diff in the layout closer to the expected block.
	actual, layout := rl, "actual, row per line"
	if len(rows) > 0 && len(rows[0]) > 1 && distance(expected, vl) < distance(expected, rl) {
		actual, layout = vl, "actual, value per line"
	}
	return fmt.Sprintf("result mismatch: expected %d lines, got %d rows (%d values)", len(expected), len(rows), len(values)),
		Diff(expected, actual, "expected", layout)
}

func trimRight(lines []string) []string {
	out := make([]string, len(lines))
	for i, l := range lines {
		out[i] = strings.TrimRight(l, " \t")
	}
	return out
}

func limitLines(lines []string, n int) []string {
	if len(lines) <= n {
		return lines
	}
	out := append([]string(nil), lines[:n]...)
	return append(out, fmt.Sprintf("... (%d more lines)", len(lines)-n))
}
