package sql

import "testing"

// TestRewriteGrouping: grouping elements become placeholder calls and ()
// becomes 0, byte for byte in place; everything else is left alone.
func TestRewriteGrouping(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{"SELECT a FROM t GROUP BY GROUPING SETS ((a, b), (a), ())",
			"SELECT a FROM t GROUP BY _g00          ((a, b), (a), 0 )"},
		{"SELECT a FROM t GROUP BY x, ROLLUP (a, b), CUBE(c)",
			"SELECT a FROM t GROUP BY x, _g00   (a, b), _g01(c)"},
		{"SELECT a FROM t GROUP BY GROUPING\n  SETS (ROLLUP(a), ( ), NOW())",
			"SELECT a FROM t GROUP BY _g00    \n       (_g01  (a), 0  , NOW())"},
		// WITH ROLLUP is TiDB's; ROLLUP outside GROUP BY and in strings is not touched.
		{"SELECT 'ROLLUP(a)', cube(1) FROM t GROUP BY a WITH ROLLUP HAVING CUBE(a) > 0",
			"SELECT 'ROLLUP(a)', cube(1) FROM t GROUP BY a WITH ROLLUP HAVING CUBE(a) > 0"},
		// GROUP BY () and () as an item of its own.
		{"SELECT COUNT(*) FROM t GROUP BY ()", "SELECT COUNT(*) FROM t GROUP BY ''"},
		{"SELECT a FROM t GROUP BY a, ( ), (b)", "SELECT a FROM t GROUP BY a, '' , (b)"},
		{"SELECT * FROM (SELECT a FROM t GROUP BY CUBE (a)) AS s GROUP BY ROLLUP (a)",
			"SELECT * FROM (SELECT a FROM t GROUP BY _g00 (a)) AS s GROUP BY _g01   (a)"},
	} {
		nt := newNotes()
		buf := []byte(c.in)
		rewriteGrouping(buf, lex(c.in), nt)
		if got := string(buf); got != c.want {
			t.Errorf("rewriteGrouping(%q)\n got %q\nwant %q", c.in, got, c.want)
		}
	}
}
