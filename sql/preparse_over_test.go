package sql

import "testing"

// TestRewriteOverCalls: the OVER calls the grammar cannot take become
// COUNT(*) OVER in place (every offset kept) with their pre-parsed text
// recorded under the name's offset; other calls, and these calls without
// OVER, are left alone.
func TestRewriteOverCalls(t *testing.T) {
	for _, c := range []struct {
		in, want string
		notes    map[int]string
	}{
		{"SELECT LISTAGG(s, '-') OVER w FROM t",
			"SELECT COUNT(*)        OVER w FROM t",
			map[int]string{7: "LISTAGG(s, '-')"}},
		{"SELECT bool_or(b) FILTER (WHERE v > 1) OVER (ORDER BY ts), BOOL_AND(b) FROM t GROUP BY k",
			"SELECT COUNT(*)                        OVER (ORDER BY ts), BOOL_AND(b) FROM t GROUP BY k",
			map[int]string{7: "bool_or(b)"}},
		{"SELECT GROUP_CONCAT(s ORDER BY v\n  DESC) OVER w, COUNT(DISTINCT v, s) OVER w, SUM(v) OVER w FROM t",
			"SELECT COUNT(*)                 \n        OVER w, COUNT(*)             OVER w, SUM(v) OVER w FROM t",
			map[int]string{7: "GROUP_CONCAT(s ORDER BY v\n  DESC)", 49: "COUNT(DISTINCT v, s)"}},
		// The argument's own rewrites come first (CAST, intervals).
		{"SELECT LISTAGG(CAST(v AS STRING)) OVER w FROM t",
			"SELECT COUNT(*)                   OVER w FROM t",
			map[int]string{7: "LISTAGG(_c00(v          ))"}},
		{"SELECT FIRST_VALUE(v) OVER w, SUM(DISTINCT v) FROM t",
			"SELECT FIRST_VALUE(v) OVER w, SUM(DISTINCT v) FROM t", nil},
	} {
		nt := newNotes()
		got, perr := rewriteQuery(c.in, lex(c.in), nt)
		if perr != nil {
			t.Fatalf("rewriteQuery(%q): %s", c.in, perr.msg)
		}
		if got != c.want {
			t.Errorf("rewriteQuery(%q)\n got %q\nwant %q", c.in, got, c.want)
		}
		if len(nt.overCalls) != len(c.notes) {
			t.Errorf("rewriteQuery(%q): notes %v, want %v", c.in, nt.overCalls, c.notes)
		}
		for at, text := range c.notes {
			if n := nt.overCalls[at]; n.text != text || n.off != at {
				t.Errorf("rewriteQuery(%q): note at %d = %+v, want %q", c.in, at, n, text)
			}
		}
	}
}
