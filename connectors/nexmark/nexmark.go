package nexmark

import (
	"context"
	"encoding/binary"
	"fmt"
	"github.com/streamsql/streamsql/connectors/internal/pace"
	"io"
	"math"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/streamsql/streamsql/catalog"
	"github.com/streamsql/streamsql/connectors"
	"github.com/streamsql/streamsql/types"
)

// DefaultSplits is the number of splits when 'splits' is not set (fixed,
// whatever the parallelism, so that positions restore at any parallelism).
const DefaultSplits = 8

const maxSplits = 1 << 16

var options = []connectors.OptionSpec{
	{Key: "table", Default: "bid", Help: "what the table holds: bid, auction, person or event (all three, with an event_type column)"},
	{Key: "events-per-second", Default: "10000", Help: "event-time rate: event n has time 2015-07-15 00:00:00 UTC + n / events-per-second"},
	{Key: "number-of-events", Default: "0", Help: "total number of events, of all types (bounded when > 0); 0 = unbounded"},
	{Key: "rows-per-second", Default: "0", Help: "wall-clock rate of the table's rows, whole source; 0 = as fast as possible"},
	{Key: "splits", Default: strconv.Itoa(DefaultSplits), Help: "number of splits (fixed, so that positions restore at any parallelism)"},
	{Key: "hot-auction-ratio", Default: "2", Help: "a bid is for a hot auction with probability 1 - 1/ratio"},
	{Key: "hot-bidder-ratio", Default: "4", Help: "a bid is by a hot bidder with probability 1 - 1/ratio"},
	{Key: "hot-seller-ratio", Default: "4", Help: "an auction is by a hot seller with probability 1 - 1/ratio"},
	{Key: "seed", Default: "0", Help: "seed of the random values"},
}

func init() {
	connectors.Register(&connectors.Factory{
		Name:      "nexmark",
		Options:   options,
		NewSource: newSource,
		Validate: func(t *catalog.Table) error {
			_, err := newSource(t, nil)
			return err
		},
	})
}

// field identifies one generated value.
type field uint8

const (
	fEventType field = iota
	fEventTime

	fPersonID
	fPersonName
	fPersonEmail
	fPersonCard
	fPersonCity
	fPersonState
	fPersonTime
	fPersonExtra

	fAuctionID
	fAuctionItemName
	fAuctionDesc
	fAuctionInitialBid
	fAuctionReserve
	fAuctionTime
	fAuctionExpires
	fAuctionSeller
	fAuctionCategory
	fAuctionExtra

	fBidAuction
	fBidBidder
	fBidPrice
	fBidChannel
	fBidURL
	fBidTime
	fBidExtra

	numFields
)

type colDef struct {
	name string
	f    field
	kind types.Kind
}

var (
	personCols = []colDef{
		{"id", fPersonID, types.KindInt}, {"name", fPersonName, types.KindString},
		{"emailAddress", fPersonEmail, types.KindString}, {"creditCard", fPersonCard, types.KindString},
		{"city", fPersonCity, types.KindString}, {"state", fPersonState, types.KindString},
		{"dateTime", fPersonTime, types.KindTimestamp}, {"extra", fPersonExtra, types.KindString},
	}
	auctionCols = []colDef{
		{"id", fAuctionID, types.KindInt}, {"itemName", fAuctionItemName, types.KindString},
		{"description", fAuctionDesc, types.KindString}, {"initialBid", fAuctionInitialBid, types.KindInt},
		{"reserve", fAuctionReserve, types.KindInt}, {"dateTime", fAuctionTime, types.KindTimestamp},
		{"expires", fAuctionExpires, types.KindTimestamp}, {"seller", fAuctionSeller, types.KindInt},
		{"category", fAuctionCategory, types.KindInt}, {"extra", fAuctionExtra, types.KindString},
	}
	bidCols = []colDef{
		{"auction", fBidAuction, types.KindInt}, {"bidder", fBidBidder, types.KindInt},
		{"price", fBidPrice, types.KindInt}, {"channel", fBidChannel, types.KindString},
		{"url", fBidURL, types.KindString}, {"dateTime", fBidTime, types.KindTimestamp},
		{"extra", fBidExtra, types.KindString},
	}
	eventCols = func() []colDef {
		out := []colDef{{"event_type", fEventType, types.KindInt}, {"dateTime", fEventTime, types.KindTimestamp}}
		for _, g := range []struct {
			prefix string
			cols   []colDef
		}{{"person_", personCols}, {"auction_", auctionCols}, {"bid_", bidCols}} {
			for _, c := range g.cols {
				out = append(out, colDef{g.prefix + c.name, c.f, c.kind})
			}
		}
		return out
	}()
)

