package sql

import "testing"

// Concatenated scopes list a's columns then b's; b's merged columns move
// by a's width, and neither input changes (nor does a later append to
// the result reach them).
func TestConcatScopes(t *testing.T) {
	a := &scope{cols: []column{{qual: "a", name: "x"}, {qual: "a", name: "y"}}, quals: []string{"a"},
		merged: []mergedRef{{qual: "a", name: "y", col: 1}}}
	b := &scope{cols: []column{{qual: "b", name: "z"}}, quals: []string{"b"},
		merged: []mergedRef{{qual: "b", name: "z", col: 0}, {qual: "b", name: "gone", col: -1}}}
	s := concatScopes(a, b)
	var names []string
	for _, c := range s.cols {
		names = append(names, c.qual+"."+c.name)
	}
	if len(names) != 3 || names[0] != "a.x" || names[1] != "a.y" || names[2] != "b.z" {
		t.Fatalf("columns %v", names)
	}
	if len(s.quals) != 2 || s.quals[0] != "a" || s.quals[1] != "b" {
		t.Fatalf("relations %v", s.quals)
	}
	if len(s.merged) != 3 || s.merged[0].col != 1 || s.merged[1].col != 2 || s.merged[2].col != -1 {
		t.Fatalf("merged %+v", s.merged)
	}
	s.appendScope(&scope{cols: []column{{qual: "c", name: "w"}}, quals: []string{"c"}})
	s.cols[0].name = "changed"
	if len(a.cols) != 2 || a.cols[0].name != "x" || len(a.quals) != 1 || len(b.cols) != 1 || b.merged[0].col != 0 {
		t.Fatalf("the inputs changed: a %+v, b %+v", a, b)
	}
	if len(s.cols) != 4 || s.cols[3].qual != "c" || !s.hasQual("c") {
		t.Fatalf("after appendScope: %+v", s)
	}
}
