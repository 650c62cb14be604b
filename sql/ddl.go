package sql

import (
	"os"
	"path/filepath"
	"strings"

	"github.com/pingcap/tidb/pkg/parser/ast"

	"github.com/streamsql/streamsql/catalog"
	"github.com/streamsql/streamsql/types"
)

// columnOptionWords start the options after a column's type.
var columnOptionWords = map[string]bool{"NOT": true, "NULL": true, "PRIMARY": true, "DEFAULT": true,
	"COMMENT": true, "UNIQUE": true, "KEY": true, "AUTO_INCREMENT": true, "CHECK": true,
	"REFERENCES": true, "COLLATE": true, "CHARACTER": true, "CHARSET": true, "METADATA": true,
	"CONSTRAINT": true, "GENERATED": true, "ON": true}

type ddlColumn struct {
	name     string
	off      int
	typ      types.Type
	proctime bool
	notNull  bool
	pk       bool
}

// createTable compiles CREATE TABLE. The pre-parse pass reads what TiDB
// lacks (WATERMARK, `pt AS PROCTIME()`, NOT ENFORCED, PARTITIONED BY (...),
// WITH (...), Flink type names) and blanks it out; TiDB then checks the remaining structure
// (column list, constraints, ENGINE/CONNECTION options).
func (cx *compiler) createTable() (Stmt, error) {
	p, toks := cx.p, cx.toks
	buf := []byte(p.Text)
	c := &cursor{p: p, toks: toks, i: 1}
	c.accept("TEMPORARY")
	if err := c.expect("TABLE"); err != nil {
		return nil, err
	}
	ifNotExists := c.accept("IF", "NOT", "EXISTS")
	name, nameOff, err := c.name("table")
	if err != nil {
		return nil, err
	}
	like, likeAt, err := cx.findLike(buf, c.i) // ddl_like.go
	if err != nil {
		return nil, err
	}
	end := len(toks) // the tokens before LIKE
	if like != nil {
		end = likeAt
	}
	hasColumnList := c.peek().is("(")
	if !hasColumnList && like == nil {
		return nil, c.errHere("expected '(' and the column list", "usage: CREATE TABLE name (col TYPE, ...) WITH ('connector' = '...')")
	}
	open, close := c.i-1, c.i-1 // no column list (CREATE TABLE t WITH (...) LIKE src)
	if hasColumnList {
		open = c.i
		close = matchParen(toks, open)
		if close < 0 || close >= end {
			return nil, p.errAt(ErrSyntax, toks[open].start, "missing ')' to close the column list", "")
		}
	}
	// Split the elements at top-level commas.
	type span struct{ a, b int }
	var elems []span
	depth, st := 0, open+1
	for j := open + 1; j <= close; j++ {
		switch {
		case j == close || (depth == 0 && toks[j].is(",")):
			elems = append(elems, span{st, j})
			st = j + 1
		case toks[j].is("("):
			depth++
		case toks[j].is(")"):
			depth--
		}
	}
	blankElem := func(k int) {
		e := elems[k]
		if e.a >= e.b {
			return
		}
		from, to := toks[e.a].start, toks[e.b-1].end
		if e.a-1 > open {
			from = toks[e.a-1].start // the comma before
		} else if e.b < close {
			to = toks[e.b].end // the comma after
		}
		blank(buf, from, to)
	}
	blankNotEnforced := func(a, b int) {
		for j := a; j+1 < b; j++ {
			if toks[j].is("NOT") && toks[j+1].is("ENFORCED") {
				blank(buf, toks[j].start, toks[j+1].end)
			}
		}
	}
	var cols []ddlColumn
	plainCols := 0 // columns declared with a type in the list
	if like != nil {
		cols = like.columns()
	}
	var wmTok, wmCol token
	var wmText string
	var wmDelay int64
	hasWM := false
	for k, e := range elems {
		if e.a >= e.b {
			return nil, p.errAt(ErrSyntax, toks[e.a-1].start, "empty element in the column list", "remove the extra ','")
		}
		f := toks[e.a]
		switch {
		case f.is("WATERMARK"):
			if hasWM {
				return nil, p.errAt(ErrDuplicate, f.start, "a table can declare only one WATERMARK", "")
			}
			hasWM = true
			if e.b-e.a < 5 || !toks[e.a+1].is("FOR") || !toks[e.a+2].isName() || !toks[e.a+3].is("AS") {
				return nil, p.errAt(ErrSyntax, f.start, "malformed WATERMARK clause", "usage: WATERMARK FOR ts AS ts - INTERVAL '2' SECOND")
			}
			wmTok, wmCol = f, toks[e.a+2]
			x := toks[e.a+4 : e.b]
			wmText = p.Text[x[0].start:x[len(x)-1].end]
			switch {
			case len(x) == 1 && x[0].isName() && strings.EqualFold(x[0].name(), wmCol.name()):
			case len(x) >= 4 && x[0].isName() && strings.EqualFold(x[0].name(), wmCol.name()) && x[1].is("-"):
				ms, next, ok, msg, kind := parseIntervalAt(x, 2)
				if msg != "" {
					return nil, p.errAt(kind, x[3].start, msg, "")
				}
				if !ok || next != len(x) {
					return nil, p.errAt(ErrUnsupported, x[2].start, "unsupported watermark delay '"+p.Text[x[2].start:x[len(x)-1].end]+"'",
						"write ts - INTERVAL 'n' UNIT with UNIT one of MILLISECOND, SECOND, MINUTE, HOUR, DAY")
				}
				if ms < 0 {
					return nil, p.errAt(ErrInvalid, x[2].start, "the watermark delay must not be negative", "")
				}
				wmDelay = ms
			default:
				return nil, p.errAt(ErrUnsupported, x[0].start, "unsupported WATERMARK expression '"+wmText+"'",
					"write WATERMARK FOR ts AS ts - INTERVAL 'n' UNIT (or AS ts for no delay)")
			}
			blankElem(k)
		case f.is("PRIMARY") || f.is("CONSTRAINT") || f.is("UNIQUE") || f.is("KEY") || f.is("INDEX"):
			blankNotEnforced(e.a, e.b)
		case e.b-e.a >= 2 && toks[e.a+1].is("AS"):
			if !f.isName() {
				return nil, p.errAt(ErrSyntax, f.start, "expected a column name", "")
			}
			x := toks[e.a+2 : e.b]
			if len(x) != 3 || !x[0].is("PROCTIME") || !x[1].is("(") || !x[2].is(")") {
				return nil, p.errAt(ErrUnsupported, toks[e.a+2].start, "computed column '"+f.name()+"' is not supported",
					"only processing time is: "+f.name()+" AS PROCTIME()")
			}
			cols = append(cols, ddlColumn{name: f.name(), off: f.start, typ: types.Timestamp, proctime: true})
			blankElem(k)
		default:
			if !f.isName() {
				return nil, p.errAt(ErrSyntax, f.start, "expected a column name, got '"+f.text+"'", "")
			}
			if e.b-e.a < 2 {
				return nil, p.errAt(ErrSyntax, f.end, "missing type for column '"+f.name()+"'", "e.g. "+f.name()+" BIGINT")
			}
			te := e.a + 1
			d := 0
			for te < e.b {
				t := toks[te]
				if d == 0 && t.kind == tIdent && columnOptionWords[strings.ToUpper(t.text)] && te > e.a+1 {
					break
				}
				if t.is("(") {
					d++
				} else if t.is(")") {
					d--
				}
				te++
			}
			ts, tEnd := toks[e.a+1].start, toks[te-1].end
			typ, perr := parseType(p.Text[ts:tEnd], ts)
			if perr != nil {
				return nil, cx.preErr(perr)
			}
			col := ddlColumn{name: f.name(), off: f.start, typ: typ}
			for j := te; j < e.b; j++ {
				switch {
				case toks[j].is("NOT") && j+1 < e.b && toks[j+1].is("NULL"):
					col.notNull = true
				case toks[j].is("PRIMARY") && j+1 < e.b && toks[j+1].is("KEY"):
					col.pk = true
				case toks[j].is("DEFAULT"), toks[j].is("AUTO_INCREMENT"), toks[j].is("GENERATED"), toks[j].is("METADATA"):
					return nil, p.errAt(ErrUnsupported, toks[j].start, "column option "+strings.ToUpper(toks[j].text)+" is not supported", "")
				}
			}
			blankNotEnforced(te, e.b)
			put(buf, ts, tEnd, "INT")
			cols = append(cols, col)
			plainCols++
		}
	}
	if like != nil && hasColumnList && plainCols == 0 {
		// Only a WATERMARK, a PROCTIME column or constraints beside LIKE:
		// give TiDB a column in the place of a blanked element.
		for _, e := range elems {
			if f := toks[e.a]; !f.is("WATERMARK") && !(e.b-e.a >= 2 && toks[e.a+1].is("AS")) {
				continue
			}
			from, to := toks[e.a].start, toks[e.b-1].end
			col := "__l INT"
			switch {
			case e.a-1 > open:
				from, col = toks[e.a-1].start, ",__l INT"
			case e.b < close:
				to, col = toks[e.b].end, "__l INT,"
			}
			if to-from >= len(col) {
				put(buf, from, to, col)
				break
			}
		}
	}
	// WITH ('k' = 'v', ...) and PARTITIONED BY (col, ...) after the column list.
	var opts []catalog.Option
	valueOff := map[string]int{} // lower-case option key -> offset of its value
	var part []token             // the PARTITIONED BY columns
	partOff := -1                // offset of PARTITIONED
	for j := close + 1; j < end; j++ {
		if toks[j].is("PARTITION") && j+1 < end && toks[j+1].is("BY") {
			return nil, p.errAt(ErrUnsupported, toks[j].start, "MySQL table partitioning (PARTITION BY) is not supported",
				"Flink's PARTITIONED BY (col, ...) partitions a filesystem table into directories")
		}
		if toks[j].is("PARTITIONED") {
			if partOff >= 0 {
				return nil, p.errAt(ErrDuplicate, toks[j].start, "PARTITIONED BY is given twice", "")
			}
			partOff = toks[j].start
			usage := "usage: PARTITIONED BY (col, ...) after the column list"
			if j+2 >= len(toks) || !toks[j+1].is("BY") || !toks[j+2].is("(") {
				return nil, p.errAt(ErrSyntax, toks[j].start, "expected BY and '(' after PARTITIONED", usage)
			}
			pc := matchParen(toks, j+2)
			if pc < 0 {
				return nil, p.errAt(ErrSyntax, toks[j+2].start, "missing ')' to close the PARTITIONED BY columns", usage)
			}
			for k := j + 3; k < pc; k++ {
				if !toks[k].isName() {
					return nil, p.errAt(ErrSyntax, toks[k].start, "expected a column name in PARTITIONED BY, got '"+toks[k].text+"'", usage)
				}
				part = append(part, toks[k])
				if k+1 < pc && !toks[k+1].is(",") {
					return nil, p.errAt(ErrSyntax, toks[k+1].start, "expected ',' between the PARTITIONED BY columns, got '"+toks[k+1].text+"'", usage)
				}
				if k+2 == pc {
					return nil, p.errAt(ErrSyntax, toks[k+1].start, "expected a column name after ',' in PARTITIONED BY", usage)
				}
				k++
			}
			if len(part) == 0 {
				return nil, p.errAt(ErrSyntax, toks[j+2].start, "PARTITIONED BY needs at least one column", usage)
			}
			blank(buf, toks[j].start, toks[pc].end)
			j = pc
			continue
		}
		if !toks[j].is("WITH") {
			continue
		}
		if j+1 >= len(toks) || !toks[j+1].is("(") {
			return nil, p.errAt(ErrSyntax, toks[j].start, "expected '(' after WITH", "usage: WITH ('connector' = 'kafka', 'topic' = 't')")
		}
		oc := matchParen(toks, j+1)
		if oc < 0 {
			return nil, p.errAt(ErrSyntax, toks[j+1].start, "missing ')' to close the WITH options", "")
		}
		oc2 := &cursor{p: p, toks: toks[:oc], i: j + 2}
		for !oc2.eof() {
			kt := oc2.peek()
			key := oc2.rawUntil("=")
			if !oc2.accept("=") || key == "" {
				return nil, oc2.errHere("expected 'key' = 'value'", "usage: WITH ('connector' = 'kafka', 'topic' = 't')")
			}
			before := oc2.i
			val := oc2.rawUntil(",")
			if oc2.i > before {
				valueOff[strings.ToLower(key)] = toks[before].start
			}
			if oc2.i == before {
				return nil, oc2.errHere("expected a value for option '"+key+"'", "")
			}
			for _, o := range opts {
				if strings.EqualFold(o.Key, key) {
					return nil, p.errAt(ErrDuplicate, kt.start, "option '"+key+"' is given twice", "")
				}
			}
			opts = append(opts, catalog.Option{Key: key, Value: val})
			if !oc2.accept(",") && !oc2.eof() {
				return nil, oc2.errHere("expected ',' between options", "")
			}
		}
		blank(buf, toks[j].start, toks[oc].end)
		j = oc
	}
	ct := &ast.CreateTableStmt{}
	if hasColumnList {
		node, err := cx.parse(string(buf))
		if err != nil {
			return nil, err
		}
		var ok bool
		if ct, ok = node.(*ast.CreateTableStmt); !ok {
			return nil, p.errAt(ErrSyntax, 0, "malformed CREATE TABLE", "")
		}
	} else if rest := strings.TrimSpace(string(buf[toks[close].end:])); rest != "" {
		off := toks[close].end + strings.Index(string(buf[toks[close].end:]), rest[:1])
		return nil, p.errAt(ErrSyntax, off, "unexpected text before LIKE", "usage: CREATE TABLE t [(columns)] [WITH (...)] LIKE src")
	}
	if ct.ReferTable != nil || ct.Select != nil {
		return nil, p.errAt(ErrUnsupported, 0, "CREATE TABLE ... LIKE / AS SELECT is not supported", "declare the columns")
	}
	if like != nil {
		if opts, err = like.options(p, opts); err != nil {
			return nil, err
		}
	}
	tbl := &catalog.Table{Name: name, ProctimeColumn: -1, DDL: p.Text, Options: opts}
	seen := map[string]bool{}
	for i, col := range cols {
		k := strings.ToLower(col.name)
		if seen[k] {
			return nil, p.errAt(ErrDuplicate, col.off, "duplicate column '"+col.name+"'", "")
		}
		seen[k] = true
		t := col.typ
		if col.notNull || col.pk {
			t.NotNull = true
		}
		if col.proctime {
			if tbl.ProctimeColumn >= 0 {
				return nil, p.errAt(ErrDuplicate, col.off, "a table can have only one PROCTIME() column", "")
			}
			tbl.ProctimeColumn = i
		}
		if col.pk {
			tbl.PrimaryKey = append(tbl.PrimaryKey, i)
		}
		tbl.Columns = append(tbl.Columns, types.Column{Name: col.name, Type: t})
	}
	for _, cons := range ct.Constraints {
		if cons.Tp != ast.ConstraintPrimaryKey {
			continue
		}
		if tbl.PrimaryKey != nil {
			return nil, p.errAt(ErrDuplicate, cx.findWord("PRIMARY", 0), "the primary key is declared twice", "")
		}
		for _, key := range cons.Keys {
			if key.Column == nil {
				return nil, p.errAt(ErrUnsupported, cx.findWord("PRIMARY", 0), "primary key on an expression", "name columns")
			}
			kn := key.Column.Name.O
			idx := tbl.Columns.Index(kn)
			if idx < 0 {
				return nil, p.errAt(ErrUnknownColumn, cx.findWord(kn, cx.findWord("PRIMARY", 0)), "unknown column '"+kn+"' in PRIMARY KEY", columnHint(kn, tbl.Columns.Names()))
			}
			if idx == tbl.ProctimeColumn {
				return nil, p.errAt(ErrInvalid, cx.findWord(kn, cx.findWord("PRIMARY", 0)), "the PROCTIME column cannot be part of the primary key", "")
			}
			tbl.PrimaryKey = append(tbl.PrimaryKey, idx)
			tbl.Columns[idx].Type.NotNull = true
		}
	}
	for _, o := range ct.Options {
		switch o.Tp {
		case ast.TableOptionEngine:
			if !tbl.HasOption("connector") {
				tbl.Options = append(tbl.Options, catalog.Option{Key: "connector", Value: strings.ToLower(o.StrValue)})
			}
		case ast.TableOptionConnection:
			key := "connection"
			switch strings.ToLower(tbl.Connector()) {
			case "jdbc", "mysql":
				key = "url"
			}
			if !tbl.HasOption(key) {
				tbl.Options = append(tbl.Options, catalog.Option{Key: key, Value: o.StrValue})
			}
		}
	}
	if hasWM {
		idx := tbl.Columns.Index(wmCol.name())
		if idx < 0 {
			return nil, p.errAt(ErrUnknownColumn, wmCol.start, "unknown column '"+wmCol.name()+"' in WATERMARK", columnHint(wmCol.name(), tbl.Columns.Names()))
		}
		if tbl.Columns[idx].Type.Kind != types.KindTimestamp || idx == tbl.ProctimeColumn {
			return nil, p.errAt(ErrType, wmCol.start, "WATERMARK column '"+wmCol.name()+"' must be a TIMESTAMP column, not "+tbl.Columns[idx].Type.Nullable().String(),
				"declare it as TIMESTAMP(3)")
		}
		_ = wmTok
		tbl.Watermark = &catalog.Watermark{Column: idx, DelayMs: wmDelay, Text: wmText}
	}
	if partOff >= 0 {
		if err := partitionKeys(p, tbl, part, partOff, valueOff); err != nil {
			return nil, err
		}
	}
	if like != nil {
		if err := like.inherit(p, tbl, tbl.PrimaryKey != nil, hasWM, partOff >= 0); err != nil {
			return nil, err
		}
	}
	if !ifNotExists {
		if cx.cat.Table(name) != nil || cx.cat.View(name) != nil {
			return nil, p.errAt(ErrDuplicate, nameOff, "table '"+name+"' already exists", "use CREATE TABLE IF NOT EXISTS, or DROP TABLE first")
		}
	}
	return &CreateTable{At: At{P: p}, Table: tbl, IfNotExists: ifNotExists}, nil
}

