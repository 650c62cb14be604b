package operators

import (
	"context"
	"encoding/binary"
	"errors"
	"io"
	"strings"
	"testing"

	"github.com/streamsql/streamsql/catalog"
	"github.com/streamsql/streamsql/connectors"
	"github.com/streamsql/streamsql/exec"
	"github.com/streamsql/streamsql/expr"
	"github.com/streamsql/streamsql/types"
)

// tableSource is a bounded source over rows held by the test, split in
// splits of at most per rows (so that a load reads several splits, each in
// several Next calls). Changing rows between opens changes what the next
// load sees.
type tableSource struct {
	rows  [][]types.Value
	per   int
	opens int // OpenSplit calls
}

type tableSplit struct{ from, to int }

func (s tableSplit) ID() string { return "rows" }

func (s *tableSource) Splits(int) ([]connectors.Split, error) {
	var out []connectors.Split
	for i := 0; i < len(s.rows); i += s.per {
		out = append(out, tableSplit{i, min(i+s.per, len(s.rows))})
	}
	return out, nil
}
func (s *tableSource) Bounded() bool { return true }
func (s *tableSource) OpenSplit(_ context.Context, sp connectors.Split, pos []byte) (connectors.SplitReader, error) {
	s.opens++
	ts := sp.(tableSplit)
	return &tableReader{rows: s.rows[ts.from:ts.to]}, nil
}

type tableReader struct {
	rows [][]types.Value
	next int
}

func (r *tableReader) Next(_ context.Context, b *types.Batch) error {
	if r.next >= len(r.rows) {
		return io.EOF
	}
	b.Append(types.Insert, r.rows[r.next]) // one row per call
	r.next++
	return nil
}
func (r *tableReader) Position() []byte { return binary.BigEndian.AppendUint64(nil, uint64(r.next)) }
func (r *tableReader) Close() error     { return nil }

var lookupTable = &catalog.Table{Name: "dim", ProctimeColumn: -1,
	Columns: types.Schema{{Name: "id", Type: types.BigInt}, {Name: "name", Type: types.String}}}

func iv(i int64) types.Value  { return types.IntValue(i) }
func sv(s string) types.Value { return types.StringValue(s) }

var null = types.NullValue()

func rowsOf(op types.Op, rows ...[]types.Value) []emitted {
	var out []emitted
	for _, r := range rows {
		out = append(out, emitted{op: op, vals: r})
	}
	return out
}

func formatRows(rows []emitted) string {
	var out []string
	for _, r := range rows {
		out = append(out, formatRow(r))
	}
	return strings.Join(out, "\n")
}

func wantRows(t *testing.T, got []emitted, want ...string) {
	t.Helper()
	if g := formatRows(got); g != strings.Join(want, "\n") {
		t.Fatalf("got:\n%s\nwant:\n%s", g, strings.Join(want, "\n"))
	}
}

// probe rows: (order id, customer id)
var probeSchema = types.Schema{{Name: "oid", Type: types.BigInt}, {Name: "cust", Type: types.BigInt}}

func lookupSpec(src connectors.Source) LookupJoinSpec {
	return LookupJoinSpec{Table: "dim", Lookup: connectors.BoundedLookup(lookupTable, src),
		ProbeKeys: []expr.Expr{&expr.Col{Index: 1, Name: "cust", T: types.BigInt}}, KeyCols: []int{0},
		ProbeWidth: 2, TableWidth: 2}
}

func TestLookupJoinInner(t *testing.T) {
	src := &tableSource{per: 2, rows: [][]types.Value{
		{iv(1), sv("ann")}, {iv(2), sv("bob")}, {iv(2), sv("bobby")}, {null, sv("nobody")}, {iv(3), sv("cy")}}}
	h := newHarness(t, func() exec.Operator { return NewLookupJoin(lookupSpec(src)) }, 2)
	if src.opens != 3 {
		t.Fatalf("Open read %d splits, want all 3 before the first probe row", src.opens)
	}
	got := h.process(0, rowsOf(types.Insert,
		[]types.Value{iv(100), iv(1)}, []types.Value{iv(101), iv(2)}, []types.Value{iv(102), iv(4)},
		[]types.Value{iv(103), null}))
	wantRows(t, got, "+I 100 1 1 'ann'", "+I 101 2 2 'bob'", "+I 101 2 2 'bobby'")
	// Ops pass through: a retraction of the probe side is looked up too.
	got = h.process(0, []emitted{{op: types.UpdateBefore, vals: []types.Value{iv(100), iv(1)}},
		{op: types.UpdateAfter, vals: []types.Value{iv(100), iv(3)}}, {op: types.Delete, vals: []types.Value{iv(103), null}}})
	wantRows(t, got, "-U 100 1 1 'ann'", "+U 100 3 3 'cy'")
	// Watermarks and the end of input emit nothing.
	wantRows(t, h.finish())
	if err := h.op.Close(); err != nil {
		t.Fatal(err)
	}
}

