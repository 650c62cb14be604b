package nexmarkoracle

import (
	"context"
	"fmt"
	"io"
	"strings"

	"github.com/streamsql/streamsql/catalog"
	"github.com/streamsql/streamsql/connectors"
	_ "github.com/streamsql/streamsql/connectors/nexmark" // registers the 'nexmark' connector
	"github.com/streamsql/streamsql/types"
)

// Column is one column of a Nexmark table: its name and its type in the
// engine's DDL.
type Column struct {
	Name string
	Type types.Type
}

// Table is one Nexmark table: its columns, as the bench queries declare
// them (every column of the generator's table, in the generator's order).
type Table struct {
	Name    string
	Columns []Column
}

// The three Nexmark tables, with the columns of bench/nexmark/*.sql.
var (
	Person = Table{"person", []Column{
		{"id", types.BigInt}, {"name", types.String}, {"emailAddress", types.String},
		{"creditCard", types.String}, {"city", types.String}, {"state", types.String},
		{"dateTime", types.Timestamp}, {"extra", types.String},
	}}
	Auction = Table{"auction", []Column{
		{"id", types.BigInt}, {"itemName", types.String}, {"description", types.String},
		{"initialBid", types.BigInt}, {"reserve", types.BigInt}, {"dateTime", types.Timestamp},
		{"expires", types.Timestamp}, {"seller", types.BigInt}, {"category", types.BigInt},
		{"extra", types.String},
	}}
	Bid = Table{"bid", []Column{
		{"auction", types.BigInt}, {"bidder", types.BigInt}, {"price", types.BigInt},
		{"channel", types.String}, {"url", types.String}, {"dateTime", types.Timestamp},
		{"extra", types.String},
	}}
)

// Event is the nexmark 'event' table: every event in one table, with the
// event's type and time and its person, auction or bid columns prefixed
// (the other types' columns NULL), as bench/nexmark's join queries declare
// it; EventViews turn it back into the three tables.
var Event = func() Table {
	t := Table{"event", []Column{{"event_type", types.BigInt}, {"dateTime", types.Timestamp}}}
	for _, src := range []Table{Person, Auction, Bid} {
		for _, c := range src.Columns {
			if c.Name != "dateTime" {
				t.Columns = append(t.Columns, Column{src.Name + "_" + c.Name, c.Type})
			}
		}
	}
	return t
}()

// eventTypes are the event_type values of the three tables.
var eventTypes = map[string]int64{"person": 0, "auction": 1, "bid": 2}

// EventView returns the CREATE VIEW statement that gives table t back from
// the event table (t's columns from their prefixed event columns, dateTime
// from the event's).
func EventView(t Table) string {
	var cols []string
	for _, c := range t.Columns {
		if c.Name == "dateTime" {
			cols = append(cols, "dateTime")
			continue
		}
		cols = append(cols, fmt.Sprintf("%s_%s AS %s", t.Name, c.Name, c.Name))
	}
	return fmt.Sprintf("CREATE VIEW %s AS SELECT %s\nFROM event WHERE event_type = %d",
		t.Name, strings.Join(cols, ", "), eventTypes[t.Name])
}

// GenerateFromEvents returns the rows of table t as the event table holds
// them: the rows of t's type, read from the generator's 'event' table and
// mapped to t's columns.
func (d Dataset) GenerateFromEvents(t Table) ([][]types.Value, error) {
	events, err := d.Generate(Event)
	if err != nil {
		return nil, err
	}
	idx := map[string]int{}
	for i, c := range Event.Columns {
		idx[c.Name] = i
	}
	var rows [][]types.Value
	for _, e := range events {
		if e[0].Int() != eventTypes[t.Name] {
			continue
		}
		row := make([]types.Value, len(t.Columns))
		for j, c := range t.Columns {
			name := t.Name + "_" + c.Name
			if c.Name == "dateTime" {
				name = "dateTime"
			}
			row[j] = e[idx[name]]
		}
		rows = append(rows, row)
	}
	return rows, nil
}

// Dataset is one input of the suites: the options of the 'nexmark'
// connector that every table of a suite file is created with.
type Dataset struct {
	// Events is 'number-of-events': events of all three types.
	Events int
	// EventsPerSecond is 'events-per-second' as written in the DDL: event
	// n has dateTime 2015-07-15 00:00:00 UTC + n / EventsPerSecond seconds.
	EventsPerSecond string
	// Seed is the generator's 'seed' (0, the default, is not written).
	Seed int
}

// Options returns the connector options of table t over the dataset, in
// the order the DDL lists them.
func (d Dataset) Options(t Table) [][2]string {
	opts := [][2]string{
		{"connector", "nexmark"},
		{"table", t.Name},
		{"number-of-events", fmt.Sprint(d.Events)},
		{"events-per-second", d.EventsPerSecond},
	}
	if d.Seed != 0 {
		opts = append(opts, [2]string{"seed", fmt.Sprint(d.Seed)})
	}
	return opts
}

// DDL returns the engine's CREATE TABLE statement of t over the dataset:
// the declaration of bench/nexmark/*.sql (watermark 4 s behind dateTime)
// with the dataset's options.
func (d Dataset) DDL(t Table) string {
	var b strings.Builder
	fmt.Fprintf(&b, "CREATE TABLE %s (", t.Name)
	for i, c := range t.Columns {
		if i > 0 {
			b.WriteString(", ")
		}
		fmt.Fprintf(&b, "%s %s", c.Name, c.Type)
	}
	b.WriteString(",\n  WATERMARK FOR dateTime AS dateTime - INTERVAL '4' SECOND\n) WITH (")
	for i, o := range d.Options(t) {
		if i > 0 {
			b.WriteString(", ")
		}
		fmt.Fprintf(&b, "'%s' = '%s'", o[0], o[1])
	}
	b.WriteString(")")
	return b.String()
}

// Generate returns every row of table t over the dataset, in event order,
// read straight from the nexmark connector's generator (one split, no
// engine involved).
func (d Dataset) Generate(t Table) ([][]types.Value, error) {
	schema := make(types.Schema, len(t.Columns))
	for i, c := range t.Columns {
		schema[i] = types.Column{Name: c.Name, Type: c.Type}
	}
	ct := &catalog.Table{Name: t.Name, Columns: schema, ProctimeColumn: -1}
	for _, o := range d.Options(t) {
		ct.Options = append(ct.Options, catalog.Option{Key: o[0], Value: o[1]})
	}
	ct.Options = append(ct.Options, catalog.Option{Key: "splits", Value: "1"})
	f := connectors.Lookup("nexmark")
	if f == nil {
		return nil, fmt.Errorf("the nexmark connector is not registered")
	}
	src, err := f.NewSource(ct, nil)
	if err != nil {
		return nil, err
	}
	splits, err := src.Splits(1)
	if err != nil {
		return nil, err
	}
	if len(splits) != 1 {
		return nil, fmt.Errorf("nexmark source: %d splits, want 1", len(splits))
	}
	ctx := context.Background()
	r, err := src.OpenSplit(ctx, splits[0], nil)
	if err != nil {
		return nil, err
	}
	defer r.Close()
	var rows [][]types.Value
	for {
		b := types.NewBatch(len(schema), 1024)
		err := r.Next(ctx, b)
		for i := 0; i < b.Len(); i++ {
			rows = append(rows, append([]types.Value(nil), b.Row(i)...))
		}
		if err == io.EOF {
			return rows, nil
		}
		if err != nil {
			return nil, err
		}
	}
}
