package sqllogic

import (
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

func mustParse(t *testing.T, src string) *Script {
	t.Helper()
	s, err := Parse("test.slt", strings.NewReader(src))
	if err != nil {
		t.Fatalf("Parse: %v", err)
	}
	return s
}

func TestParseRecords(t *testing.T) {
	src := `# a comment before everything
hash-threshold 8

statement ok
CREATE TABLE t (a BIGINT,
  b VARCHAR)

statement error unknown table
SELECT * FROM nosuch

skipif mysql
onlyif streamsql
query ITR rowsort lbl
SELECT a,
# a comment inside SQL
  b, c FROM t
----
1 x 2.500
2 (empty) NULL

query T
SELECT b FROM t WHERE false

query error (?i)no such
SELECT nosuch FROM t

query I valuesort
SELECT a FROM t
----

halt
`
	s := mustParse(t, src)
	if len(s.Records) != 8 {
		t.Fatalf("got %d records, want 8: %+v", len(s.Records), s.Records)
	}
	r := s.Records
	if r[0].Kind != HashThreshold || r[0].Threshold != 8 || r[0].Pos.Line != 2 {
		t.Errorf("hash-threshold: %+v", r[0])
	}
	if r[1].Kind != Statement || r[1].ExpectError || r[1].SQL != "CREATE TABLE t (a BIGINT,\n  b VARCHAR)" || r[1].Pos.Line != 4 {
		t.Errorf("statement ok: %+v", r[1])
	}
	if !r[2].ExpectError || r[2].ErrorPattern != "unknown table" || r[2].SQL != "SELECT * FROM nosuch" {
		t.Errorf("statement error: %+v", r[2])
	}
	q := r[3]
	if q.Kind != Query || q.Types != "ITR" || q.Sort != RowSort || q.Label != "lbl" || q.Pos.Line != 13 {
		t.Errorf("query header: %+v", q)
	}
	if !reflect.DeepEqual(q.Conditions, []Condition{{Skip: true, Engine: "mysql"}, {Skip: false, Engine: "streamsql"}}) {
		t.Errorf("conditions: %+v", q.Conditions)
	}
	if q.SQL != "SELECT a,\n  b, c FROM t" {
		t.Errorf("query SQL: %q", q.SQL)
	}
	if !reflect.DeepEqual(q.Expected, []string{"1 x 2.500", "2 (empty) NULL"}) {
		t.Errorf("expected: %q", q.Expected)
	}
	if r[4].Types != "T" || r[4].Expected != nil || r[4].Sort != NoSort {
		t.Errorf("query without ----: %+v", r[4])
	}
	if !r[5].ExpectError || r[5].ErrorPattern != "(?i)no such" || r[5].Kind != Query {
		t.Errorf("query error: %+v", r[5])
	}
	if r[6].Sort != ValueSort || r[6].Expected == nil || len(r[6].Expected) != 0 {
		t.Errorf("query with empty block: %+v", r[6])
	}
	if r[7].Kind != Halt {
		t.Errorf("halt: %+v", r[7])
	}
}

func TestParseErrorBlock(t *testing.T) {
	s := mustParse(t, "statement error\nCREATE TABLE t (a INT)\n----\ntable t\nalready exists\n\nquery error\nSELECT 1\n----\nboom\n")
	if got := s.Records[0].ErrorPattern; got != "table t\nalready exists" {
		t.Errorf("statement error block: %q", got)
	}
	if got := s.Records[1].ErrorPattern; got != "boom" {
		t.Errorf("query error block: %q", got)
	}
}

// A comment may follow the engine name of skipif/onlyif, as in the SQLite
// corpus ("onlyif mssql  # this is allowed").
func TestParseConditionComment(t *testing.T) {
	s := mustParse(t, "skipif mssql # empty RHS\nonlyif sqlite  #this is allowed\nstatement ok\nSELECT 1\n")
	want := []Condition{{Skip: true, Engine: "mssql"}, {Engine: "sqlite"}}
	if !reflect.DeepEqual(s.Records[0].Conditions, want) {
		t.Errorf("conditions %+v, want %+v", s.Records[0].Conditions, want)
	}
}

func TestParseCRLFAndTrailingBlanks(t *testing.T) {
	s := mustParse(t, "query II rowsort\r\nSELECT a, b FROM t\r\n----\r\n1 2  \r\n3 4\r\n")
	if !reflect.DeepEqual(s.Records[0].Expected, []string{"1 2", "3 4"}) || s.Records[0].SQL != "SELECT a, b FROM t" {
		t.Errorf("got %+v", s.Records[0])
	}
}

func TestParseErrors(t *testing.T) {
	cases := []struct{ src, want string }{
		{"frobnicate\nSELECT 1\n", "test.slt:1: unknown record type \"frobnicate\""},
		{"\n\nquery I sideways\nSELECT 1\n", "test.slt:3: unknown sort mode \"sideways\""},
		{"query i\nSELECT 1\n", "test.slt:1: query type string \"i\""},
		{"query\nSELECT 1\n", "test.slt:1: query needs type letters"},
		{"query I rowsort lbl extra\nSELECT 1\n", "unexpected text after query label"},
		{"skipif mysql\n\nstatement ok\nSELECT 1\n", "test.slt:1: skipif/onlyif is not followed by a record"},
		{"onlyif mysql\n", "test.slt:1: skipif/onlyif is not followed by a record"},
		{"skipif\nstatement ok\nSELECT 1\n", "skipif takes one engine name"},
		{"onlyif mysql sqlite\nstatement ok\nSELECT 1\n", "test.slt:1: onlyif takes one engine name"},
		{"statement ok\n\n", "test.slt:1: statement record has no SQL"},
		{"statement error\n----\nmsg\n", "statement record has no SQL"},
		{"statement ok\nSELECT 1\n----\n1\n", "statement ok has no ---- block"},
		{"statement ok now\nSELECT 1\n", "unexpected text after statement ok"},
		{"statement maybe\nSELECT 1\n", "want statement ok or statement error"},
		{"hash-threshold many\n", "test.slt:1: hash-threshold: \"many\""},
		{"hash-threshold\n", "hash-threshold takes one number"},
		{"halt now\n", "halt takes no arguments"},
	}
	for _, c := range cases {
		_, err := Parse("test.slt", strings.NewReader(c.src))
		if err == nil {
			t.Errorf("%q: no error, want %q", c.src, c.want)
			continue
		}
		var pe *ParseError
		if !errors.As(err, &pe) {
			t.Errorf("%q: error %T is not a *ParseError", c.src, err)
		}
		if !strings.Contains(err.Error(), c.want) {
			t.Errorf("%q: error %q does not contain %q", c.src, err, c.want)
		}
	}
}

func TestParseFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "x.slt")
	if err := os.WriteFile(path, []byte("statement ok\nCREATE TABLE t (a BIGINT)\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	s, err := ParseFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if s.Name != path || len(s.Records) != 1 || s.Records[0].Pos.String() != path+":1" {
		t.Errorf("got %+v", s)
	}
	if _, err := ParseFile(filepath.Join(t.TempDir(), "missing.slt")); err == nil {
		t.Error("missing file: no error")
	}
}

func TestConditionApplies(t *testing.T) {
	cases := []struct {
		c      Condition
		engine string
		want   bool
	}{
		{Condition{Skip: true, Engine: "streamsql"}, "streamsql", false},
		{Condition{Skip: true, Engine: "mysql"}, "streamsql", true},
		{Condition{Skip: false, Engine: "streamsql"}, "streamsql", true},
		{Condition{Skip: false, Engine: "StreamSQL"}, "streamsql", true},
		{Condition{Skip: false, Engine: "mysql"}, "streamsql", false},
	}
	// Any of several names (the engine and its dialects) matches.
	if !(Condition{Engine: "MySQL"}).Applies("streamsql", "mysql") || (Condition{Skip: true, Engine: "mysql"}).Applies("streamsql", "mysql") {
		t.Error("a dialect name does not count as the engine")
	}
	for _, c := range cases {
		if got := c.c.Applies(c.engine); got != c.want {
			t.Errorf("%+v on %s: %v, want %v", c.c, c.engine, got, c.want)
		}
	}
}