var tables = map[string]struct {
	typ  int // event type, -1 for every event
	cols []colDef
}{
	"person":  {PersonEvent, personCols},
	"auction": {AuctionEvent, auctionCols},
	"bid":     {BidEvent, bidCols},
	"event":   {-1, eventCols},
}

var kindNames = map[types.Kind]string{types.KindInt: "BIGINT", types.KindString: "VARCHAR", types.KindTimestamp: "TIMESTAMP(3)"}

// Column is a column of a nexmark table: its name and SQL type as a
// CREATE TABLE declares it.
type Column struct{ Name, Type string }

// TableColumns returns every column of the nexmark table that the 'table'
// option value names ('bid', 'auction', 'person' or 'event'; case does not
// matter), in the table's order; nil for any other name. Benchmarks use it
// to declare the whole 'event' table, as Flink's Nexmark setup does.
func TableColumns(table string) []Column {
	t, ok := tables[strings.ToLower(strings.TrimSpace(table))]
	if !ok {
		return nil
	}
	out := make([]Column, len(t.cols))
	for i, c := range t.cols {
		out[i] = Column{c.name, kindNames[c.kind]}
	}
	return out
}

type source struct {
	t      *catalog.Table
	env    *connectors.Env
	width  int
	typ    int // event type of the rows, -1 for every event
	out    [numFields]int
	hasAny [3]bool // whether any column of persons, auctions, bids is declared
	total  int64   // rows of the whole source; -1 when unbounded
	rps    float64
	splits int

	delayUs                          float64 // inter-event delay of event time, µs
	hotAuction, hotBidder, hotSeller uint64
	seed                             uint64

	chOnce sync.Once
	ch     *channels
}

