package sql

import (
	"errors"
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
