package operators

import (
	"bytes"
	"encoding/hex"
	"math"
	"math/rand"
	"strings"
	"testing"
	"unsafe"

	"github.com/streamsql/streamsql/exec"
	"github.com/streamsql/streamsql/expr"
	"github.com/streamsql/streamsql/types"
)

// encRow is a stored join row: vals as types.AppendValues encodes them.
func encRow(vals ...types.Value) string { return string(types.AppendValues(nil, vals)) }

// decRow decodes a stored join row.
func decRow(t *testing.T, enc string) []types.Value {
	t.Helper()
	n, _, err := types.ValuesLen(enc)
	if err != nil {
		t.Fatal(err)
	}
	row := make([]types.Value, n)
	if rest, err := types.DecodeValuesInto(row, enc); err != nil || rest != "" {
		t.Fatalf("stored row %x: %v, %d bytes left", enc, err, len(rest))
	}
	return row
}

func sameBitsRow(a, b []types.Value) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i].Kind() != b[i].Kind() {
			return false
		}
		if a[i].Kind() == types.KindDouble {
			if math.Float64bits(a[i].Double()) != math.Float64bits(b[i].Double()) {
				return false
			}
		} else if a[i] != b[i] {
			return false
		}
	}
	return true
}

// Bags written when the join kept its rows as []types.Value (these bytes
// come from that code) decode to the same rows, counts, marks and match
// counts, and encode again to the same bytes: checkpoints taken before
// rows were kept encoded restore unchanged.
func TestBagCodecGolden(t *testing.T) {
	golden := []struct {
		hex  string
		want *bag
		rows [][]types.Value
	}{
		{
			hex: "f6a1abfef962e8d9abfef962030404020e0505616c6963650402ac02000204020e05000300000000000000800686c0f5fca15d0804010107e2a102089f1f03010000000000f87f0201030201",
			want: &bag{ttlStamp: ttlStamp{access: 1700000000123, due: 1700000003700}, rows: []bagRow{
				{n: 2}, {n: 1, aux: 3}, {n: 4, aux: 1}}},
			rows: [][]types.Value{
				{types.IntValue(7), types.StringValue("alice"), types.DecimalValue(150, 2), types.NullValue()},
				{types.IntValue(7), types.StringValue(""), types.DoubleValue(math.Copysign(0, -1)), types.TimestampValue(1602288005123)},
				{types.BoolValue(true), types.DateValue(18545), types.IntervalValue(-2000), types.DoubleValue(math.NaN())}},
		},
		{
			hex:  "0000020102050d68c3a96c6c6f2077c3b6726c640609060205017800",
			want: &bag{rows: []bagRow{{n: -1}, {n: 3}}}, // the first row is marked matched
			rows: [][]types.Value{
				{types.StringValue("héllo wörld"), types.TimestampValue(-5)},
				{types.StringValue("x"), types.NullValue()}},
		},
	}
	for gi, g := range golden {
		enc, err := hex.DecodeString(g.hex)
		if err != nil {
			t.Fatal(err)
		}
		buf := bytes.Clone(enc)
		d, err := bagCodec{counts: true}.Decode(buf)
		if err != nil {
			t.Fatalf("bag %d: %v", gi, err)
		}
		// Decode must not keep its input: the rows stay as they were when
		// the buffer is overwritten.
		for i := range buf {
			buf[i] = 0xee
		}
		if d.ttlStamp != g.want.ttlStamp || len(d.rows) != len(g.want.rows) {
			t.Fatalf("bag %d: stamp %+v, %d rows; want %+v, %d rows", gi, d.ttlStamp, len(d.rows), g.want.ttlStamp, len(g.want.rows))
		}
		for i, r := range d.rows {
			w := g.want.rows[i]
			if r.n != w.n || r.aux != w.aux {
				t.Errorf("bag %d row %d: n %d aux %d; want %d %d", gi, i, r.n, r.aux, w.n, w.aux)
			}
			if got := decRow(t, r.enc); !sameBitsRow(got, g.rows[i]) {
				t.Errorf("bag %d row %d: %v, want %v", gi, i, got, g.rows[i])
			}
		}
		if again := (bagCodec{counts: true}).Append(nil, d); !bytes.Equal(again, enc) {
			t.Errorf("bag %d encodes again as\n%x, want\n%x", gi, again, enc)
		}
		// The same bag built from its rows (as the join keeps them) encodes
		// to the golden bytes too.
		built := &bag{ttlStamp: g.want.ttlStamp}
		for i, r := range g.want.rows {
			r.enc = encRow(g.rows[i]...)
			built.rows = append(built.rows, r)
		}
		if got := (bagCodec{counts: true}).Append(nil, built); !bytes.Equal(got, enc) {
			t.Errorf("bag %d built from its rows encodes as\n%x, want\n%x", gi, got, enc)
		}
	}
	// A row that is not a valid value list does not decode.
	bad := []byte{0, 0, 1, 2, 1, 9} // one row, count 1, a value of kind 9
	if _, err := (bagCodec{}).Decode(bad); err == nil {
		t.Error("a row with an unknown value kind decoded")
	}
}

