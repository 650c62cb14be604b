package plan

import (
	"fmt"
	"strings"

	"github.com/streamsql/streamsql/expr"
	"github.com/streamsql/streamsql/types"
)

// Expand feeds an Aggregate with GROUPING SETS, ROLLUP or CUBE: it emits
// each input row once per grouping set, with the same op.
//
// Output schema: the input columns listed in Pass, in that order (what
// the Aggregate above reads besides its keys: aggregate arguments, a
// window's time column), then one column per group key (Keys, bound
// against Input; NULL in the rows of a grouping set that does not hold the
// key, so the column is nullable unless every set holds it), then the
// grouping set's index in Sets (BIGINT NOT NULL, named IDName).
// The Aggregate above groups by the key columns and the index, so a NULL
// of the data stays apart from a key nulled out by a set; GROUPING(),
// GROUPING_ID() and GROUP_ID() are computed from the index.
type Expand struct {
	Input    Node
	Pass     []int // input columns passed through
	Keys     []expr.Expr
	KeyNames []string
	// Sets lists the grouping sets in order; Sets[s][k] is true when set
	// s holds key k. Sets may repeat (each copy gives its own rows).
	Sets [][]bool
	// IDName names the set index column; GroupingIDName when empty (an
	// Expand of a split distinct aggregate over GROUPING SETS names its
	// own apart from the grouping set index among its keys).
	IDName string
}

// GroupingIDName names the grouping set index column of an Expand.
const GroupingIDName = "$grouping_set"

// KeyType is the output type of key k: nullable unless every set holds it.
func (e *Expand) KeyType(k int) types.Type {
	t := e.Keys[k].Type()
	for _, s := range e.Sets {
		if !s[k] {
			return t.Nullable()
		}
	}
	return t
}

func (e *Expand) Schema() types.Schema {
	in := e.Input.Schema()
	s := make(types.Schema, 0, len(e.Pass)+len(e.Keys)+1)
	for _, c := range e.Pass {
		s = append(s, in[c])
	}
	for k := range e.Keys {
		s = append(s, types.Column{Name: e.KeyNames[k], Type: e.KeyType(k)})
	}
	id := e.IDName
	if id == "" {
		id = GroupingIDName
	}
	return append(s, types.Column{Name: id, Type: types.Type{Kind: types.KindInt, Precision: 64, NotNull: true}})
}

func (e *Expand) Children() []Node { return []Node{e.Input} }

func (e *Expand) Describe() string { return "Expand " + e.SetsString() }

// SetsString renders the grouping sets by key name: sets=[(a, b), (a), ()].
func (e *Expand) SetsString() string {
	var sets []string
	for _, s := range e.Sets {
		var names []string
		for k, in := range s {
			if in {
				names = append(names, e.KeyNames[k])
			}
		}
		sets = append(sets, "("+strings.Join(names, ", ")+")")
	}
	var keys, pass []string
	for _, k := range e.Keys {
		keys = append(keys, k.String())
	}
	in := e.Input.Schema()
	for _, c := range e.Pass {
		pass = append(pass, in[c].Name)
	}
	return fmt.Sprintf("keys=[%s] sets=[%s] pass=[%s]", strings.Join(keys, ", "), strings.Join(sets, ", "), strings.Join(pass, ", "))
}
