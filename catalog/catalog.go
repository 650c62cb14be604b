package catalog

import (
	"fmt"
	"sort"
	"strings"

	"github.com/streamsql/streamsql/types"
)

// Watermark is a table's `WATERMARK FOR col AS col - INTERVAL d` clause:
// the watermark of a split is the largest value of Column seen minus Delay.
type Watermark struct {
	Column  int    // index into Table.Columns
	DelayMs int64  // >= 0
	Text    string // the expression as written, for SHOW CREATE TABLE
}

// Option is one `'key' = 'value'` pair of a WITH clause, in written order.
type Option struct {
	Key, Value string
}

// Table is an immutable table definition. Columns lists every column, the
// physical ones first in declared order... except that computed columns
// (PROCTIME) may sit anywhere; Computed says which they are.
type Table struct {
	Name    string
	Columns types.Schema
	// ProctimeColumn is the index of the `pt AS PROCTIME()` column, or -1.
	// It is computed by the source (wall-clock milliseconds at read time) and
	// is not part of the connector's rows.
	ProctimeColumn int
	Watermark      *Watermark // nil when the table declares none
	PrimaryKey     []int      // column indexes; nil when none
	// PartitionKeys are the columns of PARTITIONED BY (col, ...) as indexes
	// into Columns, in declared order; nil when the table is not
	// partitioned. They are regular physical columns: queries read and
	// write them like any other; the filesystem connector (the only one
	// that accepts them) maps their values to Hive-style directories.
	PartitionKeys []int
	Options       []Option // WITH clause; empty for an in-memory table
	// DDL is the statement text that created the table.
	DDL string
}

// Connector returns the 'connector' option, or "" for an in-memory table.
func (t *Table) Connector() string { return t.Option("connector") }

// Option returns the value of a WITH option (keys compare case-insensitively), or "".
func (t *Table) Option(key string) string {
	for _, o := range t.Options {
		if strings.EqualFold(o.Key, key) {
			return o.Value
		}
	}
	return ""
}

// HasOption reports whether a WITH option is present.
func (t *Table) HasOption(key string) bool {
	for _, o := range t.Options {
		if strings.EqualFold(o.Key, key) {
			return true
		}
	}
	return false
}

// OptionMap returns the options as a map with lower-cased keys.
func (t *Table) OptionMap() map[string]string {
	m := make(map[string]string, len(t.Options))
	for _, o := range t.Options {
		m[strings.ToLower(o.Key)] = o.Value
	}
	return m
}

// PhysicalColumns returns the columns a connector reads or writes: all
// columns except the PROCTIME column, in order.
func (t *Table) PhysicalColumns() types.Schema {
	if t.ProctimeColumn < 0 {
		return t.Columns
	}
	out := make(types.Schema, 0, len(t.Columns)-1)
	for i, c := range t.Columns {
		if i != t.ProctimeColumn {
			out = append(out, c)
		}
	}
	return out
}

// Partitioned reports whether the table declares PARTITIONED BY.
func (t *Table) Partitioned() bool { return len(t.PartitionKeys) > 0 }

// PartitionColumnNames returns the names of the partition columns, in
// PARTITIONED BY order.
func (t *Table) PartitionColumnNames() []string {
	out := make([]string, len(t.PartitionKeys))
	for i, k := range t.PartitionKeys {
		out[i] = t.Columns[k].Name
	}
	return out
}

// PhysicalPartitionKeys returns the partition columns as indexes into
// PhysicalColumns (the rows a connector reads and writes).
func (t *Table) PhysicalPartitionKeys() []int {
	out := make([]int, len(t.PartitionKeys))
	for i, k := range t.PartitionKeys {
		out[i] = k
		if t.ProctimeColumn >= 0 && k > t.ProctimeColumn {
			out[i]--
		}
	}
	return out
}

// IsMemory reports whether the table is an in-memory append-only log (no connector).
func (t *Table) IsMemory() bool { return len(t.Options) == 0 || t.Connector() == "" }

// View is a named query. Its text is re-bound whenever the view is used.
type View struct {
	Name    string
	Query   string // the SELECT text
	Columns types.Schema
	DDL     string
}

// Catalog maps names (case-insensitive) to tables and views.
type Catalog struct {
	tables map[string]*Table
	views  map[string]*View
}

// New returns an empty catalog.
func New() *Catalog {
	return &Catalog{tables: map[string]*Table{}, views: map[string]*View{}}
}

func key(name string) string { return strings.ToLower(name) }

// Table returns the table named name, or nil.
func (c *Catalog) Table(name string) *Table { return c.tables[key(name)] }

// View returns the view named name, or nil.
func (c *Catalog) View(name string) *View { return c.views[key(name)] }

// AddTable registers t; it fails if a table or view of that name exists.
func (c *Catalog) AddTable(t *Table) error {
	if c.tables[key(t.Name)] != nil || c.views[key(t.Name)] != nil {
		return fmt.Errorf("table or view %q already exists", t.Name)
	}
	c.tables[key(t.Name)] = t
	return nil
}

// AddView registers v; it fails if a table or view of that name exists.
func (c *Catalog) AddView(v *View) error {
	if c.tables[key(v.Name)] != nil || c.views[key(v.Name)] != nil {
		return fmt.Errorf("table or view %q already exists", v.Name)
	}
	c.views[key(v.Name)] = v
	return nil
}

// DropTable removes a table and reports whether it existed.
func (c *Catalog) DropTable(name string) bool {
	_, ok := c.tables[key(name)]
	delete(c.tables, key(name))
	return ok
}

// DropView removes a view and reports whether it existed.
func (c *Catalog) DropView(name string) bool {
	_, ok := c.views[key(name)]
	delete(c.views, key(name))
	return ok
}

// TableNames returns the names of all tables and views, sorted.
func (c *Catalog) TableNames() []string {
	var out []string
	for _, t := range c.tables {
		out = append(out, t.Name)
	}
	for _, v := range c.views {
		out = append(out, v.Name)
	}
	sort.Strings(out)
	return out
}
