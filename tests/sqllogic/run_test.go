package sqllogic

import (
	"errors"
	"fmt"
	"os"
	"reflect"
	"strings"
	"testing"

	"github.com/streamsql/streamsql/types"
)

// canned is one canned query outcome of fakeDB.
type canned struct {
	schema types.Schema
	rows   [][]types.Value
	err    error
	panic  any
}

// fakeDB answers from maps keyed by whitespace-normalised SQL. Exec of an
// unknown statement succeeds; Query of an unknown query fails.
type fakeDB struct {
	exec    map[string]error
	queries map[string]canned
	log     []string
}

func norm(sql string) string { return strings.Join(strings.Fields(sql), " ") }

func (f *fakeDB) Exec(sql string) error {
	f.log = append(f.log, "exec "+norm(sql))
	if f.exec != nil {
		if err, ok := f.exec[norm(sql)]; ok {
			if err != nil && err.Error() == "PANIC" {
				panic("exec exploded")
			}
			return err
		}
	}
	return nil
}

func (f *fakeDB) Query(sql string) (types.Schema, [][]types.Value, error) {
	f.log = append(f.log, "query "+norm(sql))
	c, ok := f.queries[norm(sql)]
	if !ok {
		return nil, nil, fmt.Errorf("fake: no canned result for %q", norm(sql))
	}
	if c.panic != nil {
		panic(c.panic)
	}
	return c.schema, c.rows, c.err
}

func schema(cols ...types.Type) types.Schema {
	s := make(types.Schema, len(cols))
	for i, c := range cols {
		s[i] = types.Column{Name: fmt.Sprintf("c%d", i+1), Type: c}
	}
	return s
}

func I(i int64) types.Value   { return types.IntValue(i) }
func S(s string) types.Value  { return types.StringValue(s) }
func TS(s string) types.Value { return types.TimestampValue(mustMillis(s)) }

var null = types.NullValue()

func mustMillis(s string) int64 {
	var y, mo, d, h, mi, sec, ms int
	if _, err := fmt.Sscanf(s, "%d-%d-%d %d:%d:%d.%d", &y, &mo, &d, &h, &mi, &sec, &ms); err != nil {
		panic(err)
	}
	days := daysFromCivil(y, mo, d)
	return ((int64(days)*24+int64(h))*60+int64(mi))*60000 + int64(sec)*1000 + int64(ms)
}

// daysFromCivil converts a proleptic Gregorian date to days since 1970-01-01.
func daysFromCivil(y, m, d int) int {
	if m <= 2 {
		y--
	}
	era := y / 400
	if y < 0 && y%400 != 0 {
		era = (y - 399) / 400
	}
	yoe := y - era*400
	mp := (m + 9) % 12
	doy := (153*mp+2)/5 + d - 1
	doe := yoe*365 + yoe/4 - yoe/100 + doy
	return era*146097 + doe - 719468
}

func run(t *testing.T, db DB, src string, opts Options) Result {
	t.Helper()
	return Run(db, mustParse(t, src), opts)
}

func expectCounts(t *testing.T, r Result, passed, failed, skipped int) {
	t.Helper()
	if r.Passed != passed || r.Failed != failed || r.Skipped != skipped {
		t.Errorf("got %d passed, %d failed, %d skipped; want %d, %d, %d\n%s",
			r.Passed, r.Failed, r.Skipped, passed, failed, skipped, r.Report())
	}
}

