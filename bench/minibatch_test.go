package bench

import (
	"context"
	"fmt"
	"io"
	"strings"
	"testing"

	"github.com/streamsql/streamsql/engine"
	"github.com/streamsql/streamsql/sql"
)

// BenchmarkGlobalCountMiniBatch: a bounded SELECT COUNT(*) over a
// nested-loop join of two 1,500-row tables (about 1.9 M matches, every one
// an update of the global count), run with the result table materialized
// as `streamsql test` and the shell do, once with
// table.exec.mini-batch.enabled = false (one -U/+U per match) and once
// with the default for such a SELECT (one change per batch). Both report
// their time per query; the ratio is the figure.
//
//	go test -run '^$' -bench GlobalCountMiniBatch -benchtime 3x ./bench
func BenchmarkGlobalCountMiniBatch(b *testing.B) {
	for _, mode := range []string{"per-row", "mini-batch"} {
		b.Run(mode, func(b *testing.B) {
			e := engine.New(engine.Options{Stdout: io.Discard, Stderr: io.Discard})
			var setup strings.Builder
			if mode == "per-row" {
				setup.WriteString("SET 'table.exec.mini-batch.enabled' = 'false';")
			}
			for _, t := range []string{"a", "b"} {
				fmt.Fprintf(&setup, "CREATE TABLE %s (x INT, y INT); INSERT INTO %s VALUES ", t, t)
				for i := 0; i < 1500; i++ {
					if i > 0 {
						setup.WriteString(",")
					}
					fmt.Fprintf(&setup, "(%d,%d)", i, i%7)
				}
				setup.WriteString(";")
			}
			if err := e.RunScript(context.Background(), setup.String(), io.Discard); err != nil {
				b.Fatal(err)
			}
			st, err := e.Prepare(sql.Split("SELECT COUNT(*) FROM a, b WHERE a.y <> b.y")[0])
			if err != nil {
				b.Fatal(err)
			}
			q, ok := st.(*sql.Query)
			if !ok {
				b.Fatalf("not a query: %T", st)
			}
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				_, rows, err := e.RunQueryWatch(context.Background(), q, nil, nil)
				if err != nil {
					b.Fatal(err)
				}
				if len(rows) != 1 || rows[0][0].String() != "1928570" {
					b.Fatalf("COUNT(*) = %v", rows)
				}
			}
		})
	}
}
