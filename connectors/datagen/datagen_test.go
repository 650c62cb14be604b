package datagen

import (
	"context"
	"io"
	"sort"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/streamsql/streamsql/catalog"
	"github.com/streamsql/streamsql/connectors"
	"github.com/streamsql/streamsql/types"
)

var ctx = context.Background()

var schema = types.Schema{
	{Name: "id", Type: types.BigInt},
	{Name: "r", Type: types.Int32},
	{Name: "s", Type: types.String},
	{Name: "d", Type: types.Double},
	{Name: "p", Type: types.DecimalType(8, 2)},
	{Name: "b", Type: types.Bool},
	{Name: "ts", Type: types.Timestamp},
	{Name: "pt", Type: types.Timestamp},
}

func table(opts ...string) *catalog.Table {
	t := &catalog.Table{Name: "gen", Columns: schema, ProctimeColumn: 7,
		Options: []catalog.Option{{Key: "connector", Value: "datagen"}}}
	for i := 0; i < len(opts); i += 2 {
		t.Options = append(t.Options, catalog.Option{Key: opts[i], Value: opts[i+1]})
	}
	return t
}

var fixedClock = &connectors.Env{Now: func() int64 { return 1602288000000 }}

var baseOpts = []string{
	"rows-per-second", "0",
	"fields.id.kind", "sequence", "fields.id.start", "1", "fields.id.end", "1000",
	"fields.r.min", "-5", "fields.r.max", "5", "fields.R.null-rate", "0.25",
	"fields.s.length", "20",
	"fields.p.min", "-1.5", "fields.p.max", "100",
	"fields.ts.kind", "sequence", "fields.ts.start", "2020-10-10 00:00:00", "fields.ts.end", "1602289000000", "fields.ts.step", "1 s",
}

func newSrc(t *testing.T, env *connectors.Env, opts ...string) connectors.Source {
	t.Helper()
	s, err := connectors.Lookup("datagen").NewSource(table(opts...), env)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func render(row []types.Value) string {
	var parts []string
	for j, v := range row {
		parts = append(parts, types.Render(v, schema[j].Type))
	}
	return strings.Join(parts, "|")
}

func drain(t *testing.T, r connectors.SplitReader, capRows int) []string {
	t.Helper()
	var out []string
	for {
		b := types.NewBatch(7, capRows)
		err := r.Next(ctx, b)
		for i := 0; i < b.Len(); i++ {
			out = append(out, render(b.Row(i)))
		}
		if err == io.EOF {
			return out
		}
		if err != nil {
			t.Fatal(err)
		}
	}
}

func readAll(t *testing.T, src connectors.Source, parallelism int) [][]string {
	t.Helper()
	splits, _ := src.Splits(parallelism)
	var out [][]string
	for _, sp := range splits {
		r, err := src.OpenSplit(ctx, sp, nil)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, drain(t, r, 64))
	}
	return out
}