func TestStatements(t *testing.T) {
	db := &fakeDB{
		exec: map[string]error{
			"CREATE TABLE t (a BIGINT)":  nil,
			"DROP TABLE nosuch":          errors.New("table nosuch does not exist"),
			"INSERT INTO t VALUES ('x')": errors.New("line 1 column 23: cannot use VARCHAR value 'x' for column a BIGINT"),
		},
		queries: map[string]canned{
			"SELECT * FROM t":      {schema: schema(types.BigInt), rows: [][]types.Value{{I(1)}}},
			"SELECT * FROM nosuch": {err: errors.New("unknown table nosuch")},
		},
	}
	src := `statement ok
CREATE TABLE t (a BIGINT)

statement error does not exist
DROP TABLE nosuch

statement error (?i)CANNOT use \w+ value
INSERT INTO t VALUES ('x')

statement error
INSERT INTO t VALUES ('x')

statement ok
SELECT * FROM t

statement error unknown table nosuch
SELECT * FROM nosuch

statement error
CREATE TABLE t (a BIGINT)

statement error no such thing
DROP TABLE nosuch

statement ok
DROP TABLE nosuch
`
	r := run(t, db, src, Options{})
	expectCounts(t, r, 6, 3, 0)
	wantFail := []int{19, 22, 25}
	if len(r.Failures) != len(wantFail) {
		t.Fatalf("failures: %s", r.Report())
	}
	msgs := []string{
		"statement succeeded, but an error was expected",
		`statement failed as expected, but its error does not match "no such thing"`,
		"statement failed: table nosuch does not exist",
	}
	for i, f := range r.Failures {
		if f.Pos.Line != wantFail[i] || f.Pos.File != "test.slt" {
			t.Errorf("failure %d at %s, want line %d", i, f.Pos, wantFail[i])
		}
		if !strings.Contains(f.Message, msgs[i]) {
			t.Errorf("failure %d: %q does not contain %q", i, f.Message, msgs[i])
		}
	}
	if !strings.Contains(r.Failures[1].Diff, "+ table nosuch does not exist") {
		t.Errorf("error mismatch diff: %q", r.Failures[1].Diff)
	}
	// SELECT statements go through Query, everything else through Exec.
	if db.log[4] != "query SELECT * FROM t" || db.log[0] != "exec CREATE TABLE t (a BIGINT)" {
		t.Errorf("calls: %q", db.log)
	}
	if r.Records[1].Err != "table nosuch does not exist" || r.Records[0].Err != "" {
		t.Errorf("record errors: %+v", r.Records[:2])
	}
}

func TestQueryError(t *testing.T) {
	db := &fakeDB{queries: map[string]canned{
		"SELECT nosuch FROM t": {err: errors.New("line 1 column 8: unknown column nosuch")},
		"SELECT a FROM t":      {schema: schema(types.BigInt), rows: [][]types.Value{{I(1)}}},
	}}
	src := `query error unknown column
SELECT nosuch FROM t

query error
SELECT nosuch FROM t
----
column nosuch

query error
SELECT a FROM t

query I
SELECT nosuch FROM t
----
1
`
	r := run(t, db, src, Options{})
	expectCounts(t, r, 2, 2, 0)
	if !strings.Contains(r.Failures[0].Message, "query succeeded, but an error was expected") {
		t.Errorf("%s", r.Report())
	}
	if !strings.Contains(r.Failures[1].Message, "query failed: line 1 column 8: unknown column nosuch") {
		t.Errorf("%s", r.Report())
	}
}

func twoColumnDB() *fakeDB {
	return &fakeDB{queries: map[string]canned{
		"SELECT a, ts FROM t": {
			schema: schema(types.BigInt, types.Timestamp),
			rows: [][]types.Value{
				{I(2), TS("2020-10-10 00:00:02.000")},
				{I(10), TS("2020-10-10 00:00:05.250")},
				{I(1), TS("1969-12-31 23:59:58.000")},
			},
		},
	}}
}

func TestLayouts(t *testing.T) {
	src := `query IT rowsort
SELECT a, ts FROM t
----
1 1969-12-31 23:59:58.000
10 2020-10-10 00:00:05.250
2 2020-10-10 00:00:02.000

query IT rowsort
SELECT a, ts FROM t
----
1
1969-12-31 23:59:58.000
10
2020-10-10 00:00:05.250
2
2020-10-10 00:00:02.000

query IT nosort
SELECT a, ts FROM t
----
2 2020-10-10 00:00:02.000
10 2020-10-10 00:00:05.250
1 1969-12-31 23:59:58.000

query IT
SELECT a, ts FROM t
----
2
2020-10-10 00:00:02.000
10
2020-10-10 00:00:05.250
1
1969-12-31 23:59:58.000
`
	r := run(t, twoColumnDB(), src, Options{})
	expectCounts(t, r, 4, 0, 0)
	want := []string{"1", "1969-12-31 23:59:58.000", "10", "2020-10-10 00:00:05.250", "2", "2020-10-10 00:00:02.000"}
	if strings.Join(r.Records[0].Values, "|") != strings.Join(want, "|") {
		t.Errorf("values: %q", r.Records[0].Values)
	}
}

