package sql

import (
	"errors"
	"strings"
	"testing"

	"github.com/streamsql/streamsql/catalog"
	"github.com/streamsql/streamsql/types"
)

func dmlCatalog(t *testing.T) *catalog.Catalog {
	t.Helper()
	cat := catalog.New()
	for _, tb := range []*catalog.Table{
		{Name: "t", Columns: types.Schema{{Name: "a", Type: types.BigInt}, {Name: "b", Type: types.String}}, ProctimeColumn: -1},
		{Name: "k", Columns: types.Schema{{Name: "id", Type: types.BigInt}}, ProctimeColumn: -1,
			Options: []catalog.Option{{Key: "connector", Value: "datagen"}}},
	} {
		if err := cat.AddTable(tb); err != nil {
			t.Fatal(err)
		}
	}
	return cat
}

// Malformed DELETE, UPDATE, REPLACE, index, trigger, ALTER TABLE and LIKE
// statements give a located *Error (never an internal error).
func TestDMLAndDDLErrors(t *testing.T) {
	cat := dmlCatalog(t)
	cases := []struct{ sql, want string }{
		{"DELETE", "expected FROM"},
		{"DELETE FROM", "expected table name"},
		{"DELETE FROM t WHERE", "expected a condition after WHERE"},
		{"DELETE FROM t LIMIT 1", "expected WHERE or the end of the statement"},
		{"DELETE FROM k", "works only on in-memory tables"},
		{"UPDATE", "expected table name"},
		{"UPDATE t", "expected SET"},
		{"UPDATE t SET", "expected column name"},
		{"UPDATE t SET a", "expected '='"},
		{"UPDATE t SET a =", "expected an expression"},
		{"UPDATE t SET a = 1,", "expected column name"},
		{"UPDATE t SET a = 1 b = 2", "syntax error"},
		{"UPDATE t SET a = 'x'", "cannot cast 'x' to BIGINT for column 'a'"},
		{"UPDATE t SET a = (SELECT 1)", ""},
		{"UPDATE t SET a = SUM(a)", "expected one row expression"},
		{"UPDATE k SET id = 1", "works only on in-memory tables"},
		{"REPLACE INTO k VALUES (1)", "REPLACE works only on in-memory tables"},
		{"INSERT OR REPLACE INTO nosuch VALUES (1)", "unknown table 'nosuch'"},
		{"CREATE INDEX", "expected index name"},
		{"CREATE INDEX i", "expected ON"},
		{"CREATE INDEX i ON nosuch (a)", "unknown table 'nosuch'"},
		{"CREATE INDEX i ON t", "expected '('"},
		{"CREATE INDEX i ON t (a", "expected ',' or ')'"},
		{"CREATE INDEX i ON t (a) x", "unexpected"},
		{"DROP INDEX", "expected index name"},
		{"DROP INDEX i ON nosuch", "unknown table 'nosuch'"},
		{"CREATE TRIGGER x AFTER INSERT ON t BEGIN SELECT 1", "CREATE TRIGGER is not supported"},
		{"DROP TRIGGER x", "DROP TRIGGER is not supported"},
		{"ALTER TABLE", "expected table name"},
		{"ALTER TABLE t", "expected SET"},
		{"ALTER TABLE t SET", "expected '('"},
		{"ALTER TABLE t SET (", "missing ')'"},
		{"ALTER TABLE t SET ()", "at least one option"},
		{"ALTER TABLE t SET ('a')", "expected 'key' = 'value'"},
		{"CREATE TABLE n LIKE", "expected table name"},
		{"CREATE TABLE n LIKE t (", "expected INCLUDING, EXCLUDING or OVERWRITING at end of statement"},
		{"CREATE TABLE n LIKE t (INCLUDING)", "expected ALL, CONSTRAINTS"},
		{"CREATE TABLE n LIKE t (SOMETIMES ALL)", "expected INCLUDING, EXCLUDING or OVERWRITING"},
		{"CREATE TABLE n LIKE t x", "unexpected"},
		{"CREATE TABLE n ENGINE=x LIKE t", "unexpected text before LIKE"},
		{"CREATE TABLE n (b BIGINT) LIKE t", "duplicate column 'b'"},
	}
	for _, c := range cases {
		_, err := Compile(Piece{Text: c.sql, Index: 1, Line: 1, Col: 1}, cat)
		if err == nil {
			t.Errorf("%s: no error, want %q", c.sql, c.want)
			continue
		}
		var e *Error
		if !errors.As(err, &e) || e.Kind == 0 {
			t.Errorf("%s: error %v is not a located *Error", c.sql, err)
		}
		if strings.Contains(err.Error(), "internal error") || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: error %q, want it to contain %q", c.sql, err, c.want)
		}
	}
}

// DELETE and UPDATE bind their expressions over the table's columns;
// assignments are cast to the column type.
func TestDMLCompiles(t *testing.T) {
	cat := dmlCatalog(t)
	st, err := Compile(Piece{Text: "UPDATE t SET b = a + 1, a = 7 WHERE b LIKE 'x%'", Index: 1, Line: 1, Col: 1}, cat)
	if err != nil {
		t.Fatal(err)
	}
	u := st.(*Update)
	if len(u.Set) != 2 || u.Set[0].Col != 1 || u.Set[1].Col != 0 || u.Where == nil {
		t.Fatalf("update %+v", u)
	}
	v, err := u.Set[0].Expr.Eval([]types.Value{types.IntValue(41), types.StringValue("x")})
	if err != nil || v.Kind() != types.KindString || v.Str() != "42" {
		t.Errorf("b = a + 1 over (41, 'x'): %v, %v", v, err)
	}
	st, err = Compile(Piece{Text: "DELETE FROM t", Index: 1, Line: 1, Col: 1}, cat)
	if err != nil || st.(*Delete).Where != nil {
		t.Errorf("DELETE without WHERE: %+v, %v", st, err)
	}
	st, err = Compile(Piece{Text: "INSERT OR REPLACE INTO t VALUES (1, 'a')", Index: 1, Line: 1, Col: 1}, cat)
	if err != nil || !st.(*Insert).Replace || st.Piece().Text != "INSERT OR REPLACE INTO t VALUES (1, 'a')" {
		t.Errorf("INSERT OR REPLACE: %+v, %v", st, err)
	}
}
