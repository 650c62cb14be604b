package plan

import (
	"fmt"
	"strings"

	"github.com/streamsql/streamsql/catalog"
	"github.com/streamsql/streamsql/expr"
	"github.com/streamsql/streamsql/types"
)

// Node is a logical plan node.
type Node interface {
	// Schema is the output schema.
	Schema() types.Schema
	// Children are the inputs, in order.
	Children() []Node
	// Describe is a one-line description for EXPLAIN (without children).
	Describe() string
}

// TimeAttr describes a column's role as a time attribute.
type TimeAttr uint8

const (
	NoTime   TimeAttr = iota
	RowTime           // event time with a watermark (or a bounded input's column)
	ProcTime          // processing time (PROCTIME())
)

// Scan reads a catalog table. Its schema is the table's columns.
type Scan struct {
	Table *catalog.Table
	Alias string // the name used in the query
}

func (s *Scan) Schema() types.Schema { return s.Table.Columns }
func (s *Scan) Children() []Node     { return nil }
func (s *Scan) Describe() string {
	if s.Alias != "" && !strings.EqualFold(s.Alias, s.Table.Name) {
		return fmt.Sprintf("Scan %s AS %s", s.Table.Name, s.Alias)
	}
	return "Scan " + s.Table.Name
}

// Values produces constant rows (INSERT ... VALUES, SELECT without FROM).
type Values struct {
	Columns types.Schema
	Rows    [][]expr.Expr // each bound against an empty row
}

func (v *Values) Schema() types.Schema { return v.Columns }
func (v *Values) Children() []Node     { return nil }
func (v *Values) Describe() string     { return fmt.Sprintf("Values (%d rows)", len(v.Rows)) }

// Filter keeps the rows for which Cond is TRUE (WHERE, HAVING).
type Filter struct {
	Input Node
	Cond  expr.Expr
}

func (f *Filter) Schema() types.Schema { return f.Input.Schema() }
func (f *Filter) Children() []Node     { return []Node{f.Input} }
func (f *Filter) Describe() string     { return "Filter " + f.Cond.String() }

// Project computes one output column per expression.
type Project struct {
	Input Node
	Exprs []expr.Expr
	Names []string
}

func (p *Project) Schema() types.Schema {
	s := make(types.Schema, len(p.Exprs))
	for i, e := range p.Exprs {
		s[i] = types.Column{Name: p.Names[i], Type: e.Type()}
	}
	return s
}
func (p *Project) Children() []Node { return []Node{p.Input} }
func (p *Project) Describe() string {
	parts := make([]string, len(p.Exprs))
	for i, e := range p.Exprs {
		s := e.String()
		if !strings.EqualFold(s, p.Names[i]) {
			s += " AS " + p.Names[i]
		}
		parts[i] = s
	}
	return "Project " + strings.Join(parts, ", ")
}

// Union is UNION ALL of inputs with the same column types.
type Union struct {
	Inputs []Node
}

func (u *Union) Schema() types.Schema { return u.Inputs[0].Schema() }
func (u *Union) Children() []Node     { return u.Inputs }
func (u *Union) Describe() string     { return "UnionAll" }

// Explain renders a plan tree, one node per line, children indented.
func Explain(n Node) string {
	var b strings.Builder
	var walk func(n Node, depth int)
	walk = func(n Node, depth int) {
		b.WriteString(strings.Repeat("  ", depth))
		b.WriteString(n.Describe())
		b.WriteByte('\n')
		for _, c := range n.Children() {
			walk(c, depth+1)
		}
	}
	walk(n, 0)
	return b.String()
}
