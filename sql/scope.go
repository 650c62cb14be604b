package sql

import (
	"strings"

	"github.com/streamsql/streamsql/types"
)

// column is a column visible to name resolution.
type column struct {
	qual     string // the relation's name or alias in the query
	name     string
	typ      types.Type
	proctime bool // a PROCTIME() time attribute
	rowtime  bool // an event-time attribute (watermarked column, *_ROWTIME)
	// tvf and tvfRole mark the columns of a window TVF's output that the
	// window aggregate binding needs (bind_tvf.go).
	tvf     *tvfBinding
	tvfRole tvfRole
	// hidden marks a column a rewrite added (a subquery's value): it is
	// not in `*` and no name reaches it. system marks one a rewrite reads
	// by a generated qualified name: not in `*`, not found unqualified.
	hidden, system bool
	// usingSide marks a side's own column that a USING / NATURAL join
	// shows once, coalesced (bind_using.go): it is in t.* and found by its
	// qualified name, not in * and not found unqualified.
	usingSide bool
	// carried marks an outer query's column carried into a subquery's
	// rows for a subquery of its own (bind_outer_carry.go): not in `*`,
	// found by its name as in the outer query.
	carried bool
}

// unqualified reports whether an unqualified name (and *) reaches c.
func (c *column) unqualified() bool { return !c.hidden && !c.system && !c.usingSide }

// scope is the set of columns an expression can see: the FROM clause's
// relations, in order. Column i of the scope is column i of the input row.
type scope struct {
	cols  []column
	quals []string // relation names in FROM order
	// origin is the scope this one extends by appending columns (the
	// subquery rewrites' joins): nil for a scope of its own.
	origin *scope
}

// extended returns a copy of s to append columns to; it extends s.
func (s *scope) extended() *scope {
	o := s.origin
	if o == nil {
		o = s
	}
	return &scope{cols: append([]column{}, s.cols...), quals: s.quals, origin: o}
}

// extends reports whether s is t or was made from t (or from the scope t
// was made from) by appending columns, so that an expression bound
// against t reads the same columns in s.
func (s *scope) extends(t *scope) bool {
	if s == t {
		return true
	}
	root := func(x *scope) *scope {
		if x.origin != nil {
			return x.origin
		}
		return x
	}
	return root(s) == root(t) && len(s.cols) >= len(t.cols)
}

// concatScopes is the scope of a's columns followed by b's.
func concatScopes(a, b *scope) *scope {
	s := &scope{cols: append([]column{}, a.cols...), quals: append([]string{}, a.quals...)}
	s.appendScope(b)
	return s
}

// appendScope appends b's columns and relation names to s, which must be
// a scope of its own (made by the caller, sharing no slice with another
// scope).
func (s *scope) appendScope(b *scope) {
	s.cols = append(s.cols, b.cols...)
	s.quals = append(s.quals, b.quals...)
}

func (s *scope) schema() types.Schema {
	out := make(types.Schema, len(s.cols))
	for i, c := range s.cols {
		out[i] = types.Column{Name: c.name, Type: c.typ}
	}
	return out
}

func (s *scope) hasQual(q string) bool {
	for _, x := range s.quals {
		if strings.EqualFold(x, q) {
			return true
		}
	}
	return false
}

// lookup returns the indexes of the columns named qual.name (qual may be "").
func (s *scope) lookup(qual, name string) []int {
	var out []int
	for i, c := range s.cols {
		if !c.hidden && (qual != "" || c.unqualified()) && strings.EqualFold(c.name, name) && (qual == "" || strings.EqualFold(c.qual, qual)) {
			out = append(out, i)
		}
	}
	return out
}

// resolve finds one column or explains why it cannot.
func (cx *compiler) resolve(s *scope, qual, name string, off int) (int, error) {
	m := s.lookup(qual, name)
	switch len(m) {
	case 1:
		return m[0], nil
	case 0:
		full := name
		if qual != "" {
			full = qual + "." + name
		}
		if qual != "" && !s.hasQual(qual) {
			hint := "the FROM clause names no table '" + qual + "'"
			if len(s.quals) > 0 {
				hint = "tables in scope: " + strings.Join(s.quals, ", ")
			}
			return 0, cx.p.errAt(ErrUnknownColumn, off, "unknown table '"+qual+"' in column reference '"+full+"'", hint)
		}
		var cands []string
		for _, c := range s.cols {
			if qual == "" || strings.EqualFold(c.qual, qual) {
				cands = append(cands, c.name)
			}
		}
		where := ""
		switch {
		case qual != "":
			where = " in table '" + qual + "'"
		case len(s.quals) == 1 && s.quals[0] != "":
			where = " in table '" + s.quals[0] + "'"
		case len(s.quals) == 0:
			where = " (the query has no FROM clause)"
		}
		hint := columnHint(name, cands)
		if hint == "" && len(cands) > 0 && len(cands) <= 12 {
			hint = "columns: " + strings.Join(cands, ", ")
		}
		return 0, cx.p.errAt(ErrUnknownColumn, off, "unknown column '"+full+"'"+where, hint)
	}
	var tabs []string
	for _, i := range m {
		tabs = append(tabs, s.cols[i].qual)
	}
	return 0, cx.p.errAt(ErrAmbiguousColumn, off, "column '"+name+"' is ambiguous (it is in "+strings.Join(tabs, ", ")+")",
		"qualify it, e.g. "+tabs[0]+"."+name)
}