func TestMismatchDiff(t *testing.T) {
	src := `query IT rowsort
SELECT a, ts FROM t
----
1 1969-12-31 23:59:58.000
2 2020-10-10 00:00:02.000
3 2020-10-10 00:00:05.250

query IT rowsort
SELECT a, ts FROM t
----
1
1969-12-31 23:59:58.000
10
2020-10-10 00:00:05.250
2
2020-10-10 00:00:02.001
`
	r := run(t, twoColumnDB(), src, Options{})
	expectCounts(t, r, 0, 2, 0)
	f := r.Failures[0]
	if f.Pos.Line != 1 || !strings.Contains(f.Message, "result mismatch") {
		t.Errorf("failure: %+v", f)
	}
	wantDiff := `--- expected
+++ actual, row per line
  1 1969-12-31 23:59:58.000
+ 10 2020-10-10 00:00:05.250
  2 2020-10-10 00:00:02.000
- 3 2020-10-10 00:00:05.250
`
	if f.Diff != wantDiff {
		t.Errorf("diff:\n%s\nwant:\n%s", f.Diff, wantDiff)
	}
	f = r.Failures[1]
	if f.Pos.Line != 8 || !strings.Contains(f.Diff, "+++ actual, value per line") ||
		!strings.Contains(f.Diff, "- 2020-10-10 00:00:02.001\n+ 2020-10-10 00:00:02.000\n") {
		t.Errorf("value-per-line diff:\n%s", f.Diff)
	}
	s := f.String()
	for _, want := range []string{"test.slt:8: result mismatch", "\n    SELECT a, ts FROM t\n", "  --- expected\n"} {
		if !strings.Contains(s, want) {
			t.Errorf("Failure.String() lacks %q:\n%s", want, s)
		}
	}
}

func TestSortModes(t *testing.T) {
	db := &fakeDB{queries: map[string]canned{
		"SELECT k, v FROM t": {
			schema: schema(types.String, types.BigInt),
			rows: [][]types.Value{
				{S("b"), I(2)}, {S("a"), I(10)}, {null, I(3)}, {S("a"), I(9)}, {S(""), I(1)},
			},
		},
	}}
	src := `query TI nosort
SELECT k, v FROM t
----
b 2
a 10
NULL 3
a 9
(empty) 1

query TI rowsort
SELECT k, v FROM t
----
(empty) 1
NULL 3
a 10
a 9
b 2

query TI valuesort
SELECT k, v FROM t
----
(empty)
1
10
2
3
9
NULL
a
a
b

query TI valuesort
SELECT k, v FROM t
----
(empty) 1
10 2
3 9
NULL a
a b

query TI rowsort
SELECT k, v FROM t
----
b 2
a 10
NULL 3
a 9
(empty) 1
`
	r := run(t, db, src, Options{})
	expectCounts(t, r, 4, 1, 0)
	if len(r.Failures) == 1 && r.Failures[0].Pos.Line != 42 {
		t.Errorf("failure at %s, want line 42", r.Failures[0].Pos)
	}
}

func TestHashThreshold(t *testing.T) {
	rows := [][]types.Value{{I(1), S("x")}, {I(2), S("y")}}
	db := &fakeDB{queries: map[string]canned{"SELECT * FROM t": {schema: schema(types.BigInt, types.String), rows: rows}}}
	vals := []string{"1", "x", "2", "y"}
	h := HashValues(vals)
	line := HashLine(vals)
	if line != "4 values hashing to "+h {
		t.Fatalf("HashLine = %q", line)
	}
	src := fmt.Sprintf(`query IT rowsort
SELECT * FROM t
----
%[1]s

hash-threshold 3

query IT rowsort
SELECT * FROM t
----
%[1]s

query IT rowsort
SELECT * FROM t
----
1 x
2 y

query IT rowsort
SELECT * FROM t
----
4 values hashing to 00000000000000000000000000000000

hash-threshold 4

query IT rowsort
SELECT * FROM t
----
1 x
2 y
`, line)
	r := run(t, db, src, Options{})
	expectCounts(t, r, 3, 2, 0)
	if len(r.Failures) != 2 {
		t.Fatal(r.Report())
	}
	if f := r.Failures[0]; f.Pos.Line != 13 || !strings.Contains(f.Message, "more than hash-threshold 3") ||
		!strings.Contains(f.Diff, "+ "+line) {
		t.Errorf("over threshold: %s", f)
	}
	if f := r.Failures[1]; f.Pos.Line != 19 || !strings.Contains(f.Message, "got 4 values hashing to "+h) ||
		!strings.Contains(f.Diff, "1 x\n2 y") {
		t.Errorf("hash mismatch: %s", f)
	}
	// Options.HashThreshold sets the initial threshold.
	r = run(t, db, "query IT rowsort\nSELECT * FROM t\n----\n"+line+"\n\nquery IT rowsort\nSELECT * FROM t\n----\n1 x\n2 y\n", Options{HashThreshold: 2})
	expectCounts(t, r, 1, 1, 0)
}

