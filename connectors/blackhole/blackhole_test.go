package blackhole

import (
	"context"
	"testing"

	"github.com/streamsql/streamsql/catalog"
	"github.com/streamsql/streamsql/connectors"
	"github.com/streamsql/streamsql/types"
)

func TestDiscards(t *testing.T) {
	tb := &catalog.Table{Name: "nothing", ProctimeColumn: -1, Columns: types.Schema{{Name: "a", Type: types.BigInt}},
		Options: []catalog.Option{{Key: "connector", Value: "blackhole"}}}
	sk, err := connectors.Lookup("blackhole").NewSink(tb, nil)
	if err != nil {
		t.Fatal(err)
	}
	if !sk.(connectors.ChangelogSink).AcceptsChangelog() {
		t.Fatal("blackhole accepts a changelog")
	}
	w, _ := sk.Open(context.Background(), 0, 1)
	b := types.NewBatch(1, 2)
	b.Append(types.Insert, []types.Value{types.IntValue(1)})
	b.Append(types.Delete, []types.Value{types.IntValue(1)})
	if w.Write(b) != nil || w.Flush() != nil || w.Close() != nil {
		t.Fatal("blackhole failed")
	}
	tb.Options = append(tb.Options, catalog.Option{Key: "x", Value: "1"})
	if _, err := connectors.Lookup("blackhole").NewSink(tb, nil); err == nil {
		t.Fatal("unknown option accepted")
	}
}
