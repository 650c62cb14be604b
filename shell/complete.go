package shell

import (
	"sort"
	"strings"

	"github.com/streamsql/streamsql/connectors"
	"github.com/streamsql/streamsql/engine"
	"github.com/streamsql/streamsql/expr"
)

// WordSeparators are the characters that end the word being completed. A
// completion replaces the text after the last of them (the adapter gives
// the same set to its line editor).
const WordSeparators = " \t\n(),'=;`\""

// Suggestion is one completion: the word to put in place of the word
// being typed, and a short description shown next to it.
type Suggestion struct {
	Text, Desc string
}

// Keywords are statement starts and SQL words offered by Complete.
var Keywords = []string{"SELECT", "FROM", "WHERE", "GROUP BY", "HAVING", "INSERT INTO", "VALUES",
	"CREATE TABLE", "CREATE VIEW", "DROP TABLE", "DROP VIEW", "SHOW TABLES", "SHOW JOBS", "SHOW FULL JOBS", "SHOW CLUSTER", "SHOW FUNCTIONS",
	"SHOW CREATE TABLE", "DESCRIBE", "EXPLAIN", "SET", "RESET", "STOP JOB", "HELP", "QUIT",
	"TUMBLE", "HOP", "SESSION", "CUMULATE", "INTERVAL", "WATERMARK FOR", "PROCTIME()", "WITH",
	"JOIN", "ON", "UNION ALL", "AS", "AND", "OR", "NOT", "COUNT", "SUM", "MIN", "MAX", "AVG"}

// statementStarts are offered at the start of a statement.
var statementStarts = []Suggestion{
	{"SELECT", "run a query and show its rows live"},
	{"INSERT INTO", "start a job writing into a table"},
	{"CREATE TABLE", "define a table"},
	{"CREATE VIEW", "name a query"},
	{"DROP TABLE", "forget a table"},
	{"DROP VIEW", "forget a view"},
	{"SHOW TABLES", "list tables and views"},
	{"SHOW JOBS", "list jobs"},
	{"SHOW FULL JOBS", "list jobs with every column (watermark, checkpoint, restarts, ...)"},
	{"SHOW CLUSTER", "list the servers of the cluster and the jobs each owns"},
	{"SHOW FUNCTIONS", "list functions and aggregates with their signatures"},
	{"SHOW CREATE TABLE", "show a table's definition"},
	{"DESCRIBE", "list a table's columns"},
	{"EXPLAIN", "show the plan of a query"},
	{"SET", "change a setting"},
	{"RESET", "restore settings"},
	{"STOP JOB", "stop a running job"},
	{"TRIGGER SAVEPOINT", "take a savepoint of a running job"},
	{"HELP", "list statements"},
	{"QUIT", "leave the shell"},
	{"EXIT", "leave the shell"},
}

// clauseKeywords are offered inside statements, after the start.
var clauseKeywords = []string{"FROM", "WHERE", "GROUP BY", "HAVING", "ORDER BY", "LIMIT", "AS",
	"AND", "OR", "NOT", "IS NULL", "IS NOT NULL", "IN", "BETWEEN", "LIKE", "CASE", "WHEN", "THEN",
	"ELSE", "END", "JOIN", "ON", "UNION ALL", "DISTINCT", "INTERVAL", "SECOND", "MINUTE", "HOUR",
	"DAY", "WITH", "WATERMARK FOR", "PRIMARY KEY", "NOT ENFORCED", "SAVEPOINT", "DRAIN", "VALUES",
	"SELECT", "TABLE", "VIEW", "IF EXISTS", "IF NOT EXISTS",
	"DESCRIPTOR", "LEFT JOIN", "RIGHT JOIN", "FULL JOIN", "EXISTS", "OVER", "PARTITION BY",
	"ROWS BETWEEN", "RANGE BETWEEN", "PRECEDING", "CURRENT ROW", "UNBOUNDED PRECEDING",
	"GROUPING SETS", "ROLLUP", "CUBE", "FILTER", "window_start", "window_end", "window_time",
	"BIGINT", "INT", "DOUBLE", "DECIMAL", "VARCHAR", "STRING", "BOOLEAN", "TIMESTAMP(3)"}

