package memory

import (
	"context"
	"io"
	"strings"
	"testing"

	"github.com/streamsql/streamsql/catalog"
	"github.com/streamsql/streamsql/connectors"
	"github.com/streamsql/streamsql/types"
)

var ctx = context.Background()

func table() *catalog.Table {
	return &catalog.Table{Name: "t", ProctimeColumn: -1,
		Columns: types.Schema{{Name: "a", Type: types.BigInt}, {Name: "s", Type: types.String}}}
}

func rows(from, to int) [][]types.Value {
	var out [][]types.Value
	for i := from; i < to; i++ {
		out = append(out, []types.Value{types.IntValue(int64(i)), types.StringValue("x")})
	}
	return out
}

func readAll(t *testing.T, r connectors.SplitReader, capRows int) []int64 {
	t.Helper()
	var out []int64
	for {
		b := types.NewBatch(2, capRows)
		err := r.Next(ctx, b)
		if err == io.EOF {
			return out
		}
		if err != nil {
			t.Fatal(err)
		}
		if b.Len() > capRows {
			t.Fatalf("batch of %d rows exceeds capacity %d", b.Len(), capRows)
		}
		for i := 0; i < b.Len(); i++ {
			out = append(out, b.Row(i)[0].Int())
		}
	}
}

func TestSource(t *testing.T) {
	store := NewStore()
	env := &connectors.Env{Memory: store}
	store.Append("T", rows(0, 10))
	f := connectors.Lookup("")
	if f == nil || connectors.Lookup("memory") == nil {
		t.Fatal("memory connector not registered under '' and 'memory'")
	}
	src, err := f.NewSource(table(), env)
	if err != nil {
		t.Fatal(err)
	}
	splits, _ := src.Splits(4)
	if len(splits) != 1 || !src.Bounded() {
		t.Fatalf("splits %d bounded %v", len(splits), src.Bounded())
	}
	r, _ := src.OpenSplit(ctx, splits[0], nil)
	store.Append("t", rows(10, 12)) // after the snapshot: not read
	b := types.NewBatch(2, 4)
	if err := r.Next(ctx, b); err != nil || b.Len() != 4 {
		t.Fatalf("first batch: %d rows, %v", b.Len(), err)
	}
	pos := r.Position()
	rest := readAll(t, r, 3)
	if len(rest) != 6 || rest[0] != 4 || rest[5] != 9 {
		t.Fatalf("rest: %v", rest)
	}
	// resume: a new snapshot, continuing after row 3
	r2, err := src.OpenSplit(ctx, splits[0], pos)
	if err != nil {
		t.Fatal(err)
	}
	if got := readAll(t, r2, 100); len(got) != 8 || got[0] != 4 || got[7] != 11 {
		t.Fatalf("resumed: %v", got)
	}
}

func TestSink(t *testing.T) {
	store := NewStore()
	env := &connectors.Env{Memory: store}
	sk, err := connectors.Lookup("memory").NewSink(table(), env)
	if err != nil {
		t.Fatal(err)
	}
	if sk.(connectors.ChangelogSink).AcceptsChangelog() {
		t.Fatal("memory sink must not accept a changelog")
	}
	w, _ := sk.Open(ctx, 0, 1)
	b := types.NewBatch(2, 4)
	for _, r := range rows(0, 3) {
		b.Append(types.Insert, r)
	}
	if err := w.Write(b); err != nil {
		t.Fatal(err)
	}
	b.Reset() // the writer must not keep the batch's memory
	b.Append(types.Insert, []types.Value{types.IntValue(99), types.StringValue("y")})
	if n := len(store.Snapshot("t")); n != 0 {
		t.Fatalf("rows visible before Flush: %d", n)
	}
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	snap := store.Snapshot("t")
	if len(snap) != 3 || snap[0][0].Int() != 0 || snap[2][0].Int() != 2 {
		t.Fatalf("after flush: %v", snap)
	}
	w.Write(b)
	w.Close() // not flushed: discarded
	if n := len(store.Snapshot("t")); n != 3 {
		t.Fatalf("unflushed rows kept: %d", n)
	}
	w2, _ := sk.Open(ctx, 0, 1)
	b.Reset()
	b.Append(types.UpdateBefore, rows(0, 1)[0])
	err = w2.Write(b)
	if err == nil || !strings.Contains(err.Error(), "table t") || !strings.Contains(err.Error(), "-U") {
		t.Fatalf("retraction: %v", err)
	}
}

func TestOptions(t *testing.T) {
	tb := table()
	tb.Options = []catalog.Option{{Key: "connector", Value: "memory"}, {Key: "path", Value: "x"}}
	_, err := connectors.Lookup("memory").NewSource(tb, &connectors.Env{Memory: NewStore()})
	if err == nil || err.Error() != "table t: an in-memory table has no option 'path'" {
		t.Fatal(err)
	}
}

// Rewrite replaces a table's rows at once; snapshots taken before keep
// their rows, and an error leaves the table unchanged.
func TestStoreRewrite(t *testing.T) {
	s := NewStore()
	s.Append("T", [][]types.Value{{types.IntValue(1)}, {types.IntValue(2)}, {types.IntValue(3)}})
	before := s.Snapshot("t")
	err := s.Rewrite("t", func(rows [][]types.Value) ([][]types.Value, error) {
		var out [][]types.Value
		for _, r := range rows {
			if r[0].Int() != 2 {
				out = append(out, r)
			}
		}
		return out, nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if got := s.Snapshot("t"); len(got) != 2 || got[0][0].Int() != 1 || got[1][0].Int() != 3 {
		t.Errorf("after rewrite: %v", got)
	}
	if len(before) != 3 || before[1][0].Int() != 2 {
		t.Errorf("earlier snapshot changed: %v", before)
	}
	if err := s.Rewrite("t", func([][]types.Value) ([][]types.Value, error) { return nil, io.ErrUnexpectedEOF }); err != io.ErrUnexpectedEOF {
		t.Errorf("error: %v", err)
	}
	if got := s.Snapshot("t"); len(got) != 2 {
		t.Errorf("a failed rewrite changed the table: %v", got)
	}
}