// partitionKeys resolves the PARTITIONED BY columns of tbl (its options
// complete) and checks what partitioning needs: the filesystem connector,
// known and distinct physical columns, at least one column left for the
// data files, and a 'path' that is a directory.
func partitionKeys(p Piece, tbl *catalog.Table, part []token, partOff int, valueOff map[string]int) error {
	var names []string
	for _, c := range part {
		names = append(names, c.name())
	}
	list := "PARTITIONED BY (" + strings.Join(names, ", ") + ")"
	for _, c := range part {
		idx := tbl.Columns.Index(c.name())
		if idx < 0 {
			return p.errAt(ErrUnknownColumn, c.start, "unknown column '"+c.name()+"' in PARTITIONED BY of table '"+tbl.Name+"'",
				columnHint(c.name(), tbl.Columns.Names()))
		}
		if idx == tbl.ProctimeColumn {
			return p.errAt(ErrInvalid, c.start, "the PROCTIME column '"+c.name()+"' of table '"+tbl.Name+"' cannot be a partition column",
				"partition by a column the rows carry")
		}
		for _, k := range tbl.PartitionKeys {
			if k == idx {
				return p.errAt(ErrDuplicate, c.start, "column '"+c.name()+"' is listed twice in PARTITIONED BY of table '"+tbl.Name+"'", "")
			}
		}
		tbl.PartitionKeys = append(tbl.PartitionKeys, idx)
	}
	if len(tbl.PartitionKeys) == len(tbl.PhysicalColumns()) {
		return p.errAt(ErrInvalid, partOff, "table '"+tbl.Name+"' is "+list+" on all its columns: the data files would hold no column",
			"keep at least one column out of PARTITIONED BY")
	}
	conn := strings.ToLower(tbl.Connector())
	switch {
	case tbl.IsMemory():
		return p.errAt(ErrInvalid, partOff, "table '"+tbl.Name+"' is "+list+" but has no connector: only a filesystem table can be partitioned",
			"add WITH ('connector' = 'filesystem', 'path' = '/dir/', 'format' = 'csv'), or remove PARTITIONED BY")
	case conn != "filesystem":
		return p.errAt(ErrUnsupported, partOff, "table '"+tbl.Name+"' is "+list+", but connector '"+tbl.Connector()+"' cannot partition: only 'filesystem' can",
			"remove PARTITIONED BY, or use 'connector' = 'filesystem'")
	}
	if tbl.HasOption("path") {
		if path := tbl.Option("path"); !isDirPath(path) {
			off, ok := valueOff["path"]
			if !ok {
				off = partOff
			}
			return p.errAt(ErrInvalid, off, "table '"+tbl.Name+"' is "+list+", so its 'path' must be a directory; '"+path+"' is not",
				"give a directory path ending with '/': the rows go to '<path>/"+names[0]+"=<value>/...'")
		}
	}
	return nil
}

