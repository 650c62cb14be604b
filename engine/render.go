package engine

import (
	"fmt"
	"io"
	"strings"
	"unicode/utf8"

	"github.com/streamsql/streamsql/catalog"
	"github.com/streamsql/streamsql/types"
)

// WriteTable prints a result set as a MySQL-style box table followed by
// "N rows in set".
func WriteTable(w io.Writer, schema types.Schema, rows [][]types.Value) {
	cells := make([][]string, len(rows))
	widths := make([]int, len(schema))
	for i, c := range schema {
		widths[i] = utf8.RuneCountInString(c.Name)
	}
	for r, row := range rows {
		cells[r] = make([]string, len(schema))
		for i := range schema {
			s := types.Render(row[i], schema[i].Type)
			cells[r][i] = s
			if n := utf8.RuneCountInString(s); n > widths[i] {
				widths[i] = n
			}
		}
	}
	sep := "+"
	for _, wd := range widths {
		sep += strings.Repeat("-", wd+2) + "+"
	}
	line := func(vals []string, right []bool) string {
		var b strings.Builder
		b.WriteString("|")
		for i, v := range vals {
			pad := strings.Repeat(" ", widths[i]-utf8.RuneCountInString(v))
			if right != nil && right[i] {
				b.WriteString(" " + pad + v + " |")
			} else {
				b.WriteString(" " + v + pad + " |")
			}
		}
		return b.String()
	}
	right := make([]bool, len(schema))
	for i, c := range schema {
		right[i] = c.Type.IsNumeric()
	}
	if len(rows) == 0 {
		fmt.Fprintln(w, "Empty set")
		return
	}
	fmt.Fprintln(w, sep)
	fmt.Fprintln(w, line(schema.Names(), nil))
	fmt.Fprintln(w, sep)
	for _, r := range cells {
		fmt.Fprintln(w, line(r, right))
	}
	fmt.Fprintln(w, sep)
	if len(rows) == 1 {
		fmt.Fprintln(w, "1 row in set")
	} else {
		fmt.Fprintf(w, "%d rows in set\n", len(rows))
	}
}

// ChangelogPrinter prints rows of an unbounded result as they arrive, in
// Flink's tableau layout: an op column and fixed-width columns.
type ChangelogPrinter struct {
	w      io.Writer
	schema types.Schema
	widths []int
	header bool
}

// NewChangelogPrinter returns a printer for rows of schema.
func NewChangelogPrinter(w io.Writer, schema types.Schema) *ChangelogPrinter {
	p := &ChangelogPrinter{w: w, schema: schema}
	for _, c := range schema {
		wd := utf8.RuneCountInString(c.Name)
		tw := 20
		switch c.Type.Kind {
		case types.KindTimestamp:
			tw = 23
		case types.KindBool:
			tw = 5
		}
		if tw > wd {
			wd = tw
		}
		p.widths = append(p.widths, wd)
	}
	return p
}

func (p *ChangelogPrinter) sep() string {
	s := "+----+"
	for _, wd := range p.widths {
		s += strings.Repeat("-", wd+2) + "+"
	}
	return s
}

// Row prints one row (and the header before the first).
func (p *ChangelogPrinter) Row(op types.Op, row []types.Value) {
	if !p.header {
		p.header = true
		fmt.Fprintln(p.w, p.sep())
		var b strings.Builder
		b.WriteString("| op |")
		for i, c := range p.schema {
			b.WriteString(" " + padLeft(c.Name, p.widths[i]) + " |")
		}
		fmt.Fprintln(p.w, b.String())
		fmt.Fprintln(p.w, p.sep())
	}
	var b strings.Builder
	b.WriteString("| " + op.String() + " |")
	for i, c := range p.schema {
		b.WriteString(" " + padLeft(types.Render(row[i], c.Type), p.widths[i]) + " |")
	}
	fmt.Fprintln(p.w, b.String())
}

// Close prints the footer.
func (p *ChangelogPrinter) Close(n int) {
	if p.header {
		fmt.Fprintln(p.w, p.sep())
	}
	fmt.Fprintf(p.w, "Received a total of %d rows\n", n)
}

func padLeft(s string, w int) string {
	n := utf8.RuneCountInString(s)
	if n >= w {
		return s
	}
	return strings.Repeat(" ", w-n) + s
}

// ShowCreate renders a CREATE TABLE statement for t with secrets masked.
func ShowCreate(t *catalog.Table) string {
	var b strings.Builder
	fmt.Fprintf(&b, "CREATE TABLE `%s` (\n", t.Name)
	var parts []string
	for i, c := range t.Columns {
		if i == t.ProctimeColumn {
			parts = append(parts, fmt.Sprintf("  `%s` AS PROCTIME()", c.Name))
			continue
		}
		parts = append(parts, fmt.Sprintf("  `%s` %s", c.Name, c.Type))
	}
	if t.Watermark != nil {
		parts = append(parts, fmt.Sprintf("  WATERMARK FOR `%s` AS %s", t.Columns[t.Watermark.Column].Name, t.Watermark.Text))
	}
	if len(t.PrimaryKey) > 0 {
		var ks []string
		for _, k := range t.PrimaryKey {
			ks = append(ks, "`"+t.Columns[k].Name+"`")
		}
		parts = append(parts, fmt.Sprintf("  PRIMARY KEY (%s) NOT ENFORCED", strings.Join(ks, ", ")))
	}
	b.WriteString(strings.Join(parts, ",\n"))
	b.WriteString("\n)")
	if t.Partitioned() {
		b.WriteString("\nPARTITIONED BY (`" + strings.Join(t.PartitionColumnNames(), "`, `") + "`)")
	}
	if len(t.Options) > 0 {
		b.WriteString(" WITH (\n")
		var os []string
		for _, o := range t.Options {
			v := catalog.MaskOption(o.Key, o.Value)
			os = append(os, fmt.Sprintf("  '%s' = '%s'", o.Key, strings.ReplaceAll(v, "'", "''")))
		}
		b.WriteString(strings.Join(os, ",\n"))
		b.WriteString("\n)")
	}
	b.WriteString(";\n")
	return b.String()
}