func TestDeterministicAndPartitioned(t *testing.T) {
	src := newSrc(t, fixedClock, append(baseOpts, "splits", "1")...)
	if !src.Bounded() {
		t.Fatal("a sequence makes the source bounded")
	}
	one := readAll(t, src, 4)[0]
	if len(one) != 1000 {
		t.Fatalf("%d rows", len(one))
	}
	again := readAll(t, newSrc(t, fixedClock, append(baseOpts, "splits", "1")...), 1)[0]
	if strings.Join(one, "\n") != strings.Join(again, "\n") {
		t.Fatal("two runs differ")
	}
	nulls := 0
	for i, row := range one {
		f := strings.Split(row, "|")
		if f[0] != itoa(i+1) {
			t.Fatalf("row %d: id %s", i, f[0])
		}
		if f[1] == "NULL" {
			nulls++
		} else if n := atoi(f[1]); n < -5 || n > 5 {
			t.Fatalf("r out of range: %s", row)
		}
		if len(f[2]) != 20 {
			t.Fatalf("string length: %s", row)
		}
		if !strings.HasPrefix(f[6], "2020-10-10 00:") {
			t.Fatalf("ts: %s", row)
		}
	}
	if nulls < 150 || nulls > 350 {
		t.Fatalf("null-rate 0.25 gave %d NULLs of 1000", nulls)
	}
	if one[1] == one[2] {
		t.Fatal("rows repeat")
	}
	// three splits: ascending ids within each, union equal to the single split
	parts := readAll(t, newSrc(t, fixedClock, append(baseOpts, "splits", "3")...), 1)
	var union []string
	for _, p := range parts {
		union = append(union, p...)
		if !sort.SliceIsSorted(p, func(i, j int) bool { return atoi(strings.Split(p[i], "|")[0]) < atoi(strings.Split(p[j], "|")[0]) }) {
			t.Fatal("split ids not ascending")
		}
	}
	if len(parts[0]) != 334 || len(parts[2]) != 333 {
		t.Fatalf("split sizes %d %d %d", len(parts[0]), len(parts[1]), len(parts[2]))
	}
	sort.Strings(union)
	sorted := append([]string(nil), one...)
	sort.Strings(sorted)
	if strings.Join(union, "\n") != strings.Join(sorted, "\n") {
		t.Fatal("splits differ from the single split")
	}
	// another seed gives other random values
	other := readAll(t, newSrc(t, fixedClock, append(baseOpts, "seed", "7", "splits", "1")...), 1)[0]
	if other[0] == one[0] {
		t.Fatal("seed has no effect")
	}
}

func itoa(i int) string { return types.IntValue(int64(i)).String() }
func atoi(s string) int {
	n := 0
	neg := strings.HasPrefix(s, "-")
	for _, c := range strings.TrimPrefix(s, "-") {
		n = n*10 + int(c-'0')
	}
	if neg {
		return -n
	}
	return n
}

func TestResume(t *testing.T) {
	src := newSrc(t, fixedClock, append(baseOpts, "number-of-rows", "100", "splits", "2")...)
	splits, _ := src.Splits(7)
	full := drain(t, mustOpen(t, src, splits[1], nil), 7)
	if len(full) != 50 {
		t.Fatalf("%d rows", len(full))
	}
	r := mustOpen(t, src, splits[1], nil)
	b := types.NewBatch(7, 13)
	if err := r.Next(ctx, b); err != nil || b.Len() != 13 {
		t.Fatalf("%d rows, %v", b.Len(), err)
	}
	rest := drain(t, mustOpen(t, src, splits[1], r.Position()), 5)
	if strings.Join(rest, "\n") != strings.Join(full[13:], "\n") {
		t.Fatal("resume does not continue exactly")
	}
}

