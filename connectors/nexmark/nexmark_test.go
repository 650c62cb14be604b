package nexmark

import (
	"context"
	"io"
	"regexp"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/streamsql/streamsql/catalog"
	"github.com/streamsql/streamsql/connectors"
	"github.com/streamsql/streamsql/types"
)

var ctx = context.Background()

func bidSchema() types.Schema {
	return types.Schema{
		{Name: "auction", Type: types.BigInt}, {Name: "bidder", Type: types.BigInt}, {Name: "price", Type: types.BigInt},
		{Name: "channel", Type: types.String}, {Name: "url", Type: types.String},
		{Name: "dateTime", Type: types.Timestamp}, {Name: "extra", Type: types.String},
	}
}

// schemaOf returns the full schema of a nexmark table.
func schemaOf(name string) types.Schema {
	var out types.Schema
	for _, c := range tables[name].cols {
		t := types.BigInt
		switch c.kind {
		case types.KindString:
			t = types.String
		case types.KindTimestamp:
			t = types.Timestamp
		}
		out = append(out, types.Column{Name: c.name, Type: t})
	}
	return out
}

func table(schema types.Schema, opts ...string) *catalog.Table {
	t := &catalog.Table{Name: "nx", Columns: schema, ProctimeColumn: -1,
		Options: []catalog.Option{{Key: "connector", Value: "nexmark"}}}
	for i := 0; i < len(opts); i += 2 {
		t.Options = append(t.Options, catalog.Option{Key: opts[i], Value: opts[i+1]})
	}
	return t
}