// The sqllogictest hash is the MD5 of each value followed by a newline.
func TestHashValuesKnown(t *testing.T) {
	// printf '1\n2\n' | md5sum
	if got := HashValues([]string{"1", "2"}); got != "6ddb4095eb719e2a9f0a3f95677d24e0" {
		t.Errorf("HashValues = %s", got)
	}
}

func TestSkipIfOnlyIf(t *testing.T) {
	db := &fakeDB{queries: map[string]canned{"SELECT 1": {schema: schema(types.BigInt), rows: [][]types.Value{{I(1)}}}}}
	src := `skipif streamsql
query I
SELECT 2
----
2

onlyif postgresql
statement ok
DROP EVERYTHING

onlyif streamsql
query I
SELECT 1
----
1

skipif postgresql
query I
SELECT 1
----
1

onlyif postgresql
hash-threshold 1

query I
SELECT 1
----
1
`
	r := run(t, db, src, Options{})
	expectCounts(t, r, 3, 0, 2)
	for _, l := range db.log {
		if strings.Contains(l, "SELECT 2") || strings.Contains(l, "DROP") {
			t.Errorf("skipped record ran: %q", l)
		}
	}
	if r.Records[0].Status != Skipped || r.Records[1].Status != Skipped || r.Records[2].Status != Passed {
		t.Errorf("records: %+v", r.Records)
	}
	// Under another engine name the guards flip.
	r = run(t, &fakeDB{queries: map[string]canned{"SELECT 2": {schema: schema(types.BigInt), rows: [][]types.Value{{I(2)}}}}},
		src, Options{Engine: "postgresql"})
	if r.Passed != 2 || r.Skipped != 2 {
		t.Errorf("engine postgresql: %s, %d skipped", r.Summary(), r.Skipped)
	}
}

// streamsql speaks MySQL's dialect: by default "mysql" names this engine,
// every other name (sqlite, postgresql, mssql, oracle) a foreign one, and a
// comment may follow the engine name.
func TestSkipIfOnlyIfDialects(t *testing.T) {
	src := `onlyif mysql # runs: mysql is this engine's dialect
statement ok
CREATE TABLE a (x BIGINT)

skipif mysql
statement ok
CREATE TABLE b (x BIGINT)

onlyif sqlite  # a foreign engine
statement ok
CREATE TABLE c (x BIGINT)

skipif MSSQL
statement ok
CREATE TABLE d (x BIGINT)

onlyif oracle
halt

onlyif postgresql
halt

skipif sqlite
onlyif streamsql
statement ok
CREATE TABLE e (x BIGINT)
`
	db := &fakeDB{}
	r := run(t, db, src, Options{})
	expectCounts(t, r, 3, 0, 2)
	want := []string{"exec CREATE TABLE a (x BIGINT)", "exec CREATE TABLE d (x BIGINT)", "exec CREATE TABLE e (x BIGINT)"}
	if !reflect.DeepEqual(db.log, want) {
		t.Errorf("ran %q, want %q", db.log, want)
	}
	// Without the dialect alias, mysql is foreign.
	db = &fakeDB{}
	r = run(t, db, src, Options{Dialects: []string{}})
	expectCounts(t, r, 3, 0, 2)
	if len(db.log) != 3 || db.log[0] != "exec CREATE TABLE b (x BIGINT)" {
		t.Errorf("no dialects: ran %q", db.log)
	}
	// onlyif mysql / halt, as the corpus writes it, stops the file here.
	db = &fakeDB{}
	r = run(t, db, "statement ok\nCREATE TABLE a (x BIGINT)\n\nonlyif mysql\nhalt\n\nstatement ok\nCREATE TABLE b (x BIGINT)\n", Options{})
	expectCounts(t, r, 1, 0, 0)
	if !r.Halted {
		t.Error("onlyif mysql / halt did not halt")
	}
}