func mustOpen(t *testing.T, src connectors.Source, sp connectors.Split, pos []byte) connectors.SplitReader {
	t.Helper()
	r, err := src.OpenSplit(ctx, sp, pos)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func TestWallClockAndRate(t *testing.T) {
	var now atomic.Int64
	now.Store(1000000)
	env := &connectors.Env{Now: now.Load}
	src := newSrc(t, env, "rows-per-second", "100", "splits", "2")
	if src.Bounded() {
		t.Fatal("unbounded expected")
	}
	splits, _ := src.Splits(1) // 50 rows per second per split
	r := mustOpen(t, src, splits[0], nil)
	b := types.NewBatch(7, 1000)
	if err := r.Next(ctx, b); err != nil || b.Len() != 1 {
		t.Fatalf("first call: %d rows, %v", b.Len(), err)
	}
	if ts := b.Row(0)[6]; ts.Millis() != 1000000 {
		t.Fatalf("timestamp %v is not the clock", ts)
	}
	// no row is due while the clock stands still: Next returns empty in time
	start := time.Now()
	b.Reset()
	if err := r.Next(ctx, b); err != nil || b.Len() != 0 {
		t.Fatalf("%d rows, %v", b.Len(), err)
	}
	if d := time.Since(start); d > 300*time.Millisecond {
		t.Fatalf("Next took %v", d)
	}
	now.Add(1000) // one second later: 50 more rows due
	b.Reset()
	r.Next(ctx, b)
	if b.Len() != 50 || b.Row(0)[6].Millis() != 1001000 {
		t.Fatalf("after a second: %d rows", b.Len())
	}
	// cancellation ends the wait at once (the next row is seconds away)
	slow := mustOpen(t, newSrc(t, env, "rows-per-second", "1", "splits", "2"), splits[0], nil)
	b.Reset()
	slow.Next(ctx, b)
	cctx, cancel := context.WithCancel(ctx)
	go func() { time.Sleep(10 * time.Millisecond); cancel() }()
	b.Reset()
	if err := slow.Next(cctx, b); err != context.Canceled {
		t.Fatalf("cancelled: %v", err)
	}
}

func TestUnlimitedFillsBatch(t *testing.T) {
	src := newSrc(t, fixedClock, "rows-per-second", "0")
	splits, _ := src.Splits(1)
	r := mustOpen(t, src, splits[0], nil)
	b := types.NewBatch(7, 256)
	if err := r.Next(ctx, b); err != nil || b.Len() != 256 {
		t.Fatalf("%d rows, %v", b.Len(), err)
	}
}

func TestOptionErrors(t *testing.T) {
	f := connectors.Lookup("datagen")
	for _, c := range []struct {
		opts []string
		err  string
	}{
		{[]string{"fields.nope.kind", "random"}, "table gen: option 'fields.nope.kind': the table has no column 'nope'"},
		{[]string{"fields.pt.kind", "random"}, "table gen: option 'fields.pt.kind': column 'pt' is computed (PROCTIME) and is not generated"},
		{[]string{"fields.id.color", "red"}, "table gen: connector 'datagen' has no option 'fields.id.color'"},
		{[]string{"speed", "1"}, "table gen: connector 'datagen' has no option 'speed'"},
		{[]string{"fields.id.kind", "walk"}, "table gen: column id: option 'fields.id.kind': expected 'random' or 'sequence', got 'walk'"},
		{[]string{"fields.id.kind", "sequence", "fields.id.start", "1"}, "table gen: column id: a sequence needs options 'fields.id.start' and 'fields.id.end'"},
		{[]string{"fields.id.start", "1"}, "table gen: column id: option 'fields.id.start' applies to sequences only"},
		{[]string{"fields.id.length", "1"}, "table gen: column id: option 'fields.id.length' applies to STRING columns only"},
		{[]string{"fields.r.max", "99999999999"}, "table gen: column r: option 'fields.r.max' expects a INT value"},
		{[]string{"fields.r.min", "5", "fields.r.max", "1"}, "table gen: column r: min 5 is greater than max 1"},
		{[]string{"fields.r.null-rate", "2"}, "table gen: column r: option 'fields.r.null-rate' expects a number between 0 and 1"},
		{[]string{"rows-per-second", "fast"}, "table gen: option 'rows-per-second': expected a number >= 0, got 'fast'"},
		{[]string{"splits", "0"}, "table gen: option 'splits': expected a number of splits from 1 to 65536, got '0'"},
		{[]string{"fields.ts.kind", "sequence", "fields.ts.start", "2020-01-02", "fields.ts.end", "2020-01-01"}, "table gen: column ts: sequence end 2020-01-01 is before its start 2020-01-02"},
	} {
		_, err := f.NewSource(table(c.opts...), fixedClock)
		if err == nil || !strings.HasPrefix(err.Error(), c.err) {
			t.Errorf("%v:\n got  %v\n want %s", c.opts, err, c.err)
		}
	}
}

func TestValidateAtCreateTable(t *testing.T) {
	err := connectors.ValidateOptions(table("fields.nope.min", "1"), connectors.Lookup("datagen"))
	if err == nil || err.Error() != "table gen: option 'fields.nope.min': the table has no column 'nope'" {
		t.Fatal(err)
	}
	if err := connectors.ValidateOptions(table(baseOpts...), connectors.Lookup("datagen")); err != nil {
		t.Fatal(err)
	}
}

// The split set does not depend on the parallelism, so positions taken
// with the splits spread over p tasks restore with them spread over q.
func TestRescaleRestore(t *testing.T) {
	opts := append(baseOpts, "number-of-rows", "997")
	src := newSrc(t, fixedClock, opts...)
	var ids []string
	for _, p := range []int{1, 3, 16} {
		splits, _ := src.Splits(p)
		var got []string
		for _, sp := range splits {
			got = append(got, sp.ID())
		}
		if p == 1 {
			ids = got
		} else if strings.Join(got, ",") != strings.Join(ids, ",") {
			t.Fatalf("parallelism %d: splits %v, at 1: %v", p, got, ids)
		}
	}
	if len(ids) != DefaultSplits || ids[0] != "datagen-0-of-8" || ids[7] != "datagen-7-of-8" {
		t.Fatalf("splits %v", ids)
	}
	full := readAll(t, newSrc(t, fixedClock, append(opts, "splits", "1")...), 1)[0]
	for _, pq := range [][2]int{{3, 2}, {1, 4}, {8, 1}, {2, 5}} {
		p, q := pq[0], pq[1]
		splits, _ := src.Splits(p)
		// p tasks each read a batch of a few rows from each of their splits,
		// then the checkpoint records every split's position by ID
		positions := map[string][]byte{}
		var out []string
		for task := 0; task < p; task++ {
			for k := task; k < len(splits); k += p {
				r := mustOpen(t, src, splits[k], nil)
				b := types.NewBatch(7, 5+k)
				if err := r.Next(ctx, b); err != nil {
					t.Fatal(err)
				}
				for i := 0; i < b.Len(); i++ {
					out = append(out, render(b.Row(i)))
				}
				positions[splits[k].ID()] = r.Position()
			}
		}
		// restore at q
		splits, _ = src.Splits(q)
		for task := 0; task < q; task++ {
			for k := task; k < len(splits); k += q {
				out = append(out, drain(t, mustOpen(t, src, splits[k], positions[splits[k].ID()]), 64)...)
			}
		}
		sort.Strings(out)
		want := append([]string(nil), full...)
		sort.Strings(want)
		if strings.Join(out, "\n") != strings.Join(want, "\n") {
			t.Fatalf("%d -> %d: %d rows, want %d exactly once", p, q, len(out), len(want))
		}
	}
	// a split of a source with another 'splits' is refused
	other := newSrc(t, fixedClock, append(opts, "splits", "4")...)
	if _, err := other.OpenSplit(ctx, split{1, 8}, nil); err == nil || !strings.Contains(err.Error(), "'splits'") {
		t.Fatalf("foreign split: %v", err)
	}
}

// A task reading all the splits in turn gets back within about 100 ms
// when no row is due.
func TestIdleRoundIsShort(t *testing.T) {
	env := &connectors.Env{Now: func() int64 { return 1000000 }}
	src := newSrc(t, env, "rows-per-second", "1")
	splits, _ := src.Splits(1)
	var readers []connectors.SplitReader
	for _, sp := range splits {
		r := mustOpen(t, src, sp, nil)
		r.Next(ctx, types.NewBatch(7, 10)) // the first row is due at once
		readers = append(readers, r)
	}
	start := time.Now()
	for _, r := range readers {
		b := types.NewBatch(7, 10)
		if err := r.Next(ctx, b); err != nil || b.Len() != 0 {
			t.Fatalf("%d rows, %v", b.Len(), err)
		}
	}
	if d := time.Since(start); d > 250*time.Millisecond {
		t.Fatalf("a round over %d idle splits took %v", len(readers), d)
	}
}
