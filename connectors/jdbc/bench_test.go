package jdbc

import (
	"testing"

	"github.com/streamsql/streamsql/types"
)

// BenchmarkCommit measures exactly-once commits of 5000 upserts each
// (against the test server).
func BenchmarkCommit(b *testing.B) {
	dbName, _ := testDatabase(b)
	s := newTestSink(b, compileTable(b, ddl(dbName, "k BIGINT, name STRING, n BIGINT, amount DECIMAL(10, 2), PRIMARY KEY (k) NOT ENFORCED",
		"'table-name' = 'bench', 'sink.create-table' = 'true'")), nil)
	w := open2PC(b, s, 0)
	if err := w.Recover(nil); err != nil {
		b.Fatal(err)
	}
	const rows = 5000
	batch := types.NewBatch(4, rows)
	for i := 0; i < rows; i++ {
		batch.Append(types.Insert, []types.Value{i64(int64(i)), str("name"), i64(int64(i)), dec(int64(i))})
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if err := w.Write(batch); err != nil {
			b.Fatal(err)
		}
		c, err := w.PreCommit(int64(i + 1))
		if err != nil {
			b.Fatal(err)
		}
		if err := w.Commit(c); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(rows*b.N)/b.Elapsed().Seconds(), "rows/s")
}
