package sql

import "strings"

// Grouping sets in GROUP BY (Flink, standard SQL):
//
//	GROUP BY GROUPING SETS ((a, b), (a), ())
//	GROUP BY ROLLUP (a, b)
//	GROUP BY CUBE (a, (b, c))
//	GROUP BY window_start, window_end, GROUPING SETS ((supplier_id), ())
//
// The TiDB grammar knows only MySQL's `GROUP BY a, b WITH ROLLUP` (parsed
// as is). The pre-parse layer rewrites each GROUPING SETS, ROLLUP or CUBE
// element of a GROUP BY clause into a call of a placeholder function, and
// each empty grouping set `()` inside it into the number 0:
//
//	GROUP BY GROUPING SETS ((a, b), (a), ())
//	GROUP BY _g00          ((a, b), (a), 0 )
//
// The arguments then parse as rows `(a, b)`, parenthesized expressions
// `(a)` and plain expressions; nested ROLLUP and CUBE inside GROUPING SETS
// become placeholder calls too. An empty set that is a GROUP BY item of its
// own, GROUP BY (), becomes the empty string '' (GROUP BY 0 would be a
// position). The notes record each placeholder's kind
// and the offsets of the empty sets, and the binder (bind_grouping.go)
// reads the grouping sets back from the parsed call.

// groupingNote is one GROUPING SETS, ROLLUP or CUBE element.
type groupingNote struct {
	kind string // "GROUPING SETS", "ROLLUP", "CUBE"
	off  int    // offset of the keyword
}

// groupingNotes are the grouping elements of a query.
type groupingNotes struct {
	elems map[string]groupingNote // placeholder (lower case) -> element
	empty map[int]bool            // offsets of the 0 that stands for an empty set ()
}

// groupByEnds are the words that end a GROUP BY clause at its own depth.
var groupByEnds = map[string]bool{"HAVING": true, "ORDER": true, "LIMIT": true, "WINDOW": true, "UNION": true,
	"EXCEPT": true, "INTERSECT": true, "WITH": true, "QUALIFY": true, ";": true}

// rewriteGrouping rewrites the grouping elements of every GROUP BY clause
// in toks (see above) in buf and records them in nt. It reads only the
// tokens GROUPING SETS, ROLLUP, CUBE and the empty parentheses inside
// their calls; every other token is left to the rest of the pre-parse.
func rewriteGrouping(buf []byte, toks []token, nt *notes) {
	done := map[int]bool{} // tokens already rewritten (a GROUP BY nested in another)
	for i := 0; i+1 < len(toks); i++ {
		if !toks[i].is("GROUP") || !toks[i+1].is("BY") {
			continue
		}
		depth := 0
		for j := i + 2; j < len(toks); j++ {
			t := toks[j]
			if t.is("(") {
				depth++
			} else if t.is(")") {
				if depth--; depth < 0 {
					break
				}
			} else if depth == 0 && (t.kind == tIdent || t.kind == tOp) && groupByEnds[strings.ToUpper(t.text)] {
				break
			}
			if done[j] {
				continue
			}
			if depth == 1 && t.is("(") && j+1 < len(toks) && toks[j+1].is(")") && (toks[j-1].is("BY") || toks[j-1].is(",")) {
				// GROUP BY (), an item of its own: the empty grouping set
				// as an empty string (an integer would be a position).
				nt.grouping.addEmpty(buf, t.start, toks[j+1].end, "''")
				done[j], done[j+1] = true, true
				continue
			}
			kind, open := groupingElementAt(toks, j)
			if kind == "" {
				continue
			}
			close := matchParen(toks, open)
			if close < 0 {
				continue // TiDB reports the unbalanced parenthesis
			}
			name := nt.next("_g")
			nt.grouping.init()
			nt.grouping.elems[name] = groupingNote{kind: kind, off: t.start}
			put(buf, t.start, toks[open-1].end, name)
			for k := j; k < open; k++ {
				done[k] = true
			}
			for k := open + 1; k < close; k++ {
				if toks[k].is("(") && toks[k+1].is(")") && !toks[k-1].isName() && !done[k] {
					nt.grouping.addEmpty(buf, toks[k].start, toks[k+1].end, "0")
					done[k], done[k+1] = true, true
				}
			}
		}
	}
}

func (g *groupingNotes) init() {
	if g.elems == nil {
		g.elems, g.empty = map[string]groupingNote{}, map[int]bool{}
	}
}

// addEmpty writes lit over the empty grouping set buf[from:to] and
// records its offset.
func (g *groupingNotes) addEmpty(buf []byte, from, to int, lit string) {
	g.init()
	put(buf, from, to, lit)
	g.empty[from] = true
}

// groupingElementAt reports whether toks[j] starts GROUPING SETS (,
// ROLLUP ( or CUBE (, and returns the kind and the index of the '('.
func groupingElementAt(toks []token, j int) (string, int) {
	switch {
	case toks[j].is("GROUPING") && j+2 < len(toks) && toks[j+1].is("SETS") && toks[j+2].is("("):
		return "GROUPING SETS", j + 2
	case toks[j].is("ROLLUP") && j+1 < len(toks) && toks[j+1].is("("):
		return "ROLLUP", j + 1
	case toks[j].is("CUBE") && j+1 < len(toks) && toks[j+1].is("("):
		return "CUBE", j + 1
	}
	return "", 0
}
