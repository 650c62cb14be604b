package operators

import (
	"bytes"
	"testing"

	"github.com/streamsql/streamsql/exec/agg"
	"github.com/streamsql/streamsql/expr"
	"github.com/streamsql/streamsql/plan"
	"github.com/streamsql/streamsql/state"
	"github.com/streamsql/streamsql/types"
)

// roundTrip encodes v, decodes it, re-encodes and compares the bytes; it
// also checks that every truncation of the encoding fails to decode.
func roundTrip[P any](t *testing.T, c state.Codec[P], v P) {
	t.Helper()
	enc := c.Append(nil, v)
	d, err := c.Decode(enc)
	if err != nil {
		t.Fatalf("decode: %v", err)
	}
	if again := c.Append(nil, d); !bytes.Equal(again, enc) {
		t.Fatalf("re-encoding differs:\n%x\n%x", enc, again)
	}
	for i := 0; i < len(enc); i++ {
		if _, err := c.Decode(enc[:i]); err == nil {
			t.Fatalf("truncated encoding (%d of %d bytes) decoded", i, len(enc))
		}
	}
}

func sampleAcc(t *testing.T) agg.Acc {
	f, err := agg.Compile([]plan.AggCall{
		{Func: plan.AggCount, Type: types.BigInt},
		{Func: plan.AggSum, Arg: &expr.Col{Index: 0, T: types.Double}, Type: types.Double},
		{Func: plan.AggMax, Arg: &expr.Col{Index: 1, T: types.String}, Type: types.String},
		{Func: plan.AggCount, Distinct: true, Arg: &expr.Col{Index: 1, T: types.String}, Type: types.BigInt},
	}, true)
	if err != nil {
		t.Fatal(err)
	}
	var a agg.Acc
	f.Init(&a)
	for _, row := range [][]types.Value{
		{types.DoubleValue(1.5), types.StringValue("x")},
		{types.DoubleValue(-2), types.StringValue("yy")},
		{types.NullValue(), types.StringValue("x")},
	} {
		if err := f.Add(&a, row); err != nil {
			t.Fatal(err)
		}
	}
	return a
}

func TestCodecs(t *testing.T) {
	a := sampleAcc(t)
	key := []types.Value{types.StringValue("k"), types.NullValue(), types.DecimalValue(150, 2)}
	roundTrip[*winEntry](t, winEntryCodec{}, &winEntry{key: key, acc: a})
	roundTrip[*groupEntry](t, groupCodec{}, &groupEntry{key: key, acc: a})
	roundTrip[*groupEntry](t, groupCodec{}, &groupEntry{ttlStamp: ttlStamp{access: 1700000000123, due: 1700000003700}, key: key, acc: a})
	roundTrip[*sessionEntry](t, sessionCodec{}, &sessionEntry{key: key, sessions: []session{
		{start: -5, end: 10, acc: a}, {start: 20, end: 31, acc: a.Clone()}}})
	roundTrip[*bag](t, bagCodec{}, &bag{rows: []bagRow{
		{enc: encRow(types.IntValue(1), types.TimestampValue(-3)), n: 2},
		{enc: encRow(types.NullValue(), types.BoolValue(true)), n: 1}}})
	roundTrip[*bag](t, bagCodec{}, &bag{ttlStamp: ttlStamp{access: -7, due: 93}, rows: []bagRow{
		{enc: encRow(types.StringValue("v")), n: 3}}})
	// Outer window joins mark matched rows; the mark survives a round trip.
	matched := &bag{rows: []bagRow{
		{enc: encRow(types.IntValue(1)), n: -2}, // matched
		{enc: encRow(types.IntValue(2)), n: 1}}}
	roundTrip[*bag](t, bagCodec{}, matched)
	if d, err := (bagCodec{}).Decode((bagCodec{}).Append(nil, matched)); err != nil || !d.rows[0].matched() || d.rows[0].count() != 2 || d.rows[1].matched() || d.rows[1].count() != 1 {
		t.Fatalf("matched marks not kept: %+v %v", d, err)
	}
	roundTrip[int64](t, int64Codec{}, -1234567)
}

