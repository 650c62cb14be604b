package sql

import "testing"

// Concatenated scopes list a's columns then b's, and neither input
// changes (nor does a later append to the result reach them).
func TestConcatScopes(t *testing.T) {
	a := &scope{cols: []column{{qual: "a", name: "x"}, {qual: "a", name: "y", usingSide: true}}, quals: []string{"a"}}
	b := &scope{cols: []column{{qual: "b", name: "z"}}, quals: []string{"b"}}
	s := concatScopes(a, b)
	var names []string
	for _, c := range s.cols {
		names = append(names, c.qual+"."+c.name)
	}
	if len(names) != 3 || names[0] != "a.x" || names[1] != "a.y" || names[2] != "b.z" || !s.cols[1].usingSide {
		t.Fatalf("columns %v", names)
	}
	if len(s.quals) != 2 || s.quals[0] != "a" || s.quals[1] != "b" {
		t.Fatalf("relations %v", s.quals)
	}
	s.appendScope(&scope{cols: []column{{qual: "c", name: "w"}}, quals: []string{"c"}})
	s.cols[0].name = "changed"
	if len(a.cols) != 2 || a.cols[0].name != "x" || len(a.quals) != 1 || len(b.cols) != 1 {
		t.Fatalf("the inputs changed: a %+v, b %+v", a, b)
	}
	if len(s.cols) != 4 || s.cols[3].qual != "c" || !s.hasQual("c") {
		t.Fatalf("after appendScope: %+v", s)
	}
}

// A side's own USING column is found by its qualified name only; the
// coalesced column by its unqualified name.
func TestLookupUsingSide(t *testing.T) {
	s := &scope{cols: []column{{name: "k"}, {qual: "a", name: "k", usingSide: true}, {qual: "b", name: "k", usingSide: true}},
		quals: []string{"a", "b"}}
	if m := s.lookup("", "k"); len(m) != 1 || m[0] != 0 {
		t.Fatalf("k: %v", m)
	}
	if m := s.lookup("b", "K"); len(m) != 1 || m[0] != 2 {
		t.Fatalf("b.k: %v", m)
	}
}
