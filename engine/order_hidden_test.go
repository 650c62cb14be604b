package engine

import (
	"context"
	"io"
	"strings"
	"testing"

	"github.com/streamsql/streamsql/types"
)

// TestOrderByHiddenColumns: ORDER BY expressions the select list does not
// have (a subquery, an expression, an aggregate) sort the result and are
// not part of it. Expected orders are MariaDB's answers to the same
// queries.
func TestOrderByHiddenColumns(t *testing.T) {
	e, _ := newTestEngine()
	script := `CREATE TABLE ob1 (a INT, b INT);
CREATE TABLE ob2 (x INT, y INT);
INSERT INTO ob1 VALUES (1,2),(3,4),(5,6),(NULL,2),(3,NULL);
INSERT INTO ob2 VALUES (1,10),(3,30),(3,31),(1,2),(NULL,4);`
	if err := e.RunScript(context.Background(), script, io.Discard); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		q, want string
		cols    int
	}{
		{"SELECT a FROM ob1 ORDER BY (SELECT COUNT(*) FROM ob2 WHERE x = a) DESC, b DESC", "3 1 3 5 NULL", 1},
		{"SELECT b FROM ob1 ORDER BY a IS NULL, a * 2 DESC, b", "6 NULL 4 2 2", 1},
		{"SELECT b, COUNT(*) FROM ob1 GROUP BY b ORDER BY SUM(a) DESC, b", "6,1 NULL,1 4,1 2,2", 2},
	} {
		schema, rows, err := e.Query(c.q)
		if err != nil {
			t.Fatalf("%s: %v", c.q, err)
		}
		if len(schema) != c.cols {
			t.Fatalf("%s: %d columns %v, want %d", c.q, len(schema), schema, c.cols)
		}
		var got []string
		for _, r := range rows {
			if len(r) != c.cols {
				t.Fatalf("%s: row %v has %d values, want %d", c.q, r, len(r), c.cols)
			}
			var vs []string
			for i, v := range r {
				vs = append(vs, types.Render(v, schema[i].Type))
			}
			got = append(got, strings.Join(vs, ","))
		}
		if g := strings.Join(got, " "); g != c.want {
			t.Errorf("%s:\n got %s\nwant %s", c.q, g, c.want)
		}
	}
}

// TestStreamOrderByHiddenLimit: on a stream, ORDER BY an expression the
// select list does not have, with LIMIT, is a Top-N by that expression
// whose changelog rows carry the selected columns only, at most 3 rows
// live at any point.
func TestStreamOrderByHiddenLimit(t *testing.T) {
	e, _ := newTestEngine()
	if err := e.Exec(genTable); err != nil {
		t.Fatal(err)
	}
	ops, rows := streamRows(t, e, "SELECT ts FROM g ORDER BY -a LIMIT 3", 12)
	live := 0
	for i, r := range rows {
		if len(r) != 1 {
			t.Fatalf("row %d: %v has %d values, want 1 (ts only)", i, r, len(r))
		}
		if ops[i].IsRetraction() {
			live--
		} else {
			live++
		}
		if live > 3 {
			t.Fatalf("row %d: %d live rows, want at most 3", i, live)
		}
	}
}