// oldFind is bag.find as it was when rows were kept as []types.Value: a
// scan by sameRow, or once the bag has bagIndexAt rows, a lookup of the
// row's key encoding (the last row of each key wins).
func oldFind(rows [][]types.Value, row []types.Value) int {
	if len(rows) >= bagIndexAt {
		idx := map[string]int{}
		for i, r := range rows {
			idx[string(rowKey(nil, r))] = i
		}
		if i, ok := idx[string(rowKey(nil, row))]; ok {
			return i
		}
		return -1
	}
	for i, r := range rows {
		if sameRow(r, row) {
			return i
		}
	}
	return -1
}

// edgeValues are values whose equality takes care: zeros of both signs,
// NaN, decimals of different scales equal to each other and to an int,
// NULLs, strings, a string and a number.
var edgeValues = []types.Value{
	types.DoubleValue(0), types.DoubleValue(math.Copysign(0, -1)), types.DoubleValue(math.NaN()), types.DoubleValue(1.5),
	types.DecimalValue(150, 2), types.DecimalValue(15, 1), types.DecimalValue(1, 0), types.IntValue(1), types.IntValue(0),
	types.NullValue(), types.StringValue(""), types.StringValue("a"), types.StringValue("ab"), types.StringValue("1"),
	types.BoolValue(false), types.TimestampValue(0), types.DateValue(0),
}

// A stored row compares with a probe row exactly as two []types.Value
// rows did: sameStoredRow agrees with sameRow on every pair of edge values
// and on rows that differ in one column.
func TestSameStoredRowEdgeCases(t *testing.T) {
	for _, a := range edgeValues {
		for _, b := range edgeValues {
			want := sameRow([]types.Value{a}, []types.Value{b})
			if got := sameStoredRow(encRow(a), []types.Value{b}); got != want {
				t.Errorf("stored %v (%v) vs %v (%v): %v, want %v", a, a.Kind(), b, b.Kind(), got, want)
			}
		}
	}
	for _, c := range []struct {
		a, b types.Value
		same bool
	}{
		{types.DoubleValue(0), types.DoubleValue(math.Copysign(0, -1)), true},
		{types.DecimalValue(150, 2), types.DecimalValue(15, 1), true},
		{types.DecimalValue(100, 2), types.IntValue(1), false}, // kinds differ
		{types.NullValue(), types.NullValue(), true},
		{types.NullValue(), types.IntValue(0), false},
		{types.StringValue(""), types.NullValue(), false},
		{types.StringValue("a"), types.StringValue("ab"), false},
		{types.StringValue("héllo"), types.StringValue("héllo"), true},
	} {
		if got := sameStoredRow(encRow(types.IntValue(3), c.a), []types.Value{types.IntValue(3), c.b}); got != c.same {
			t.Errorf("stored (3, %v) vs (3, %v): %v, want %v", c.a, c.b, got, c.same)
		}
		if sameStoredRow(encRow(types.IntValue(3), c.a), []types.Value{types.IntValue(4), c.b}) {
			t.Errorf("stored (3, %v) equals (4, %v)", c.a, c.b)
		}
	}
	if sameStoredRow(encRow(types.IntValue(1)), []types.Value{types.IntValue(1), types.IntValue(1)}) {
		t.Error("rows of different widths compare equal")
	}
	probe := []types.Value{types.IntValue(3), types.StringValue("héllo"), types.DecimalValue(15, 1)}
	enc := encRow(types.IntValue(3), types.StringValue("héllo"), types.DecimalValue(150, 2))
	if allocs := testing.AllocsPerRun(100, func() { sameStoredRow(enc, probe) }); allocs != 0 {
		t.Errorf("sameStoredRow allocates %.0f times a call", allocs)
	}
}