func TestHalt(t *testing.T) {
	db := &fakeDB{}
	src := `statement ok
CREATE TABLE a (x BIGINT)

onlyif postgresql
halt

statement ok
CREATE TABLE b (x BIGINT)

halt

statement ok
CREATE TABLE c (x BIGINT)
`
	r := run(t, db, src, Options{})
	expectCounts(t, r, 2, 0, 0)
	if !r.Halted || len(db.log) != 2 {
		t.Errorf("halted=%v calls=%q", r.Halted, db.log)
	}
}

func TestTypeLetters(t *testing.T) {
	db := &fakeDB{queries: map[string]canned{
		"SELECT *": {
			schema: schema(types.BigInt, types.DecimalType(20, 4), types.Double, types.String, types.Timestamp, types.Bool),
			rows: [][]types.Value{
				{I(7), types.DecimalValue(25000, 4), types.DoubleValue(2.5), S("a b"), TS("2020-10-10 00:00:05.000"), types.BoolValue(true)},
				{null, null, null, null, null, null},
			},
		},
	}}
	src := `query RIITTI
SELECT *
----
7.000 2 2 a b 2020-10-10 00:00:05.000 1
NULL NULL NULL NULL NULL NULL

query IRRTTT
SELECT *
----
7
2.500
2.500
a b
2020-10-10 00:00:05.000
TRUE
NULL
NULL
NULL
NULL
NULL
NULL
`
	r := run(t, db, src, Options{})
	expectCounts(t, r, 2, 0, 0)
}

func TestColumnCount(t *testing.T) {
	db := &fakeDB{queries: map[string]canned{
		"SELECT a, b FROM t": {schema: schema(types.BigInt, types.BigInt), rows: [][]types.Value{{I(1), I(2)}}},
		"SELECT ragged":      {schema: schema(types.BigInt, types.BigInt), rows: [][]types.Value{{I(1), I(2)}, {I(3)}}},
	}}
	r := run(t, db, "query I\nSELECT a, b FROM t\n----\n1 2\n\nquery II\nSELECT ragged\n----\n1 2\n3\n", Options{})
	expectCounts(t, r, 0, 2, 0)
	if !strings.Contains(r.Failures[0].Message, `query returned 2 columns (c1 BIGINT, c2 BIGINT), but the type string "I" has 1 letters`) {
		t.Errorf("%s", r.Failures[0].Message)
	}
	if !strings.Contains(r.Failures[1].Message, "row 2 has 1 values, but the schema has 2 columns") {
		t.Errorf("%s", r.Failures[1].Message)
	}
}

func TestEmptyResult(t *testing.T) {
	db := &fakeDB{queries: map[string]canned{
		"SELECT none":  {schema: schema(types.BigInt)},
		"SELECT one":   {schema: schema(types.BigInt), rows: [][]types.Value{{I(1)}}},
		"SELECT empty": {schema: schema(types.String), rows: [][]types.Value{{S("")}}},
	}}
	src := "query I\nSELECT none\n\nquery I\nSELECT none\n----\n\nquery I\nSELECT one\n\nquery T\nSELECT empty\n----\n(empty)\n"
	r := run(t, db, src, Options{})
	expectCounts(t, r, 3, 1, 0)
	if f := r.Failures[0]; f.Pos.Line != 8 || !strings.Contains(f.Diff, "+ 1\n") || !strings.Contains(f.Diff, "(expected no rows)") {
		t.Errorf("%s", f)
	}
}

func TestLabels(t *testing.T) {
	db := &fakeDB{queries: map[string]canned{
		"SELECT a": {schema: schema(types.BigInt), rows: [][]types.Value{{I(1)}, {I(2)}}},
		"SELECT b": {schema: schema(types.BigInt), rows: [][]types.Value{{I(2)}, {I(1)}}},
		"SELECT c": {schema: schema(types.BigInt), rows: [][]types.Value{{I(3)}}},
	}}
	src := `hash-threshold 1

query I rowsort same
SELECT a
----
2 values hashing to 6d30d9ae4c0b4eddbd2af40b1e5bc2ad

query I rowsort same
SELECT b
----
2 values hashing to 6d30d9ae4c0b4eddbd2af40b1e5bc2ad

query I rowsort same
SELECT c
----
3
`
	src = strings.ReplaceAll(src, "6d30d9ae4c0b4eddbd2af40b1e5bc2ad", HashValues([]string{"1", "2"}))
	r := run(t, db, src, Options{})
	expectCounts(t, r, 2, 1, 0)
	if f := r.Failures[0]; f.Pos.Line != 13 || !strings.Contains(f.Message, `differs from the earlier query labelled "same" at test.slt:3`) {
		t.Errorf("%s", f)
	}
}