func newSource(t *catalog.Table, env *connectors.Env) (connectors.Source, error) {
	if err := connectors.ValidateOptions(t, &connectors.Factory{Name: "nexmark", Options: options}); err != nil {
		return nil, err
	}
	errf := func(key, format string, a ...any) error {
		return fmt.Errorf("table %s: option '%s': %s", t.Name, key, fmt.Sprintf(format, a...))
	}
	m := t.OptionMap()
	s := &source{t: t, env: env, total: -1, splits: DefaultSplits, hotAuction: 2, hotBidder: 4, hotSeller: 4}
	eps := 10000.0
	if v, ok := m["events-per-second"]; ok {
		n, err := strconv.ParseFloat(strings.TrimSpace(v), 64)
		if err != nil || !(n > 0) || math.IsInf(n, 0) {
			return nil, errf("events-per-second", "expected a number > 0, got '%s'", v)
		}
		eps = n
	}
	s.delayUs = 1e6 / eps
	if v, ok := m["rows-per-second"]; ok {
		n, err := strconv.ParseFloat(strings.TrimSpace(v), 64)
		if err != nil || n < 0 || math.IsNaN(n) || math.IsInf(n, 0) {
			return nil, errf("rows-per-second", "expected a number >= 0, got '%s'", v)
		}
		s.rps = n
	}
	var events int64
	if v, ok := m["number-of-events"]; ok {
		n, err := strconv.ParseInt(strings.TrimSpace(v), 10, 64)
		if err != nil || n < 0 {
			return nil, errf("number-of-events", "expected a number >= 0 (0 = unbounded), got '%s'", v)
		}
		events = n
	}
	if v, ok := m["splits"]; ok {
		n, err := strconv.Atoi(strings.TrimSpace(v))
		if err != nil || n < 1 || n > maxSplits {
			return nil, errf("splits", "expected a number of splits from 1 to %d, got '%s'", maxSplits, v)
		}
		s.splits = n
	}
	for _, o := range []struct {
		key string
		dst *uint64
	}{{"hot-auction-ratio", &s.hotAuction}, {"hot-bidder-ratio", &s.hotBidder}, {"hot-seller-ratio", &s.hotSeller}} {
		if v, ok := m[o.key]; ok {
			n, err := strconv.ParseInt(strings.TrimSpace(v), 10, 32)
			if err != nil || n < 1 {
				return nil, errf(o.key, "expected an integer >= 1, got '%s'", v)
			}
			*o.dst = uint64(n)
		}
	}
	if v, ok := m["seed"]; ok {
		n, err := strconv.ParseInt(strings.TrimSpace(v), 10, 64)
		if err != nil {
			return nil, errf("seed", "expected an integer, got '%s'", v)
		}
		s.seed = uint64(n)
	}
	name := "bid"
	if v, ok := m["table"]; ok {
		name = strings.ToLower(strings.TrimSpace(v))
	}
	def, ok := tables[name]
	if !ok {
		return nil, errf("table", "expected 'bid', 'auction', 'person' or 'event', got '%s'", m["table"])
	}
	s.typ = def.typ
	if events > 0 {
		s.total = rowsBelow(s.typ, events)
	}
	for i := range s.out {
		s.out[i] = -1
	}
	cols := t.PhysicalColumns()
	s.width = len(cols)
	for i, c := range cols {
		var d *colDef
		for k := range def.cols {
			if strings.EqualFold(def.cols[k].name, c.Name) {
				d = &def.cols[k]
				break
			}
		}
		if d == nil {
			names := make([]string, len(def.cols))
			for k, dc := range def.cols {
				names[k] = dc.name
			}
			return nil, fmt.Errorf("table %s: column '%s' is not a column of the nexmark '%s' table (option 'table'; its columns: %s)",
				t.Name, c.Name, name, strings.Join(names, ", "))
		}
		if c.Type.Kind != d.kind {
			return nil, fmt.Errorf("table %s: column '%s' must be %s (nexmark '%s' table), not %s", t.Name, c.Name, kindNames[d.kind], name, c.Type)
		}
		if s.out[d.f] >= 0 {
			return nil, fmt.Errorf("table %s: column '%s' is declared twice", t.Name, c.Name)
		}
		s.out[d.f] = i
	}
	s.setHasAny()
	return s, nil
}

// setHasAny records which event types have a column to build.
func (s *source) setHasAny() {
	s.hasAny = [3]bool{}
	for f := fPersonID; f < numFields; f++ {
		if s.out[f] >= 0 {
			switch {
			case f < fAuctionID:
				s.hasAny[PersonEvent] = true
			case f < fBidAuction:
				s.hasAny[AuctionEvent] = true
			default:
				s.hasAny[BidEvent] = true
			}
		}
	}
}

// SkipColumns implements connectors.ColumnSkipper: the columns no query
// reads stay NULL, and their values (strings above all) are not built.
// Every field draws from its own random stream, so the other columns'
// values do not change.
func (s *source) SkipColumns(read []bool) {
	for f := range s.out {
		if c := s.out[f]; c >= 0 && c < len(read) && !read[c] {
			s.out[f] = -1
		}
	}
	s.setHasAny()
}

func (s *source) channels() *channels {
	s.chOnce.Do(func() { s.ch = newChannels(s.seed) })
	return s.ch
}

type split struct{ k, n int }

func (s split) ID() string { return fmt.Sprintf("nexmark-%d-of-%d", s.k, s.n) }

func (s *source) Bounded() bool { return s.total >= 0 }

