package exec

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"

	"github.com/streamsql/streamsql/catalog"
	"github.com/streamsql/streamsql/types"
)

// rowLog logs every row a task sees as its values, and the watermarks.
type rowLog struct {
	Base
	mu  *sync.Mutex
	log *[]string
}

func (r *rowLog) ProcessBatch(_ int, b *types.Batch) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	for i := 0; i < b.Len(); i++ {
		var vs []string
		for _, v := range b.Row(i) {
			vs = append(vs, fmt.Sprint(v.Int()))
		}
		*r.log = append(*r.log, "row "+strings.Join(vs, ","))
	}
	return nil
}

func (r *rowLog) ProcessWatermark(wm int64) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	*r.log = append(*r.log, fmt.Sprintf("wm %d", wm))
	return nil
}

// A source whose table has a PROCTIME column between its physical ones
// emits rows with the processing time in that column, as whole batches
// when no row is behind the watermark the rows before it set, and with
// the watermark before such a row otherwise.
func TestSourceProctimeRows(t *testing.T) {
	for _, c := range []struct {
		name string
		rows [][2]int64
		want []string
	}{
		{"in order", [][2]int64{{1, 10}, {2, 20}, {3, 30}},
			[]string{"row 1,777,10", "row 2,777,20", "row 3,777,30", "wm 30"}},
		{"a row behind the watermark", [][2]int64{{1, 10}, {1, 20}, {2, 5}, {1, 30}},
			[]string{"row 1,777,10", "row 1,777,20", "wm 20", "row 2,777,5", "row 1,777,30", "wm 30"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			schema := types.Schema{{Name: "k", Type: types.BigInt}, {Name: "pt", Type: types.Timestamp}, {Name: "ts", Type: types.Timestamp}}
			tbl := &catalog.Table{Name: "s", Columns: schema, ProctimeColumn: 1, Watermark: &catalog.Watermark{Column: 2}}
			src := &Vertex{Name: "Source s", Parallelism: 1, Schema: schema,
				Source: &SourceSpec{Table: tbl, Source: &fakeSource{splits: [][][2]int64{c.rows}}, Watermark: tbl.Watermark, ProctimeCol: 1}}
			var log []string
			var mu sync.Mutex
			g := &JobGraph{Vertices: []*Vertex{src, {Name: "log", Parallelism: 1, Schema: schema,
				Inputs: []Edge{{From: 0, Partitioning: Forward}}, NewOperator: func() Operator { return &rowLog{mu: &mu, log: &log} }}}}
			j, err := Start(context.Background(), g, Options{Now: func() int64 { return 777 }})
			if err != nil {
				t.Fatal(err)
			}
			if err := j.Wait(); err != nil {
				t.Fatal(err)
			}
			want := append(c.want, fmt.Sprintf("wm %d", MaxWatermark))
			if got := strings.Join(log, "\n"); got != strings.Join(want, "\n") {
				t.Errorf("got\n%s\nwant\n%s", got, strings.Join(want, "\n"))
			}
		})
	}
}