func TestLookupJoinLeftResidualOutput(t *testing.T) {
	src := &tableSource{per: 10, rows: [][]types.Value{{iv(1), sv("ann")}, {iv(2), sv("bob")}, {iv(2), sv("bobby")}}}
	spec := lookupSpec(src)
	spec.Left = true
	// ON p.cust = d.id AND d.name <> 'bob', key as an expression: cust + 0.
	key, err := expr.NewArith(expr.OpAdd, &expr.Col{Index: 1, Name: "cust", T: types.BigInt}, &expr.Literal{V: iv(0), T: types.BigInt})
	if err != nil {
		t.Fatal(err)
	}
	spec.ProbeKeys = []expr.Expr{key}
	spec.Residual, err = expr.NewCompare(expr.CmpNE, &expr.Col{Index: 3, Name: "name", T: types.String}, &expr.Literal{V: sv("bob"), T: types.String})
	if err != nil {
		t.Fatal(err)
	}
	h := newHarness(t, func() exec.Operator { return NewLookupJoin(spec) }, 2)
	got := h.process(0, rowsOf(types.Insert,
		[]types.Value{iv(100), iv(1)}, []types.Value{iv(101), iv(2)}, []types.Value{iv(102), iv(9)}, []types.Value{iv(103), null}))
	wantRows(t, got, "+I 100 1 1 'ann'", "+I 101 2 2 'bobby'", "+I 102 9 NULL NULL", "+I 103 NULL NULL NULL")

	// A fused projection: name, oid.
	spec.Output = []int{3, 0}
	h = newHarness(t, func() exec.Operator { return NewLookupJoin(spec) }, 2)
	got = h.process(0, rowsOf(types.Insert, []types.Value{iv(101), iv(2)}, []types.Value{iv(102), iv(9)}))
	wantRows(t, got, "+I 'bobby' 101", "+I NULL 102")
}

// A fused projection without a residual builds each output row straight
// from the probe row and the table row: the same rows as the projection of
// the whole joined row, table columns NULL for a LEFT join's unmatched
// probe rows and probe columns repeated for each match.
func TestLookupJoinOutputWithoutResidual(t *testing.T) {
	src := &tableSource{per: 10, rows: [][]types.Value{{iv(1), sv("ann")}, {iv(2), sv("bob")}, {iv(2), sv("bobby")}}}
	for _, left := range []bool{false, true} {
		spec := lookupSpec(src)
		spec.Left = left
		spec.Output = []int{3, 0, 1, 3}
		h := newHarness(t, func() exec.Operator { return NewLookupJoin(spec) }, 2)
		got := h.process(0, rowsOf(types.Insert,
			[]types.Value{iv(100), iv(1)}, []types.Value{iv(101), iv(2)}, []types.Value{iv(102), iv(9)}, []types.Value{iv(103), null}))
		want := []string{"+I 'ann' 100 1 'ann'", "+I 'bob' 101 2 'bob'", "+I 'bobby' 101 2 'bobby'"}
		if left {
			want = append(want, "+I NULL 102 9 NULL", "+I NULL 103 NULL NULL")
		}
		wantRows(t, got, want...)
	}
}

// After a restore the table is loaded again, as it is then; rows emitted
// before are not retracted, and no state is kept for the operator.
func TestLookupJoinRestoreReloads(t *testing.T) {
	src := &tableSource{per: 1, rows: [][]types.Value{{iv(1), sv("ann")}}}
	h := newHarness(t, func() exec.Operator { return NewLookupJoin(lookupSpec(src)) }, 2)
	wantRows(t, h.process(0, rowsOf(types.Insert, []types.Value{iv(100), iv(1)}, []types.Value{iv(101), iv(2)})),
		"+I 100 1 1 'ann'")
	if _, ok := h.op.(stateCopier); ok {
		t.Fatal("the lookup join must keep no state")
	}
	src.rows = [][]types.Value{{iv(1), sv("anne")}, {iv(2), sv("bob")}}
	// The table changed: the running instance still serves what it loaded.
	wantRows(t, h.process(0, rowsOf(types.Insert, []types.Value{iv(102), iv(2)})))
	// A checkpoint, a failure, and a new instance (the operator has no
	// state to restore).
	if err := h.op.SnapshotState(1); err != nil {
		t.Fatal(err)
	}
	if err := h.op.Close(); err != nil {
		t.Fatal(err)
	}
	h = newHarness(t, func() exec.Operator { return NewLookupJoin(lookupSpec(src)) }, 2)
	wantRows(t, h.process(0, rowsOf(types.Insert, []types.Value{iv(103), iv(1)}, []types.Value{iv(104), iv(2)})),
		"+I 103 1 1 'anne'", "+I 104 2 2 'bob'")
}

// failingLookup fails in Open or in Lookup.
type failingLookup struct{ openErr, lookupErr error }

func (f *failingLookup) Describe() string { return "test" }
func (f *failingLookup) Open(context.Context, []int) (connectors.LookupReader, error) {
	if f.openErr != nil {
		return nil, f.openErr
	}
	return f, nil
}
func (f *failingLookup) Lookup([]types.Value) ([][]types.Value, error) { return nil, f.lookupErr }
func (f *failingLookup) Close() error                                  { return nil }

func TestLookupJoinErrorsNameTheTable(t *testing.T) {
	spec := lookupSpec(nil)
	spec.Lookup = &failingLookup{openErr: errors.New("connection refused")}
	op := NewLookupJoin(spec)
	err := op.Open(newTestContext(nil, &sink{}))
	if err == nil || !strings.Contains(err.Error(), "lookup table dim: connection refused") {
		t.Fatalf("Open: %v", err)
	}
	op.Close()
	spec.Lookup = &failingLookup{lookupErr: errors.New("server has gone away")}
	op = NewLookupJoin(spec)
	ctx := newTestContext(nil, &sink{})
	if err := op.Open(ctx); err != nil {
		t.Fatal(err)
	}
	b := types.NewBatch(2, 1)
	b.Append(types.Insert, []types.Value{iv(1), iv(1)})
	if err := op.ProcessBatch(0, b); err == nil || !strings.Contains(err.Error(), "lookup table dim: server has gone away") {
		t.Fatalf("ProcessBatch: %v", err)
	}
	// A NULL key is not looked up (no error).
	b = types.NewBatch(2, 1)
	b.Append(types.Insert, []types.Value{iv(1), null})
	if err := op.ProcessBatch(0, b); err != nil {
		t.Fatal(err)
	}
	if err := op.Close(); err != nil {
		t.Fatal(err)
	}
}
