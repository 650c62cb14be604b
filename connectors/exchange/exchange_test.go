package exchange

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/streamsql/streamsql/connectors"
	"github.com/streamsql/streamsql/exec"
	"github.com/streamsql/streamsql/state"
	"github.com/streamsql/streamsql/types"
)

// allTypes covers every column type, NULLs included.
var allTypes = types.Schema{
	{Name: "b", Type: types.Bool}, {Name: "i", Type: types.BigInt}, {Name: "d", Type: types.Double},
	{Name: "dec", Type: types.DecimalType(18, 4)}, {Name: "s", Type: types.String},
	{Name: "ts", Type: types.Timestamp}, {Name: "dt", Type: types.Date}, {Name: "iv", Type: types.Interval},
}

func allTypeRows() ([]types.Op, [][]types.Value) {
	var ops []types.Op
	var rows [][]types.Value
	strs := []string{"", "a", "ünïcødé ✓", strings.Repeat("x", 300), "nul\x00byte"}
	dbls := []float64{0, -0.5, math.Inf(1), math.Inf(-1), math.MaxFloat64, math.SmallestNonzeroFloat64, math.NaN()}
	ints := []int64{0, -1, 1, math.MinInt64, math.MaxInt64, 1 << 40}
	for i := 0; i < 40; i++ {
		row := []types.Value{
			types.BoolValue(i%2 == 0), types.IntValue(ints[i%len(ints)]), types.DoubleValue(dbls[i%len(dbls)]),
			types.DecimalValue(ints[(i+1)%len(ints)], uint8(i%5)), types.StringValue(strs[i%len(strs)]),
			types.TimestampValue(ints[(i+2)%len(ints)]), types.DateValue(int64(i - 20)), types.IntervalValue(ints[(i+3)%len(ints)]),
		}
		row[i%len(row)] = types.NullValue() // a NULL in every column in turn
		if i%9 == 8 {
			for j := range row {
				row[j] = types.NullValue()
			}
		}
		ops = append(ops, types.Op(i%4))
		rows = append(rows, row)
	}
	return ops, rows
}

// sameValue compares exactly: kind, payload bits, scale (NaN included).
func sameValue(a, b types.Value) bool {
	if a.Kind() != b.Kind() {
		return false
	}
	switch a.Kind() {
	case types.KindString:
		return a.Str() == b.Str()
	case types.KindDouble:
		return math.Float64bits(a.Double()) == math.Float64bits(b.Double())
	case types.KindDecimal:
		return a.Unscaled() == b.Unscaled() && a.Scale() == b.Scale()
	}
	return a.Int() == b.Int()
}

func TestRoundTripEveryTypeAndOp(t *testing.T) {
	_, cfg := cluster(t)
	tp := Topic{Name: "all", Schema: allTypes, KeyCols: []int{1, 4}, Partitions: 4, Producers: 1, Bounded: true}
	if err := CreateTopic(context.Background(), cfg, tp); err != nil {
		t.Fatal(err)
	}
	ops, rows := allTypeRows()
	w := openWriter(t, NewSink(cfg, tp, 0), 0)
	b := types.NewBatch(len(allTypes), len(rows))
	for i, r := range rows {
		b.Append(ops[i], r)
	}
	if err := w.Write(b); err != nil {
		t.Fatal(err)
	}
	if err := w.WriteWatermark(math.MaxInt64); err != nil {
		t.Fatal(err)
	}
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	// Each row is read once, from the partition of its key group (as
	// exec's Hash edges pick it), in the order written, with its op.
	got := map[int][]int{} // partition -> row indexes read, in order
	for p := 0; p < tp.Partitions; p++ {
		r := openReader(t, cfg, tp, p, nil)
		for {
			out := types.NewBatch(len(allTypes), 7)
			err := r.Next(context.Background(), out)
			for i := 0; i < out.Len(); i++ {
				row := out.Row(i)
				if kg := state.KeyGroupOf(exec.HashKey(row, tp.KeyCols), tp.Partitions); kg != p {
					t.Errorf("partition %d holds a row of key group %d", p, kg)
				}
				idx := -1
				for j, want := range rows {
					if !slices.Contains(got[p], j) && ops[j] == out.Ops[i] && slices.EqualFunc(want, row, sameValue) {
						idx = j
						break
					}
				}
				if idx < 0 {
					t.Fatalf("partition %d: row %s %v was not written (or read twice)", p, out.Ops[i], row)
				}
				got[p] = append(got[p], idx)
			}
			if errors.Is(err, io.EOF) {
				break
			}
			if err != nil {
				t.Fatal(err)
			}
		}
		if !sort.IntsAreSorted(got[p]) {
			t.Errorf("partition %d: rows out of order: %v", p, got[p])
		}
		if r.Watermark() != math.MaxInt64 {
			t.Errorf("partition %d: watermark %s after the end", p, wmString(r.Watermark()))
		}
	}
	n := 0
	for _, idx := range got {
		n += len(idx)
	}
	if n != len(rows) || len(got) < 2 {
		t.Errorf("read %d rows from %d partitions, want %d rows spread over several", n, len(got), len(rows))
	}
}