// Splits returns the 'splits' splits, whatever the parallelism.
func (s *source) Splits(int) ([]connectors.Split, error) {
	out := make([]connectors.Split, s.splits)
	for k := range out {
		out[k] = split{k, s.splits}
	}
	return out, nil
}

func (s *source) OpenSplit(_ context.Context, sp connectors.Split, pos []byte) (connectors.SplitReader, error) {
	ns, ok := sp.(split)
	if !ok || ns.n < 1 || ns.k < 0 || ns.k >= ns.n {
		return nil, fmt.Errorf("table %s: split %s is not a nexmark split", s.t.Name, sp.ID())
	}
	if ns.n != s.splits {
		return nil, fmt.Errorf("table %s: split %s does not belong to a source of %d splits (was option 'splits' changed?)", s.t.Name, sp.ID(), s.splits)
	}
	r := &reader{src: s, k: int64(ns.k), n: int64(ns.n), count: math.MaxInt64,
		pace: pace.Pacer{Now: nowFunc(s.env), MaxWait: max(maxWait/time.Duration(ns.n), time.Millisecond)}}
	if s.hasAny[BidEvent] {
		r.ch = s.channels()
	}
	r.gen = generator{src: s, ch: r.ch}
	if s.total >= 0 {
		r.count = 0
		if r.k < s.total {
			r.count = (s.total-r.k-1)/r.n + 1
		}
	}
	if pos != nil {
		if len(pos) != 8 {
			return nil, fmt.Errorf("table %s: invalid position of split %s", s.t.Name, sp.ID())
		}
		r.j = int64(binary.BigEndian.Uint64(pos))
		if r.j < 0 || r.j > r.count {
			return nil, fmt.Errorf("table %s: position %d of split %s is past its %d rows", s.t.Name, r.j, sp.ID(), r.count)
		}
	}
	if s.rps > 0 {
		r.pace.Rate = s.rps / float64(r.n)
	}
	return r, nil
}

func nowFunc(env *connectors.Env) func() int64 {
	if env != nil && env.Now != nil {
		return env.Now
	}
	return func() int64 { return time.Now().UnixMilli() }
}

// maxWait bounds how long the splits of a source together sleep in Next.
const maxWait = 100 * time.Millisecond

type reader struct {
	src   *source
	gen   generator
	ch    *channels
	k, n  int64
	j     int64 // rows generated by this split
	count int64 // rows of this split
	pace  pace.Pacer
}