func TestPanicsAreFailures(t *testing.T) {
	db := &fakeDB{
		exec:    map[string]error{"BOOM": errors.New("PANIC")},
		queries: map[string]canned{"SELECT boom": {panic: "index out of range"}},
	}
	src := "statement error\nBOOM\n\nquery error\nSELECT boom\n\nstatement ok\nCREATE TABLE t (a BIGINT)\n"
	r := run(t, db, src, Options{})
	expectCounts(t, r, 1, 2, 0)
	if !strings.Contains(r.Failures[0].Message, "engine panicked: exec exploded") ||
		!strings.Contains(r.Failures[1].Message, "engine panicked: index out of range") ||
		!strings.Contains(r.Failures[1].Diff, "goroutine") {
		t.Errorf("%s", r.Report())
	}
}

func TestTrace(t *testing.T) {
	var b strings.Builder
	db := &fakeDB{exec: map[string]error{"BAD more": errors.New("no")}}
	run(t, db, "statement ok\nGOOD\n\nstatement ok\nBAD\nmore\n\nskipif streamsql\nstatement ok\nSKIPPED\n", Options{Trace: &b})
	want := "test.slt:1: ok GOOD\ntest.slt:4: FAIL BAD\ntest.slt:9: skip SKIPPED\n"
	if b.String() != want {
		t.Errorf("trace:\n%s\nwant:\n%s", b.String(), want)
	}
}

func TestResultSummaryAndAdd(t *testing.T) {
	a := Result{Passed: 3, Failed: 1, Skipped: 1, Failures: []Failure{{Pos: Pos{"a.slt", 4}, SQL: "SELECT 1", Message: "boom"}}}
	b := Result{Passed: 2, Halted: true}
	a.Add(b)
	if a.Summary() != "5 passed, 1 failed" || !a.Halted || a.Skipped != 1 {
		t.Errorf("%+v %s", a, a.Summary())
	}
	if rep := a.Report(); rep != "a.slt:4: boom\n    SELECT 1\n\n5 passed, 1 failed\n" {
		t.Errorf("report %q", rep)
	}
}

func TestIsQuery(t *testing.T) {
	cases := map[string]bool{
		"SELECT 1":                             true,
		"  select a FROM t":                    true,
		"(SELECT 1) UNION ALL (SELECT 2)":      true,
		"WITH x AS (SELECT 1) SELECT * FROM x": true,
		"-- note\nSELECT 1":                    true,
		"/* c */ SELECT 1":                     true,
		"INSERT INTO t SELECT * FROM u":        false,
		"CREATE VIEW v AS SELECT 1":            false,
		"SELECTED":                             false,
		"SET 'a' = 'b'":                        false,
		"-- only a comment":                    false,
	}
	for sql, want := range cases {
		if got := IsQuery(sql); got != want {
			t.Errorf("IsQuery(%q) = %v, want %v", sql, got, want)
		}
	}
}

func TestMatchError(t *testing.T) {
	cases := []struct {
		pattern, msg string
		want         bool
	}{
		{"", "anything", true},
		{"unknown table", "line 1: unknown table nosuch", true},
		{"Unknown table", "line 1: unknown table nosuch", false},
		{"(?i)Unknown TABLE", "line 1: unknown table nosuch", true},
		{"column (a|b)", "unknown column b", true},
		{"column (a|b", "unknown column (a|b", true}, // invalid regexp, substring
		{"column (a|b", "unknown column b", false},   // invalid regexp, no substring
		{"table t.x", "table t.x is missing", true},
	}
	for _, c := range cases {
		if got := MatchError(c.pattern, c.msg); got != c.want {
			t.Errorf("MatchError(%q, %q) = %v, want %v", c.pattern, c.msg, got, c.want)
		}
	}
}