// token is a lexed piece of the text before the cursor.
type token struct {
	text   string // as typed; a string literal keeps its quotes
	str    bool   // a quoted string
	closed bool   // for strings: the closing quote was seen
}

// lexForCompletion cuts text into words, string literals and single
// punctuation characters. Comments are dropped.
func lexForCompletion(text string) []token {
	var out []token
	for i := 0; i < len(text); {
		c := text[i]
		switch {
		case c == ' ' || c == '\t' || c == '\n' || c == '\r':
			i++
		case c == '-' && i+1 < len(text) && text[i+1] == '-':
			for i < len(text) && text[i] != '\n' {
				i++
			}
		case c == '\'' || c == '"' || c == '`':
			j := i + 1
			closed := false
			for j < len(text) {
				if text[j] == c {
					if j+1 < len(text) && text[j+1] == c { // doubled quote
						j += 2
						continue
					}
					closed = true
					j++
					break
				}
				j++
			}
			out = append(out, token{text: text[i:j], str: c != '`', closed: closed})
			i = j
		case strings.IndexByte("(),;=*+-/<>.", c) >= 0:
			out = append(out, token{text: string(c)})
			i++
		default:
			j := i
			for j < len(text) && strings.IndexByte(" \t\n\r'\"`(),;=*+-/<>.", text[j]) < 0 {
				j++
			}
			out = append(out, token{text: text[i:j]})
			i = j
		}
	}
	return out
}

// lastStatement returns the tokens of the statement the cursor is in
// (after the last top-level ';').
func lastStatement(toks []token) []token {
	for i := len(toks) - 1; i >= 0; i-- {
		if !toks[i].str && toks[i].text == ";" {
			return toks[i+1:]
		}
	}
	return toks
}

func upper(t token) string {
	if t.str {
		return ""
	}
	return strings.ToUpper(t.text)
}

func unquote(s string) string {
	if len(s) >= 2 && (s[0] == '\'' || s[0] == '"' || s[0] == '`') && s[len(s)-1] == s[0] {
		return s[1 : len(s)-1]
	}
	if len(s) >= 1 && (s[0] == '\'' || s[0] == '"' || s[0] == '`') {
		return s[1:]
	}
	return s
}

// Complete returns completions for the word before the end of text (the
// statement typed so far, including earlier lines of a multi-line
// statement). It is the terminal-free core of the shell's Tab key.
func (s *Session) Complete(text string) []string {
	var out []string
	for _, sg := range s.Suggest(text) {
		out = append(out, sg.Text)
	}
	return out
}