func TestWatermarkIsMinOverProducersAndEndsBatches(t *testing.T) {
	_, cfg := cluster(t)
	cfg.WatermarkInterval = time.Nanosecond // every advance
	tp := newTopic(t, cfg, "wm", 1, 2, false)
	s := NewSink(cfg, tp, 0)
	w0, w1 := openWriter(t, s, 0), openWriter(t, s, 1)
	r := openReader(t, cfg, tp, 0, nil)
	step := func(w *writer, wm int64, rows ...[]types.Value) { writeStep(t, w, wm, rows...) }
	// Producer 0 alone: no watermark until producer 1 reported one.
	step(w0, 100, kvRow(1, "a", 50), kvRow(1, "b", 60))
	rows, _ := readUntil(t, r, 2)
	if len(rows) != 2 {
		t.Fatalf("read %v", rows)
	}
	if _, err := next(t, r, 100); err != nil { // the watermark record
		t.Fatal(err)
	}
	if r.Watermark() != math.MinInt64 {
		t.Fatalf("watermark %s before every producer reported", wmString(r.Watermark()))
	}
	step(w1, 40)
	waitWatermark(t, r, 40)
	step(w1, 500)
	waitWatermark(t, r, 100)

	// Batches end where the watermark advances: rows, wm 200, rows, wm 300
	// (written in one flush, so fetched together).
	if err := w0.Write(batchOf(kvRow(2, "c", 150), kvRow(2, "d", 160))); err != nil {
		t.Fatal(err)
	}
	if err := w0.WriteWatermark(200); err != nil {
		t.Fatal(err)
	}
	step(w0, 300, kvRow(3, "e", 250))
	var seen []string
	for len(seen) < 5 {
		got, err := next(t, r, 100)
		if err != nil {
			t.Fatal(err)
		}
		if len(got) > 0 || r.Watermark() != 100 {
			seen = append(seen, fmt.Sprintf("%d rows then wm %s", len(got), wmString(r.Watermark())))
		}
		if r.Watermark() == 300 {
			break
		}
	}
	want := []string{"2 rows then wm 200", "1 rows then wm 300"}
	if !slices.Equal(seen, want) {
		t.Errorf("got %v, want %v", seen, want)
	}
	// Producer 1 lags: the watermark stays at its 500 once 0 passes it;
	// the end of one producer no longer holds it back. Unbounded: no EOF.
	step(w0, 900)
	waitWatermark(t, r, 500)
	step(w1, math.MaxInt64)
	waitWatermark(t, r, 900)
	step(w0, math.MaxInt64)
	waitWatermark(t, r, math.MaxInt64)
	if _, err := next(t, r, 10); err != nil {
		t.Errorf("an unbounded split returned %v after every end", err)
	}
}

func TestBoundedEndsOnceEveryProducerEnded(t *testing.T) {
	_, cfg := cluster(t)
	tp := newTopic(t, cfg, "ends", 2, 2, true)
	s := NewSink(cfg, tp, 0)
	w0, w1 := openWriter(t, s, 0), openWriter(t, s, 1)
	for _, w := range []*writer{w0, w1} {
		if err := w.Write(batchOf(kvRow(int64(w.producer), "x", 1), kvRow(int64(w.producer)+10, "y", 2))); err != nil {
			t.Fatal(err)
		}
	}
	if err := w0.WriteWatermark(math.MaxInt64); err != nil {
		t.Fatal(err)
	}
	if err := w0.Flush(); err != nil {
		t.Fatal(err)
	}
	if err := w1.Flush(); err != nil {
		t.Fatal(err)
	}
	src := NewSource(cfg, tp, []int{0, 1})
	if !src.Bounded() {
		t.Fatal("the source of a bounded topic is unbounded")
	}
	readers := []*reader{openReader(t, cfg, tp, 0, nil), openReader(t, cfg, tp, 1, nil)}
	total := 0
	for _, r := range readers {
		rows, ended := readFor(t, r, 1<<20, time.Second) // no end: producer 1 did not end
		if ended {
			t.Fatalf("%s ended before producer 1 ended", r.where)
		}
		total += len(rows)
	}
	if total != 4 {
		t.Fatalf("read %d rows, want 4", total)
	}
	if err := w1.WriteWatermark(math.MaxInt64); err != nil {
		t.Fatal(err)
	}
	if err := w1.Flush(); err != nil {
		t.Fatal(err)
	}
	for _, r := range readers {
		if rows := readAll(t, r); len(rows) != 0 {
			t.Errorf("%s: rows %v after the ends", r.where, rows)
		}
		if _, err := next(t, r, 10); !errors.Is(err, io.EOF) {
			t.Errorf("%s: Next after the end returned %v, want io.EOF", r.where, err)
		}
	}
	// A row after the end is refused by the writer.
	if err := w1.Write(batchOf(kvRow(5, "late", 3))); err == nil || !strings.Contains(err.Error(), "after the end") {
		t.Errorf("a row after the end: %v", err)
	}
}

