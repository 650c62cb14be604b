package filesystem

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/streamsql/streamsql/connectors"
	"github.com/streamsql/streamsql/types"
)

func BenchmarkReadCSV(b *testing.B) {
	dir := b.TempDir()
	path := filepath.Join(dir, "bids.csv")
	var sb strings.Builder
	const rows = 100000
	for i := 0; i < rows; i++ {
		fmt.Fprintf(&sb, "%d,%d,%d.%02d,2020-10-10 00:%02d:%02d.%03d\n", i%1000, i, i%997, i%100, i/60000%60, i/1000%60, i%1000)
	}
	os.WriteFile(path, []byte(sb.String()), 0o644)
	tb := table("path", path, "format", "csv")
	tb.Columns = types.Schema{{Name: "auction", Type: types.BigInt}, {Name: "bidder", Type: types.BigInt},
		{Name: "price", Type: types.DecimalType(10, 2)}, {Name: "ts", Type: types.Timestamp}}
	src, err := connectors.Lookup("filesystem").NewSource(tb, nil)
	if err != nil {
		b.Fatal(err)
	}
	splits, _ := src.Splits(1)
	batch := types.NewBatch(4, 1024)
	b.SetBytes(int64(sb.Len()))
	b.ReportAllocs()
	for b.Loop() {
		r, _ := src.OpenSplit(ctx, splits[0], nil)
		n := 0
		for {
			batch.Reset()
			err := r.Next(ctx, batch)
			n += batch.Len()
			if err == io.EOF {
				break
			}
			if err != nil {
				b.Fatal(err)
			}
		}
		if n != rows {
			b.Fatal(n)
		}
		r.Close()
	}
	b.ReportMetric(float64(rows)*float64(b.N)/b.Elapsed().Seconds(), "rows/s")
}

// BenchmarkWrite writes q10-like rows (a few partitions, rows of one
// partition in runs) through the sink, partitioned by (dt, hr) and not.
func BenchmarkWrite(b *testing.B) {
	const rows = 100000
	batches := make([]*types.Batch, 0, rows/1024+1)
	for i := 0; i < rows; i += 1024 {
		bt := types.NewBatch(len(pschema), 1024)
		for j := i; j < min(i+1024, rows); j++ {
			bt.Append(types.Insert, []types.Value{types.IntValue(int64(j)), types.StringValue(fmt.Sprintf("2015-07-%02d", 15+j/40000)),
				types.StringValue("some extra text of a bid"), types.IntValue(int64(j / 10000))})
		}
		batches = append(batches, bt)
	}
	for _, partitioned := range []bool{false, true} {
		b.Run(fmt.Sprintf("partitioned=%v", partitioned), func(b *testing.B) {
			tb := ptable("path", b.TempDir()+"/", "format", "csv")
			if !partitioned {
				tb.PartitionKeys = nil
			}
			sk, err := connectors.Lookup("filesystem").NewSink(tb, nil)
			if err != nil {
				b.Fatal(err)
			}
			b.ReportAllocs()
			for b.Loop() {
				w, _ := sk.Open(ctx, 0, 1)
				for _, bt := range batches {
					if err := w.Write(bt); err != nil {
						b.Fatal(err)
					}
				}
				if err := w.Flush(); err != nil {
					b.Fatal(err)
				}
				w.Close()
			}
			b.ReportMetric(float64(rows)*float64(b.N)/b.Elapsed().Seconds(), "rows/s")
		})
	}
}
