package connectors_test

import (
	"context"
	"io"
	"strings"
	"testing"

	"github.com/streamsql/streamsql/catalog"
	"github.com/streamsql/streamsql/connectors"
	_ "github.com/streamsql/streamsql/connectors/all"
	"github.com/streamsql/streamsql/connectors/memory"
	"github.com/streamsql/streamsql/types"
)

func table(name string, opts ...string) *catalog.Table {
	t := &catalog.Table{Name: name, ProctimeColumn: -1,
		Columns: types.Schema{{Name: "k", Type: types.BigInt}, {Name: "v", Type: types.String}}}
	for i := 0; i+1 < len(opts); i += 2 {
		t.Options = append(t.Options, catalog.Option{Key: opts[i], Value: opts[i+1]})
	}
	return t
}

func TestCanLookup(t *testing.T) {
	for _, c := range []struct {
		t    *catalog.Table
		want string // "" when the table can be looked up
	}{
		{table("mem"), ""},
		{table("jdbc", "connector", "jdbc", "url", "mysql://u@127.0.0.1/db"), ""},
		{table("dg", "connector", "datagen", "number-of-rows", "10"), ""},
		{table("dg", "connector", "datagen"), "connector 'datagen' reads an unbounded stream"},
		{table("k", "connector", "kafka", "topic", "t", "properties.bootstrap.servers", "127.0.0.1:9092", "format", "json",
			"scan.startup.mode", "earliest-offset"), "connector 'kafka' reads an unbounded stream"},
		{table("bh", "connector", "blackhole"), "connector 'blackhole' cannot be read"},
	} {
		err := connectors.CanLookup(c.t)
		if (err == nil) != (c.want == "") || (err != nil && !strings.Contains(err.Error(), c.want)) {
			t.Errorf("%s: CanLookup = %v, want %q", c.t.Name, err, c.want)
		}
	}
}

// A bounded source serves lookups from memory: every split is read, rows
// with a NULL key are dropped, keys compare by value.
func TestBoundedLookupFromSource(t *testing.T) {
	dg := table("side", "connector", "datagen", "number-of-rows", "20", "rows-per-second", "0",
		"fields.k.kind", "sequence", "fields.k.start", "0", "fields.k.end", "19",
		"fields.v.kind", "sequence", "fields.v.start", "100", "fields.v.end", "119")
	env := &connectors.Env{Stdout: io.Discard, Stderr: io.Discard, Now: func() int64 { return 0 }}
	ls, err := connectors.NewLookupSource(dg, env)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(ls.Describe(), "loaded into memory") {
		t.Fatalf("Describe: %s", ls.Describe())
	}
	r, err := ls.Open(context.Background(), []int{0})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	for k := int64(0); k < 20; k++ {
		rows, err := r.Lookup([]types.Value{types.IntValue(k)})
		if err != nil {
			t.Fatal(err)
		}
		if len(rows) != 1 || rows[0][0].Int() != k || rows[0][1].Str() != types.IntValue(100+k).String() {
			t.Fatalf("key %d: %v", k, rows)
		}
	}
	if rows, _ := r.Lookup([]types.Value{types.IntValue(20)}); len(rows) != 0 {
		t.Fatalf("key 20: %v", rows)
	}
	// Keys compare by kind too: a string or a double of the same number
	// finds nothing, as the key encoding says.
	for _, k := range []types.Value{types.StringValue("3"), types.DoubleValue(3)} {
		if rows, _ := r.Lookup([]types.Value{k}); len(rows) != 0 {
			t.Fatalf("key %v (%v): %v", k, k.Kind(), rows)
		}
	}

	// An in-memory table, by a composite key (v, k); the NULL key row is dropped.
	store := memory.NewStore()
	store.Append("mem", [][]types.Value{
		{types.IntValue(1), types.StringValue("a")}, {types.IntValue(1), types.StringValue("a")},
		{types.IntValue(2), types.StringValue("a")}, {types.NullValue(), types.StringValue("a")}})
	ls, err = connectors.NewLookupSource(table("mem"), &connectors.Env{Memory: store})
	if err != nil {
		t.Fatal(err)
	}
	r, err = ls.Open(context.Background(), []int{1, 0})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	if rows, _ := r.Lookup([]types.Value{types.StringValue("a"), types.IntValue(1)}); len(rows) != 2 {
		t.Fatalf("(a, 1): %v", rows)
	}
	if rows, _ := r.Lookup([]types.Value{types.StringValue("A"), types.IntValue(2)}); len(rows) != 0 {
		t.Fatalf("(A, 2): %v", rows)
	}
	// By one column whose keys are not all integers: the string key, the
	// integer keys and the NULL key row as before.
	r1, err := ls.Open(context.Background(), []int{1})
	if err != nil {
		t.Fatal(err)
	}
	defer r1.Close()
	if rows, _ := r1.Lookup([]types.Value{types.StringValue("a")}); len(rows) != 4 {
		t.Fatalf("a: %v", rows)
	}
	r0, err := ls.Open(context.Background(), []int{0})
	if err != nil {
		t.Fatal(err)
	}
	defer r0.Close()
	if rows, _ := r0.Lookup([]types.Value{types.IntValue(1)}); len(rows) != 2 {
		t.Fatalf("1: %v", rows)
	}
	if rows, _ := r0.Lookup([]types.Value{types.StringValue("1")}); len(rows) != 0 {
		t.Fatalf("'1': %v", rows)
	}

	// An unbounded source cannot be looked up.
	if _, err := connectors.NewLookupSource(table("endless", "connector", "datagen"), env); err == nil ||
		!strings.Contains(err.Error(), "table endless: connector 'datagen' reads an unbounded stream") {
		t.Fatalf("unbounded: %v", err)
	}
	// Nor can a key column outside the table.
	if _, err := ls.Open(context.Background(), []int{2}); err == nil || !strings.Contains(err.Error(), "table mem") {
		t.Fatalf("bad key column: %v", err)
	}
}