// Suggest is Complete with descriptions. The context decides what is
// offered: statement starts at the beginning; tables and views after
// FROM/JOIN/INTO/TABLE/DESCRIBE; columns of the tables in scope,
// functions and keywords inside a statement; connector names after
// 'connector' = '; the connector's option keys inside WITH (...); config
// keys after SET '; job ids after STOP JOB ' and TRIGGER SAVEPOINT '.
// Matching is a case-insensitive prefix match on the word being typed.
func (s *Session) Suggest(text string) []Suggestion {
	all := lexForCompletion(text)
	toks := lastStatement(all)
	// The word being completed: an unclosed string literal, or the text
	// after the last separator when the text does not end in one.
	var word string
	inString := false
	prev := toks
	if n := len(toks); n > 0 {
		last := toks[n-1]
		switch {
		case last.str && !last.closed:
			inString = true
			word = last.text[1:]
			prev = toks[:n-1]
		case !last.str && strings.IndexByte(WordSeparators, text[len(text)-1]) < 0 && last.text != "." && last.text != "*":
			word = last.text
			prev = toks[:n-1]
		}
	}
	if inString {
		return filter(s.stringCandidates(prev), word)
	}
	if len(prev) > 0 && !prev[len(prev)-1].str && prev[len(prev)-1].text == "." && len(prev) >= 2 {
		// qualified column: t.col or alias.col
		q := prev[len(prev)-2].text
		return filter(s.qualifiedColumns(toks, q), q+"."+word)
	}
	if len(prev) == 0 {
		return filter(statementStarts, word)
	}
	last := upper(prev[len(prev)-1])
	before := ""
	if len(prev) >= 2 {
		before = upper(prev[len(prev)-2])
	}
	first := upper(prev[0])
	switch {
	case last == "FROM" || last == "JOIN" || last == "INTO" || last == "DESCRIBE" ||
		(last == "TABLE" && first != "CREATE") || (last == "VIEW" && first == "DROP") || last == "EXISTS" && first == "DROP":
		return filter(s.tables(), word)
	case last == "SHOW" && len(prev) == 1:
		return filter([]Suggestion{{"TABLES", ""}, {"JOBS", ""}, {"FULL JOBS", ""}, {"CLUSTER", ""}, {"FUNCTIONS", ""}, {"CREATE TABLE", ""}}, word)
	case last == "STOP" && len(prev) == 1:
		return filter([]Suggestion{{"JOB", ""}}, word)
	case last == "TRIGGER" && len(prev) == 1:
		return filter([]Suggestion{{"SAVEPOINT", ""}}, word)
	case (last == "CREATE" || last == "DROP") && len(prev) == 1:
		return filter([]Suggestion{{"TABLE", ""}, {"VIEW", ""}}, word)
	case last == "SET" || last == "RESET":
		return filter(s.configKeys("'"), word)
	case last == "JOB" && before == "STOP", last == "SAVEPOINT" && before == "TRIGGER":
		return filter(s.jobIDs("'"), word)
	}
	var cands []Suggestion
	if first == "SELECT" || first == "INSERT" || first == "CREATE" && hasWord(prev, "AS") || first == "EXPLAIN" {
		cands = append(cands, s.scopeColumns(toks)...)
		for _, f := range expr.FunctionNames() {
			cands = append(cands, Suggestion{f, "function"})
		}
	}
	for _, k := range clauseKeywords {
		cands = append(cands, Suggestion{k, ""})
	}
	return filter(cands, word)
}

// stringCandidates offers the contents of a string literal being typed.
func (s *Session) stringCandidates(prev []token) []Suggestion {
	n := len(prev)
	if n == 0 {
		return nil
	}
	first := upper(prev[0])
	if (first == "SET" || first == "RESET") && n == 1 {
		return s.configKeys("")
	}
	if n == 2 && (first == "STOP" && upper(prev[1]) == "JOB" || first == "TRIGGER" && upper(prev[1]) == "SAVEPOINT") {
		return s.jobIDs("")
	}
	// inside WITH ( ... ) ?
	depth, with := 0, -1
	for i := n - 1; i >= 0; i-- {
		t := prev[i]
		if t.str {
			continue
		}
		if t.text == ")" {
			depth++
		} else if t.text == "(" {
			if depth == 0 {
				if i > 0 && upper(prev[i-1]) == "WITH" {
					with = i
				}
				break
			}
			depth--
		}
	}
	if with < 0 {
		return nil
	}
	if n >= 2 && !prev[n-1].str && prev[n-1].text == "=" {
		// a value: connector names after 'connector' =
		if k := prev[n-2]; k.str && strings.EqualFold(unquote(k.text), "connector") {
			var out []Suggestion
			for _, c := range connectors.Names() {
				out = append(out, Suggestion{c, "connector"})
			}
			return out
		}
		return nil
	}
	if prev[n-1].text == "(" || prev[n-1].text == "," {
		// an option key: of the connector named in this WITH clause
		out := []Suggestion{{"connector", "which connector reads or writes the table"}}
		conn := ""
		for i := with + 1; i+2 < n; i++ {
			if prev[i].str && strings.EqualFold(unquote(prev[i].text), "connector") && prev[i+1].text == "=" && prev[i+2].str {
				conn = unquote(prev[i+2].text)
			}
		}
		if f := connectors.Lookup(conn); f != nil {
			for _, o := range f.Options {
				d := o.Help
				if o.Required {
					d = "required; " + d
				}
				out = append(out, Suggestion{o.Key, d})
			}
		}
		return out
	}
	return nil
}

