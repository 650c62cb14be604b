package nexmark

import (
	"context"
	"fmt"
	"io"
	"sort"
	"strings"
	"sync"
	"testing"

	"github.com/streamsql/streamsql/engine"
	"github.com/streamsql/streamsql/types"
)

// TestEveryQueryRuns runs each query file through the runner on a small
// input and checks that it completes.
func TestEveryQueryRuns(t *testing.T) {
	qs := Queries()
	if len(qs) < 3 || qs[0] != "q0" || qs[1] != "q1" || qs[2] != "q2" {
		t.Fatalf("queries = %v", qs)
	}
	for _, q := range qs {
		t.Run(q, func(t *testing.T) {
			res, err := Run(context.Background(), Options{Query: q, Events: 20000, Parallelism: 2, Baseline: true})
			if err != nil {
				t.Fatal(err)
			}
			if res.Events != 20000 || res.Seconds <= 0 || res.EventsPerSec <= 0 || res.PeakSys == 0 {
				t.Fatalf("result %+v", res)
			}
			if HasBaseline(q) != (res.Baseline != nil) {
				t.Fatalf("baseline %v for %s", res.Baseline, q)
			}
			if !strings.HasPrefix(res.Row(), "| "+q+" |") {
				t.Fatalf("row %q", res.Row())
			}
		})
	}
}

func TestCheckpointedRunReportsState(t *testing.T) {
	res, err := Run(context.Background(), Options{Query: "q0", Events: 20000, CheckpointInterval: "10ms", StateBackend: "hashmap"})
	if err != nil {
		t.Fatal(err)
	}
	var sb strings.Builder
	res.Report(&sb)
	if !strings.Contains(sb.String(), "state size:") {
		t.Fatal(sb.String())
	}
}

func TestUnknownQuery(t *testing.T) {
	if _, err := Run(context.Background(), Options{Query: "q99", Events: 10}); err == nil || !strings.Contains(err.Error(), "q0") {
		t.Fatalf("err = %v", err)
	}
}

// runIntoMemory runs query q with its blackhole sink replaced by an
// in-memory table and returns the sink's rows, formatted.
func runIntoMemory(t *testing.T, q string, events int64) []string {
	t.Helper()
	script, err := SQL(q, events)
	if err != nil {
		t.Fatal(err)
	}
	script = strings.ReplaceAll(script, "'connector' = 'blackhole'", "'connector' = 'memory'")
	eng := engine.New(engine.Options{Stdout: io.Discard, Stderr: io.Discard})
	eng.Config().Set("parallelism.default", "2")
	if err := eng.RunScript(context.Background(), script, io.Discard); err != nil {
		t.Fatal(err)
	}
	_, rows, err := eng.Query("SELECT * FROM nexmark_" + q)
	if err != nil {
		t.Fatal(err)
	}
	out := make([]string, len(rows))
	for i, r := range rows {
		out[i] = formatRow(r...)
	}
	sort.Strings(out)
	return out
}

func formatRow(vals ...types.Value) string {
	parts := make([]string, len(vals))
	for i, v := range vals {
		parts[i] = v.String()
	}
	return strings.Join(parts, "|")
}

// expected reads the generator's bids directly and maps each through fn
// (nil: dropped), independently of the engine's operators.
func expected(t *testing.T, events int64, fn func(auction, bidder, price, ts int64, extra string) []types.Value) []string {
	t.Helper()
	var mu sync.Mutex
	var out []string
	err := ReadBids(context.Background(), events, func(_ int, b *types.Batch) {
		mu.Lock()
		defer mu.Unlock()
		for i := 0; i < b.Len(); i++ {
			r := b.Row(i)
			if vals := fn(r[cAuction].Int(), r[cBidder].Int(), r[cPrice].Int(), r[cDateTime].Millis(), r[cExtra].Str()); vals != nil {
				out = append(out, formatRow(vals...))
			}
		}
	})
	if err != nil {
		t.Fatal(err)
	}
	sort.Strings(out)
	return out
}

func compare(t *testing.T, got, want []string) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%d rows, want %d", len(got), len(want))
	}
	for i := range got {
		if got[i] != want[i] {
			t.Fatalf("row %d:\n got %s\nwant %s", i, got[i], want[i])
		}
	}
}

const checkEvents = 30000

func TestQ0Rows(t *testing.T) {
	want := expected(t, checkEvents, func(a, b, p, ts int64, extra string) []types.Value {
		return []types.Value{types.IntValue(a), types.IntValue(b), types.IntValue(p), types.TimestampValue(ts), types.StringValue(extra)}
	})
	if n := len(want); n != checkEvents/50*46 {
		t.Fatalf("%d bids in %d events", n, checkEvents)
	}
	compare(t, runIntoMemory(t, "q0", checkEvents), want)
}

func TestQ1Rows(t *testing.T) {
	want := expected(t, checkEvents, func(a, b, p, ts int64, extra string) []types.Value {
		// 0.908 * price, exactly: price * 908 thousandths.
		eur := fmt.Sprintf("%d.%03d", p*908/1000, p*908%1000)
		return []types.Value{types.IntValue(a), types.IntValue(b), types.StringValue(eur), types.TimestampValue(ts), types.StringValue(extra)}
	})
	compare(t, runIntoMemory(t, "q1", checkEvents), want)
}

func TestQ2Rows(t *testing.T) {
	want := expected(t, checkEvents, func(a, b, p, ts int64, extra string) []types.Value {
		if a%123 != 0 {
			return nil
		}
		return []types.Value{types.IntValue(a), types.IntValue(p)}
	})
	if len(want) == 0 {
		t.Fatal("no bids on auctions that are multiples of 123: the check is vacuous")
	}
	compare(t, runIntoMemory(t, "q2", checkEvents), want)
}

func tsValue(ms int64) types.Value { return types.TimestampValue(ms) }