// TestBagCodecMatchCounts checks the match counts of regular outer, semi
// and anti joins: they survive a round trip, a bag without counts encodes
// as before they existed (so old states decode with every count 0), and a
// truncated count trailer does not decode.
func TestBagCodecMatchCounts(t *testing.T) {
	c := bagCodec{counts: true}
	plain := &bag{ttlStamp: ttlStamp{access: 5, due: 9}, rows: []bagRow{
		{enc: encRow(types.IntValue(1)), n: 2},
		{enc: encRow(types.StringValue("x")), n: 1}}}
	old := c.Append(nil, plain)
	counted := &bag{ttlStamp: plain.ttlStamp, rows: []bagRow{
		{enc: encRow(types.IntValue(1)), n: 2},
		{enc: encRow(types.StringValue("x")), n: 1, aux: 300}}}
	enc := c.Append(nil, counted)
	if !bytes.HasPrefix(enc, old) || len(enc) == len(old) {
		t.Fatalf("counts must follow the rows: %x vs %x", enc, old)
	}
	d, err := c.Decode(enc)
	if err != nil || d.rows[0].aux != 0 || d.rows[1].aux != 300 || d.rows[1].n != 1 {
		t.Fatalf("counts not kept: %+v %v", d, err)
	}
	if again := c.Append(nil, d); !bytes.Equal(again, enc) {
		t.Fatalf("re-encoding differs:\n%x\n%x", enc, again)
	}
	if d, err := c.Decode(old); err != nil || d.rows[0].aux != 0 || d.rows[1].aux != 0 {
		t.Fatalf("a bag without counts: %+v %v", d, err)
	}
	for i := len(old) + 1; i < len(enc); i++ {
		if _, err := c.Decode(enc[:i]); err == nil {
			t.Fatalf("truncated count trailer (%d of %d bytes) decoded", i, len(enc))
		}
	}
	// A join without counts keeps an interval join's expiries in aux: they
	// are not written, and a count trailer is checked and ignored.
	nc := bagCodec{}
	expiring := &bag{ttlStamp: plain.ttlStamp, rows: []bagRow{
		{enc: encRow(types.IntValue(1)), n: 2, aux: 1700000000000},
		{enc: encRow(types.StringValue("x")), n: -1, aux: 1700000000500}}}
	plain.rows[1].n = -1
	if got, want := nc.Append(nil, expiring), nc.Append(nil, plain); !bytes.Equal(got, want) {
		t.Fatalf("expiries written: %x, want %x", got, want)
	}
	if d, err := nc.Decode(enc); err != nil || d.rows[0].aux != 0 || d.rows[1].aux != 0 {
		t.Fatalf("a count trailer without counts: %+v %v", d, err)
	}
	if _, err := nc.Decode(enc[:len(enc)-1]); err == nil {
		t.Fatal("a truncated count trailer decoded without counts")
	}
}

// A row's count keeps its matched mark (the count's sign) as it changes.
func TestBagRowCountAndMark(t *testing.T) {
	r := bagRow{n: 2}
	r.mark()
	r.addCount(1)
	if r.count() != 3 || !r.matched() {
		t.Fatalf("after mark and +1: count %d matched %v", r.count(), r.matched())
	}
	r.mark()
	r.addCount(-3)
	if r.count() != 0 {
		t.Fatalf("after -3: count %d", r.count())
	}
	u := bagRow{n: 1}
	u.addCount(1)
	if u.count() != 2 || u.matched() {
		t.Fatalf("unmarked: count %d matched %v", u.count(), u.matched())
	}

}

// TestStoreWriteBack checks that a mutation made through get reaches a
// serialising backend at the flush, and that a removed entry stays removed.
func TestStoreWriteBack(t *testing.T) {
	serialiseState = true
	defer func() { serialiseState = false }()
	b := state.NewHashMapBackend(state.RangeFor(128, 1, 0))
	s, err := newStore(b, "s", state.Codec[*groupEntry](groupCodec{}))
	if err != nil {
		t.Fatal(err)
	}
	key := []byte("k")
	e := &groupEntry{key: []types.Value{types.IntValue(1)}, acc: agg.Acc{Rows: 1}}
	s.insert(3, key, e)
	g, ok := s.get(3, key)
	if !ok || g != e {
		t.Fatal("get after insert must return the live entry")
	}
	g.acc.Rows = 7
	if p, _ := s.m.(*codecMap[*groupEntry]).inner.Get(3, key); bytes.Equal(p, groupCodec{}.Append(nil, g)) {
		t.Fatal("write-back happened before the flush")
	}
	s.flush()
	if p, ok := s.peek(3, key); !ok || p.acc.Rows != 7 {
		t.Fatal("flush lost the mutation")
	}
	g, _ = s.get(3, key)
	s.remove(3, key, g)
	s.flush()
	if _, ok := s.peek(3, key); ok {
		t.Fatal("flush resurrected a removed entry")
	}
}
