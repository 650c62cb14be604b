package filesystem

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/streamsql/streamsql/connectors"
	"github.com/streamsql/streamsql/internal/testkit"
	"github.com/streamsql/streamsql/types"
)

// benchRead reads a file of the given content and format through the
// source into batches of 1,024 rows, once per iteration, and reports
// rows per second of wall-clock and of process CPU time.
func benchRead(b *testing.B, content, formatName string, columns types.Schema, rows int) {
	path := filepath.Join(b.TempDir(), "data."+formatName)
	os.WriteFile(path, []byte(content), 0o644)
	tb := table("path", path, "format", formatName)
	tb.Columns = columns
	src, err := connectors.Lookup("filesystem").NewSource(tb, nil)
	if err != nil {
		b.Fatal(err)
	}
	splits, _ := src.Splits(1)
	batch := types.NewBatch(len(columns), 1024)
	b.SetBytes(int64(len(content)))
	b.ReportAllocs()
	cpu := testkit.ProcessCPU()
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
	if d := testkit.ProcessCPU() - cpu; d > 0 && cpu > 0 {
		b.ReportMetric(float64(rows)*float64(b.N)/d.Seconds(), "rows/cpu-s")
	}
}

func BenchmarkReadCSV(b *testing.B) {
	var sb strings.Builder
	const rows = 100000
	for i := 0; i < rows; i++ {
		fmt.Fprintf(&sb, "%d,%d,%d.%02d,2020-10-10 00:%02d:%02d.%03d\n", i%1000, i, i%997, i%100, i/60000%60, i/1000%60, i%1000)
	}
	benchRead(b, sb.String(), "csv", types.Schema{{Name: "auction", Type: types.BigInt}, {Name: "bidder", Type: types.BigInt},
		{Name: "price", Type: types.DecimalType(10, 2)}, {Name: "ts", Type: types.Timestamp}}, rows)
}

// BenchmarkReadWords reads the two-column case of format's word
// benchmarks (a word out of 1,000, a TIMESTAMP(3) in 1 ms steps) from a
// CSV and a JSON file.
func BenchmarkReadWords(b *testing.B) {
	const rows = 100000
	words := make([]string, 1000)
	for i := range words {
		words[i] = fmt.Sprintf("w%x", uint32(i)*2654435761)
	}
	for _, name := range []string{"csv", "json"} {
		b.Run(name, func(b *testing.B) {
			var sb strings.Builder
			x := uint64(1)
			for i := 0; i < rows; i++ {
				x = x*6364136223846793005 + 1442695040888963407
				w, ts := words[(x>>33)%1000], types.AppendTimestamp(nil, 1602288005123+int64(i), 3)
				if name == "csv" {
					fmt.Fprintf(&sb, "%s,%s\n", w, ts)
				} else {
					fmt.Fprintf(&sb, `{"word": "%s", "ts": "%s"}`+"\n", w, ts)
				}
			}
			benchRead(b, sb.String(), name, types.Schema{{Name: "word", Type: types.String}, {Name: "ts", Type: types.Timestamp}}, rows)
		})
	}
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

// BenchmarkReadLargeCSVParallel reads one large CSV file (about 24 MB)
// cut into 4 MiB byte ranges by 1 and by 2 readers (each reading the
// ranges k with k mod p = i, as the runtime assigns splits to source
// instances), with GOMAXPROCS 2: the rows/s of p=2 against p=1 is how
// one file's read scales with cores.
func BenchmarkReadLargeCSVParallel(b *testing.B) {
	const rows = 500000
	var sb strings.Builder
	for i := 0; i < rows; i++ {
		fmt.Fprintf(&sb, "%d,%d,%d.%02d,2020-10-10 00:%02d:%02d.%03d\n", i%1000, i, i%997, i%100, i/60000%60, i/1000%60, i%1000)
	}
	path := filepath.Join(b.TempDir(), "large.csv")
	if err := os.WriteFile(path, []byte(sb.String()), 0o644); err != nil {
		b.Fatal(err)
	}
	tb := table("path", path, "format", "csv", optSplitSize, "4mb")
	tb.Columns = types.Schema{{Name: "auction", Type: types.BigInt}, {Name: "bidder", Type: types.BigInt},
		{Name: "price", Type: types.DecimalType(10, 2)}, {Name: "ts", Type: types.Timestamp}}
	src, err := connectors.Lookup("filesystem").NewSource(tb, nil)
	if err != nil {
		b.Fatal(err)
	}
	splits, err := src.Splits(2)
	if err != nil || len(splits) < 2 {
		b.Fatalf("%d splits, %v", len(splits), err)
	}
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(2))
	for _, p := range []int{1, 2} {
		b.Run(fmt.Sprintf("p=%d", p), func(b *testing.B) {
			b.SetBytes(int64(sb.Len()))
			for b.Loop() {
				var total atomic.Int64
				var wg sync.WaitGroup
				errs := make(chan error, p)
				for inst := 0; inst < p; inst++ {
					wg.Add(1)
					go func() {
						defer wg.Done()
						batch := types.NewBatch(len(tb.Columns), 1024)
						for k := inst; k < len(splits); k += p {
							r, err := src.OpenSplit(ctx, splits[k], nil)
							if err != nil {
								errs <- err
								return
							}
							for {
								batch.Reset()
								err := r.Next(ctx, batch)
								total.Add(int64(batch.Len()))
								if err == io.EOF {
									break
								}
								if err != nil {
									errs <- err
									return
								}
							}
							r.Close()
						}
					}()
				}
				wg.Wait()
				close(errs)
				for err := range errs {
					b.Fatal(err)
				}
				if total.Load() != rows {
					b.Fatalf("%d rows read, want %d", total.Load(), rows)
				}
			}
			b.ReportMetric(float64(rows)*float64(b.N)/b.Elapsed().Seconds(), "rows/s")
		})
	}
}