// txnWriter opens the writer of producer as under checkpoints.
func txnWriter(t *testing.T, cfg Config, tp Topic, producer int, committables [][]byte) *writer {
	t.Helper()
	w := openWriter(t, NewSink(cfg, tp, producer), 0)
	if err := w.Recover(committables); err != nil {
		t.Fatal(err)
	}
	return w
}

func TestTransactionsAbortedAndOpenInvisibleCommittedOnce(t *testing.T) {
	_, cfg := cluster(t)
	tp := newTopic(t, cfg, "txn", 1, 1, true)
	w := txnWriter(t, cfg, tp, 0, nil)
	write := func(rows ...[]types.Value) {
		t.Helper()
		if err := w.Write(batchOf(rows...)); err != nil {
			t.Fatal(err)
		}
	}
	write(kvRow(1, "c1", 10), kvRow(2, "c1", 11))
	if err := w.WriteWatermark(20); err != nil {
		t.Fatal(err)
	}
	c1, err := w.PreCommit(1)
	if err != nil || len(c1) != 1 {
		t.Fatalf("pre-commit 1: %v %q", err, c1)
	}
	write(kvRow(3, "c2", 30)) // pre-committed, never committed
	c2, err := w.PreCommit(2)
	if err != nil || len(c2) != 2 {
		t.Fatalf("pre-commit 2: %v %q", err, c2)
	}
	r := openReader(t, cfg, tp, 0, nil)
	if rows, _ := readFor(t, r, 1, time.Second); len(rows) != 0 || r.Watermark() != math.MinInt64 {
		t.Fatalf("pre-committed rows visible: %v, wm %s", rows, wmString(r.Watermark()))
	}
	if err := w.Commit(c1); err != nil {
		t.Fatal(err)
	}
	if err := w.Commit(c1); err != nil { // idempotent
		t.Fatal(err)
	}
	rows, _ := readUntil(t, r, 2)
	waitWatermark(t, r, 20)
	// The attempt fails: a restore from checkpoint 1 commits c1 again and
	// aborts checkpoint 2's transaction and the open one.
	write(kvRow(4, "open", 40))
	w.Close()
	w2 := txnWriter(t, cfg, tp, 0, c1)
	if err := w2.Write(batchOf(kvRow(5, "c3", 50))); err != nil {
		t.Fatal(err)
	}
	if err := w2.WriteWatermark(math.MaxInt64); err != nil {
		t.Fatal(err)
	}
	c3, err := w2.PreCommit(3)
	if err != nil {
		t.Fatal(err)
	}
	if err := w2.Commit(c3); err != nil {
		t.Fatal(err)
	}
	rows = append(rows, readAll(t, r)...)
	want := []string{"+I 1 c1 1970-01-01 00:00:00.010", "+I 2 c1 1970-01-01 00:00:00.011", "+I 5 c3 1970-01-01 00:00:00.050"}
	if !slices.Equal(rows, want) {
		t.Errorf("read\n%s\nwant\n%s", strings.Join(rows, "\n"), strings.Join(want, "\n"))
	}
	// A second reader from the start sees the same.
	if again := readAll(t, openReader(t, cfg, tp, 0, nil)); !slices.Equal(again, want) {
		t.Errorf("re-read %v", again)
	}
}

func TestZombieProducerIsFenced(t *testing.T) {
	_, cfg := cluster(t)
	tp := newTopic(t, cfg, "zombie", 2, 1, true)
	old := txnWriter(t, cfg, tp, 0, nil)
	if err := old.Write(batchOf(kvRow(1, "old", 1), kvRow(2, "old", 2))); err != nil {
		t.Fatal(err)
	}
	cOld, err := old.PreCommit(1)
	if err != nil {
		t.Fatal(err)
	}
	// The producer moves: its new instance starts without the old one's
	// checkpoint (it never completed) and fences it.
	cur := txnWriter(t, cfg, tp, 0, nil)
	// The fencing aborted the old instance's transaction: its commit fails.
	if err := old.Commit(cOld); err == nil {
		t.Error("the fenced producer committed")
	}
	if err := old.Write(batchOf(kvRow(3, "old", 3))); err == nil {
		if _, err = old.PreCommit(2); err == nil {
			t.Error("the fenced producer still writes")
		}
	}
	if err := cur.Write(batchOf(kvRow(4, "new", 4))); err != nil {
		t.Fatal(err)
	}
	if err := cur.WriteWatermark(math.MaxInt64); err != nil {
		t.Fatal(err)
	}
	c, err := cur.PreCommit(1)
	if err != nil {
		t.Fatal(err)
	}
	if err := cur.Commit(c); err != nil {
		t.Fatal(err)
	}
	var rows []string
	for p := 0; p < tp.Partitions; p++ {
		rows = append(rows, readAll(t, openReader(t, cfg, tp, p, nil))...)
	}
	if want := []string{"+I 4 new 1970-01-01 00:00:00.004"}; !slices.Equal(rows, want) {
		t.Errorf("read %v, want %v", rows, want)
	}
}

