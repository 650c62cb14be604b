package engine

import (
	"context"
	"slices"
	"testing"

	"github.com/streamsql/streamsql/sql"
	"github.com/streamsql/streamsql/types"
)

// streamRows runs query (unbounded) and returns its first n changelog rows.
func streamRows(t *testing.T, e *Engine, query string, n int) ([]types.Op, [][]types.Value) {
	t.Helper()
	st, err := e.Prepare(sql.Split(query)[0])
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var ops []types.Op
	var rows [][]types.Value
	_, _, err = e.RunQuery(ctx, st.(*sql.Query), func(op types.Op, row []types.Value) error {
		if len(rows) < n {
			ops = append(ops, op)
			rows = append(rows, slices.Clone(row))
		}
		if len(rows) == n {
			cancel()
		}
		return nil
	})
	if err != nil && ctx.Err() == nil {
		t.Fatal(err)
	}
	if len(rows) < n {
		t.Fatalf("%d rows, want %d", len(rows), n)
	}
	return ops, rows
}

const genTable = `CREATE TABLE g (a BIGINT, ts TIMESTAMP(3), WATERMARK FOR ts AS ts - INTERVAL '0.05' SECOND)
WITH ('connector' = 'datagen', 'rows-per-second' = '5000', 'fields.a.min' = '1', 'fields.a.max' = '1000000000',
'fields.ts.max-past' = '30')`

// TestStreamOrderByTime: ORDER BY an ascending time attribute on a stream
// emits rows in time order (ties by the next key), append-only.
func TestStreamOrderByTime(t *testing.T) {
	e, _ := newTestEngine()
	if err := e.Exec(genTable); err != nil {
		t.Fatal(err)
	}
	ops, rows := streamRows(t, e, "SELECT ts, a FROM g ORDER BY ts, a DESC", 400)
	for i, r := range rows {
		if ops[i] != types.Insert {
			t.Fatalf("row %d: op %v, want +I", i, ops[i])
		}
		if i == 0 {
			continue
		}
		p := rows[i-1]
		c := types.Compare(p[0], r[0])
		if c > 0 || (c == 0 && types.Compare(p[1], r[1]) < 0) {
			t.Fatalf("row %d (%v) comes after %v", i, r, p)
		}
	}
}

// TestStreamOrderByLimit: ORDER BY ... LIMIT n on a stream is a Top-N: a
// changelog whose live rows are at every point the n smallest values
// inserted so far (never the first n rows to arrive).
func TestStreamOrderByLimit(t *testing.T) {
	e, _ := newTestEngine()
	if err := e.Exec(genTable); err != nil {
		t.Fatal(err)
	}
	ops, rows := streamRows(t, e, "SELECT a, ts FROM g ORDER BY a DESC LIMIT 3", 12)
	var live, inserted []int64
	for i, r := range rows {
		a := r[0].Int()
		if ops[i].IsRetraction() {
			k := slices.Index(live, a)
			if k < 0 {
				t.Fatalf("row %d retracts %d, which is not in the result %v", i, a, live)
			}
			live = slices.Delete(live, k, k+1)
			continue
		}
		live = append(live, a)
		inserted = append(inserted, a)
		if len(live) > 3 {
			t.Fatalf("row %d: %d rows in the result %v, want at most 3", i, len(live), live)
		}
	}
	if ops[len(ops)-1].IsRetraction() {
		return // checked at the next insertion only
	}
	slices.Sort(live)
	slices.Sort(inserted)
	if top := inserted[len(inserted)-3:]; !slices.Equal(live, top) {
		t.Fatalf("result %v, want the three largest values inserted %v", live, top)
	}
	if !slices.ContainsFunc(ops, types.Op.IsRetraction) {
		t.Fatalf("no row left the result in %d changes", len(ops))
	}
}

// TestStreamGlobalAggregateInitialRow: a global aggregate over a stream
// emits its result over zero rows when the job starts, before any row
// passes the filter (here none ever does).
func TestStreamGlobalAggregateInitialRow(t *testing.T) {
	e, _ := newTestEngine()
	if err := e.Exec(genTable); err != nil {
		t.Fatal(err)
	}
	ops, rows := streamRows(t, e, "SELECT COUNT(*), SUM(a) FROM g WHERE a < 0", 1)
	if ops[0] != types.Insert || rows[0][0].Int() != 0 || !rows[0][1].IsNull() {
		t.Fatalf("first row %v %v, want +I 0 NULL", ops[0], rows[0])
	}
}