func (s *Session) tables() []Suggestion {
	var out []Suggestion
	cat := s.Engine.Catalog()
	for _, n := range cat.TableNames() {
		d := "table"
		if cat.View(n) != nil {
			d = "view"
		}
		out = append(out, Suggestion{n, d})
	}
	return out
}

func (s *Session) configKeys(quote string) []Suggestion {
	var out []Suggestion
	for _, k := range engine.ConfigKeys {
		out = append(out, Suggestion{quote + k.Key, k.Help})
	}
	return out
}

func (s *Session) jobIDs(quote string) []Suggestion {
	var out []Suggestion
	for _, j := range s.Engine.Jobs() {
		st, _ := j.Status()
		out = append(out, Suggestion{quote + j.ID, string(st) + " " + j.Name})
	}
	return out
}

// columnsOf lists the columns of a table or view (nil if unknown).
func (s *Session) columnsOf(name string) []string {
	cat := s.Engine.Catalog()
	if t := cat.Table(name); t != nil {
		return t.Columns.Names()
	}
	if v := cat.View(name); v != nil {
		return v.Columns.Names()
	}
	return nil
}

// scope finds the tables a statement reads (after FROM and JOIN) and
// their aliases: alias (or name) -> table name.
func (s *Session) scope(toks []token) map[string]string {
	sc := map[string]string{}
	for i := 0; i+1 < len(toks); i++ {
		u := upper(toks[i])
		if u != "FROM" && u != "JOIN" && !(u == "INTO" && i > 0 && upper(toks[i-1]) == "INSERT") {
			continue
		}
		name := unquote(toks[i+1].text)
		if s.columnsOf(name) == nil {
			continue
		}
		sc[strings.ToLower(name)] = name
		j := i + 2
		if j < len(toks) && upper(toks[j]) == "AS" {
			j++
		}
		if j < len(toks) && !toks[j].str {
			a := toks[j].text
			if !isKeyword(a) && a != "," && a != ")" && a != ";" {
				sc[strings.ToLower(unquote(a))] = name
			}
		}
	}
	return sc
}

func isKeyword(w string) bool {
	switch strings.ToUpper(w) {
	case "WHERE", "GROUP", "HAVING", "ORDER", "LIMIT", "JOIN", "ON", "INNER", "LEFT", "RIGHT", "UNION", "SELECT", "AS", "FROM":
		return true
	}
	return false
}

// scopeColumns offers the columns of the tables the statement reads (all
// tables' columns when it names none yet, as in a SELECT list typed
// before its FROM).
func (s *Session) scopeColumns(stmt []token) []Suggestion {
	sc := s.scope(stmt)
	var names []string
	seen := map[string]bool{}
	for _, t := range sc {
		if !seen[strings.ToLower(t)] {
			seen[strings.ToLower(t)] = true
			names = append(names, t)
		}
	}
	if len(names) == 0 {
		names = s.Engine.Catalog().TableNames()
	}
	sort.Strings(names)
	var out []Suggestion
	for _, t := range names {
		for _, c := range s.columnsOf(t) {
			out = append(out, Suggestion{c, "column of " + t})
		}
	}
	return out
}

// qualifiedColumns offers "q.col" for the columns of table or alias q
// (the line editor replaces the whole "q.co" word).
func (s *Session) qualifiedColumns(stmt []token, q string) []Suggestion {
	name := unquote(q)
	if t, ok := s.scope(stmt)[strings.ToLower(name)]; ok {
		name = t
	}
	var out []Suggestion
	for _, c := range s.columnsOf(name) {
		out = append(out, Suggestion{q + "." + c, "column of " + name})
	}
	return out
}

func hasWord(toks []token, w string) bool {
	for _, t := range toks {
		if upper(t) == w {
			return true
		}
	}
	return false
}

// filter keeps the candidates that start with word (ignoring case),
// without duplicates, in their given order.
func filter(cands []Suggestion, word string) []Suggestion {
	var out []Suggestion
	seen := map[string]bool{}
	for _, c := range cands {
		if len(c.Text) >= len(word) && strings.EqualFold(c.Text[:len(word)], word) && !seen[c.Text] {
			seen[c.Text] = true
			out = append(out, c)
		}
	}
	return out
}