func (r *reader) Next(ctx context.Context, b *types.Batch) error {
	if r.j >= r.count {
		return io.EOF
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	if b.Width != r.src.width {
		return fmt.Errorf("table %s: batch width %d does not match the %d physical columns", r.src.t.Name, b.Width, r.src.width)
	}
	limit := cap(b.Ops)
	if limit <= b.Len() {
		limit = b.Len() + 1024
	}
	want, _, err := r.pace.Take(ctx, min(int64(limit-b.Len()), r.count-r.j))
	if err != nil {
		return err
	}
	g := &r.gen
	typ := r.src.typ
	for x := int64(0); x < want; x++ {
		m := r.k + r.j*r.n
		g.event(b, eventOfRow(typ, m))
		r.j++
	}
	g.flush(b)
	return nil
}

// Position returns the number of rows generated by the split.
func (r *reader) Position() []byte { return binary.BigEndian.AppendUint64(nil, uint64(r.j)) }

func (r *reader) Close() error { return nil }

// generator builds rows. The strings it builds for one Next call are
// written into one buffer and become substrings of one string at flush,
// so that a batch costs one string allocation.
type generator struct {
	src *source
	ch  *channels
	buf []byte
	fix []fixup
}

type fixup struct {
	val  int // index into Batch.Vals
	a, b int
}

func (g *generator) flush(b *types.Batch) {
	if len(g.fix) > 0 {
		s := string(g.buf)
		for _, f := range g.fix {
			b.Vals[f.val] = types.StringValue(s[f.a:f.b])
		}
	}
	g.buf, g.fix = g.buf[:0], g.fix[:0]
}

// eventTime returns the event time of event n.
func (s *source) eventTime(n int64) int64 {
	return BaseTime + int64(float64(n)*s.delayUs)/1000
}

func (g *generator) event(b *types.Batch, n int64) {
	s := g.src
	typ := eventType(n)
	base := len(b.Vals)
	row := b.AppendEmpty(types.Insert)
	ts := s.eventTime(n)
	if c := s.out[fEventType]; c >= 0 {
		row[c] = types.IntValue(int64(typ))
	}
	if c := s.out[fEventTime]; c >= 0 {
		row[c] = types.TimestampValue(ts)
	}
	if !s.hasAny[typ] {
		return
	}
	h := mix(s.seed*gamma ^ uint64(n)) // the event's hash: its fields' streams derive from it
	switch typ {
	case PersonEvent:
		g.person(row, base, n, h, ts)
	case AuctionEvent:
		g.auction(row, base, n, h, ts)
	default:
		g.bid(row, base, n, h, ts)
	}
}

// str records the string buf[a:] as the value of column c (if declared)
// and otherwise drops it from the buffer.
func (g *generator) str(c, base, a int) {
	if c < 0 {
		g.buf = g.buf[:a]
		return
	}
	g.fix = append(g.fix, fixup{base + c, a, len(g.buf)})
}

func setInt(row []types.Value, c int, v int64) {
	if c >= 0 {
		row[c] = types.IntValue(v)
	}
}

func setTime(row []types.Value, c int, v int64) {
	if c >= 0 {
		row[c] = types.TimestampValue(v)
	}
}

func setStr(row []types.Value, c int, v string) {
	if c >= 0 {
		row[c] = types.StringValue(v)
	}
}

func (g *generator) person(row []types.Value, base int, n int64, h uint64, ts int64) {
	out := &g.src.out
	setInt(row, out[fPersonID], lastPerson(n)+firstPersonID)
	setTime(row, out[fPersonTime], ts)
	r := stream(h, 1)
	a := len(g.buf)
	g.buf = append(g.buf, firstNames[r.intn(uint64(len(firstNames)))]...)
	g.buf = append(g.buf, ' ')
	g.buf = append(g.buf, lastNames[r.intn(uint64(len(lastNames)))]...)
	size := 8 + len(g.buf) - a
	g.str(out[fPersonName], base, a)
	r = stream(h, 2)
	a = len(g.buf)
	g.buf = appendString(g.buf, &r, 7, ' ')
	g.buf = append(g.buf, '@')
	g.buf = appendString(g.buf, &r, 5, ' ')
	g.buf = append(g.buf, ".com"...)
	size += len(g.buf) - a
	g.str(out[fPersonEmail], base, a)
	r = stream(h, 3)
	a = len(g.buf)
	for i := 0; i < 4; i++ {
		if i > 0 {
			g.buf = append(g.buf, ' ')
		}
		d := r.intn(10000)
		g.buf = append(g.buf, byte('0'+d/1000), byte('0'+d/100%10), byte('0'+d/10%10), byte('0'+d%10))
	}
	size += len(g.buf) - a
	g.str(out[fPersonCard], base, a)
	r = stream(h, 4)
	city := usCities[r.intn(uint64(len(usCities)))]
	state := usStates[r.intn(uint64(len(usStates)))]
	setStr(row, out[fPersonCity], city)
	setStr(row, out[fPersonState], state)
	size += len(city) + len(state)
	if c := out[fPersonExtra]; c >= 0 {
		r = stream(h, 5)
		a = len(g.buf)
		g.buf = appendExtra(g.buf, &r, size, avgPersonBytes)
		g.str(c, base, a)
	}
}

func (g *generator) auction(row []types.Value, base int, n int64, h uint64, ts int64) {
	s := g.src
	out := &s.out
	setInt(row, out[fAuctionID], lastAuction(n)+firstAuctionID)
	setTime(row, out[fAuctionTime], ts)
	r := stream(h, 1)
	var seller int64
	if r.intn(s.hotSeller) > 0 {
		seller = lastPerson(n) / hotBatch * hotBatch
	} else {
		seller = randomPerson(n, &r)
	}
	setInt(row, out[fAuctionSeller], seller+firstPersonID)
	r = stream(h, 2)
	setInt(row, out[fAuctionCategory], firstCategoryID+int64(r.intn(numCategories)))
	r = stream(h, 3)
	initial := price(&r)
	setInt(row, out[fAuctionInitialBid], initial)
	setInt(row, out[fAuctionReserve], initial+price(&r))
	if c := out[fAuctionExpires]; c >= 0 {
		// auctions last on average until numInFlightAuctions more auctions
		// have been generated
		const ahead = numInFlightAuctions * totalProportion / auctionProportion
		horizon := s.eventTime(n+ahead) - ts
		r = stream(h, 4)
		row[c] = types.TimestampValue(ts + 1 + int64(r.intn(uint64(max(horizon*2, 1)))))
	}
	cName, cDesc, cExtra := out[fAuctionItemName], out[fAuctionDesc], out[fAuctionExtra]
	if cName < 0 && cDesc < 0 && cExtra < 0 {
		return
	}
	r = stream(h, 5)
	a := len(g.buf)
	g.buf = appendString(g.buf, &r, 20, ' ')
	size := 8 + len(g.buf) - a + 40
	g.str(cName, base, a)
	r = stream(h, 6)
	a = len(g.buf)
	g.buf = appendString(g.buf, &r, 100, ' ')
	size += len(g.buf) - a
	g.str(cDesc, base, a)
	if cExtra >= 0 {
		r = stream(h, 7)
		a = len(g.buf)
		g.buf = appendExtra(g.buf, &r, size, avgAuctionBytes)
		g.str(cExtra, base, a)
	}
}

func (g *generator) bid(row []types.Value, base int, n int64, h uint64, ts int64) {
	s := g.src
	out := &s.out
	setTime(row, out[fBidTime], ts)
	if c := out[fBidAuction]; c >= 0 {
		r := stream(h, 1)
		var auction int64
		if r.intn(s.hotAuction) > 0 {
			auction = lastAuction(n) / hotBatch * hotBatch
		} else {
			auction = randomAuction(n, &r)
		}
		row[c] = types.IntValue(auction + firstAuctionID)
	}
	if c := out[fBidBidder]; c >= 0 {
		r := stream(h, 2)
		var bidder int64
		if r.intn(s.hotBidder) > 0 {
			bidder = lastPerson(n)/hotBatch*hotBatch + 1
		} else {
			bidder = randomPerson(n, &r)
		}
		row[c] = types.IntValue(bidder + firstPersonID)
	}
	if c := out[fBidPrice]; c >= 0 {
		r := stream(h, 3)
		row[c] = types.IntValue(price(&r))
	}
	cCh, cURL := out[fBidChannel], out[fBidURL]
	if cCh >= 0 || cURL >= 0 {
		r := stream(h, 4)
		var ch, url string
		if r.intn(hotChannelRatio) > 0 {
			i := r.intn(uint64(len(hotChannels)))
			ch, url = hotChannels[i], g.ch.hotURLs[i]
		} else {
			i := r.intn(numChannels)
			ch, url = g.ch.names[i], g.ch.urls[i]
		}
		setStr(row, cCh, ch)
		setStr(row, cURL, url)
	}
	if c := out[fBidExtra]; c >= 0 {
		r := stream(h, 5)
		a := len(g.buf)
		g.buf = appendExtra(g.buf, &r, 32, avgBidBytes)
		g.str(c, base, a)
	}
}

// WaitedNs implements connectors.WaitReporter: the time the reader slept
// to keep to 'rows-per-second'.
func (r *reader) WaitedNs() int64 { return int64(r.pace.Waited) }
