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
