package sql

import (
	"errors"
	"slices"
	"testing"

	"github.com/streamsql/streamsql/catalog"
)

func TestSplit(t *testing.T) {
	script := "-- intro\nSELECT 'a;b', `c;d` FROM t; /* x; */\n\n  INSERT INTO t VALUES (1) ;;\n# tail\nSET 'k' = 'v'"
	ps := Split(script)
	want := []Piece{
		{Text: "SELECT 'a;b', `c;d` FROM t", Index: 1, Line: 2, Col: 1, Offset: 9},
		{Text: "INSERT INTO t VALUES (1)", Index: 2, Line: 4, Col: 3},
		{Text: "SET 'k' = 'v'", Index: 3, Line: 6, Col: 1},
	}
	if len(ps) != len(want) {
		t.Fatalf("got %d pieces: %+v", len(ps), ps)
	}
	for i, w := range want {
		g := ps[i]
		if g.Text != w.Text || g.Index != w.Index || g.Line != w.Line || g.Col != w.Col || script[g.Offset:g.Offset+len(g.Text)] != g.Text {
			t.Errorf("piece %d = %+v, want %+v", i, g, w)
		}
	}
}

func TestErrorPositionInScript(t *testing.T) {
	cat := catalog.New()
	script := "CREATE TABLE bids (price BIGINT);\nSELECT 1;\nSELECT a,\n  pricee FROM bids"
	ps := Split(script)
	st, err := Compile(ps[0], cat)
	if err != nil {
		t.Fatal(err)
	}
	_ = cat.AddTable(st.(*CreateTable).Table)
	_, err = Compile(ps[2], cat)
	var e *Error
	if !errors.As(err, &e) {
		t.Fatalf("want *Error, got %v", err)
	}
	if e.Kind != ErrUnknownColumn || e.Stmt != 3 || e.Line != 3 || e.Col != 8 {
		t.Errorf("got %+v", e)
	}
	_, err = Compile(ps[2], nil)
	if !errors.As(err, &e) || e.Kind != ErrUnknownTable {
		t.Errorf("got %v", err)
	}
	want := "statement 3, line 4, column 3: unknown column 'pricee' in table 'bids' (did you mean 'price'?)"
	ps2 := Split("CREATE TABLE bids (price BIGINT);\nSELECT 1;\nSELECT price,\n  pricee FROM bids")
	_, err = Compile(ps2[2], cat)
	if err == nil || err.Error() != want {
		t.Errorf("got %v\nwant %s", err, want)
	}
}

func TestNeverPanics(t *testing.T) {
	cat := catalog.New()
	for _, s := range []string{"", "(", "SELECT", "CREATE TABLE", "CREATE TABLE t (", "CREATE TABLE t ()", "INSERT INTO",
		"SELECT CAST(", "SELECT INTERVAL", "STOP JOB", "SET =", "EXPLAIN", "CREATE VIEW v AS", "SELECT * FROM (SELECT 1)",
		"SELECT TUMBLE_END(", "CREATE TABLE t (a INT, WATERMARK FOR)", "SELECT 1 FROM t GROUP BY TUMBLE()", "DROP TABLE"} {
		_, err := Compile(Piece{Text: s}, cat)
		var e *Error
		if err != nil && !errors.As(err, &e) {
			t.Errorf("%q: untyped error %v", s, err)
		}
		if e != nil && e.Kind == ErrInvalid && len(e.Msg) > 14 && e.Msg[:14] == "internal error" {
			t.Errorf("%q: %v", s, err)
		}
	}
}

func TestSplitStatementSet(t *testing.T) {
	script := "CREATE TABLE a (x INT);\nEXECUTE STATEMENT SET BEGIN\n  INSERT INTO a SELECT CASE WHEN x > 1 THEN 1 END FROM s;\n  INSERT INTO b VALUES (';');\nEND;\nSELECT 1;\n" +
		"BEGIN STATEMENT SET;\nINSERT INTO a VALUES (1);\nEND;\nEXPLAIN EXECUTE STATEMENT SET BEGIN INSERT INTO a VALUES (2); END"
	var got []string
	for _, p := range Split(script) {
		got = append(got, p.Text)
	}
	want := []string{
		"CREATE TABLE a (x INT)",
		"EXECUTE STATEMENT SET BEGIN\n  INSERT INTO a SELECT CASE WHEN x > 1 THEN 1 END FROM s;\n  INSERT INTO b VALUES (';');\nEND",
		"SELECT 1",
		"BEGIN STATEMENT SET;\nINSERT INTO a VALUES (1);\nEND",
		"EXPLAIN EXECUTE STATEMENT SET BEGIN INSERT INTO a VALUES (2); END",
	}
	if !slices.Equal(got, want) {
		t.Fatalf("Split = %q\nwant %q", got, want)
	}
	for _, c := range []struct {
		script string
		open   bool
	}{
		{"BEGIN STATEMENT SET;", true},
		{"BEGIN STATEMENT SET;\nINSERT INTO a SELECT CASE WHEN x THEN 1 END FROM s;", true},
		{"BEGIN STATEMENT SET;\nINSERT INTO a VALUES (1);\nEND;", false},
		{"EXECUTE STATEMENT SET BEGIN INSERT INTO a VALUES (1);", true},
		{"SELECT 1; SELECT 2;", false},
	} {
		if got := InStatementSet(c.script); got != c.open {
			t.Errorf("InStatementSet(%q) = %v, want %v", c.script, got, c.open)
		}
	}
}