// isDirPath reports whether a filesystem 'path' names a directory: it
// ends with a separator, or it is an existing directory.
func isDirPath(path string) bool {
	if strings.HasSuffix(path, "/") || strings.HasSuffix(path, string(filepath.Separator)) {
		return true
	}
	st, err := os.Stat(path)
	return err == nil && st.IsDir()
}

// findWord returns the offset of the first token equal to w (a name,
// case-insensitive) at or after from, or from when there is none.
func (cx *compiler) findWord(w string, from int) int {
	for _, t := range cx.toks {
		if t.start >= from && t.isName() && strings.EqualFold(t.name(), w) {
			return t.start
		}
	}
	return from
}

// createView compiles CREATE VIEW [IF NOT EXISTS] name [(cols)] AS query.
func (cx *compiler) createView() (Stmt, error) {
	p, toks := cx.p, cx.toks
	c := &cursor{p: p, toks: toks, i: 1}
	if c.accept("OR", "REPLACE") {
		return nil, p.errAt(ErrUnsupported, toks[1].start, "CREATE OR REPLACE VIEW is not supported", "DROP VIEW, then CREATE VIEW")
	}
	c.accept("TEMPORARY")
	if err := c.expect("VIEW"); err != nil {
		return nil, err
	}
	ifNotExists := c.accept("IF", "NOT", "EXISTS")
	name, nameOff, err := c.name("view")
	if err != nil {
		return nil, err
	}
	var colNames []string
	var colOffs []int
	if c.accept("(") {
		for {
			t := c.peek()
			if !t.isName() {
				return nil, c.errHere("expected a column name", "")
			}
			colNames = append(colNames, t.name())
			colOffs = append(colOffs, t.start)
			c.i++
			if c.accept(")") {
				break
			}
			if err := c.expect(","); err != nil {
				return nil, err
			}
		}
	}
	if err := c.expect("AS"); err != nil {
		return nil, err
	}
	if c.eof() {
		return nil, c.errHere("expected the view's query", "")
	}
	qStart := c.peek().start
	sub := cx.subPiece(qStart, len(p.Text))
	q := &compiler{p: sub, cat: cx.cat, toks: lex(sub.Text), depth: cx.depth}
	node, cols, _, err := q.bindQueryText(false)
	if err != nil {
		return nil, err
	}
	schema := node.Schema()
	if colNames != nil {
		if len(colNames) != len(schema) {
			return nil, p.errAt(ErrInvalid, colOffs[0], "the view names "+itoa(len(colNames))+" columns but its query returns "+itoa(len(schema)), "")
		}
		_ = cols
	}
	out := make(types.Schema, len(schema))
	seen := map[string]bool{}
	for i, col := range schema {
		out[i] = col
		if colNames != nil {
			out[i].Name = colNames[i]
		}
		k := strings.ToLower(out[i].Name)
		if seen[k] {
			return nil, p.errAt(ErrDuplicate, qStart, "the view would have two columns named '"+out[i].Name+"'", "give the columns distinct aliases")
		}
		seen[k] = true
	}
	if !ifNotExists && (cx.cat.Table(name) != nil || cx.cat.View(name) != nil) {
		return nil, p.errAt(ErrDuplicate, nameOff, "table or view '"+name+"' already exists", "use CREATE VIEW IF NOT EXISTS, or DROP VIEW first")
	}
	v := &catalog.View{Name: name, Query: sub.Text, Columns: out, DDL: p.Text}
	return &CreateView{At: At{P: p}, View: v, IfNotExists: ifNotExists}, nil
}

// columnHint suggests a close column name.
func columnHint(name string, names []string) string {
	if s := closest(name, names); s != "" {
		return "did you mean '" + s + "'?"
	}
	return ""
}
