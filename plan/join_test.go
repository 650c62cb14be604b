package plan

import (
	"testing"

	"github.com/streamsql/streamsql/expr"
	"github.com/streamsql/streamsql/types"
)

func notNullTable(names ...string) *Values {
	v := &Values{}
	for _, n := range names {
		v.Columns = append(v.Columns, types.Column{Name: n, Type: types.Type{Kind: types.KindInt, Precision: 64, NotNull: true}})
	}
	return v
}

func checkSchema(t *testing.T, what string, got types.Schema, names []string, nullable []bool) {
	t.Helper()
	if len(got) != len(names) {
		t.Fatalf("%s: %d columns %v, want %v", what, len(got), got, names)
	}
	for i, c := range got {
		if c.Name != names[i] || c.Type.NotNull == nullable[i] {
			t.Fatalf("%s: column %d is %s (not null %v), want %s (nullable %v)", what, i, c.Name, c.Type.NotNull, names[i], nullable[i])
		}
	}
}

// A join's columns are the left ones then the right ones; those of a
// side an outer join pads are nullable, through joins and filters below.
func TestJoinSchemaOfAChain(t *testing.T) {
	a, b, c, d := notNullTable("a1", "a2"), notNullTable("b1"), notNullTable("c1", "c2"), notNullTable("d1")
	left := &Join{Kind: LeftJoin, Left: a, Right: &Filter{Input: b, Cond: &expr.Col{Index: 0}}}
	inner := &Join{Kind: InnerJoin, Left: &Filter{Input: left, Cond: &expr.Col{Index: 0}}, Right: c}
	full := &Join{Kind: FullJoin, Left: inner, Right: d}
	right := &Join{Kind: RightJoin, Left: d, Right: inner}
	semi := &Join{Kind: SemiJoin, Left: left, Right: c}

	checkSchema(t, "LEFT JOIN", left.Schema(), []string{"a1", "a2", "b1"}, []bool{false, false, true})
	checkSchema(t, "JOIN over a filtered LEFT JOIN", inner.Schema(),
		[]string{"a1", "a2", "b1", "c1", "c2"}, []bool{false, false, true, false, false})
	checkSchema(t, "FULL JOIN", full.Schema(),
		[]string{"a1", "a2", "b1", "c1", "c2", "d1"}, []bool{true, true, true, true, true, true})
	checkSchema(t, "RIGHT JOIN", right.Schema(),
		[]string{"d1", "a1", "a2", "b1", "c1", "c2"}, []bool{true, false, false, true, false, false})
	checkSchema(t, "semi join", semi.Schema(), []string{"a1", "a2", "b1"}, []bool{false, false, true})

	// The schema is the caller's: changing it changes neither the inputs
	// nor a later schema of the join.
	s := semi.Schema()
	s[0].Name = "changed"
	s[1].Type.NotNull = false
	checkSchema(t, "semi join again", semi.Schema(), []string{"a1", "a2", "b1"}, []bool{false, false, true})
	checkSchema(t, "its left input", a.Schema(), []string{"a1", "a2"}, []bool{false, false})
}