// bag.find, on encoded rows, finds what it found on []types.Value rows,
// in small bags (scanned) and large ones (indexed by key encoding, where
// 0 and -0 differ), as rows are added and removed.
func TestBagFindMatchesRowSemantics(t *testing.T) {
	r := rand.New(rand.NewSource(5))
	o := &join{}
	randRow := func() []types.Value {
		return []types.Value{edgeValues[r.Intn(len(edgeValues))], edgeValues[r.Intn(len(edgeValues))]}
	}
	for round := 0; round < 40; round++ {
		bg := &bag{}
		var ref [][]types.Value // the rows as the bag holds them, in its order
		var counts []int64
		for step := 0; step < 200; step++ {
			row := randRow()
			want := oldFind(ref, row)
			if got := bg.find(row, &o.tagBuf); got != want {
				t.Fatalf("round %d step %d: find %v in %d rows: %d, want %d", round, step, row, len(ref), got, want)
			}
			if r.Intn(3) > 0 || want < 0 {
				i := o.addRow(bg, row)
				if want < 0 {
					ref = append(ref, row)
					counts = append(counts, 0)
				}
				counts[i]++
				continue
			}
			if !bg.remove(row, &o.tagBuf) {
				t.Fatal("a row find found was not removed")
			}
			if counts[want]--; counts[want] == 0 {
				last := len(ref) - 1
				ref[want], counts[want] = ref[last], counts[last]
				ref, counts = ref[:last], counts[:last]
			}
		}
		if len(bg.rows) != len(ref) {
			t.Fatalf("round %d: %d rows, want %d", round, len(bg.rows), len(ref))
		}
		for i := range ref {
			if bg.rows[i].count() != counts[i] || !sameBitsRow(decRow(t, bg.rows[i].enc), ref[i]) {
				t.Fatalf("round %d row %d: %v x%d, want %v x%d", round, i, decRow(t, bg.rows[i].enc), bg.rows[i].n, ref[i], counts[i])
			}
		}
	}
}

// A window join keeps its rows in shared chunks; keeping more rows never
// changes the bytes of those kept before, and rows too large for a chunk
// get their own allocation.
func TestKeepRowChunks(t *testing.T) {
	o := &join{spec: JoinSpec{WindowEnd: &[2]int{0, 0}}}
	var rows [][]types.Value
	var kept []string
	for i := 0; i < 3000; i++ {
		row := []types.Value{types.TimestampValue(int64(i)), types.StringValue(strings.Repeat("x", i%50))}
		if i%500 == 0 {
			row[1] = types.StringValue(strings.Repeat("y", rowChunkBytes/4)) // too large for a chunk
		}
		rows = append(rows, row)
		kept = append(kept, o.keepRow(row))
	}
	shared := 0
	for i := range rows {
		if !sameBitsRow(decRow(t, kept[i]), rows[i]) {
			t.Fatalf("row %d changed: %v, want %v", i, decRow(t, kept[i]), rows[i])
		}
		if i > 0 && unsafe.StringData(kept[i]) == (*byte)(unsafe.Add(unsafe.Pointer(unsafe.StringData(kept[i-1])), len(kept[i-1]))) {
			shared++
		}
	}
	if shared < len(rows)/2 {
		t.Errorf("only %d of %d rows follow the previous one in a chunk", shared, len(rows))
	}
	if o.rowBytes.Len() > rowChunkBytes {
		t.Errorf("a chunk grew to %d bytes", o.rowBytes.Len())
	}
}

// A stored row that does not fit the join (a state written for a plan
// with other columns) makes the join fail with an error, not panic.
func TestJoinStoredRowOfWrongWidth(t *testing.T) {
	row := func(k int64, s string) []types.Value { return []types.Value{types.IntValue(k), types.StringValue(s)} }
	shrink := func(o *join, side int) {
		o.sides[side].rangeAll(func(_ int, _ string, b *bag) bool {
			b.rows[0].enc = encRow(types.IntValue(1))
			return true
		})
	}
	for name, spec := range map[string]JoinSpec{
		"inner":          {LeftKeyCols: []int{0}, RightKeyCols: []int{0}, LeftWidth: 2, RightWidth: 2},
		"left outer":     {LeftKeyCols: []int{0}, RightKeyCols: []int{0}, LeftWidth: 2, RightWidth: 2, Outer: [2]bool{true, false}},
		"anti, residual": {LeftKeyCols: []int{0}, RightKeyCols: []int{0}, LeftWidth: 2, RightWidth: 2, Anti: true, Residual: lessThan(1, 3)},
	} {
		t.Run(name, func(t *testing.T) {
			h := newHarness(t, func() exec.Operator { return NewJoin(spec) }, 2, 2)
			h.process(1, []emitted{{op: types.Insert, vals: row(1, "r")}})
			shrink(h.op.(*join), 1)
			b := types.NewBatch(2, 1)
			b.Append(types.Insert, row(1, "l"))
			err := h.op.ProcessBatch(0, b)
			if err == nil || !strings.Contains(err.Error(), "does not fit") {
				t.Fatalf("got %v, want an error on the stored row", err)
			}
		})
	}
	t.Run("outer window join", func(t *testing.T) {
		spec := JoinSpec{LeftKeyCols: []int{0, 1}, RightKeyCols: []int{0, 1}, LeftWidth: 2, RightWidth: 2,
			WindowEnd: &[2]int{1, 1}, Outer: [2]bool{true, false}}
		h := newHarness(t, func() exec.Operator { return NewJoin(spec) }, 2, 2)
		h.process(0, []emitted{{op: types.Insert, vals: []types.Value{types.IntValue(1), types.TimestampValue(10)}}})
		shrink(h.op.(*join), 0)
		if err := h.op.ProcessWatermark(20); err == nil || !strings.Contains(err.Error(), "does not fit") {
			t.Fatalf("got %v, want an error on the stored row", err)
		}
	})
}