func TestRestoreFromPositionContinuesExactly(t *testing.T) {
	_, cfg := cluster(t)
	tp := newTopic(t, cfg, "restore", 1, 2, true)
	s := NewSink(cfg, tp, 0)
	w0, w1 := openWriter(t, s, 0), openWriter(t, s, 1)
	var want []string
	for i := int64(0); i < 30; i++ {
		w := w0
		if i%3 == 0 {
			w = w1
		}
		if err := w.Write(batchOf(kvRow(i, "r", i*10))); err != nil {
			t.Fatal(err)
		}
		want = append(want, render(types.Insert, kvRow(i, "r", i*10)))
		if err := w.WriteWatermark(i * 10); err != nil {
			t.Fatal(err)
		}
		if err := w.Flush(); err != nil {
			t.Fatal(err)
		}
	}
	for _, w := range []*writer{w0, w1} {
		if err := w.WriteWatermark(math.MaxInt64); err != nil {
			t.Fatal(err)
		}
		if err := w.Flush(); err != nil {
			t.Fatal(err)
		}
	}
	// Read some rows, take the position, restore from it in a new reader:
	// the rest follows with nothing lost or repeated, and the watermark
	// (and each producer's) is where it was.
	r := openReader(t, cfg, tp, 0, nil)
	first, _ := readUntil(t, r, 13)
	pos, wm := r.Position(), r.Watermark()
	if wm == math.MinInt64 {
		t.Fatal("no watermark after 13 rows")
	}
	r.Close()
	r2 := openReader(t, cfg, tp, 0, pos)
	if r2.Watermark() != wm {
		t.Errorf("restored watermark %s, was %s", wmString(r2.Watermark()), wmString(wm))
	}
	rest := readAll(t, r2)
	if got := append(first, rest...); !slices.Equal(got, want) {
		t.Errorf("read\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	// A position of another topic shape is refused.
	other := tp
	other.Producers = 3
	if _, err := NewSource(cfg, other, []int{0}).OpenSplit(context.Background(), &split{topic: tp.Name, partition: 0}, pos); err == nil ||
		!strings.Contains(err.Error(), "2 producers, the topic has 3") {
		t.Errorf("restoring a position of 2 producers into 3: %v", err)
	}
}

func TestBadRecordNamesTopicPartitionOffset(t *testing.T) {
	_, cfg := cluster(t)
	tp := newTopic(t, cfg, "bad", 1, 1, true)
	cl, err := cfg.newClient(kgo.DefaultProduceTopic(tp.Name), kgo.RecordPartitioner(kgo.ManualPartitioner()))
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	good := appendRow(nil, types.Insert, kvRow(1, "ok", 1))
	for _, v := range [][]byte{good, {0x00, 0x03, 0x02}, good[:len(good)-2], {0x42}, {}, appendWatermark(nil, 7, 1), {tagStatus, 0, 2}, {tagStatus, 0}} {
		if err := cl.ProduceSync(context.Background(), &kgo.Record{Value: v}).FirstErr(); err != nil {
			t.Fatal(err)
		}
	}
	for off := 1; off <= 7; off++ {
		pos := encodePosition(int64(off), []producerState{{wm: math.MinInt64}}, math.MinInt64, 0)
		r := openReader(t, cfg, tp, 0, pos)
		_, err := readUntilError(r)
		if err == nil || !strings.Contains(err.Error(), fmt.Sprintf("exchange topic 'bad' partition 0 at offset %d", off)) {
			t.Errorf("record at offset %d: %v", off, err)
		}
	}
}

// readUntilError reads until an error, or 50 reads without rows.
func readUntilError(r *reader) ([]string, error) {
	var rows []string
	for empty := 0; empty < 50; {
		b := types.NewBatch(len(r.row), 10)
		err := r.Next(context.Background(), b)
		if err != nil {
			return rows, err
		}
		if b.Len() == 0 {
			empty++
		}
		for i := 0; i < b.Len(); i++ {
			rows = append(rows, render(b.Ops[i], b.Row(i)))
		}
	}
	return rows, nil
}

func TestCreateTopicIsIdempotentAndChecksPartitions(t *testing.T) {
	_, cfg := cluster(t)
	tp := newTopic(t, cfg, "created", 3, 1, false)
	if err := CreateTopic(context.Background(), cfg, tp); err != nil {
		t.Fatalf("creating again: %v", err)
	}
	tp.Partitions = 5
	err := CreateTopic(context.Background(), cfg, tp)
	if err == nil || !strings.Contains(err.Error(), "'created'") || !strings.Contains(err.Error(), "with 3 partitions, the exchange needs 5") {
		t.Errorf("another partition count: %v", err)
	}
	if _, err := NewSink(cfg, tp, 0).Open(context.Background(), 0, 1); err == nil || !strings.Contains(err.Error(), "has 3 partitions") {
		t.Errorf("opening a sink on 3 partitions for 5: %v", err)
	}
	tp.Partitions = 3
	if _, err := NewSink(cfg, tp, 0).Open(context.Background(), 1, 2); err == nil || !strings.Contains(err.Error(), "producer 1") {
		t.Errorf("instance 1 of a 1-producer topic: %v", err)
	}
	missing := tp
	missing.Name = "missing"
	if _, err := NewSource(cfg, missing, []int{0}).OpenSplit(context.Background(), &split{topic: "missing"}, nil); err == nil || !strings.Contains(err.Error(), "'missing' does not exist") {
		t.Errorf("a missing topic: %v", err)
	}
}

func TestPositionCodec(t *testing.T) {
	prods := []producerState{{wm: math.MinInt64}, {seen: true, wm: -5}, {seen: true, ended: true, wm: math.MaxInt64},
		{seen: true, idle: true, wm: 7}, {idle: true, wm: math.MinInt64}}
	pos := encodePosition(1234, prods, -5, 1234) // hand-over reached: version 2
	if pos[0] != 2 {
		t.Fatalf("a position past its hand-over is of version %d, want 2", pos[0])
	}
	off, got, wm, hasWm, err := decodePosition(pos, 5)
	if err != nil || off != 1234 || !slices.Equal(got, prods) || wm != -5 || !hasWm {
		t.Fatalf("decoded %d %v %d %v %v", off, got, wm, hasWm, err)
	}
	for i := 0; i < len(pos); i++ {
		if _, _, _, _, err := decodePosition(pos[:i], 5); err == nil {
			t.Errorf("a position cut at %d bytes decoded", i)
		}
	}
	// A version 1 position (a reader's before status records): no idle
	// flag, no reported watermark.
	v1 := []byte{1, 0, 0, 0, 0, 0, 0, 0, 9, 2, 0, 1, 0x09}
	off, got, _, hasWm, err = decodePosition(v1, 2)
	if err != nil || off != 9 || hasWm || !slices.Equal(got, []producerState{{wm: math.MinInt64}, {seen: true, wm: -5}}) {
		t.Fatalf("version 1 decoded %d %v %v %v", off, got, hasWm, err)
	}
	v1[11] = 5 // the idle flag is not one of version 1
	if _, _, _, _, err := decodePosition(v1, 2); err == nil {
		t.Error("a version 1 position with an idle flag decoded")
	}
	// A position before its hand-over offset is of version 3 and keeps
	// it; it decodes for any number of producers.
	v3 := encodePosition(1234, prods, -5, 2000)
	p3, err := decodePositionAny(v3)
	if err != nil || v3[0] != 3 || p3.offset != 1234 || p3.handOver != 2000 || !slices.Equal(p3.prods, prods) || p3.wm != -5 {
		t.Fatalf("version 3 decoded %+v %v", p3, err)
	}
	for i := 0; i < len(v3); i++ {
		if _, err := decodePositionAny(v3[:i]); err == nil {
			t.Errorf("a version 3 position cut at %d bytes decoded", i)
		}
	}
	if _, _, _, _, err := decodePosition(v3, 3); err == nil || !strings.Contains(err.Error(), "records 5 producers, the topic has 3") {
		t.Errorf("a position of 5 producers for 3: %v", err)
	}
	// A position of a later version is refused, naming the versions.
	pos[0] = 4
	if _, _, _, _, err := decodePosition(pos, 5); err == nil || !strings.Contains(err.Error(), "version 4; this reader reads versions 1 to 3") {
		t.Errorf("a version 4 position: %v", err)
	}
}

// A plain writer whose input stalls after an advance it held back (the
// interval had not passed) still writes that watermark, without a flush.
func TestHeldBackWatermarkIsWrittenWhenInputStalls(t *testing.T) {
	_, cfg := cluster(t)
	cfg.WatermarkInterval = 300 * time.Millisecond
	tp := newTopic(t, cfg, "stall", 2, 1, false)
	w := openWriter(t, NewSink(cfg, tp, 0), 0)
	r := openReader(t, cfg, tp, 1, nil)
	if err := w.WriteWatermark(10); err != nil { // the first: written at once
		t.Fatal(err)
	}
	waitWatermark(t, r, 10)
	if err := w.Write(batchOf(kvRow(1, "a", 15))); err != nil {
		t.Fatal(err)
	}
	if err := w.WriteWatermark(20); err != nil { // held back
		t.Fatal(err)
	}
	if rows, _ := readFor(t, r, 1<<20, 100*time.Millisecond); r.Watermark() != 10 {
		t.Fatalf("watermark %s within the interval (rows %v)", wmString(r.Watermark()), rows)
	}
	deadline := time.Now().Add(5 * time.Second)
	for r.Watermark() != 20 && time.Now().Before(deadline) {
		if _, err := next(t, r, 100); err != nil {
			t.Fatal(err)
		}
	}
	if r.Watermark() != 20 {
		t.Fatalf("watermark %s: the held-back advance was never written", wmString(r.Watermark()))
	}
}

// A producer's watermark after its end (an upstream resumed after a
// drained stop) does not take the partition's watermark back.
func TestWatermarkAfterEndIsIgnored(t *testing.T) {
	_, cfg := cluster(t)
	tp := newTopic(t, cfg, "resumed", 1, 1, false)
	w := openWriter(t, NewSink(cfg, tp, 0), 0)
	if err := w.WriteWatermark(math.MaxInt64); err != nil {
		t.Fatal(err)
	}
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	w2 := openWriter(t, NewSink(cfg, tp, 0), 0)
	if err := w2.WriteWatermark(5); err != nil {
		t.Fatal(err)
	}
	if err := w2.Write(batchOf(kvRow(1, "after", 6))); err != nil {
		t.Fatal(err)
	}
	if err := w2.Flush(); err != nil {
		t.Fatal(err)
	}
	r := openReader(t, cfg, tp, 0, nil)
	rows, _ := readUntil(t, r, 1)
	if len(rows) != 1 || r.Watermark() != math.MaxInt64 {
		t.Errorf("rows %v, watermark %s; want the row and the end's watermark", rows, wmString(r.Watermark()))
	}
}

// TestZombieWithoutLeaseDoesNotFenceItsSuccessor: a writer whose job's
// lease does not hold (a former owner, resumed after its successor took
// over) waits before it initialises its transactional ids instead of
// fencing the successor, and gives up when its job is cancelled.
func TestZombieWithoutLeaseDoesNotFenceItsSuccessor(t *testing.T) {
	_, cfg := cluster(t)
	tp := newTopic(t, cfg, "lease", 1, 1, true)
	cur := txnWriter(t, cfg, tp, 0, nil)
	zcfg := cfg
	zcfg.Env = &connectors.Env{Lease: func() error { return errors.New("another server owns the job") }}
	ctx, cancel := context.WithCancel(context.Background())
	zw, err := NewSink(zcfg, tp, 0).Open(ctx, 0, 1)
	if err != nil {
		t.Fatal(err)
	}
	defer zw.Close()
	recovered := make(chan error, 1)
	go func() { recovered <- zw.(*writer).Recover(nil) }()
	select {
	case err := <-recovered:
		t.Fatalf("the zombie recovered without its lease: %v", err)
	case <-time.After(300 * time.Millisecond):
	}
	if err := cur.Write(batchOf(kvRow(1, "new", 1))); err != nil {
		t.Fatal(err)
	}
	if err := cur.WriteWatermark(math.MaxInt64); err != nil {
		t.Fatal(err)
	}
	c, err := cur.PreCommit(1)
	if err != nil {
		t.Fatal(err)
	}
	if err := cur.Commit(c); err != nil {
		t.Fatalf("the successor was fenced: %v", err)
	}
	cancel()
	select {
	case err := <-recovered:
		if err == nil {
			t.Fatal("the zombie recovered once its job was cancelled")
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the zombie still waits after its job was cancelled")
	}
	if rows := readAll(t, openReader(t, cfg, tp, 0, nil)); len(rows) != 1 {
		t.Fatalf("rows %v, want the successor's one", rows)
	}
}

func TestPendingRecordsAndPollWait(t *testing.T) {
	_, cfg := cluster(t)
	tp := newTopic(t, cfg, "pending", 1, 1, false)
	r := openReader(t, cfg, tp, 0, nil)
	if n := r.PendingRecords(); n != -1 {
		t.Errorf("pending %d before any fetch, want -1", n)
	}
	// Told not to wait, an empty partition returns at once.
	r.SetPollWait(0)
	start := time.Now()
	if rows, err := next(t, r, 10); err != nil || len(rows) != 0 {
		t.Fatalf("rows %v, %v", rows, err)
	}
	if d := time.Since(start); d > 50*time.Millisecond {
		t.Errorf("Next took %v without a poll wait", d)
	}
	r.SetPollWait(100 * time.Millisecond)
	w := openWriter(t, NewSink(cfg, tp, 0), 0)
	var rows [][]types.Value
	for i := int64(0); i < 10; i++ {
		rows = append(rows, kvRow(i, "p", i))
	}
	if err := w.Write(batchOf(rows...)); err != nil {
		t.Fatal(err)
	}
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	var got []string
	for deadline := time.Now().Add(5 * time.Second); len(got) == 0 && time.Now().Before(deadline); {
		got, _ = next(t, r, 3)
	}
	// Next reads at most the batch's room (3 rows); the writer's first
	// record is its active status (a fresh writer announces itself before
	// its rows), read with them: the records left are the rows not read.
	if len(got) == 0 || len(got) > 3 || r.PendingRecords() != int64(10-len(got)) {
		t.Errorf("read %d rows, pending %d; want at most 3, and the rest pending", len(got), r.PendingRecords())
	}
	if r.WaitedNs() <= 0 {
		t.Error("no time counted as waiting for records")
	}
}

// TestIdleProducerDoesNotHoldWatermark: a producer whose input is idle
// writes its status; the partition's watermark is then the minimum over
// the others. Active again, the producer counts once its watermark caught
// up with the partition's (which never goes back meanwhile); when every
// live producer is idle the partition is idle, at the largest of their
// watermarks. A restored reader keeps
// the statuses, and a watermark of a producer (a writer that restarted)
// makes it active.
func TestIdleProducerDoesNotHoldWatermark(t *testing.T) {
	_, cfg := cluster(t)
	cfg.WatermarkInterval = time.Nanosecond // every advance
	tp := newTopic(t, cfg, "idle", 2, 3, false)
	s := NewSink(cfg, tp, 0)
	w0, w1, w2 := openWriter(t, s, 0), openWriter(t, s, 1), openWriter(t, s, 2)
	r := openReader(t, cfg, tp, 1, nil)
	do := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	wm := func(w *writer, v int64) {
		t.Helper()
		do(w.WriteWatermark(v))
		do(w.Flush())
	}
	idle := func(w *writer, v bool) {
		t.Helper()
		do(w.WriteIdle(v))
		do(w.Flush())
	}
	wantIdle := func(want bool) {
		t.Helper()
		if _, err := readFor(t, r, 1, 100*time.Millisecond); err {
			t.Fatal("ended")
		}
		if r.Idle() != want {
			t.Fatalf("Idle() = %v, want %v", r.Idle(), want)
		}
	}
	// Producer 2 is idle before it wrote any watermark: it holds nothing.
	idle(w2, true)
	wm(w0, 100)
	wm(w1, 50)
	waitWatermark(t, r, 50)
	idle(w1, true) // the watermark goes on without producer 1
	waitWatermark(t, r, 100)
	wantIdle(false)
	wm(w0, 200)
	waitWatermark(t, r, 200)

	// Producer 1 resumes behind 200: the watermark neither goes back nor
	// waits for it until it caught up.
	idle(w1, false)
	wm(w1, 150)
	wm(w0, 300)
	waitWatermark(t, r, 300)
	wm(w1, 400) // caught up: counts again
	wm(w0, 500)
	waitWatermark(t, r, 400)
	wm(w0, 600)
	wantIdle(false)
	if r.Watermark() != 400 {
		t.Fatalf("watermark %s passed producer 1's 400", wmString(r.Watermark()))
	}

	// Every live producer idle: the partition is, and its watermark holds.
	idle(w1, true)
	waitWatermark(t, r, 600)
	idle(w0, true)
	wantIdle(true)
	if r.Watermark() != 600 {
		t.Fatalf("watermark %s while every producer is idle", wmString(r.Watermark()))
	}

	// A reader restored from a position keeps the statuses.
	r.Close()
	r = openReader(t, cfg, tp, 1, r.Position())
	if !r.Idle() || r.Watermark() != 600 {
		t.Fatalf("restored: idle %v, watermark %s", r.Idle(), wmString(r.Watermark()))
	}

	// Rows after an active status: the partition is active.
	idle(w1, false)
	do(w1.Write(batchOf(kvRow(1, "a", 700), kvRow(2, "b", 700), kvRow(3, "c", 700), kvRow(4, "d", 700))))
	do(w1.Flush())
	wantIdle(false)

	// A writer of producer 0 that restarted (it does not know producer 0
	// said idle) makes it count again with its first watermark.
	w0b := openWriter(t, s, 0)
	wm(w0b, 650)
	wm(w1, 800)
	waitWatermark(t, r, 650)
	wm(w2, 900) // a watermark makes producer 2 active too
	wm(w0b, 1000)
	waitWatermark(t, r, 800)

	// The producer idle last held the watermark: once every producer is
	// idle, the partition's watermark is the largest of theirs.
	idle(w0b, true)
	idle(w2, true)
	wantIdle(false)
	if r.Watermark() != 800 {
		t.Fatalf("watermark %s passed producer 1's 800", wmString(r.Watermark()))
	}
	idle(w1, true)
	waitWatermark(t, r, 1000)
	wantIdle(true)
}

// TestIdleStatusUnderTransactions: a transactional writer writes its idle
// status (after its watermark) into the open transaction, begun for it;
// readers see it when the transaction commits, not before.
func TestIdleStatusUnderTransactions(t *testing.T) {
	_, cfg := cluster(t)
	tp := newTopic(t, cfg, "idle-txn", 1, 2, false)
	w0, w1 := txnWriter(t, cfg, tp, 0, nil), txnWriter(t, cfg, tp, 1, nil)
	commit := func(w *writer, id int64) {
		t.Helper()
		c, err := w.PreCommit(id)
		if err != nil {
			t.Fatal(err)
		}
		if err := w.Commit(c); err != nil {
			t.Fatal(err)
		}
	}
	for _, w := range []*writer{w0, w1} {
		if err := w.WriteWatermark(100); err != nil {
			t.Fatal(err)
		}
		commit(w, 1)
	}
	r := openReader(t, cfg, tp, 0, nil)
	waitWatermark(t, r, 100)
	if err := w0.WriteWatermark(200); err != nil {
		t.Fatal(err)
	}
	commit(w0, 2)
	if err := w1.WriteWatermark(150); err != nil { // held back until PreCommit
		t.Fatal(err)
	}
	if err := w1.WriteIdle(true); err != nil { // writes 150, then idle
		t.Fatal(err)
	}
	if rows, _ := readFor(t, r, 1, 300*time.Millisecond); len(rows) != 0 || r.Watermark() != 100 {
		t.Fatalf("before the commit: rows %v, watermark %s", rows, wmString(r.Watermark()))
	}
	commit(w1, 2)
	waitWatermark(t, r, 200) // producer 1 is idle: producer 0's
	if err := w1.WriteIdle(false); err != nil {
		t.Fatal(err)
	}
	if err := w1.Write(batchOf(kvRow(1, "a", 250))); err != nil {
		t.Fatal(err)
	}
	if err := w1.WriteWatermark(300); err != nil {
		t.Fatal(err)
	}
	if err := w0.WriteWatermark(400); err != nil {
		t.Fatal(err)
	}
	commit(w1, 3)
	commit(w0, 3)
	rows, _ := readUntil(t, r, 1)
	waitWatermark(t, r, 300) // producer 1 counts again
	if len(rows) != 1 || r.Idle() {
		t.Errorf("rows %v, idle %v", rows, r.Idle())
	}
}

// A topic whose producing stage is rescaled from two producers to three:
// a reader restored from a position of the old layout reads the old
// producers' remaining rows with the partition's watermark standing
// (their control records below the hand-over offset are skipped), then
// takes the watermark from the three new producers only; its position
// keeps the hand-over offset until it passed it.
func TestReaderHandsOverToANewProducerLayout(t *testing.T) {
	_, cfg := cluster(t)
	cfg.WatermarkInterval = time.Nanosecond
	old := newTopic(t, cfg, "ho", 1, 2, false)
	step := func(w *writer, wm int64, rows ...[]types.Value) { writeStep(t, w, wm, rows...) }
	s := NewSink(cfg, old, 0)
	w0, w1 := openWriter(t, s, 0), openWriter(t, s, 1)
	r := openReader(t, cfg, old, 0, nil)
	step(w0, 100, kvRow(1, "a", 90))
	step(w1, 50)
	if rows, _ := readUntil(t, r, 1); len(rows) != 1 {
		t.Fatalf("read %v", rows)
	}
	waitWatermark(t, r, 50)
	pos := r.Position()
	// Written by the old layout after the reader's position, before the
	// old producers stopped: a row late for w0's watermark but not for
	// the partition's, and advances that must not count afterwards.
	step(w1, 200, kvRow(2, "b", 60))
	step(w0, 300)
	w0.Close()
	w1.Close()

	offs, err := EndOffsets(context.Background(), cfg, old)
	if err != nil {
		t.Fatal(err)
	}
	next3 := old
	next3.Producers = 3
	if _, err := NewSource(cfg, next3, []int{0}).OpenSplit(context.Background(), &split{topic: "ho", partition: 0}, pos); err == nil || !strings.Contains(err.Error(), "records 2 producers, the topic has 3") {
		t.Errorf("a position of another layout without a hand-over: %v", err)
	}
	next3.HandOver = offs
	ns := NewSink(cfg, next3, 0)
	n0, n1, n2 := openWriter(t, ns, 0), openWriter(t, ns, 1), openWriter(t, ns, 2)
	step(n0, 1000, kvRow(3, "c", 900))
	step(n1, 800)

	r2 := openReader(t, cfg, next3, 0, pos)
	if r2.Watermark() != 50 {
		t.Fatalf("restored watermark %s, want 50", wmString(r2.Watermark()))
	}
	if p := r2.Position(); p[0] != positionHandOver {
		t.Errorf("a position before the hand-over is of version %d, want %d", p[0], positionHandOver)
	} else if r3 := openReader(t, cfg, next3, 0, p); r3.handOver != offs[0] {
		t.Errorf("reopened at a version 3 position: hand-over %d, want %d", r3.handOver, offs[0])
	}
	rows, _ := readUntil(t, r2, 2)
	if !slices.Equal(rows, []string{"+I 2 b 1970-01-01 00:00:00.060", "+I 3 c 1970-01-01 00:00:00.900"}) {
		t.Fatalf("the old layout's unread row, then the new one's: %v", rows)
	}
	// Two of three new producers reported: the watermark waits for the
	// third, then is their minimum.
	if _, err := next(t, r2, 100); err != nil {
		t.Fatal(err)
	}
	if r2.Watermark() != 50 {
		t.Fatalf("watermark %s before every new producer reported, want 50", wmString(r2.Watermark()))
	}
	step(n2, 700)
	waitWatermark(t, r2, 700)
	if p := r2.Position(); p[0] != positionVersion {
		t.Errorf("a position past the hand-over is of version %d, want %d", p[0], positionVersion)
	}
}

// writeStep writes rows (if any) and watermark wm with w, then flushes it.
func writeStep(t *testing.T, w *writer, wm int64, rows ...[]types.Value) {
	t.Helper()
	if len(rows) > 0 {
		if err := w.Write(batchOf(rows...)); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.WriteWatermark(wm); err != nil {
		t.Fatal(err)
	}
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
}