func TestCompareRuns(t *testing.T) {
	a := []RecordResult{
		{Pos: Pos{"x", 1}, Status: Passed},
		{Pos: Pos{"x", 4}, Status: Passed, Values: []string{"1", "2"}},
		{Pos: Pos{"x", 8}, Status: Passed, Err: "boom"},
	}
	if d := CompareRuns(a, a); d != "" {
		t.Errorf("identical runs: %s", d)
	}
	b := []RecordResult{
		{Pos: Pos{"x", 1}, Status: Failed},
		{Pos: Pos{"x", 4}, Status: Passed, Values: []string{"1", "3"}},
		{Pos: Pos{"x", 8}, Status: Passed},
	}
	d := CompareRuns(a, b)
	for _, want := range []string{"x:1: ok in the first run, FAIL in the second", "x:4: results differ", "- 2\n+ 3", `x:8: error "boom" in the first run, "" in the second`} {
		if !strings.Contains(d, want) {
			t.Errorf("CompareRuns lacks %q:\n%s", want, d)
		}
	}
	if d := CompareRuns(a, a[:2]); !strings.Contains(d, "3 records ran in the first run, 2 in the second") {
		t.Errorf("%s", d)
	}
}

func TestCheckSuitesWithFake(t *testing.T) {
	dir := t.TempDir()
	src := "statement ok\nCREATE TABLE t (a BIGINT)\n\nquery I rowsort\nSELECT a FROM t\n----\n1\n2\n"
	if err := os.WriteFile(dir+"/one.slt", []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	var seen []int
	CheckSuites(t, dir+"/*.slt", func(tb testing.TB, p int) DB {
		seen = append(seen, p)
		return &fakeDB{queries: map[string]canned{
			"SELECT a FROM t": {schema: schema(types.BigInt), rows: [][]types.Value{{I(int64(3 - 1))}, {I(1)}}},
		}}
	})
	if fmt.Sprint(seen) != "[1 2 4]" {
		t.Errorf("parallelisms %v", seen)
	}
}

func TestRunFile(t *testing.T) {
	dir := t.TempDir()
	good := dir + "/good.slt"
	bad := dir + "/bad.slt"
	os.WriteFile(good, []byte("statement ok\nCREATE TABLE t (a BIGINT)\n"), 0o644)
	os.WriteFile(bad, []byte("statement ok\nCREATE TABLE t (a BIGINT)\n\nquery I sideways\nSELECT 1\n"), 0o644)
	var total Result
	total.Add(RunFile(&fakeDB{}, good, Options{}))
	total.Add(RunFile(&fakeDB{}, bad, Options{}))
	total.Add(RunFile(&fakeDB{}, dir+"/missing.slt", Options{}))
	if total.Summary() != "1 passed, 2 failed" {
		t.Fatalf("%s", total.Report())
	}
	if f := total.Failures[0]; f.Pos != (Pos{bad, 4}) || !strings.Contains(f.Message, `syntax error in script: unknown sort mode "sideways"`) {
		t.Errorf("%s", f)
	}
	if f := total.Failures[1]; f.Pos.File != dir+"/missing.slt" || !strings.Contains(f.Message, "no such file") {
		t.Errorf("%s", f)
	}
}

// A corpus file as SQLite's sqllogictest writes it: hash-threshold, results
// over the threshold given as "N values hashing to MD5", where the MD5 is
// taken over the rendered values after sorting, each followed by a newline.
// The hashes here were computed with md5sum (e.g. printf '1\na\n10\nb\n2\nc\n'
// | md5sum for the rowsort result).
func TestCorpusHashes(t *testing.T) {
	db := &fakeDB{queries: map[string]canned{
		"SELECT a, b FROM t": {
			schema: schema(types.BigInt, types.String),
			rows:   [][]types.Value{{I(10), S("b")}, {I(1), S("a")}, {I(2), S("c")}},
		},
	}}
	src := `hash-threshold 4

query IT rowsort
SELECT a, b FROM t
----
6 values hashing to ec077c18903f5de81a26cc5ee7e8871a

query IT valuesort
SELECT a, b FROM t
----
6 values hashing to 321c77739c373bf4a20dc0fcea0e035f

query IT nosort
SELECT a, b FROM t
----
6 values hashing to 2f3894997c9ac48cdbd13b70980b87c0

# the wrong order's hash fails
query IT nosort
SELECT a, b FROM t
----
6 values hashing to ec077c18903f5de81a26cc5ee7e8871a

# over the threshold, a value list is a failure
query IT rowsort
SELECT a, b FROM t
----
1
a
10
b
2
c

hash-threshold 0

query IT rowsort
SELECT a, b FROM t
----
1
a
10
b
2
c
`
	r := run(t, db, src, Options{})
	expectCounts(t, r, 4, 2, 0)
	if r.Records[3].Status != Failed || r.Records[4].Status != Failed {
		t.Errorf("records: %+v", r.Records)
	}
}