// A Top-N's partitions written when it kept its rows as []types.Value
// (these bytes come from that code) decode to the same rows and encode
// again to the same bytes; Decode keeps nothing of its input.
func TestRankedCodecGolden(t *testing.T) {
	enc, err := hex.DecodeString("0204025405036269640401810b0686c0f5fca15d040254050003000000000000008000")
	if err != nil {
		t.Fatal(err)
	}
	want := [][]types.Value{
		{types.IntValue(42), types.StringValue("bid"), types.DecimalValue(-705, 1), types.TimestampValue(1602288005123)},
		{types.IntValue(42), types.StringValue(""), types.DoubleValue(math.Copysign(0, -1)), types.NullValue()},
	}
	buf := bytes.Clone(enc)
	d, err := rankedCodec{}.Decode(buf)
	if err != nil {
		t.Fatal(err)
	}
	for i := range buf {
		buf[i] = 0xee
	}
	if len(d.rows) != len(want) {
		t.Fatalf("%d rows, want %d", len(d.rows), len(want))
	}
	for i, r := range d.rows {
		if got := decRow(t, r.enc); !sameBitsRow(got, want[i]) {
			t.Errorf("row %d: %v, want %v", i, got, want[i])
		}
	}
	if again := (rankedCodec{}).Append(nil, d); !bytes.Equal(again, enc) {
		t.Errorf("encodes again as\n%x, want\n%x", again, enc)
	}
	built := &ranked{rows: []*rankedRow{{enc: encRow(want[0]...)}, {enc: encRow(want[1]...)}}}
	roundTrip[*ranked](t, rankedCodec{}, built)
	if got := (rankedCodec{}).Append(nil, built); !bytes.Equal(got, enc) {
		t.Errorf("built from its rows: %x, want %x", got, enc)
	}
	if _, err := (rankedCodec{}).Decode(append(bytes.Clone(enc), 0)); err == nil {
		t.Error("trailing bytes decoded")
	}
}

// A Top-N keeps its rows encoded and decodes them to emit: what it emits,
// retracts and restores is what it was given, strings included, with its
// input batches overwritten after each call (the harness does that to
// operators that release their input).
func TestTopNEncodedRows(t *testing.T) {
	spec := TopNSpec{PartitionCols: []int{0}, Order: []RankSortKey{{Expr: &expr.Col{Index: 1, T: types.BigInt}, Desc: true},
		{Expr: &expr.Col{Index: 2, T: types.String}}}, Limit: 2, OutWidth: 3, EmitRank: true}
	h := newHarness(t, func() exec.Operator { return NewTopN(spec) }, 3)
	row := func(k, p int64, s string) []types.Value {
		return []types.Value{types.IntValue(k), types.IntValue(p), types.StringValue(s)}
	}
	got := formatAll(h.process(0, []emitted{
		{op: types.Insert, vals: row(1, 10, "ten")},
		{op: types.Insert, vals: row(1, 30, "thirty")},
		{op: types.Insert, vals: row(1, 20, "twenty")},
		{op: types.Insert, vals: row(1, 20, "a twenty")},
	}))
	want := []string{"+I 1 10 'ten' 1", "-U 1 10 'ten' 1", "+U 1 30 'thirty' 1", "+I 1 10 'ten' 2",
		"-U 1 10 'ten' 2", "+U 1 20 'twenty' 2", "-U 1 20 'twenty' 2", "+U 1 20 'a twenty' 2"}
	if strings.Join(got, "|") != strings.Join(want, "|") {
		t.Fatalf("got %v\nwant %v", got, want)
	}
	h.restore()
	got = formatAll(h.process(0, []emitted{
		{op: types.Delete, vals: row(1, 30, "thirty")},
		{op: types.Delete, vals: row(1, 20, "no such row")},
	}))
	want = []string{"-U 1 30 'thirty' 1", "+U 1 20 'a twenty' 1", "-U 1 20 'a twenty' 2", "+U 1 20 'twenty' 2"}
	if strings.Join(got, "|") != strings.Join(want, "|") {
		t.Fatalf("after restore: got %v\nwant %v", got, want)
	}
}