func newSrc(t testing.TB, schema types.Schema, opts ...string) connectors.Source {
	t.Helper()
	s, err := connectors.Lookup("nexmark").NewSource(table(schema, opts...), nil)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func drainRows(t testing.TB, r connectors.SplitReader, width, capRows int) [][]types.Value {
	t.Helper()
	var out [][]types.Value
	for {
		b := types.NewBatch(width, capRows)
		err := r.Next(ctx, b)
		for i := 0; i < b.Len(); i++ {
			out = append(out, append([]types.Value(nil), b.Row(i)...))
		}
		if err == io.EOF {
			return out
		}
		if err != nil {
			t.Fatal(err)
		}
	}
}

func render(schema types.Schema, rows [][]types.Value) []string {
	out := make([]string, len(rows))
	for i, row := range rows {
		parts := make([]string, len(row))
		for j, v := range row {
			parts[j] = types.Render(v, schema[j].Type)
		}
		out[i] = strings.Join(parts, "|")
	}
	return out
}

func mustOpen(t testing.TB, src connectors.Source, sp connectors.Split, pos []byte) connectors.SplitReader {
	t.Helper()
	r, err := src.OpenSplit(ctx, sp, pos)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// readSplits reads every split of src, in split order.
func readSplits(t testing.TB, src connectors.Source, schema types.Schema, capRows int) [][]string {
	t.Helper()
	splits, _ := src.Splits(3)
	var out [][]string
	for _, sp := range splits {
		out = append(out, render(schema, drainRows(t, mustOpen(t, src, sp, nil), len(schema), capRows)))
	}
	return out
}

func TestBaseTime(t *testing.T) {
	if got := types.Render(types.TimestampValue(BaseTime), types.Timestamp); got != "2015-07-15 00:00:00.000" {
		t.Fatal(got)
	}
}

func TestDeterministic(t *testing.T) {
	for _, name := range []string{"bid", "event"} {
		sc := schemaOf(name)
		opts := []string{"table", name, "number-of-events", "5000", "splits", "1"}
		a := readSplits(t, newSrc(t, sc, opts...), sc, 100)[0]
		b := readSplits(t, newSrc(t, sc, opts...), sc, 7)[0]
		if strings.Join(a, "\n") != strings.Join(b, "\n") {
			t.Fatalf("%s: two runs differ", name)
		}
		c := readSplits(t, newSrc(t, sc, append(opts, "seed", "42")...), sc, 100)[0]
		if len(c) != len(a) || c[5] == a[5] {
			t.Fatalf("%s: seed has no effect", name)
		}
	}
	// a column's values do not depend on which other columns are declared
	full := readSplits(t, newSrc(t, bidSchema(), "number-of-events", "2000", "splits", "1"), bidSchema(), 100)[0]
	few := types.Schema{{Name: "EXTRA", Type: types.String}, {Name: "price", Type: types.BigInt}}
	part := readSplits(t, newSrc(t, few, "number-of-events", "2000", "splits", "1"), few, 100)[0]
	for i := range full {
		f := strings.Split(full[i], "|")
		if part[i] != f[6]+"|"+f[2] {
			t.Fatalf("row %d: %s vs %s", i, part[i], full[i])
		}
	}
}

func TestMixAndEventTable(t *testing.T) {
	sc := schemaOf("event")
	src := newSrc(t, sc, "table", "event", "number-of-events", "50000", "splits", "1", "events-per-second", "1000")
	sp, _ := src.Splits(1)
	rows := drainRows(t, mustOpen(t, src, sp[0], nil), len(sc), 1000)
	if len(rows) != 50000 {
		t.Fatalf("%d events", len(rows))
	}
	var counts [3]int
	typeIdx := sc.Index("event_type")
	for n, row := range rows {
		typ := int(row[typeIdx].Int())
		counts[typ]++
		if want := []int{0, 1, 1, 1}; n%50 < 4 && typ != want[n%50] || n%50 >= 4 && typ != BidEvent {
			t.Fatalf("event %d has type %d", n, typ)
		}
		// 1000 events per second: event n is n ms after the base time
		if ts := row[sc.Index("dateTime")].Millis(); ts != BaseTime+int64(n) {
			t.Fatalf("event %d at %d", n, ts-BaseTime)
		}
		// exactly the type's columns are set
		for j, c := range sc {
			prefix := []string{"person_", "auction_", "bid_"}[typ]
			own := strings.HasPrefix(c.Name, prefix) || j < 2
			if own == row[j].IsNull() {
				t.Fatalf("event %d (type %d): column %s null=%v", n, typ, c.Name, row[j].IsNull())
			}
		}
	}
	if counts != [3]int{1000, 3000, 46000} {
		t.Fatalf("mix %v", counts)
	}
}

// TestIDsAndValues checks the generator's rules on the event table: ids
// follow the event number, sellers and bidders are earlier people (or at
// most the lead ahead), bids are for earlier auctions (or at most the lead
// ahead), hot items dominate, and values have their forms.
func TestIDsAndValues(t *testing.T) {
	sc := schemaOf("event")
	src := newSrc(t, sc, "table", "event", "number-of-events", "100000", "splits", "1")
	sp, _ := src.Splits(1)
	rows := drainRows(t, mustOpen(t, src, sp[0], nil), len(sc), 1024)
	col := func(row []types.Value, name string) types.Value { return row[sc.Index(name)] }
	lastPerson, lastAuction := int64(firstPersonID-1), int64(firstAuctionID-1)
	var hotAuctions, hotBidders, hotSellers, bids, auctions int
	email := regexp.MustCompile(`^([a-z]+( +[a-z]+)*)?@([a-z]+( +[a-z]+)*)?\.com$`)
	card := regexp.MustCompile(`^\d{4} \d{4} \d{4} \d{4}$`)
	url := regexp.MustCompile(`^https://www\.nexmark\.com/[a-z_]{3,4}/[a-z_]{3,4}/[a-z_]{3,4}/item\.htm\?query=1(&channel_id=\d+)?$`)
	channels := map[string]bool{}
	for _, row := range rows {
		ts := col(row, "dateTime").Millis()
		switch col(row, "event_type").Int() {
		case PersonEvent:
			id := col(row, "person_id").Int()
			if id != lastPerson+1 {
				t.Fatalf("person id %d after %d", id, lastPerson)
			}
			lastPerson = id
			if !email.MatchString(col(row, "person_emailAddress").Str()) || !card.MatchString(col(row, "person_creditCard").Str()) {
				t.Fatalf("person %v", row)
			}
			name := strings.Split(col(row, "person_name").Str(), " ")
			if len(name) != 2 || !contains(firstNames, name[0]) || !contains(lastNames, name[1]) ||
				!contains(usCities, col(row, "person_city").Str()) || !contains(usStates, col(row, "person_state").Str()) {
				t.Fatalf("person %v", row)
			}
			if col(row, "person_dateTime").Millis() != ts {
				t.Fatal("person time")
			}
		case AuctionEvent:
			auctions++
			id := col(row, "auction_id").Int()
			if id != lastAuction+1 {
				t.Fatalf("auction id %d after %d", id, lastAuction)
			}
			lastAuction = id
			seller := col(row, "auction_seller").Int()
			if seller < firstPersonID || seller > lastPerson+personIDLead {
				t.Fatalf("auction %d: seller %d, last person %d", id, seller, lastPerson)
			}
			if seller == (lastPerson-firstPersonID)/hotBatch*hotBatch+firstPersonID {
				hotSellers++
			}
			cat := col(row, "auction_category").Int()
			ib, res := col(row, "auction_initialBid").Int(), col(row, "auction_reserve").Int()
			exp := col(row, "auction_expires").Millis()
			if cat < 10 || cat > 14 || ib < 100 || ib > 100_000_000 || res < ib || exp <= ts ||
				col(row, "auction_dateTime").Millis() != ts {
				t.Fatalf("auction %v", row)
			}
			if n := len(col(row, "auction_itemName").Str()); n > 19 {
				t.Fatalf("item name %q", col(row, "auction_itemName").Str())
			}
			size := 8 + len(col(row, "auction_itemName").Str()) + len(col(row, "auction_description").Str()) + 40 +
				len(col(row, "auction_extra").Str())
			if size < 400 || size > 600 {
				t.Fatalf("auction size %d", size)
			}
		case BidEvent:
			bids++
			a := col(row, "bid_auction").Int()
			if a < firstAuctionID || a > lastAuction+auctionIDLead {
				t.Fatalf("bid for auction %d, last auction %d", a, lastAuction)
			}
			if a == (lastAuction-firstAuctionID)/hotBatch*hotBatch+firstAuctionID {
				hotAuctions++
			}
			b := col(row, "bid_bidder").Int()
			if b < firstPersonID || b > lastPerson+personIDLead {
				t.Fatalf("bidder %d, last person %d", b, lastPerson)
			}
			if b == (lastPerson-firstPersonID)/hotBatch*hotBatch+1+firstPersonID {
				hotBidders++
			}
			if p := col(row, "bid_price").Int(); p < 100 || p > 100_000_000 {
				t.Fatalf("price %d", p)
			}
			ch, u := col(row, "bid_channel").Str(), col(row, "bid_url").Str()
			channels[ch] = true
			if !url.MatchString(u) || !contains(hotChannels, ch) && !strings.HasPrefix(ch, "channel-") {
				t.Fatalf("channel %q url %q", ch, u)
			}
			if n := len(col(row, "bid_extra").Str()); n < 54 || n > 81 {
				t.Fatalf("bid extra of %d bytes", n)
			}
			if col(row, "bid_dateTime").Millis() != ts {
				t.Fatal("bid time")
			}
		}
	}
	// hot-auction-ratio 2: at least half the bids; hot bidders and sellers
	// (ratio 4): at least three quarters
	if f := float64(hotAuctions) / float64(bids); f < 0.48 || f > 0.56 {
		t.Fatalf("hot auction fraction %.3f", f)
	}
	if f := float64(hotBidders) / float64(bids); f < 0.73 || f > 0.8 {
		t.Fatalf("hot bidder fraction %.3f", f)
	}
	if f := float64(hotSellers) / float64(auctions); f < 0.72 || f > 0.8 {
		t.Fatalf("hot seller fraction %.3f", f)
	}
	if len(channels) < 1000 || !channels["Google"] {
		t.Fatalf("%d channels", len(channels))
	}
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func TestSplitsUnionAndTime(t *testing.T) {
	sc := bidSchema()
	one := readSplits(t, newSrc(t, sc, "number-of-events", "20000", "splits", "1"), sc, 333)[0]
	if len(one) != 20000/50*46 {
		t.Fatalf("%d bids", len(one))
	}
	parts := readSplits(t, newSrc(t, sc, "number-of-events", "20000", "splits", "7"), sc, 100)
	total := 0
	for k, p := range parts {
		total += len(p)
		last := ""
		for j, row := range p {
			if row != one[k+7*j] {
				t.Fatalf("split %d row %d differs from row %d of one split", k, j, k+7*j)
			}
			ts := strings.Split(row, "|")[5]
			if ts < last {
				t.Fatalf("split %d: time goes back at row %d", k, j)
			}
			last = ts
		}
	}
	if total != len(one) {
		t.Fatalf("%d rows in the splits, %d in one", total, len(one))
	}
	// 20000 events at 10000 per second span two seconds of event time
	if first, last := strings.Split(one[0], "|")[5], strings.Split(one[len(one)-1], "|")[5]; first != "2015-07-15 00:00:00.000" || last != "2015-07-15 00:00:01.999" {
		t.Fatalf("times %s .. %s", first, last)
	}
}

func TestResume(t *testing.T) {
	sc := schemaOf("auction")
	src := newSrc(t, sc, "table", "auction", "number-of-events", "10000", "splits", "2")
	splits, _ := src.Splits(5)
	full := render(sc, drainRows(t, mustOpen(t, src, splits[1], nil), len(sc), 7))
	if len(full) != 300 {
		t.Fatalf("%d rows", len(full))
	}
	r := mustOpen(t, src, splits[1], nil)
	b := types.NewBatch(len(sc), 13)
	if err := r.Next(ctx, b); err != nil || b.Len() != 13 {
		t.Fatalf("%d rows, %v", b.Len(), err)
	}
	if strings.Join(render(sc, [][]types.Value{b.Row(12)}), "") != full[12] {
		t.Fatal("first batch differs")
	}
	rest := render(sc, drainRows(t, mustOpen(t, src, splits[1], r.Position()), len(sc), 5))
	if strings.Join(rest, "\n") != strings.Join(full[13:], "\n") {
		t.Fatal("resume does not continue exactly")
	}
	if _, err := src.OpenSplit(ctx, splits[1], []byte{0, 0, 0, 0, 0, 0, 2, 0}); err == nil {
		t.Fatal("a position past the end is accepted")
	}
	other := newSrc(t, sc, "table", "auction", "splits", "3")
	if _, err := other.OpenSplit(ctx, splits[1], nil); err == nil || !strings.Contains(err.Error(), "'splits'") {
		t.Fatalf("split of another split count: %v", err)
	}
}

func TestBoundedCounts(t *testing.T) {
	const events = 1237 // 24 full epochs and 37 more events: 1 person, 3 auctions, 33 bids
	want := map[string]int{"person": 25, "auction": 75, "bid": 24*46 + 33, "event": events}
	for name, n := range want {
		sc := schemaOf(name)
		src := newSrc(t, sc, "table", name, "number-of-events", "1237", "splits", "3")
		if !src.Bounded() {
			t.Fatal("not bounded")
		}
		got := 0
		for _, p := range readSplits(t, src, sc, 50) {
			got += len(p)
		}
		if got != n {
			t.Fatalf("%s: %d rows, want %d", name, got, n)
		}
	}
	if newSrc(t, bidSchema()).Bounded() {
		t.Fatal("unbounded by default")
	}
}

func TestRateLimit(t *testing.T) {
	now := int64(1_000_000)
	env := &connectors.Env{Now: func() int64 { return now }}
	s, err := connectors.Lookup("nexmark").NewSource(table(bidSchema(), "rows-per-second", "1000", "splits", "1"), env)
	if err != nil {
		t.Fatal(err)
	}
	sp, _ := s.Splits(1)
	r := mustOpen(t, s, sp[0], nil)
	b := types.NewBatch(7, 4096)
	if err := r.Next(ctx, b); err != nil || b.Len() != 1 {
		t.Fatalf("%d rows, %v", b.Len(), err)
	}
	now += 250
	if err := r.Next(ctx, b); err != nil || b.Len() != 251 {
		t.Fatalf("%d rows, %v", b.Len(), err)
	}
	start := time.Now()
	if err := r.Next(ctx, b); err != nil || b.Len() != 251 {
		t.Fatalf("%d rows, %v", b.Len(), err)
	}
	if time.Since(start) > time.Second {
		t.Fatal("waits too long")
	}
}

func TestOptionErrors(t *testing.T) {
	bad := []struct {
		schema types.Schema
		opts   []string
		want   string
	}{
		{bidSchema(), []string{"events-per-second", "0"}, "option 'events-per-second'"},
		{bidSchema(), []string{"number-of-events", "-1"}, "option 'number-of-events'"},
		{bidSchema(), []string{"rows-per-second", "x"}, "option 'rows-per-second'"},
		{bidSchema(), []string{"splits", "0"}, "option 'splits'"},
		{bidSchema(), []string{"hot-auction-ratio", "0"}, "option 'hot-auction-ratio'"},
		{bidSchema(), []string{"hot-bidder-ratio", "a"}, "option 'hot-bidder-ratio'"},
		{bidSchema(), []string{"hot-seller-ratio", "-2"}, "option 'hot-seller-ratio'"},
		{bidSchema(), []string{"seed", "1.5"}, "option 'seed'"},
		{bidSchema(), []string{"table", "bids"}, "option 'table'"},
		{bidSchema(), []string{"tabel", "bid"}, "no option 'tabel'"},
		{bidSchema(), []string{"table", "person"}, "column 'auction' is not a column of the nexmark 'person' table"},
		{types.Schema{{Name: "price", Type: types.String}}, nil, "column 'price' must be BIGINT"},
		{types.Schema{{Name: "dateTime", Type: types.BigInt}}, nil, "column 'dateTime' must be TIMESTAMP(3)"},
		{types.Schema{{Name: "price", Type: types.BigInt}, {Name: "PRICE", Type: types.BigInt}}, nil, "declared twice"},
	}
	for _, c := range bad {
		err := connectors.ValidateOptions(table(c.schema, c.opts...), connectors.Lookup("nexmark"))
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%v: got %v, want %q", c.opts, err, c.want)
		}
	}
	ok := types.Schema{{Name: "Auction", Type: types.Int32}, {Name: "DATETIME", Type: types.TimestampType(0)}}
	if err := connectors.ValidateOptions(table(ok, "table", "BID", "hot-auction-ratio", "1"), connectors.Lookup("nexmark")); err != nil {
		t.Fatal(err)
	}
}

func TestRowsBelowAndEventOfRow(t *testing.T) {
	for typ := -1; typ <= BidEvent; typ++ {
		var m int64
		for n := int64(0); n < 500; n++ {
			if rowsBelow(typ, n) != m {
				t.Fatalf("type %d: rowsBelow(%d) = %d, want %d", typ, n, rowsBelow(typ, n), m)
			}
			if typ < 0 || eventType(n) == typ {
				if eventOfRow(typ, m) != n {
					t.Fatalf("type %d: eventOfRow(%d) = %d, want %d", typ, m, eventOfRow(typ, m), n)
				}
				m++
			}
		}
	}
}

func TestStringsStable(t *testing.T) {
	// strings built into a batch's shared buffer keep their values once
	// the next batch is built
	sc := bidSchema()
	src := newSrc(t, sc, "splits", "1")
	sp, _ := src.Splits(1)
	r := mustOpen(t, src, sp[0], nil)
	b1, b2 := types.NewBatch(7, 10), types.NewBatch(7, 10)
	if err := r.Next(ctx, b1); err != nil {
		t.Fatal(err)
	}
	before := render(sc, [][]types.Value{b1.Row(3)})[0]
	if err := r.Next(ctx, b2); err != nil {
		t.Fatal(err)
	}
	if after := render(sc, [][]types.Value{b1.Row(3)})[0]; after != before {
		t.Fatal("a later batch changed an earlier batch's strings")
	}
	extras := []string{b1.Row(0)[6].Str(), b1.Row(1)[6].Str()}
	sort.Strings(extras)
	if extras[0] == extras[1] {
		t.Fatal("extras repeat")
	}
}

func BenchmarkBid(b *testing.B) {
	sc := bidSchema()
	src := newSrc(b, sc, "splits", "1")
	sp, _ := src.Splits(1)
	r := mustOpen(b, src, sp[0], nil)
	batch := types.NewBatch(len(sc), 1024)
	b.ReportAllocs()
	b.ResetTimer()
	rows := 0
	for rows < b.N {
		batch.Reset()
		if err := r.Next(ctx, batch); err != nil {
			b.Fatal(err)
		}
		rows += batch.Len()
	}
	b.ReportMetric(float64(rows)/b.Elapsed().Seconds(), "rows/s")
}

func BenchmarkBidNoExtra(b *testing.B) {
	sc := bidSchema()[:6]
	src := newSrc(b, sc, "splits", "1")
	sp, _ := src.Splits(1)
	r := mustOpen(b, src, sp[0], nil)
	batch := types.NewBatch(len(sc), 1024)
	b.ReportAllocs()
	b.ResetTimer()
	rows := 0
	for rows < b.N {
		batch.Reset()
		if err := r.Next(ctx, batch); err != nil {
			b.Fatal(err)
		}
		rows += batch.Len()
	}
	b.ReportMetric(float64(rows)/b.Elapsed().Seconds(), "rows/s")
}

// TestSkipColumns: columns left out by SkipColumns are NULL and the
// others keep the values of a source that builds every column.
func TestSkipColumns(t *testing.T) {
	for _, name := range []string{"bid", "auction", "person", "event"} {
		schema := schemaOf(name)
		opts := []string{"table", name, "number-of-events", "3000"}
		all := readSplits(t, newSrc(t, schema, opts...), schema, 256)
		src := newSrc(t, schema, opts...)
		read := make([]bool, len(schema))
		for i := range read {
			read[i] = i%3 == 0
		}
		src.(connectors.ColumnSkipper).SkipColumns(read)
		got := readSplits(t, src, schema, 256)
		if len(got) != len(all) {
			t.Fatalf("%s: %d splits, want %d", name, len(got), len(all))
		}
		for s := range all {
			if len(got[s]) != len(all[s]) || len(all[s]) == 0 {
				t.Fatalf("%s split %d: %d rows, want %d", name, s, len(got[s]), len(all[s]))
			}
			for r := range all[s] {
				want := strings.Split(all[s][r], "|")
				for c, v := range strings.Split(got[s][r], "|") {
					if read[c] && v != want[c] || !read[c] && v != "NULL" {
						t.Fatalf("%s split %d row %d column %s: %q, want %q (read %v)", name, s, r, schema[c].Name, v, want[c], read[c])
					}
				}
			}
		}
	}
}
